"""Everything the fake Telegram remembers, and what tests read from it.

- records: users, chats, stored files and messages, rendered as Bot API objects;
- BotState: chats, topics, messages, files, button presses, commands, member statuses;
- files: turning an InputFile parameter (upload, attach://, file_id or URL) into stored files, reading what
  Telegram's servers read from media (video dimensions, photo sizes, sticker images);
- UpdateQueue: the bot's pending updates, with getUpdates semantics (offsets confirm, long polls wait).
"""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import av
import httpx
from PIL import Image, UnidentifiedImageError

from tests.fakes.bot_api.rules import ApiError, Upload, bad_request

logger = logging.getLogger(__name__)

# -- records -------------------------------------------------------------------------------------

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


ChatRef = FakeChat | int
UserRef = FakeUser | int | None


def chat_id_of(chat: ChatRef) -> int:
    """The id of a chat given as a FakeChat or an id."""
    return chat if isinstance(chat, int) else chat.id


# -- the fake server's memory --------------------------------------------------------------------

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
    command_lists: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
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
        """A user's status in a chat: "member" unless set with UserActions.make_admin (or directly)."""
        return self.member_statuses.get((chat_id, user_id), "member")

    def find_chat(self, chat_id: int | str) -> FakeChat | None:
        """The chat for a chat_id parameter (an id or an @username), or None."""
        if isinstance(chat_id, int):
            return self.chats.get(chat_id)
        name = chat_id.removeprefix("@").lower()
        return next((c for c in self.chats.values() if c.username and c.username.lower() == name), None)

    def resolve_chat(self, chat_id: int | str, *, sending: bool = False) -> FakeChat:
        """The chat for a chat_id parameter; 400 when unknown, 403 when the user blocked the bot."""
        chat = self.find_chat(chat_id)
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

    def message(self, chat: ChatRef, message_id: int) -> StoredMessage | None:
        """One message's current state (deleted ones too), or None."""
        return self._messages.get(chat_id_of(chat), {}).get(message_id)

    def live_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """A message that exists and is not deleted."""
        message = self.message(chat_id, message_id)
        return None if message is None or message.deleted else message

    def messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Current state of the chat's messages, oldest first."""
        stored = self._messages.get(chat_id_of(chat), {})
        return [stored[key] for key in sorted(stored) if include_deleted or not stored[key].deleted]

    def bot_messages_in(self, chat: ChatRef) -> list[StoredMessage]:
        """Messages the bot sent to the chat and has not deleted."""
        return [message for message in self.messages(chat) if message.from_bot]

    def videos_sent(self, chat: ChatRef) -> list[StoredMessage]:
        """The bot's video messages in the chat."""
        return [message for message in self.bot_messages_in(chat) if message.kind == "video"]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for a pressed button (None while unanswered)."""
        query = self.callback_queries.get(query_id)
        return None if query is None else query.answer

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """The commands set with setMyCommands for a scope and language."""
        return list(self.command_lists.get(self.commands_key(scope, language_code), []))

    def description(self, name: str, language_code: str = "") -> str | None:
        """The profile text set with setMyDescription ("description") or setMyShortDescription."""
        return self.descriptions.get((name, language_code))

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file."""
        return self.files[file_id].data

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


# -- files and media -----------------------------------------------------------------------------


# Telegram keeps a photo in several sizes; these are the longest sides of the smaller ones.
_PHOTO_SIDES = (90, 320, 800, 1280)
_MAX_PHOTO_SIDE = 2560


@dataclass(frozen=True)
class VideoInfo:
    """Dimensions and duration read from a video file (zeros when it cannot be read)."""

    width: int = 0
    height: int = 0
    duration: int = 0


@dataclass(frozen=True)
class ImageVariant:
    """One stored size of a photo."""

    width: int
    height: int
    data: bytes


def probe_video(data: bytes) -> VideoInfo:
    """Read width, height and whole-second duration of a video, as Telegram does server-side."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return VideoInfo()
            stream = container.streams.video[0]
            duration = round(container.duration / av.time_base) if container.duration else 0
            return VideoInfo(stream.codec_context.width, stream.codec_context.height, duration)
    except (av.FFmpegError, OSError, ValueError) as err:
        logger.debug("not a readable video: %s", err)
        return VideoInfo()


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image, or None when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        return None


def photo_variants(data: bytes) -> list[ImageVariant]:
    """The sizes Telegram would keep, smallest first; the largest keeps the original bytes."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        width, height = image.size
        longest = max(width, height)
        variants: list[ImageVariant] = []
        for side in (*_PHOTO_SIDES, _MAX_PHOTO_SIDE):
            if side >= longest:
                break
            variants.append(_resized(image, side))
        if longest > _MAX_PHOTO_SIDE:
            return variants
        variants.append(ImageVariant(width, height, data))
        return variants


def _resized(image: Image.Image, side: int) -> ImageVariant:
    copy = image.convert("RGB")
    copy.thumbnail((side, side))
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=85)
    return ImageVariant(copy.width, copy.height, buffer.getvalue())


def sticker_image(size: int = 512) -> bytes:
    """A plain WEBP square, the shape of a static sticker."""
    buffer = io.BytesIO()
    Image.new("RGBA", (size, size), (255, 200, 0, 255)).save(buffer, format="WEBP")
    return buffer.getvalue()


MB = 1024 * 1024
_KIND_NAMES: dict[FileKind, str] = {
    "photo": "Photo",
    "video": "Video",
    "document": "Document",
    "sticker": "Sticker",
    "thumbnail": "Photo",
}
_DEFAULT_NAMES: dict[FileKind, str] = {
    "photo": "photo.jpg",
    "video": "video.mp4",
    "document": "document",
    "sticker": "sticker.webp",
    "thumbnail": "thumb.jpg",
}


@dataclass(frozen=True)
class FileLimits:
    """Telegram's size limits for bots."""

    upload: int = 50 * MB
    photo: int = 10 * MB
    download: int = 20 * MB
    url_photo: int = 5 * MB
    url_other: int = 20 * MB


class FileResolver:
    """Stores uploads, looks up file_ids and fetches URLs the way Telegram does for sends."""

    def __init__(self, state: BotState, limits: FileLimits, *, fetch_timeout: float = 10.0) -> None:
        self._state = state
        self.limits = limits
        self._fetch_timeout = fetch_timeout

    async def resolve(
        self,
        value: Any,
        kind: FileKind,
        uploads: Mapping[str, Upload],
        details: Mapping[str, Any] | None = None,
    ) -> list[StoredFile]:
        """The stored file(s) for a parameter value; photos give every size, smallest first."""
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in uploads:
                raise bad_request(f'file "{value}" was not uploaded in this request')
            value = uploads[name]
        if isinstance(value, Upload):
            return self.store(kind, value.data, value.filename, value.content_type, details or {})
        if not isinstance(value, str) or not value:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            data, content_type = await self._fetch(value, kind)
            name = value.rsplit("/", 1)[-1].split("?", 1)[0] or _DEFAULT_NAMES[kind]
            return self.store(kind, data, name, content_type, details or {})
        return self._known(value, kind)

    def store(
        self,
        kind: FileKind,
        data: bytes,
        filename: str | None,
        content_type: str | None,
        details: Mapping[str, Any],
    ) -> list[StoredFile]:
        """Store new bytes, reading what Telegram would read from them."""
        if not data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            return self._store_photo(data)
        name = filename or _DEFAULT_NAMES[kind]
        mime = content_type if content_type and content_type != "application/octet-stream" else None
        extra: dict[str, Any] = {}
        if kind == "video":
            info = probe_video(data)
            extra = {
                "width": details.get("width") or info.width,
                "height": details.get("height") or info.height,
                "duration": details.get("duration") or info.duration,
            }
            mime = mime or "video/mp4"
        elif kind in ("thumbnail", "sticker"):
            width, height = image_size(data) or (0, 0)
            extra = {"width": width, "height": height}
            if kind == "sticker":
                extra["emoji"] = details.get("emoji")
        return [self._state.store_file(kind, data, file_name=name, mime_type=mime, **extra)]

    def _store_photo(self, data: bytes) -> list[StoredFile]:
        if len(data) > self.limits.photo:
            raise ApiError(413, "Request Entity Too Large")
        size = image_size(data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        try:
            variants = photo_variants(data)
        except OSError as err:
            raise bad_request("IMAGE_PROCESS_FAILED") from err
        sizes = [
            self._state.store_file("photo", variant.data, width=variant.width, height=variant.height)
            for variant in variants
        ]
        for stored in sizes:
            self._state.photo_sets[stored.file_id] = sizes
        return sizes

    def _known(self, file_id: str, kind: FileKind) -> list[StoredFile]:
        stored = self._state.files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        expected = "photo" if kind == "thumbnail" else kind
        actual = "photo" if stored.kind == "thumbnail" else stored.kind
        if actual != expected:
            raise bad_request(f"can't use file of type {_KIND_NAMES[stored.kind]} as {_KIND_NAMES[kind]}")
        if stored.kind == "photo":
            return self._state.photo_sets.get(file_id, [stored])
        return [stored]

    async def _fetch(self, url: str, kind: FileKind) -> tuple[bytes, str | None]:
        limit = self.limits.url_photo if kind == "photo" else self.limits.url_other
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(self._fetch_timeout)) as client:
                response = await client.get(url, follow_redirects=True)
        except httpx.HTTPError as err:
            logger.info("fetching %s failed: %s", url, err)
            raise bad_request("failed to get HTTP URL content") from err
        if response.status_code != 200:
            raise bad_request("failed to get HTTP URL content")
        if len(response.content) > limit:
            raise bad_request("failed to get HTTP URL content")
        return response.content, response.headers.get("content-type")


# -- pending updates -----------------------------------------------------------------------------

# Update types Telegram leaves out unless they are asked for explicitly.
_OPT_IN_KINDS = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


def update_kind(update: dict[str, Any]) -> str:
    """The update's type: the one field besides update_id."""
    return next((key for key in update if key != "update_id"), "unknown")


class UpdateQueue:
    """Updates not yet confirmed by the bot, in update_id order."""

    def __init__(self, first_update_id: int = 100_001) -> None:
        self._pending: list[dict[str, Any]] = []
        self._next_id = first_update_id
        self._changed = asyncio.Event()
        self._generation = 0
        self.allowed: frozenset[str] | None = None
        self.closing = False

    @property
    def pending_count(self) -> int:
        """Updates waiting for the bot."""
        return len(self._pending)

    @property
    def polls_started(self) -> int:
        """How many getUpdates calls have begun (tests wait on this instead of sleeping)."""
        return self._generation

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, numbering it unless it already carries a higher update_id."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or update_id < self._next_id:
            update = {"update_id": self._next_id, **{k: v for k, v in update.items() if k != "update_id"}}
        self._next_id = update["update_id"] + 1
        self._pending.append(update)
        self._wake()
        return update

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue the same update again (Telegram does this when the bot did not confirm it)."""
        return self.push({key: value for key, value in update.items() if key != "update_id"})

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Remember allowed_updates; an empty list means the default set."""
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset`; a negative offset keeps only the last -offset updates."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [update for update in self._pending if update["update_id"] >= offset]

    def clear(self) -> None:
        """Drop every pending update."""
        self._pending.clear()

    def close(self) -> None:
        """Release every waiting poll (the server is stopping)."""
        self.closing = True
        self._wake()

    def _deliverable(self, update: dict[str, Any]) -> bool:
        kind = update_kind(update)
        return kind in self.allowed if self.allowed is not None else kind not in _OPT_IN_KINDS

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` deliverable updates; updates of unwanted types are dropped."""
        self._pending = [update for update in self._pending if self._deliverable(update)]
        return self._pending[:limit]

    async def poll(
        self, *, offset: int | None, limit: int, timeout: float, gone: asyncio.Event
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm by offset, then wait up to `timeout` for something to return."""
        self._generation += 1
        mine = self._generation
        self._wake()
        if offset is not None:
            self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            batch = self.take(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing or gone.is_set():
                return batch
            changed = asyncio.ensure_future(self._changed.wait())
            left = asyncio.ensure_future(gone.wait())
            try:
                await asyncio.wait({changed, left}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()
                left.cancel()
            if self._generation != mine:
                raise ApiError(409, _CONFLICT)

    async def first(self) -> dict[str, Any]:
        """Wait for the next deliverable update without removing it (webhook delivery)."""
        while True:
            batch = self.take(1)
            if batch:
                return batch[0]
            await self._changed.wait()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
