"""Message content rules: parse modes, text and caption limits, reply markup checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.fakes.bot_api_html import EntityParseError, parse_html, strip_trailing_whitespace
from tests.fakes.bot_api_spec import bad_request

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
_BUTTON_LOOKS = frozenset({"text", "icon_custom_emoji_id", "style"})
_URL_SCHEMES = frozenset({"http", "https", "tg"})


def format_content(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode (HTML only) or explicit entities; trailing whitespace is trimmed like Telegram."""
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            try:
                plain, found = parse_html(text)
            except EntityParseError as err:
                raise bad_request(f"can't parse entities: {err}") from err
        elif mode in ("markdownv2", "markdown"):
            raise bad_request(
                f"can't parse entities: parse_mode {parse_mode} is not supported by the fake Bot API; "
                "use HTML"
            )
        else:
            raise bad_request("unsupported parse_mode")
    else:
        plain, found = text, list(entities or [])
    return strip_trailing_whitespace(plain, found)


def format_text(
    text: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """A message text: 1..4096 characters after entity parsing."""
    plain, found = format_content(text or "", parse_mode, entities)
    if not plain.strip():
        raise bad_request("message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return plain, found


def format_caption(
    caption: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str | None, list[dict[str, Any]]]:
    """A media caption: 0..1024 characters after entity parsing; empty means no caption."""
    if caption is None:
        return None, []
    plain, found = format_content(caption, parse_mode, entities)
    if len(plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return (plain or None), found


def check_reply_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Telegram's checks on inline keyboards beyond the types: one action per button, data size, URLs."""
    if not markup or "inline_keyboard" not in markup:
        return markup
    for row in markup["inline_keyboard"]:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: dict[str, Any]) -> None:
    actions = [key for key in button if key not in _BUTTON_LOOKS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(f"can't parse inline keyboard button: more than one action in a button: {actions}")
    if not button.get("text"):
        raise bad_request("can't parse inline keyboard button: button text must be non-empty")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in _URL_SCHEMES or (parts.scheme.lower() != "tg" and not parts.netloc):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
