"""Small helpers every handler uses: who is asking, in which language, and how to answer."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.jobs.intake import Origin

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def language_of(update: Update, context: BotContext) -> str:
    """The user's /language choice, else their Telegram language when we speak it, else English."""
    user = update.effective_user
    if user is None:
        return context.services.texts.language_for(None)
    return context.services.languages.language_for(user.id, user.language_code)


def origin_of(message: Message, context: BotContext, language: str) -> Origin:
    """Where a request came from, for the job ledger."""
    user = message.from_user
    assert user is not None
    return Origin(
        chat_id=message.chat_id,
        chat_type=message.chat.type,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        user_id=user.id,
        message_id=message.message_id,
        language=language,
        username=user.username,
        language_code=user.language_code,
        chat_title=message.chat.title,
    )


def is_group(message: Message) -> bool:
    """True in groups and supergroups (where the bot answers only when addressed)."""
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def reply(message: Message, text: str) -> None:
    """Answer in the same chat and topic, quoting the user's message."""
    await message.reply_text(text, do_quote=True, link_preview_options=NO_PREVIEW)
