"""The test-facing control: what users do in Telegram, and an HTTP control API for another process.

UserActions creates users and chats and does what users do: write, send photos, documents and stickers,
press buttons, add or remove the bot; each action becomes an update for the bot. Privacy mode (on by
default): in groups the bot only gets commands, replies to it and @mentions.

ControlHandler lets another process (a benchmark) drive the fake and read its log:
GET /_control/{health,calls,stats,messages}; POST /_control/{chats,send_text,send_photo,press_button,
updates,flood,faults}. POST /_control/faults takes {"kind": ..., "method": "*" or a method, ...}:
- error: error_code (429), retry_after (1), description, count, for_seconds;
- disconnect: count, for_seconds, after_execute (false);
- delay: seconds, count (every call when absent), for_seconds, after_execute (false);
- hang: count, for_seconds, after_execute (true);
- down: seconds (required; the control API is down too), answered before the fake goes down;
- clear: forget every planned fault.
count absent means the default (1 call, or every call of the for_seconds window); null means every call.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tornado.web

from tests.fakes.bot_api.faults import ANY_METHOD, UNSET, Count
from tests.fakes.bot_api.limits import FloodLimits
from tests.fakes.bot_api.rules import MAX_CALLBACK_DATA_BYTES, utf16_length
from tests.fakes.bot_api.server import write_json
from tests.fakes.bot_api.state import (
    BotState,
    CallbackQueryState,
    ChatRef,
    ChatType,
    FakeChat,
    FakeUser,
    FileResolver,
    StoredMessage,
    UpdateQueue,
    UserRef,
    chat_id_of,
    sticker_image,
)

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotAPI

# -- what users do -------------------------------------------------------------------------------

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")

# ChatMemberMember and ChatMemberLeft: the ChatMember kinds whose only required fields are status and user.
_MEMBER_STATUSES = frozenset({"member", "left"})


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

    # -- users and chats ---------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeUser:
        """Create (or replace) a user."""
        return self._state.add_user(
            FakeUser(
                id=user_id,
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
        )

    def private_chat(
        self,
        user_id: int = 1001,
        first_name: str = "Alice",
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> FakeChat:
        """A private chat with a new user; the user is `chat.user`."""
        user = self.user(
            user_id, first_name, language_code=language_code, username=username, last_name=last_name
        )
        return self._state.add_chat(FakeChat(id=user_id, type="private", user=user))

    def group(
        self,
        chat_id: int = -1001000000001,
        title: str = "Test Group",
        *,
        forum: bool = False,
        username: str | None = None,
    ) -> FakeChat:
        """A group: ids starting with -100 are supergroups (forums must be), others basic groups."""
        kind: ChatType = "supergroup" if str(chat_id).startswith("-100") or forum else "group"
        return self._state.add_chat(
            FakeChat(id=chat_id, type=kind, title=title, is_forum=forum, username=username)
        )

    def make_admin(self, chat: ChatRef, user: FakeUser | int, *, owner: bool = False) -> None:
        """The user becomes an administrator (or, with owner=True, the creator) of a group."""
        group = self.chat(chat)
        if group.type == "private":
            raise ValueError(f"chat {group.id} is private: only groups have admins")
        user_id = user if isinstance(user, int) else self._state.add_user(user).id
        self._state.member_statuses[(group.id, user_id)] = "creator" if owner else "administrator"

    def block_bot(self, user: FakeUser | int) -> None:
        """The user blocks the bot: sends to the private chat answer 403."""
        self._state.blocked_by.add(user if isinstance(user, int) else user.id)

    def chat(self, chat: ChatRef) -> FakeChat:
        """A registered chat from a FakeChat or a chat id."""
        chat_id = chat_id_of(chat)
        found = self._state.chats.get(chat_id)
        if found is None:
            raise LookupError(f"unknown chat {chat_id}; create it with private_chat() or group() first")
        return found

    def _sender(self, chat: FakeChat, user: UserRef) -> FakeUser:
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

    # -- messages and buttons ----------------------------------------------------------------------

    def _message(
        self, chat_ref: ChatRef, user_ref: UserRef, reply_to: int | None, thread_id: int | None, **fields: Any
    ) -> StoredMessage:
        chat = self.chat(chat_ref)
        sender = self._sender(chat, user_ref)
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
        sender = self._state.bot if creator is None else self._sender(chat, creator)
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
        sender = self._sender(chat, user_ref)
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
        return self._push_callback_query(chat, self._sender(chat, user_ref), message, callback_data)

    def bot_membership(self, chat_ref: ChatRef, user_ref: UserRef, old: str, new: str) -> dict[str, Any]:
        """A user adds the bot to a group ("left" -> "member") or removes it ("member" -> "left").

        Returns the ChatMemberUpdated.
        """
        chat = self.chat(chat_ref)
        for status in (old, new):
            if status not in _MEMBER_STATUSES:
                raise ValueError(f"unknown chat member status {status!r}")
        bot = self._state.bot.to_dict()
        update = {
            "chat": chat.to_dict(),
            "from": self._sender(chat, user_ref).to_dict(),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot},
        }
        self._queue.push({"my_chat_member": update})
        return update

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (chats and users in it are learned); update_id is assigned if missing."""
        self._state.learn_from(update)
        return self._queue.push(update)


# -- the HTTP control API ------------------------------------------------------------------------

Action = Callable[["FakeBotAPI", dict[str, Any]], Any]


def _body_list(body: Any) -> list[dict[str, Any]]:
    return body if isinstance(body, list) else [body]


def _updates(api: FakeBotAPI, body: Any) -> Any:
    return [api.users.push_update(update) for update in _body_list(body)]


def _chats(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    if body.get("type", "private") == "private":
        chat = api.users.private_chat(
            user_id=int(body["user_id"]),
            first_name=body.get("first_name", "User"),
            language_code=body.get("language_code", "en"),
            username=body.get("username"),
        )
    else:
        chat = api.users.group(
            chat_id=int(body["chat_id"]),
            title=body.get("title", "Group"),
            forum=bool(body.get("forum", False)),
        )
    return chat.to_dict()


def _user(body: dict[str, Any]) -> int | None:
    return int(body["user_id"]) if body.get("user_id") is not None else None


def _send_text(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    return api.users.send_text(
        int(body["chat_id"]),
        _user(body),
        body["text"],
        reply_to=body.get("reply_to"),
        thread_id=body.get("thread_id"),
    )


def _send_photo(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    image = base64.b64decode(body["image_base64"])
    return api.users.send_photo(
        int(body["chat_id"]),
        _user(body),
        image,
        caption=body.get("caption"),
        media_group_id=body.get("media_group_id"),
        thread_id=body.get("thread_id"),
        reply_to=body.get("reply_to"),
    )


def _press_button(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    return api.users.press_button(
        int(body["chat_id"]), _user(body), int(body["message_id"]), body["callback_data"]
    )


def _flood(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    api.flood.configure(FloodLimits(**body))
    return dataclasses.asdict(api.flood.limits)


@dataclass(frozen=True)
class AfterAnswer:
    """An action's result, and what to do once it has been sent (going down would cut the answer)."""

    result: Any
    then: Callable[[], Awaitable[None]]


def _count(body: dict[str, Any]) -> Count:
    """Absent: the fault's default; null: every call."""
    return UNSET if "count" not in body else (None if body["count"] is None else int(body["count"]))


def _for_seconds(body: dict[str, Any]) -> float | None:
    return None if body.get("for_seconds") is None else float(body["for_seconds"])


def _faults(api: FakeBotAPI, body: dict[str, Any]) -> Any:
    kind = body.get("kind", "error")
    method = body.get("method", ANY_METHOD)
    after_execute = body.get("after_execute")
    if kind == "down":
        seconds = float(body["seconds"])  # required: the control API is unreachable too while down
        return AfterAnswer(True, lambda: api.faults.go_down(seconds))
    if kind == "clear":
        api.faults.clear()
        return True
    if kind == "error":
        fault = api.faults.inject(
            method,
            error_code=int(body.get("error_code", 429)),
            retry_after=body.get("retry_after", 1),
            count=_count(body),
            for_seconds=_for_seconds(body),
            description=body.get("description"),
        )
    elif kind == "disconnect":
        fault = api.faults.inject_disconnect(
            method, count=_count(body), for_seconds=_for_seconds(body), after_execute=bool(after_execute)
        )
    elif kind == "delay":
        count = _count(body)
        fault = api.faults.inject_delay(
            method,
            float(body["seconds"]),
            count=None if count is UNSET else count,
            for_seconds=_for_seconds(body),
            after_execute=bool(after_execute),
        )
    elif kind == "hang":
        fault = api.faults.inject_hang(
            method,
            count=_count(body),
            for_seconds=_for_seconds(body),
            after_execute=True if after_execute is None else bool(after_execute),
        )
    else:
        raise ValueError(f"unknown fault kind {kind!r}")
    return {"kind": fault.kind, "method": fault.method, "remaining": fault.remaining, "until": fault.until}


_POST_ACTIONS: dict[str, Action] = {
    "updates": _updates,
    "chats": _chats,
    "send_text": _send_text,
    "send_photo": _send_photo,
    "press_button": _press_button,
    "flood": _flood,
    "faults": _faults,
}


class ControlHandler(tornado.web.RequestHandler):
    """GET /_control/{health,calls,stats,messages}; POST /_control/{updates,chats,send_text,...}."""

    def initialize(self, api: FakeBotAPI) -> None:
        """Tornado passes the fake."""
        self.api = api

    def get(self, action: str) -> None:
        """Read the call log, stats or chat state."""
        if action == "health":
            write_json(self, 200, {"ok": True, "result": {"root": self.api.root}})
        elif action == "calls":
            start = int(self.get_query_argument("start", "0"))
            records = self.api.calls[start:]
            write_json(
                self,
                200,
                {
                    "ok": True,
                    "result": [record.to_dict() for record in records],
                    "next": start + len(records),
                },
            )
        elif action == "stats":
            write_json(self, 200, {"ok": True, "result": self.api.calls.stats().to_dict()})
        elif action == "messages":
            chat_id = int(self.get_query_argument("chat_id"))
            messages = [self.api.state.message_dict(m) for m in self.api.state.messages(chat_id)]
            write_json(self, 200, {"ok": True, "result": messages})
        else:
            write_json(self, 404, {"ok": False, "description": f"unknown control endpoint {action}"})

    async def post(self, action: str) -> None:
        """Inject updates, create chats, configure flood control or faults."""
        handler = _POST_ACTIONS.get(action)
        if handler is None:
            write_json(self, 404, {"ok": False, "description": f"unknown control endpoint {action}"})
            return
        try:
            body = json.loads(self.request.body or b"{}")
            result = handler(self.api, body)
        except (ValueError, KeyError, LookupError, TypeError) as err:
            write_json(self, 400, {"ok": False, "description": f"{type(err).__name__}: {err}"})
            return
        if isinstance(result, AfterAnswer):
            await write_json(self, 200, {"ok": True, "result": result.result})
            await result.then()
            return
        write_json(self, 200, {"ok": True, "result": result})
