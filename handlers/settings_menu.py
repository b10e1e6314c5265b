"""/settings and its buttons: each user's /video defaults, and a group's default set by its admins."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.chats import is_group_chat
from bot.context import BotContext
from bot.defaults_menu import DONE, MenuPress
from handlers.common import (
    GROUP_ANONYMOUS_BOT_ID,
    NO_PREVIEW,
    answer_alert,
    posts_as_this_group,
    refused_shared_account,
    reply,
)
from handlers.settings_view import render_keyboard, render_text
from storage import PreferenceScope

logger = logging.getLogger(__name__)


async def settings_command(update: Update, context: BotContext) -> None:
    """`/settings` opens the user's own defaults; `/settings chat` (group admins) the group's default.

    Shared accounts have no defaults of their own; an anonymous admin may still open the group's menu.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    menu = context.services.defaults_menu
    args = [arg.lower() for arg in context.args or []]
    if args not in ([], ["chat"]):
        await reply(message, context.t("settings-usage"))
        return
    scope: PreferenceScope = "chat" if args else "user"
    as_group = scope == "chat" and posts_as_this_group(message)
    if not as_group and await refused_shared_account(message, context):
        return
    if scope == "chat":
        if not is_group_chat(message.chat.type):
            await reply(message, context.t("settings-chat-private"))
            return
        if not as_group and not await menu.is_chat_admin(message.chat_id, user.id):
            await reply(message, context.t("settings-chat-refused"))
            return
    view = await menu.view(scope, user.id, message.chat)
    texts, language = context.services.texts, context.language
    await message.reply_text(
        render_text(view, texts, language),
        reply_markup=render_keyboard(view, texts, language),
        do_quote=True,
        link_preview_options=NO_PREVIEW,
    )


async def settings_button(update: Update, context: BotContext) -> None:
    """A tap on a menu button: only its opener may use it; the menu then edits itself in place."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    press = MenuPress.decode(query.data)
    if press is None or query.message is None:
        await answer_alert(query, context.t("button-unknown"))
        return
    menu = context.services.defaults_menu
    user_id = query.from_user.id
    chat = query.message.chat
    # A group's menu opened by an anonymous admin is anyone's who is an admin (checked next): the bot
    # cannot tell which admin opened it, and a press always shows who presses.
    opened_anonymously = press.scope == "chat" and press.opener_id == GROUP_ANONYMOUS_BOT_ID
    if user_id != press.opener_id and not opened_anonymously:
        await query.answer(context.t("settings-not-yours"), show_alert=True)
        return
    if press.scope == "chat" and (
        not is_group_chat(chat.type) or not await menu.is_chat_admin(chat.id, user_id)
    ):
        await query.answer(context.t("settings-not-admin"), show_alert=True)
        return
    note = await menu.apply(press, chat)
    view = await menu.view(press.scope, press.opener_id, chat)
    texts, language = context.services.texts, context.language
    text = render_text(view, texts, language, closed=press.action == DONE)
    markup = None if press.action == DONE else render_keyboard(view, texts, language)
    await _edit_menu(context.bot, chat.id, query.message.message_id, text, markup)
    await query.answer(context.t(note) if note else None)


async def _edit_menu(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the menu message; an unchanged menu ("message is not modified") is fine."""
    try:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup, link_preview_options=NO_PREVIEW
        )
    except BadRequest as err:
        if "not modified" in err.message.lower():
            return
        logger.warning("Could not update the settings menu %s in chat %s: %s", message_id, chat_id, err)
