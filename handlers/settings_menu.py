"""/settings and its buttons: each user's /video defaults, and a group's default set by its admins."""

from __future__ import annotations

import logging

from telegram import Bot, Chat, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

from bot.context import BotContext
from bot.preferences import GROUP_CHAT_TYPES, Field, UnavailableChoice, VideoDefaults, choose
from bot.services import Services
from handlers.common import NO_PREVIEW, answer_alert, language_of, reply
from handlers.settings_view import DONE, RESET, MenuPress, MenuView, Source, render_keyboard, render_text
from storage import PreferenceScope, PreferenceValues

logger = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


async def settings_command(update: Update, context: BotContext) -> None:
    """`/settings` opens the user's own defaults; `/settings chat` (group admins) the group's default."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = context.services
    language = language_of(update, context)
    texts = services.texts
    args = [arg.lower() for arg in context.args or []]
    if args not in ([], ["chat"]):
        await reply(message, texts(language, "settings-usage"))
        return
    scope: PreferenceScope = "chat" if args else "user"
    if scope == "chat":
        if message.chat.type not in GROUP_CHAT_TYPES:
            await reply(message, texts(language, "settings-chat-private"))
            return
        if not await is_chat_admin(context.bot, message.chat_id, user.id):
            await reply(message, texts(language, "settings-chat-refused"))
            return
    view = await load_view(services, scope, user.id, message.chat)
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
        await answer_alert(query, context.services.texts(language_of(update, context), "button-unknown"))
        return
    services = context.services
    texts = services.texts
    language = language_of(update, context)
    user_id = query.from_user.id
    chat = query.message.chat
    if user_id != press.opener_id:
        await query.answer(texts(language, "settings-not-yours"), show_alert=True)
        return
    if press.scope == "chat" and (
        chat.type not in GROUP_CHAT_TYPES or not await is_chat_admin(context.bot, chat.id, user_id)
    ):
        await query.answer(texts(language, "settings-not-admin"), show_alert=True)
        return
    note = await _apply(services, press, chat)
    view = await load_view(services, press.scope, press.opener_id, chat)
    text = render_text(view, texts, language, closed=press.action == DONE)
    markup = None if press.action == DONE else render_keyboard(view, texts, language)
    await _edit_menu(context.bot, chat.id, query.message.message_id, text, markup)
    await query.answer(texts(language, note) if note else None)


async def is_chat_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """True when getChatMember says the user is the group's creator or one of its administrators."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as err:
        logger.warning("Could not check whether user %s is an admin of chat %s: %s", user_id, chat_id, err)
        return False
    return member.status in ADMIN_STATUSES


async def load_view(services: Services, scope: PreferenceScope, opener_id: int, chat: Chat) -> MenuView:
    """The defaults a menu shows and where they come from (own, the group's, or the bot's)."""
    settings = services.settings
    in_group = chat.type in GROUP_CHAT_TYPES
    if scope == "chat":
        saved = await services.preferences.get("chat", chat.id)
        source: Source = "own" if saved is not None else "bot"
    else:
        saved = await services.preferences.for_request(opener_id, chat.id if in_group else None)
        source = "bot" if saved is None else "own" if saved.scope == "user" else "chat"
    defaults = (
        VideoDefaults.for_operator(settings.default_model)
        if saved is None
        else VideoDefaults.from_values(saved.values)
    )
    return MenuView(
        scope=scope,
        opener_id=opener_id,
        defaults=defaults.normalised(settings.generation_mode),
        source=source,
        generation_mode=settings.generation_mode,
        chat_title=chat.title or chat.full_name,
    )


async def _apply(services: Services, press: MenuPress, chat: Chat) -> str | None:
    """Save what the button asks for; returns the text key of the short answer to show, if any."""
    store = services.preferences
    owner_id = chat.id if press.scope == "chat" else press.opener_id
    if press.action == DONE:
        return None
    if press.action == RESET:
        await store.reset(press.scope, owner_id)
        return f"settings-reset-{press.scope}"
    settings = services.settings
    mode = settings.generation_mode
    operator = VideoDefaults.for_operator(settings.default_model)
    field = Field(press.action)
    adjusted: list[bool] = []

    def change(current: PreferenceValues | None) -> PreferenceValues:
        before = (operator if current is None else VideoDefaults.from_values(current)).normalised(mode)
        after = choose(before, field, press.value, mode)
        adjusted.append(_changed_fields(before, after) - {field} != set())
        return after.to_values()

    inherit = chat.id if press.scope == "user" and chat.type in GROUP_CHAT_TYPES else None
    try:
        await store.update(press.scope, owner_id, change, updated_by=press.opener_id, inherit_chat_id=inherit)
    except UnavailableChoice:
        return "settings-unavailable"
    return "settings-saved-adjusted" if any(adjusted) else "settings-saved"


def _changed_fields(before: VideoDefaults, after: VideoDefaults) -> set[Field]:
    pairs = {
        Field.ORIENTATION: (before.orientation, after.orientation),
        Field.SPEED: (before.speed, after.speed),
        Field.CHANNEL: (before.channel, after.channel),
        Field.SECONDS: (before.seconds, after.seconds),
        Field.RESOLUTION: (before.resolution, after.resolution),
        Field.COUNT: (before.n, after.n),
    }
    return {field for field, (old, new) in pairs.items() if old != new}


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
