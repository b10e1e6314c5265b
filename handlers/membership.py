"""my_chat_member: record the bot joining or leaving a group, and stop work for chats it left."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update

from bot.context import BotContext

logger = logging.getLogger(__name__)

# Statuses in which the bot is in the chat (a restricted bot is still a member if is_member is set).
_IN_CHAT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


async def bot_membership(update: Update, context: BotContext) -> None:
    """Store the bot's membership; on leaving, cancel and refund the chat's queued jobs."""
    changed = update.my_chat_member
    if changed is None or changed.chat.type == "private":
        return  # a user blocking the bot is not a group the bot left
    new = changed.new_chat_member
    restricted_member = new.status == ChatMember.RESTRICTED and bool(new.is_member)  # type: ignore[attr-defined]
    member = new.status in _IN_CHAT or restricted_member
    chat = changed.chat
    services = context.services
    await services.users.set_membership(chat.id, chat.type, chat.title, member=member)
    if member:
        logger.info("Added to chat %d (%s) by user %d", chat.id, chat.type, changed.from_user.id)
        return
    cancelled = await services.runner.cancel_queued_in_chat(chat.id)
    logger.info(
        "Removed from chat %d by user %d; %d queued jobs refunded", chat.id, changed.from_user.id, cancelled
    )
