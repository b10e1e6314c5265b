"""Small helpers every handler uses: who is asking and how to answer (the language is `context.language`)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, LinkPreviewOptions, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.chats import is_group_chat
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

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


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
    if user.id == TELEGRAM_SERVICE_ID or message.is_automatic_forward or message.sender_chat is not None:
        return "sender-channel"  # (sender_chat: a member posting on behalf of a channel)
    return None


def posts_as_this_group(message: Message) -> bool:
    """An anonymous admin: the message is sent on behalf of the group itself, which only its admins can do."""
    sender_chat = message.sender_chat
    return is_group_chat(message.chat.type) and sender_chat is not None and sender_chat.id == message.chat_id


async def refused_shared_account(message: Message, context: BotContext) -> bool:
    """Refuse (and answer) a sender who shares one account with others; see `shared_identity_key`."""
    refusal = shared_identity_key(message)
    if refusal is None:
        return False
    await reply(message, context.t(refusal))
    return True


def own_account_only(command: Handler) -> Handler:
    """For commands about the sender's own budget, defaults, videos or language: shared accounts are refused.

    Buttons need no such guard: a button press always comes from the person's own account.
    """

    @functools.wraps(command)
    async def guarded(update: Update, context: BotContext) -> None:
        message = update.effective_message
        if message is not None and await refused_shared_account(message, context):
            return
        await command(update, context)

    return guarded


async def reply(message: Message, text: str) -> None:
    """Answer in the same chat and topic, quoting the message; a failed answer is logged, not raised."""
    try:
        await message.reply_text(text, do_quote=True, link_preview_options=NO_PREVIEW)
    except REFUSAL_SEND_ERRORS as err:
        logger.warning("Answer in chat %s not sent: %s", message.chat_id, err)


async def answer_alert(query: CallbackQuery, text: str | None = None) -> None:
    """Stop a button's spinner with a short alert; a failed answer (a stale query) is logged, not raised."""
    await _answer_button(query, text, alert=text is not None)


async def answer_note(query: CallbackQuery, text: str) -> None:
    """Stop a button's spinner with a note that fades by itself; a failed answer is logged, not raised."""
    await _answer_button(query, text, alert=False)


async def _answer_button(query: CallbackQuery, text: str | None, *, alert: bool) -> None:
    try:
        await query.answer(text, show_alert=alert)
    except REFUSAL_SEND_ERRORS as err:
        logger.info("Button answer not sent: %s", err)
