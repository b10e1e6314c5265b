"""/language: English, 简体中文, or whatever Telegram says; the choice is per user, in any chat."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n import SUPPORTED_LANGUAGES, Translator
from handlers.common import NO_PREVIEW, answer_alert, own_account_only

logger = logging.getLogger(__name__)

LANGUAGE_CALLBACK_PREFIX = "lang:"
AUTOMATIC = "auto"
CHOICES = (*SUPPORTED_LANGUAGES, AUTOMATIC)
CHOSEN_MARK = "✓ "


def language_keyboard(texts: Translator, language: str, *, chosen: str | None) -> InlineKeyboardMarkup:
    """One button per language (named in itself) and "Automatic" (in the reader's language)."""
    buttons = [
        InlineKeyboardButton(
            _marked(texts(code, f"language-name-{code}"), chosen == code),
            callback_data=LANGUAGE_CALLBACK_PREFIX + code,
        )
        for code in SUPPORTED_LANGUAGES
    ]
    automatic = InlineKeyboardButton(
        _marked(texts(language, "language-button-auto"), chosen is None),
        callback_data=LANGUAGE_CALLBACK_PREFIX + AUTOMATIC,
    )
    return InlineKeyboardMarkup([buttons, [automatic]])


def menu_text(texts: Translator, language: str, *, chosen: str | None) -> str:
    """The /language answer: the language in use now, and how it was picked."""
    name = texts(language, f"language-name-{language}")
    key = "language-current-auto" if chosen is None else "language-current-chosen"
    return texts(language, "language-menu", current=texts(language, key, name=name))


def confirmation_text(texts: Translator, language: str, *, chosen: str | None) -> str:
    """What a tap on the menu answers, in the language now in use (plain text, fits a callback alert)."""
    if chosen is None:
        return texts(language, "language-set-auto", name=texts(language, f"language-name-{language}"))
    return texts(language, "language-set")


@own_account_only
async def language_command(update: Update, context: BotContext) -> None:
    """Show the language menu, quoting the command (in a topic the answer stays in the topic)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    texts, language = context.services.texts, context.language
    chosen = context.services.languages.override_of(user.id)
    await message.reply_text(
        menu_text(texts, language, chosen=chosen),
        do_quote=True,
        link_preview_options=NO_PREVIEW,
        reply_markup=language_keyboard(texts, language, chosen=chosen),
    )


async def language_button(update: Update, context: BotContext) -> None:
    """Set (or clear) the tapping user's language, then confirm in the new language, in place."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    choice = query.data.removeprefix(LANGUAGE_CALLBACK_PREFIX)
    if choice not in CHOICES:
        await answer_alert(query, context.t("button-unknown"))
        return
    chosen = None if choice == AUTOMATIC else choice
    await context.services.languages.choose(query.from_user.id, chosen)
    texts, language = context.services.texts, context.language  # the language just chosen
    confirmation = confirmation_text(texts, language, chosen=chosen)
    await query.answer(confirmation)
    try:
        await query.edit_message_text(
            confirmation,
            link_preview_options=NO_PREVIEW,
            reply_markup=language_keyboard(texts, language, chosen=chosen),
        )
    except BadRequest as err:
        # The same choice tapped twice ("not modified"), or the menu was deleted: the toast said it all.
        logger.info("Language menu not edited: %s", err.message)


def _marked(label: str, chosen: bool) -> str:
    return CHOSEN_MARK + label if chosen else label
