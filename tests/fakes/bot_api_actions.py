"""What users do: write, send photos, documents and stickers, press buttons; each becomes an update."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakes.bot_api_files import FileResolver
from tests.fakes.bot_api_html import utf16_length
from tests.fakes.bot_api_media import sticker_image
from tests.fakes.bot_api_model import FakeChat, FakeUser, StoredMessage
from tests.fakes.bot_api_state import BotState, CallbackQueryState
from tests.fakes.bot_api_updates import UpdateQueue

#: InlineKeyboardButton.callback_data: "Data to be sent in a callback query to the bot, 1-64 bytes".
MAX_CALLBACK_DATA_BYTES = 64

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")

# ChatMemberMember and ChatMemberLeft: the ChatMember kinds whose only required fields are status and user.
_MEMBER_STATUSES = frozenset({"member", "left"})

ChatRef = FakeChat | int
UserRef = FakeUser | int | None


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities for every /command (or /command@bot) in a text, as Telegram marks them."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


class UserActions:
    """Injects user messages and button presses as updates for the bot."""

    def __init__(
        self, state: BotState, queue: UpdateQueue, files: FileResolver, *, privacy_mode: bool
    ) -> None:
        self._state = state
        self._queue = queue
        self._files = files
        self._privacy_mode = privacy_mode

    def chat(self, chat: ChatRef) -> FakeChat:
        """A registered chat from a FakeChat or a chat id."""
        chat_id = chat if isinstance(chat, int) else chat.id
        found = self._state.chats.get(chat_id)
        if found is None:
            raise LookupError(f"unknown chat {chat_id}; create it with private_chat() or group() first")
        return found

    def user(self, chat: FakeChat, user: UserRef) -> FakeUser:
        """The sender: the given user, or the other side of a private chat."""
        if isinstance(user, FakeUser):
            return self._state.add_user(user)
        if isinstance(user, int):
            known = self._state.users.get(user)
            if known is None:
                raise LookupError(f"unknown user {user}; create it with user() or private_chat() first")
            return known
        if chat.user is None:
            raise ValueError(f"chat {chat.id} is a group: pass the user who writes")
        return chat.user

    def _message(
        self, chat_ref: ChatRef, user_ref: UserRef, reply_to: int | None, thread_id: int | None, **fields: Any
    ) -> StoredMessage:
        chat = self.chat(chat_ref)
        sender = self.user(chat, user_ref)
        if thread_id is not None:
            if not chat.is_forum:
                raise ValueError(f"chat {chat.id} is not a forum; create it with group(..., forum=True)")
            self._state.topics.setdefault(chat.id, set()).add(thread_id)
        if reply_to is not None and self._state.live_message(chat.id, reply_to) is None:
            raise LookupError(f"message {reply_to} does not exist in chat {chat.id}")
        return self._state.new_message(chat, sender, reply_to=reply_to, thread_id=thread_id, **fields)

    def _deliver(self, message: StoredMessage) -> dict[str, Any]:
        data = self._state.message_dict(message)
        if self._visible_to_bot(message):
            self._queue.push({"message": data})
        return data

    def _visible_to_bot(self, message: StoredMessage) -> bool:
        """Privacy mode: in groups the bot sees commands, replies to it and mentions only."""
        if not self._privacy_mode or message.chat.type == "private" or message.kind == "service":
            return True
        text = message.text or message.caption or ""
        username = (self._state.bot.username or "").lower()
        for entity in command_entities(text):
            command = text[entity["offset"] :].split(maxsplit=1)[0]
            if "@" not in command or command.split("@", 1)[1].lower() == username:
                return True
        if username and f"@{username}" in text.lower():
            return True
        target = self._state.message(message.chat.id, message.reply_to) if message.reply_to else None
        return target is not None and target.from_bot

    def send_text(
        self,
        chat: ChatRef,
        user: UserRef,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user writes a text message."""
        message = self._message(
            chat, user, reply_to, thread_id, kind="text", text=text, entities=command_entities(text)
        )
        return self._deliver(message)

    def send_photo(
        self,
        chat: ChatRef,
        user: UserRef,
        image: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a photo (stored in Telegram's sizes, readable with getFile)."""
        sizes = self._files.store("photo", image, None, "image/jpeg", {})
        message = self._message(
            chat,
            user,
            reply_to,
            thread_id,
            kind="photo",
            files=sizes,
            caption=caption,
            caption_entities=command_entities(caption or ""),
            media_group_id=media_group_id,
        )
        return self._deliver(message)

    def send_document(
        self,
        chat: ChatRef,
        user: UserRef,
        data: bytes,
        file_name: str,
        mime_type: str,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file as a document."""
        stored = self._files.store("document", data, file_name, mime_type, {})
        message = self._message(
            chat,
            user,
            reply_to,
            thread_id,
            kind="document",
            files=stored,
            caption=caption,
            caption_entities=command_entities(caption or ""),
        )
        return self._deliver(message)

    def send_sticker(
        self,
        chat: ChatRef,
        user: UserRef,
        *,
        emoji: str = "\N{THUMBS UP SIGN}",
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a static sticker."""
        stored = self._files.store("sticker", sticker_image(), "sticker.webp", "image/webp", {"emoji": emoji})
        message = self._message(chat, user, reply_to, thread_id, kind="sticker", files=stored)
        return self._deliver(message)

    def create_topic(self, chat_ref: ChatRef, name: str, creator: UserRef = None) -> int:
        """Create a forum topic; returns its message_thread_id."""
        chat = self.chat(chat_ref)
        if not chat.is_forum:
            raise ValueError(f"chat {chat.id} is not a forum")
        sender = self._state.bot if creator is None else self.user(chat, creator)
        message = self._state.new_message(
            chat,
            sender,
            kind="service",
            service={"forum_topic_created": {"name": name, "icon_color": 7322096}},
        )
        message.thread_id = message.message_id
        self._state.topics.setdefault(chat.id, set()).add(message.message_id)
        return message.message_id

    def press_button(
        self, chat_ref: ChatRef, user_ref: UserRef, message_id: int, callback_data: str
    ) -> dict[str, Any]:
        """A user presses an inline button; the button must exist on the message as it is now."""
        chat = self.chat(chat_ref)
        sender = self.user(chat, user_ref)
        message = self._state.live_message(chat.id, message_id)
        if message is None:
            raise LookupError(f"message {message_id} does not exist in chat {chat.id}")
        if callback_data not in message.callback_data:
            raise LookupError(
                f"message {message_id} has no button with callback_data {callback_data!r}; "
                f"buttons: {message.callback_data}"
            )
        return self._push_callback_query(chat, sender, message, callback_data)

    def _push_callback_query(
        self, chat: FakeChat, sender: FakeUser, message: StoredMessage, callback_data: str
    ) -> dict[str, Any]:
        query_id = str(4_000_000_000_000_000 + self._state.next_number())
        self._state.callback_queries[query_id] = CallbackQueryState(
            query_id, chat.id, message.message_id, callback_data
        )
        query = {
            "id": query_id,
            "from": sender.to_dict(),
            "message": self._state.message_dict(message),
            "chat_instance": str(abs(chat.id) * 7919 + 104_729),
            "data": callback_data,
        }
        self._queue.push({"callback_query": query})
        return query

    def press_crafted_button(
        self, chat_ref: ChatRef, user_ref: UserRef, message_id: int, callback_data: str
    ) -> dict[str, Any]:
        """A modified client sends callback data no button carries (Telegram forwards any 1-64 bytes)."""
        chat = self.chat(chat_ref)
        message = self._state.live_message(chat.id, message_id)
        if message is None:
            raise LookupError(f"message {message_id} does not exist in chat {chat.id}")
        if not 1 <= len(callback_data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise ValueError("callback data is 1-64 bytes")
        return self._push_callback_query(chat, self.user(chat, user_ref), message, callback_data)

    def bot_membership(self, chat_ref: ChatRef, user_ref: UserRef, old: str, new: str) -> dict[str, Any]:
        """A user adds the bot to a group ("left" -> "member") or removes it ("member" -> "left")."""
        chat = self.chat(chat_ref)
        for status in (old, new):
            if status not in _MEMBER_STATUSES:
                raise ValueError(f"unknown chat member status {status!r}")
        bot = self._state.bot.to_dict()
        update = {
            "chat": chat.to_dict(),
            "from": self.user(chat, user_ref).to_dict(),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot},
        }
        return self._queue.push({"my_chat_member": update})

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (chats and users in it are learned); update_id is assigned if missing."""
        self._state.learn_from(update)
        return self._queue.push(update)
