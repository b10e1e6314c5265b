"""The fake's records: users, chats, stored files and messages, rendered as Bot API objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup", "channel"]
MessageKind = Literal["text", "photo", "video", "document", "sticker", "service", "invoice"]
FileKind = Literal["photo", "video", "document", "sticker", "thumbnail"]


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True)
class FakeChat:
    """A chat; `user` is the other side of a private chat."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: FakeUser | None = None

    def to_dict(self) -> dict[str, Any]:
        """The Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        if self.title is not None:
            data["title"] = self.title
        if self.username is not None:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class StoredFile:
    """An uploaded (or user-sent) file, downloadable through getFile."""

    file_id: str
    file_unique_id: str
    kind: FileKind
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0
    emoji: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        """A PhotoSize object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.size,
        }

    def file_object(self) -> dict[str, Any]:
        """The File object getFile returns (file_path relative, as Telegram sends it)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """The current state of one message in one chat."""

    chat: FakeChat
    message_id: int
    sender: FakeUser
    date: int
    kind: MessageKind = "text"
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    files: list[StoredFile] = field(default_factory=list)
    thumbnail: StoredFile | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    media_group_id: str | None = None
    supports_streaming: bool = False
    has_spoiler: bool = False
    show_caption_above_media: bool = False
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False
    service: dict[str, Any] = field(default_factory=dict)

    @property
    def from_bot(self) -> bool:
        """True for messages the bot sent."""
        return self.sender.is_bot

    @property
    def file(self) -> StoredFile | None:
        """The main file (the largest photo size), if any."""
        return self.files[-1] if self.files else None

    @property
    def upload_size(self) -> int:
        """Bytes of the main file (0 for text)."""
        return self.file.size if self.file else 0

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of inline buttons (empty without an inline keyboard)."""
        if not self.reply_markup:
            return []
        rows: list[list[dict[str, Any]]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def callback_data(self) -> list[str]:
        """callback_data of every inline button, row by row."""
        return [
            button["callback_data"]
            for row in self.inline_keyboard
            for button in row
            if "callback_data" in button
        ]

    @property
    def video(self) -> dict[str, Any] | None:
        """The Video object of a video message."""
        return self.media_object() if self.kind == "video" else None

    def media_object(self) -> dict[str, Any] | None:
        """The Video, Document or Sticker object (None for text and photos)."""
        main = self.file
        if main is None or self.kind in ("photo", "text", "service", "invoice"):
            return None
        data: dict[str, Any] = {
            "file_id": main.file_id,
            "file_unique_id": main.file_unique_id,
            "file_size": main.size,
        }
        if self.kind == "video":
            data.update(width=main.width, height=main.height, duration=main.duration)
        if self.kind == "sticker":
            data.update(
                type="regular", width=main.width, height=main.height, is_animated=False, is_video=False
            )
            if main.emoji:
                data["emoji"] = main.emoji
        if self.kind in ("video", "document"):
            if main.file_name:
                data["file_name"] = main.file_name
            if main.mime_type:
                data["mime_type"] = main.mime_type
        if self.thumbnail is not None:
            data["thumbnail"] = self.thumbnail.photo_size()
        return data

    def to_dict(self, find: Callable[[int], StoredMessage | None] | None = None) -> dict[str, Any]:
        """The Message object; `find` looks up the replied-to message in the same chat."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_dict(),
            "chat": self.chat.to_dict(),
            "date": self.date,
        }
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
            if self.chat.is_forum:
                data["is_topic_message"] = True
        if self.reply_to is not None and find is not None:
            target = find(self.reply_to)
            if target is not None and not target.deleted:
                data["reply_to_message"] = target.to_dict()
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        self._add_media(data)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        data.update(self.service)
        return data

    def _add_media(self, data: dict[str, Any]) -> None:
        if self.kind == "photo":
            data["photo"] = [size.photo_size() for size in self.files]
        elif self.kind in ("video", "document", "sticker"):
            data[self.kind] = self.media_object()
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
            if self.show_caption_above_media:
                data["show_caption_above_media"] = True
        if self.has_spoiler:
            data["has_media_spoiler"] = True
