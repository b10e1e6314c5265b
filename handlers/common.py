"""Small helpers every handler uses: who is asking and how to answer (the language is `context.language`)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, LinkPreviewOptions, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.context import BotContext
from bot.jobs.intake import Origin

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's account behind every anonymous group admin, and the one behind automatic forwards
#: from a linked channel: many different people share these ids, so they cannot own a budget.
GROUP_ANONYMOUS_BOT_ID = 1087968824
TELEGRAM_SERVICE_ID = 777000
#: A refusal that cannot be sent is not worth a traceback (the lead's pacer decides about bursts).
REFUSAL_SEND_ERRORS = (RetryAfter, NetworkError, BadRequest, Forbidden)


def origin_of(message: Message, context: BotContext) -> Origin:
    """Where a request came from, for the job ledger."""
    user = message.from_user
    if user is None:
        raise ValueError("origin_of needs a message with a sender; check shared_identity_key first")
    return Origin(
        chat_id=message.chat_id,
        chat_type=message.chat.type,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        user_id=user.id,
        message_id=message.message_id,
        language=context.language,
        username=user.username,
        language_code=user.language_code,
        chat_title=message.chat.title,
    )


def shared_identity_key(message: Message) -> str | None:
    """Why this sender cannot start paid work (a text key), or None for a person with their own account.

    Channel posts have no sender; anonymous admins and linked-channel forwards share one account with
    everyone else doing the same, so they would share one budget and each other's buttons.
    """
    user = message.from_user
    if user is None:
        return "sender-channel"
    if user.id == GROUP_ANONYMOUS_BOT_ID:
        return "sender-anonymous-admin"
    if user.id == TELEGRAM_SERVICE_ID or message.is_automatic_forward:
        return "sender-channel"
    return None


async def reply(message: Message, text: str) -> None:
    """Answer in the same chat and topic, quoting the message; a failed answer is logged, not raised."""
    try:
        await message.reply_text(text, do_quote=True, link_preview_options=NO_PREVIEW)
    except REFUSAL_SEND_ERRORS as err:
        logger.warning("Answer in chat %s not sent: %s", message.chat_id, err)


async def answer_alert(query: CallbackQuery, text: str | None = None) -> None:
    """Stop a button's spinner with a short alert; a failed answer (a stale query) is logged, not raised."""
    try:
        await query.answer(text, show_alert=text is not None)
    except REFUSAL_SEND_ERRORS as err:
        logger.info("Button answer not sent: %s", err)
