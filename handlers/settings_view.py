"""How the /settings menu looks: its text and its buttons (bot/defaults_menu.py has what they carry)."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.defaults_menu import DONE, RESET, MenuPress, MenuView
from bot.i18n import Translator
from bot.jobs.money import format_usd
from bot.preferences import Field, menu_choices

# Rows of the keyboard, top to bottom; each row's buttons come from menu_choices.
_ROWS = (Field.ORIENTATION, Field.SPEED, Field.CHANNEL, Field.SECONDS, Field.RESOLUTION, Field.COUNT)
_NAMED_VALUES = {Field.ORIENTATION: "orientation", Field.SPEED: "speed", Field.CHANNEL: "channel"}


def render_text(view: MenuView, texts: Translator, language: str, *, closed: bool = False) -> str:
    """The menu message: title, current values, the model and what a default video costs."""
    defaults = view.defaults.normalised(view.generation_mode)
    if view.scope == "chat":
        title = texts(language, "settings-title-chat", chat=html.escape(view.chat_title or "", quote=False))
        note = texts(language, "settings-chat-own" if view.source == "own" else "settings-chat-bot")
    else:
        title = texts(language, "settings-title-user")
        note = texts(language, f"settings-source-{view.source}")
    named = {
        "orientation": f"settings-orientation-{defaults.orientation.value}",
        "speed": f"settings-speed-{defaults.speed.value}",
        "channel": f"settings-channel-{defaults.channel.value}",
    }
    lines = [title, ""]
    lines += [
        texts(language, f"settings-line-{name}", value=texts(language, key)) for name, key in named.items()
    ]
    clip = texts(
        language,
        "settings-line-clip",
        seconds=str(defaults.seconds),
        resolution=_resolution_label(defaults.resolution),
        n=defaults.n,
    )
    price = format_usd(defaults.price_cents(view.generation_mode))
    lines += [
        clip,
        texts(language, "settings-line-model", model=defaults.model().id),
        texts(language, "settings-line-price", price=price),
        "",
        texts(language, "settings-closed") if closed else note,
    ]
    return "\n".join(lines)


def render_keyboard(view: MenuView, texts: Translator, language: str) -> InlineKeyboardMarkup:
    """One row per choice the selected model offers, the current value ticked, then Reset and Done."""
    defaults = view.defaults.normalised(view.generation_mode)
    offered = menu_choices(defaults, view.generation_mode)
    current = {
        Field.ORIENTATION: defaults.orientation.value,
        Field.SPEED: defaults.speed.value,
        Field.CHANNEL: defaults.channel.value,
        Field.SECONDS: str(defaults.seconds),
        Field.RESOLUTION: defaults.resolution,
        Field.COUNT: str(defaults.n),
    }
    rows: list[list[InlineKeyboardButton]] = []
    for field in _ROWS:
        if field not in offered:
            continue
        row = []
        for value in offered[field]:
            label = _button_label(field, value, texts, language)
            if value == current[field]:
                label = texts(language, "settings-button-selected", label=label)
            press = MenuPress(view.scope, view.opener_id, field.value, value)
            row.append(InlineKeyboardButton(label, callback_data=press.encode()))
        rows.append(row)
    rows.append(
        [
            InlineKeyboardButton(
                texts(language, "settings-button-reset"),
                callback_data=MenuPress(view.scope, view.opener_id, RESET).encode(),
            ),
            InlineKeyboardButton(
                texts(language, "settings-button-done"),
                callback_data=MenuPress(view.scope, view.opener_id, DONE).encode(),
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _button_label(field: Field, value: str, texts: Translator, language: str) -> str:
    named = _NAMED_VALUES.get(field)
    if named is not None:
        return texts(language, f"settings-button-{named}-{value}")
    if field is Field.SECONDS:
        return texts(language, "settings-button-seconds", value=value)
    if field is Field.RESOLUTION:
        return texts(language, "settings-button-resolution", value=_resolution_label(value))
    return texts(language, "settings-button-count", value=value)


def _resolution_label(resolution: str) -> str:
    """4K in capitals; 720p and 1080p as they are."""
    return resolution.upper() if resolution.endswith("k") else resolution
