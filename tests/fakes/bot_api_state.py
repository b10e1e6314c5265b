"""Everything the fake Telegram remembers: users, chats, topics, messages, files, queries, commands."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.fakes.bot_api_model import FakeChat, FakeUser, FileKind, StoredFile, StoredMessage
from tests.fakes.bot_api_spec import ApiError, bad_request

MemberStatus = Literal["creator", "administrator", "member", "left"]

_FILE_ID_PREFIX: dict[FileKind, str] = {
    "photo": "AgACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "thumbnail": "AAMCAgIAAxkBAAI",
}
_FOLDER: dict[FileKind, str] = {
    "photo": "photos",
    "video": "videos",
    "document": "documents",
    "sticker": "stickers",
    "thumbnail": "thumbnails",
}
_DEFAULT_EXT: dict[FileKind, str] = {
    "photo": ".jpg",
    "video": ".mp4",
    "document": "",
    "sticker": ".webp",
    "thumbnail": ".jpg",
}


@dataclass
class CallbackQueryState:
    """A button press and the bot's answer to it (None until answerCallbackQuery)."""

    id: str
    chat_id: int
    message_id: int
    data: str
    answer: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChatActionRecord:
    """One sendChatAction."""

    chat_id: int
    action: str
    thread_id: int | None
    time: float


@dataclass
class BotState:
    """The fake server's memory; methods and user actions both work on it."""

    bot: FakeUser
    users: dict[int, FakeUser] = field(default_factory=dict)
    chats: dict[int, FakeChat] = field(default_factory=dict)
    topics: dict[int, set[int]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    photo_sets: dict[str, list[StoredFile]] = field(default_factory=dict)
    callback_queries: dict[str, CallbackQueryState] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # setMyDescription / setMyShortDescription: (field name, language code or "") -> text.
    descriptions: dict[tuple[str, str], str] = field(default_factory=dict)
    chat_actions: list[ChatActionRecord] = field(default_factory=list)
    blocked_by: set[int] = field(default_factory=set)
    member_statuses: dict[tuple[int, int], MemberStatus] = field(default_factory=dict)
    logged_out: bool = False
    _messages: dict[int, dict[int, StoredMessage]] = field(default_factory=dict)
    _next_message_id: dict[int, int] = field(default_factory=dict)
    _counter: int = 0

    def next_number(self) -> int:
        """A fresh number for ids (files, media groups, callback queries)."""
        self._counter += 1
        return self._counter

    def add_user(self, user: FakeUser) -> FakeUser:
        """Remember a user."""
        self.users[user.id] = user
        return user

    def add_chat(self, chat: FakeChat) -> FakeChat:
        """Remember a chat (and its private user)."""
        self.chats[chat.id] = chat
        if chat.user is not None:
            self.add_user(chat.user)
        return chat

    def learn_from(self, value: Any) -> None:
        """Register chats and users found anywhere inside an injected update."""
        if isinstance(value, dict):
            chat = value.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int) and chat["id"] not in self.chats:
                self.add_chat(_chat_from_dict(chat))
            for item in value.values():
                self.learn_from(item)
        elif isinstance(value, list):
            for item in value:
                self.learn_from(item)

    def member_status(self, chat_id: int, user_id: int) -> MemberStatus:
        """A user's status in a chat: "member" unless set with FakeBotAPI.make_admin (or directly)."""
        return self.member_statuses.get((chat_id, user_id), "member")

    def resolve_chat(self, chat_id: int | str, *, sending: bool = False) -> FakeChat:
        """The chat for a chat_id parameter; 400 when unknown, 403 when the user blocked the bot."""
        chat: FakeChat | None
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            chat = next((c for c in self.chats.values() if c.username and c.username.lower() == name), None)
        else:
            chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if sending and chat.type == "private" and chat.id in self.blocked_by:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def new_message(self, chat: FakeChat, sender: FakeUser, **fields: Any) -> StoredMessage:
        """Store a message with the chat's next message_id."""
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message = StoredMessage(
            chat=chat, message_id=message_id, sender=sender, date=int(time.time()), **fields
        )
        self._messages.setdefault(chat.id, {})[message_id] = message
        return message

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A message (deleted or not) or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def live_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A message that exists and is not deleted."""
        message = self.message(chat_id, message_id)
        return None if message is None or message.deleted else message

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Messages of a chat in message_id order."""
        stored = self._messages.get(chat_id, {})
        return [stored[key] for key in sorted(stored) if include_deleted or not stored[key].deleted]

    def message_dict(self, message: StoredMessage) -> dict[str, Any]:
        """The Message object, with reply_to_message filled in."""
        return message.to_dict(lambda message_id: self.message(message.chat.id, message_id))

    def store_file(
        self,
        kind: FileKind,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        **details: Any,
    ) -> StoredFile:
        """Keep uploaded bytes under a fresh file_id and file_path."""
        number = self.next_number()
        ext = _extension(kind, file_name, mime_type)
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX[kind]}{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDER[kind]}/file_{number}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            **details,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """The file served at /file/bot<token>/<file_path>."""
        return next((stored for stored in self.files.values() if stored.file_path == file_path), None)

    def commands_key(self, scope: dict[str, Any] | None, language_code: str | None) -> tuple[str, str]:
        """Commands are stored per (scope, language) exactly as Telegram keys them."""
        scope = scope or {"type": "default"}
        parts = [str(scope.get("type"))] + [f"{k}={scope[k]}" for k in sorted(scope) if k != "type"]
        return ",".join(parts), language_code or ""


def _chat_from_dict(chat: dict[str, Any]) -> FakeChat:
    user = None
    if chat.get("type") == "private":
        user = FakeUser(
            id=chat["id"],
            first_name=str(chat.get("first_name", "User")),
            last_name=chat.get("last_name"),
            username=chat.get("username"),
        )
    return FakeChat(
        id=chat["id"],
        type=chat.get("type", "private"),
        title=chat.get("title"),
        username=chat.get("username") if user is None else None,
        is_forum=bool(chat.get("is_forum")),
        user=user,
    )


def _extension(kind: FileKind, file_name: str | None, mime_type: str | None) -> str:
    """Telegram names media by kind (videos/file_1.mp4); documents keep their own extension."""
    if kind != "document":
        return _DEFAULT_EXT[kind]
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    if mime_type:
        guessed = mimetypes.guess_extension(mime_type)
        if guessed:
            return guessed
    return _DEFAULT_EXT[kind]
