"""Allow-lists: runs before every other handler and stops updates from people the operator did not allow."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.settings import Settings


def is_allowed(settings: Settings, *, user_id: int | None, chat_id: int | None) -> bool:
    """Everyone when no allow-list is set; else admins, listed users, and anyone in a listed chat."""
    if not settings.allowed_user_ids and not settings.allowed_chat_ids:
        return True
    return (
        user_id in settings.admin_user_ids
        or user_id in settings.allowed_user_ids
        or chat_id in settings.allowed_chat_ids
    )


async def enforce_allow_lists(update: Update, context: BotContext) -> None:
    """Refuse politely (once per message, never for stray group chatter) and stop processing."""
    user = update.effective_user
    chat = update.effective_chat
    settings = context.services.settings
    message = update.effective_message
    if message is not None and message.successful_payment is not None:
        return  # Stars already paid are always credited, even if access was withdrawn meanwhile
    if is_allowed(settings, user_id=user.id if user else None, chat_id=chat.id if chat else None):
        return
    text = context.t("not-allowed")
    if update.pre_checkout_query is not None:
        await update.pre_checkout_query.answer(ok=False, error_message=text)
    elif update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif message is not None and chat is not None:
        addressed = (message.text or message.caption or "").startswith("/")
        if chat.type == ChatType.PRIVATE or addressed:
            await message.reply_text(text, do_quote=True)
    raise ApplicationHandlerStop
