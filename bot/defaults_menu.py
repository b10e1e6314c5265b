"""The /settings menu's logic: its buttons' callback data, what a menu shows, and saving a press."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from telegram import Bot, Chat
from telegram.constants import ChatMemberStatus, InlineKeyboardButtonLimit
from telegram.error import TelegramError

from bot.chats import is_group_chat
from bot.gateway.request import Mode
from bot.preferences import Field, UnavailableChoice, VideoDefaults, choose
from bot.settings import Settings
from bot.video_options import is_ascii_number
from storage import PreferenceScope, PreferenceStore, PreferenceValues

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "set:"
RESET = "reset"
DONE = "done"
ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
_SCOPE_CODES: dict[PreferenceScope, str] = {"user": "u", "chat": "c"}
_SCOPES: dict[str, PreferenceScope] = {code: scope for scope, code in _SCOPE_CODES.items()}
_FIELDS = frozenset(field.value for field in Field)

Source = Literal["own", "chat", "bot"]


@dataclass(frozen=True)
class MenuPress:
    """A settings button: whose menu it is, and what it does (a field and value, reset or done).

    Everything needed is in the callback data, so a menu still works after the bot restarts.
    """

    scope: PreferenceScope
    opener_id: int
    action: str
    value: str = ""

    def encode(self) -> str:
        """`set:<u|c>:<opener>:<action>[:<value>]`, at most 64 bytes."""
        parts = [f"{CALLBACK_PREFIX}{_SCOPE_CODES[self.scope]}", str(self.opener_id), self.action]
        if self.value:
            parts.append(self.value)
        data = ":".join(parts)
        if len(data.encode("utf-8")) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    @classmethod
    def decode(cls, data: str) -> MenuPress | None:
        """The press a callback data string describes, or None when it is not a settings button."""
        parts = data.split(":")
        if not 4 <= len(parts) <= 5 or f"{parts[0]}:" != CALLBACK_PREFIX:
            return None
        scope = _SCOPES.get(parts[1])
        opener = parts[2]
        action = parts[3]
        value = parts[4] if len(parts) == 5 else ""
        if scope is None or not is_ascii_number(opener):
            return None
        if action in _FIELDS and value:
            return cls(scope, int(opener), action, value)
        if action in (RESET, DONE) and not value:
            return cls(scope, int(opener), action)
        return None


@dataclass(frozen=True)
class MenuView:
    """What one menu shows: whose defaults, where they come from, and in which chat."""

    scope: PreferenceScope
    opener_id: int
    defaults: VideoDefaults
    source: Source
    generation_mode: Mode
    chat_title: str | None = None


class DefaultsMenu:
    """Reads and saves the defaults a /settings menu shows, and checks who may change a group's."""

    def __init__(self, *, bot: Bot, preferences: PreferenceStore, settings: Settings) -> None:
        self._bot = bot
        self._preferences = preferences
        self._settings = settings

    async def is_chat_admin(self, chat_id: int, user_id: int) -> bool:
        """True when getChatMember says the user is the group's creator or one of its administrators."""
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError as err:
            logger.warning(
                "Could not check whether user %s is an admin of chat %s: %s", user_id, chat_id, err
            )
            return False
        return member.status in ADMIN_STATUSES

    async def view(self, scope: PreferenceScope, opener_id: int, chat: Chat) -> MenuView:
        """The defaults a menu shows and where they come from (own, the group's, or the bot's)."""
        settings = self._settings
        if scope == "chat":
            saved = await self._preferences.get("chat", chat.id)
            source: Source = "own" if saved is not None else "bot"
        else:
            group_id = chat.id if is_group_chat(chat.type) else None
            saved = await self._preferences.for_request(opener_id, group_id)
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

    async def apply(self, press: MenuPress, chat: Chat) -> str | None:
        """Save what the button asks for; returns the text key of the short answer to show, if any."""
        store = self._preferences
        owner_id = chat.id if press.scope == "chat" else press.opener_id
        if press.action == DONE:
            return None
        if press.action == RESET:
            await store.reset(press.scope, owner_id)
            return f"settings-reset-{press.scope}"
        mode = self._settings.generation_mode
        operator = VideoDefaults.for_operator(self._settings.default_model)
        field = Field(press.action)
        adjusted: list[bool] = []

        def change(current: PreferenceValues | None) -> PreferenceValues:
            before = (operator if current is None else VideoDefaults.from_values(current)).normalised(mode)
            after = choose(before, field, press.value, mode)
            adjusted.append(_changed_fields(before, after) - {field} != set())
            return after.to_values()

        inherit = chat.id if press.scope == "user" and is_group_chat(chat.type) else None
        try:
            await store.update(
                press.scope, owner_id, change, updated_by=press.opener_id, inherit_chat_id=inherit
            )
        except UnavailableChoice as problem:
            return problem.key  # the menu is shown again with what is offered now
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
