"""sendMessage, sendPhoto, sendVideo, sendDocument and sendMediaGroup."""

from __future__ import annotations

from typing import Any

from tests.fakes.bot_api_calls import CallContext
from tests.fakes.bot_api_files import FileResolver
from tests.fakes.bot_api_format import check_reply_markup, format_caption, format_text
from tests.fakes.bot_api_model import FakeChat, FileKind, MessageKind, StoredFile, StoredMessage
from tests.fakes.bot_api_spec import ApiError, bad_request
from tests.fakes.bot_api_state import BotState

_GROUPABLE = {"photo": "visual", "video": "visual", "document": "document", "audio": "audio"}


class Placement:
    """Where a new message goes: chat, topic and the message it replies to."""

    def __init__(self, chat: FakeChat, thread_id: int | None, reply_to: int | None) -> None:
        self.chat = chat
        self.thread_id = thread_id
        self.reply_to = reply_to


class MessageSender:
    """The methods that create messages."""

    def __init__(self, state: BotState, files: FileResolver) -> None:
        self._state = state
        self._files = files

    def place(self, params: dict[str, Any]) -> Placement:
        """Check chat_id, reply_parameters and message_thread_id as Telegram does."""
        chat = self._state.resolve_chat(params["chat_id"], sending=True)
        reply_to, reply_thread = self._reply_target(chat, params.get("reply_parameters"))
        thread_id = params.get("message_thread_id")
        if thread_id is not None:
            if not chat.is_forum or thread_id not in self._state.topics.get(chat.id, set()):
                raise bad_request("message thread not found")
        elif chat.is_forum:
            thread_id = reply_thread
        return Placement(chat, thread_id, reply_to)

    def _reply_target(self, chat: FakeChat, reply: dict[str, Any] | None) -> tuple[int | None, int | None]:
        if not reply:
            return None, None
        target_chat = chat
        if "chat_id" in reply:
            target_chat = self._state.resolve_chat(reply["chat_id"])
        target = self._state.live_message(target_chat.id, reply["message_id"])
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None, None
            raise bad_request("message to be replied not found")
        if target_chat.id != chat.id:
            return None, None
        return target.message_id, target.thread_id

    def create(self, placement: Placement, params: dict[str, Any], **fields: Any) -> StoredMessage:
        """Store a bot message at `placement` with the common optional fields."""
        return self._state.new_message(
            placement.chat,
            self._state.bot,
            thread_id=placement.thread_id,
            reply_to=placement.reply_to,
            reply_markup=check_reply_markup(params.get("reply_markup")),
            **fields,
        )

    async def send_message(self, call: CallContext) -> dict[str, Any]:
        """sendMessage."""
        params = call.params
        placement = self.place(params)
        text, entities = format_text(params["text"], params.get("parse_mode"), params.get("entities"))
        message = self.create(placement, params, kind="text", text=text, entities=entities)
        return self._state.message_dict(message)

    async def send_photo(self, call: CallContext) -> dict[str, Any]:
        """sendPhoto."""
        return await self._send_media(call, "photo", "photo")

    async def send_video(self, call: CallContext) -> dict[str, Any]:
        """sendVideo."""
        return await self._send_media(call, "video", "video")

    async def send_document(self, call: CallContext) -> dict[str, Any]:
        """sendDocument."""
        return await self._send_media(call, "document", "document")

    async def _send_media(self, call: CallContext, field: str, kind: FileKind) -> dict[str, Any]:
        params = call.params
        placement = self.place(params)
        caption, caption_entities = format_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        files = await self._files.resolve(params[field], kind, call.uploads, params)
        thumbnail = await self._thumbnail(params.get("thumbnail"), call)
        message = self.create(
            placement,
            params,
            kind=_message_kind(kind),
            files=files,
            thumbnail=thumbnail,
            caption=caption,
            caption_entities=caption_entities,
            supports_streaming=bool(params.get("supports_streaming")),
            has_spoiler=bool(params.get("has_spoiler")),
            show_caption_above_media=bool(params.get("show_caption_above_media")),
        )
        return self._state.message_dict(message)

    async def _thumbnail(self, value: Any, call: CallContext) -> StoredFile | None:
        if value is None:
            return None
        if isinstance(value, str) and not value.startswith("attach://"):
            return None  # Telegram ignores thumbnails that are not uploaded
        return (await self._files.resolve(value, "thumbnail", call.uploads))[0]

    async def send_media_group(self, call: CallContext) -> list[dict[str, Any]]:
        """sendMediaGroup: 2-10 items of compatible types, one media_group_id."""
        params = call.params
        items: list[dict[str, Any]] = params["media"]
        if not 2 <= len(items) <= 10:
            raise bad_request("media group must include 2-10 items")
        groups = {_GROUPABLE.get(item["type"], item["type"]) for item in items}
        if len(groups) > 1:
            raise bad_request(f"{items[0]['type']} can't be mixed with other media types")
        if not groups <= {"visual", "document"}:
            raise bad_request(f"media of type {items[0]['type']} is not supported by the fake Bot API")
        placement = self.place(params)
        prepared = []
        for item in items:
            caption = format_caption(
                item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
            )
            kind: FileKind = item["type"]
            files = await self._files.resolve(item["media"], kind, call.uploads, item)
            thumbnail = await self._thumbnail(item.get("thumbnail"), call)
            prepared.append((item, kind, files, thumbnail, caption))
        group_id = str(13_000_000_000_000_000 + self._state.next_number())
        messages = [
            self.create(
                placement,
                {},
                kind=_message_kind(kind),
                files=files,
                thumbnail=thumbnail,
                caption=caption[0],
                caption_entities=caption[1],
                media_group_id=group_id,
                has_spoiler=bool(item.get("has_spoiler")),
                supports_streaming=bool(item.get("supports_streaming")),
            )
            for item, kind, files, thumbnail, caption in prepared
        ]
        return [self._state.message_dict(message) for message in messages]


def _message_kind(kind: FileKind) -> MessageKind:
    if kind == "thumbnail":
        raise ApiError(500, "Internal Server Error: a thumbnail is not a message")
    return kind
