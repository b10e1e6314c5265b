"""The Bot API methods the fake implements, by name; anything else in the spec answers 501.

- MethodTable: getMe, logOut, close, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, commands,
  descriptions, sendChatAction, getFile, answerCallbackQuery, and the table of every implemented method;
- MessageSender: sendMessage, sendPhoto, sendVideo, sendDocument and sendMediaGroup;
- MessageEditor: editMessageText, editMessageCaption, editMessageReplyMarkup and deleteMessage;
- ChatMembers: getChatMember and getChatAdministrators;
- StarPayments: payments in Telegram Stars (sendInvoice, answerPreCheckoutQuery, refundStarPayment) and
  the buyer's side. Written from the Bot API reference: Stars invoices use currency XTR, exactly one
  price, an empty provider token and a 1-128 byte payload; a pre-checkout query must be answered within
  10 seconds, or the payment fails; a charge can be refunded once (CHARGE_ALREADY_REFUNDED after that);
- WebhookDelivery: webhook mode, POSTing each pending update to the bot's URL, in order, retrying until it
  answers 2xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fakes.bot_api.rules import (
    ApiError,
    Upload,
    bad_request,
    check_reply_markup,
    format_caption,
    format_text,
)
from tests.fakes.bot_api.state import (
    BotState,
    ChatActionRecord,
    ChatRef,
    FakeChat,
    FakeUser,
    FileKind,
    FileResolver,
    MemberStatus,
    MessageKind,
    StoredFile,
    StoredMessage,
    UpdateQueue,
    chat_id_of,
)

logger = logging.getLogger(__name__)

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class CallContext:
    """One decoded call as a method implementation sees it."""

    method: str
    params: dict[str, Any]
    uploads: Mapping[str, Upload]
    gone: asyncio.Event  # set when the client hung up


# -- the method table ----------------------------------------------------------------------------

Method = Callable[[CallContext], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class MethodTable:
    """Maps canonical method names to implementations working on the shared state."""

    def __init__(
        self,
        *,
        state: BotState,
        queue: UpdateQueue,
        webhook: WebhookDelivery,
        files: FileResolver,
        clock: Callable[[], float],
        privacy_mode: bool,
    ) -> None:
        self._state = state
        self._queue = queue
        self._webhook = webhook
        self._files = files
        self._clock = clock
        self._privacy_mode = privacy_mode
        sender = MessageSender(state, files)
        editor = MessageEditor(state)
        members = ChatMembers(state)
        self.payments = StarPayments(state, queue, sender, clock)
        self.methods: dict[str, Method] = {
            "getMe": self.get_me,
            "logOut": self.log_out,
            "close": self.close,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": functools.partial(self.set_description, "description", 512),
            "setMyShortDescription": functools.partial(self.set_description, "short_description", 120),
            "sendMessage": sender.send_message,
            "sendPhoto": sender.send_photo,
            "sendVideo": sender.send_video,
            "sendDocument": sender.send_document,
            "sendMediaGroup": sender.send_media_group,
            "editMessageText": editor.edit_text,
            "editMessageCaption": editor.edit_caption,
            "editMessageReplyMarkup": editor.edit_reply_markup,
            "deleteMessage": editor.delete,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
            "answerCallbackQuery": self.answer_callback_query,
            "getChatMember": members.get_chat_member,
            "getChatAdministrators": members.get_chat_administrators,
            "sendInvoice": self.payments.send_invoice,
            "answerPreCheckoutQuery": self.payments.answer_pre_checkout_query,
            "refundStarPayment": self.payments.refund_star_payment,
        }

    def get(self, method: str) -> Method | None:
        """The implementation of a method, or None when the fake does not implement it."""
        return self.methods.get(method)

    async def get_me(self, call: CallContext) -> dict[str, Any]:
        """getMe."""
        return {
            **self._state.bot.to_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self._privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def log_out(self, call: CallContext) -> bool:
        """logOut: every later call is refused with 401, as after a real log-out."""
        self._state.logged_out = True
        return True

    async def close(self, call: CallContext) -> bool:
        """close."""
        return True

    async def get_updates(self, call: CallContext) -> list[dict[str, Any]]:
        """getUpdates with offset, limit, timeout and allowed_updates."""
        if self._webhook.active:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        params = call.params
        self._queue.set_allowed(params.get("allowed_updates"))
        limit = min(100, max(1, params.get("limit", 100)))
        return await self._queue.poll(
            offset=params.get("offset"), limit=limit, timeout=float(params.get("timeout", 0)), gone=call.gone
        )

    async def set_webhook(self, call: CallContext) -> bool:
        """setWebhook; an empty url removes the webhook."""
        params = call.params
        url: str = params["url"]
        if params.get("drop_pending_updates"):
            self._queue.clear()
        if not url:
            await self._webhook.stop()
            return True
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token", "")
        if secret and not _SECRET.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        self._queue.set_allowed(allowed)
        await self._webhook.set(
            WebhookConfig(
                url=url,
                secret_token=secret,
                max_connections=params.get("max_connections", 40),
                allowed_updates=allowed,
            )
        )
        return True

    async def delete_webhook(self, call: CallContext) -> bool:
        """deleteWebhook."""
        if call.params.get("drop_pending_updates"):
            self._queue.clear()
        await self._webhook.stop()
        return True

    async def get_webhook_info(self, call: CallContext) -> dict[str, Any]:
        """getWebhookInfo."""
        return self._webhook.config.info(self._queue.pending_count)

    async def set_my_commands(self, call: CallContext) -> bool:
        """setMyCommands with Telegram's checks on names and descriptions."""
        params = call.params
        commands: list[dict[str, Any]] = params["commands"]
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self._state.command_lists[key] = [dict(command) for command in commands]
        else:
            self._state.command_lists.pop(key, None)
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        return self._state.commands_key(params.get("scope"), _language_code(params))

    async def get_my_commands(self, call: CallContext) -> list[dict[str, Any]]:
        """getMyCommands."""
        return list(self._state.command_lists.get(self._commands_key(call.params), []))

    async def delete_my_commands(self, call: CallContext) -> bool:
        """deleteMyCommands."""
        self._state.command_lists.pop(self._commands_key(call.params), None)
        return True

    async def set_description(self, name: str, limit: int, call: CallContext) -> bool:
        """setMyDescription (0-512 characters) and setMyShortDescription (0-120); empty removes it."""
        params = call.params
        text: str = params.get(name, "")
        if len(text) > limit:
            raise bad_request(f"BOT_{name.upper()}_INVALID")
        language = _language_code(params)
        if text:
            self._state.descriptions[name, language] = text
        else:
            self._state.descriptions.pop((name, language), None)
        return True

    async def send_chat_action(self, call: CallContext) -> bool:
        """sendChatAction."""
        params = call.params
        chat = self._state.resolve_chat(params["chat_id"], sending=True)
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        thread_id = params.get("message_thread_id")
        if thread_id is not None and thread_id not in self._state.topics.get(chat.id, set()):
            raise bad_request("message thread not found")
        self._state.chat_actions.append(ChatActionRecord(chat.id, params["action"], thread_id, self._clock()))
        return True

    async def get_file(self, call: CallContext) -> dict[str, Any]:
        """getFile; files over the download limit cannot be fetched by bots."""
        stored = self._state.files.get(call.params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > self._files.limits.download:
            raise bad_request("file is too big")
        return stored.file_object()

    async def answer_callback_query(self, call: CallContext) -> bool:
        """answerCallbackQuery: once per query, text up to 200 characters."""
        params = call.params
        query = self._state.callback_queries.get(params["callback_query_id"])
        if query is None or query.answer is not None:
            raise bad_request(_QUERY_INVALID)
        if len(params.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = {**params, "time": time.time()}
        return True


def _language_code(params: dict[str, Any]) -> str:
    """The optional language_code parameter: two lowercase letters, or "" for every language."""
    language: str = params.get("language_code", "")
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return language


# -- sending -------------------------------------------------------------------------------------

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


# -- editing and deleting ------------------------------------------------------------------------

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


class MessageEditor:
    """The methods that change or remove existing messages."""

    def __init__(self, state: BotState) -> None:
        self._state = state

    def _target(self, params: dict[str, Any]) -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("MESSAGE_ID_INVALID")
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._state.resolve_chat(params["chat_id"])
        message = self._state.live_message(chat.id, params["message_id"])
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _save(self, message: StoredMessage, **changes: Any) -> dict[str, Any]:
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = int(time.time())
        message.edit_count += 1
        return self._state.message_dict(message)

    async def edit_text(self, call: CallContext) -> dict[str, Any]:
        """editMessageText; leaving out reply_markup removes the inline keyboard, as on Telegram."""
        params = call.params
        message = self._target(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = format_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = check_reply_markup(params.get("reply_markup"))
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._save(message, text=text, entities=entities, reply_markup=markup)

    async def edit_caption(self, call: CallContext) -> dict[str, Any]:
        """editMessageCaption."""
        params = call.params
        message = self._target(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption, entities = format_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        markup = check_reply_markup(params.get("reply_markup"))
        if (caption, entities, markup) == (message.caption, message.caption_entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        return self._save(message, caption=caption, caption_entities=entities, reply_markup=markup)

    async def edit_reply_markup(self, call: CallContext) -> dict[str, Any]:
        """editMessageReplyMarkup."""
        message = self._target(call.params)
        markup = check_reply_markup(call.params.get("reply_markup"))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        return self._save(message, reply_markup=markup)

    async def delete(self, call: CallContext) -> bool:
        """deleteMessage."""
        chat = self._state.resolve_chat(call.params["chat_id"])
        message = self._state.live_message(chat.id, call.params["message_id"])
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True


# -- chat members --------------------------------------------------------------------------------

ADMIN_STATUSES: frozenset[MemberStatus] = frozenset({"creator", "administrator"})
# What an administrator made in the Telegram app may do by default (every required field of the type).
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


def chat_member(user: FakeUser, status: MemberStatus) -> dict[str, Any]:
    """The ChatMember object for a user with that status."""
    member: dict[str, Any] = {"status": status, "user": user.to_dict()}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS)
    return member


class ChatMembers:
    """Answers membership questions from the statuses kept in the shared state."""

    def __init__(self, state: BotState) -> None:
        self._state = state

    def _user(self, user_id: int) -> FakeUser:
        if user_id == self._state.bot.id:
            return self._state.bot
        user = self._state.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return user

    async def get_chat_member(self, call: CallContext) -> dict[str, Any]:
        """getChatMember: known users are members unless the test made them something else."""
        chat = self._state.resolve_chat(call.params["chat_id"])
        user = self._user(call.params["user_id"])
        return chat_member(user, self._state.member_status(chat.id, user.id))

    async def get_chat_administrators(self, call: CallContext) -> list[dict[str, Any]]:
        """getChatAdministrators: the creator and administrators (other bots only with return_bots)."""
        chat = self._state.resolve_chat(call.params["chat_id"])
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = []
        for (chat_id, user_id), status in sorted(self._state.member_statuses.items()):
            if chat_id != chat.id or status not in ADMIN_STATUSES:
                continue
            user = self._user(user_id)
            if user.is_bot and user.id != self._state.bot.id and not call.params.get("return_bots"):
                continue
            admins.append(chat_member(user, status))
        return admins


# -- payments in Telegram Stars ------------------------------------------------------------------

STARS = "XTR"
PRE_CHECKOUT_DEADLINE_SECONDS = 10.0
MAX_PAYLOAD_BYTES = 128
MAX_STARS_AMOUNT = 10_000


@dataclass(frozen=True)
class Invoice:
    """An invoice message the bot sent."""

    chat_id: int
    message_id: int
    title: str
    payload: str
    currency: str
    total_amount: int


@dataclass
class Checkout:
    """A pre-checkout query sent to the bot and its answer (None until answered)."""

    id: str
    user: FakeUser
    chat_id: int
    currency: str
    total_amount: int
    payload: str
    sent_at: float
    answer: dict[str, Any] | None = None
    answered_at: float | None = None

    @property
    def approved(self) -> bool:
        """True when the bot answered ok=True in time."""
        return (
            self.answer is not None
            and bool(self.answer["ok"])
            and self.answered_at is not None
            and self.answered_at - self.sent_at <= PRE_CHECKOUT_DEADLINE_SECONDS
        )


@dataclass
class Charge:
    """A completed Stars payment."""

    charge_id: str
    user_id: int
    total_amount: int
    payload: str
    refunded: bool = False


@dataclass
class PaymentRecords:
    """What the fake remembers about payments."""

    invoices: dict[tuple[int, int], Invoice] = field(default_factory=dict)
    checkouts: dict[str, Checkout] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class StarPayments:
    """The payment methods (bot side) and the buyer's actions (user side), on shared records."""

    def __init__(
        self, state: BotState, queue: UpdateQueue, sender: MessageSender, clock: Callable[[], float]
    ) -> None:
        self._state = state
        self._queue = queue
        self._sender = sender
        self._clock = clock
        self.records = PaymentRecords()

    # -- Bot API methods ---------------------------------------------------------------------------

    async def send_invoice(self, call: CallContext) -> dict[str, Any]:
        """sendInvoice, for Telegram Stars only (the fake has no payment providers)."""
        params = call.params
        title, description, payload = params["title"], params["description"], params["payload"]
        if not 1 <= len(title) <= 32:
            raise bad_request("INVOICE_TITLE_INVALID")
        if not 1 <= len(description) <= 255:
            raise bad_request("INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= MAX_PAYLOAD_BYTES:
            raise bad_request("INVOICE_PAYLOAD_INVALID")
        if params["currency"] != STARS or params.get("provider_token", ""):
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        prices: list[dict[str, Any]] = params["prices"]
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
        amount = prices[0]["amount"]
        if not 1 <= amount <= MAX_STARS_AMOUNT or params.get("max_tip_amount"):
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        placement = self._sender.place(params)
        invoice_object = {
            "title": title,
            "description": description,
            "start_parameter": params.get("start_parameter", ""),
            "currency": STARS,
            "total_amount": amount,
        }
        message = self._sender.create(placement, params, kind="invoice", service={"invoice": invoice_object})
        self.records.invoices[(placement.chat.id, message.message_id)] = Invoice(
            chat_id=placement.chat.id,
            message_id=message.message_id,
            title=title,
            payload=payload,
            currency=STARS,
            total_amount=amount,
        )
        return self._state.message_dict(message)

    async def answer_pre_checkout_query(self, call: CallContext) -> bool:
        """answerPreCheckoutQuery: once, within 10 seconds; ok=False needs an error_message."""
        params = call.params
        checkout = self.records.checkouts.get(params["pre_checkout_query_id"])
        now = self._clock()
        if (
            checkout is None
            or checkout.answer is not None
            or now - checkout.sent_at > PRE_CHECKOUT_DEADLINE_SECONDS
        ):
            raise bad_request(_QUERY_INVALID)
        if not params["ok"] and not params.get("error_message"):
            raise bad_request("error_message is required when ok is false")
        checkout.answer = dict(params)
        checkout.answered_at = now
        return True

    async def refund_star_payment(self, call: CallContext) -> bool:
        """refundStarPayment: a charge of that user, refunded at most once."""
        params = call.params
        charge = self.records.charges.get(params["telegram_payment_charge_id"])
        if charge is None or charge.user_id != params["user_id"]:
            raise bad_request("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        return True

    # -- the buyer -------------------------------------------------------------------------------

    def checkout(
        self, user: FakeUser, *, payload: str, total_amount: int, currency: str = STARS
    ) -> dict[str, Any]:
        """The buyer confirms a payment: the bot gets a pre_checkout_query (any payload, for tampering)."""
        query_id = str(7_000_000_000_000_000 + next(self.records.numbers))
        self.records.checkouts[query_id] = Checkout(
            id=query_id,
            user=user,
            chat_id=user.id,
            currency=currency,
            total_amount=total_amount,
            payload=payload,
            sent_at=self._clock(),
        )
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        }
        self._queue.push({"pre_checkout_query": query})
        return query

    def pay_invoice(self, chat: FakeChat, message_id: int, user: FakeUser | None = None) -> dict[str, Any]:
        """The buyer (the private chat's user by default) presses Pay: returns the PreCheckoutQuery."""
        user = user or chat.user
        if user is None:
            raise ValueError("pass the user who pays")
        invoice = self.records.invoices.get((chat.id, message_id))
        if invoice is None:
            raise LookupError(f"message {message_id} in chat {chat.id} is not an invoice")
        return self.checkout(user, payload=invoice.payload, total_amount=invoice.total_amount)

    def complete(self, query_id: str) -> dict[str, Any]:
        """Telegram takes the Stars after an approved checkout: the successful_payment update (returned)."""
        checkout = self.records.checkouts[query_id]
        if not checkout.approved:
            raise RuntimeError(f"checkout {query_id} was not approved in time: {checkout.answer}")
        number = next(self.records.numbers)
        charge_id = f"stxTEST{number:012d}"
        self.records.charges[charge_id] = Charge(
            charge_id, checkout.user.id, checkout.total_amount, checkout.payload
        )
        chat = self._state.chats.get(checkout.chat_id)
        if chat is None:
            raise LookupError(f"no private chat with user {checkout.user.id}")
        paid = {
            "currency": checkout.currency,
            "total_amount": checkout.total_amount,
            "invoice_payload": checkout.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": f"{checkout.user.id}_{number}",
        }
        message = self._state.new_message(
            chat, checkout.user, kind="service", service={"successful_payment": paid}
        )
        return self._queue.push({"message": self._state.message_dict(message)})

    # -- what tests read -------------------------------------------------------------------------

    def invoices(self, chat: ChatRef) -> list[Invoice]:
        """Invoices the bot sent to the chat, oldest first."""
        chat_id = chat_id_of(chat)
        return [invoice for (cid, _), invoice in sorted(self.records.invoices.items()) if cid == chat_id]

    def checkout_state(self, query_id: str) -> Checkout:
        """A pre-checkout query and the bot's answer."""
        return self.records.checkouts[query_id]

    def charge(self, charge_id: str) -> Charge:
        """A completed Stars payment (refunded or not)."""
        return self.records.charges[charge_id]


# -- webhook delivery ----------------------------------------------------------------------------


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookConfig:
    """What setWebhook stored."""

    url: str = ""
    secret_token: str = ""
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: list[int] = field(default_factory=list)

    def info(self, pending: int) -> dict[str, Any]:
        """The WebhookInfo object."""
        data: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if self.url:
            data["max_connections"] = self.max_connections
            if self.allowed_updates:
                data["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data


class WebhookDelivery:
    """Owns the delivery task while a webhook is set."""

    def __init__(self, queue: UpdateQueue, *, retry_delay: float = 0.2, timeout: float = 10.0) -> None:
        self.config = WebhookConfig()
        self._queue = queue
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """True while a webhook URL is set."""
        return bool(self.config.url)

    async def set(self, config: WebhookConfig) -> None:
        """Start delivering to a new URL (stopping any previous delivery)."""
        await self.stop()
        self.config = config
        if config.url:
            self._task = asyncio.create_task(self._deliver(config), name="fake-bot-api-webhook")

    async def stop(self) -> None:
        """Stop delivering and forget the URL."""
        task, self._task = self._task, None
        self.config = WebhookConfig()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, config: WebhookConfig) -> None:
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        async with httpx.AsyncClient(timeout=httpx.Timeout(self._timeout)) as client:
            while True:
                update = await self._queue.first()
                error = await _post(client, config.url, update, headers)
                if error is None:
                    self._queue.confirm(update["update_id"] + 1)
                    config.delivered.append(update["update_id"])
                    continue
                config.last_error_date = int(time.time())
                config.last_error_message = error
                logger.info("webhook delivery failed: %s", error)
                await asyncio.sleep(self._retry_delay)


async def _post(
    client: httpx.AsyncClient, url: str, update: dict[str, Any], headers: dict[str, str]
) -> str | None:
    """POST one update; None on success, else Telegram's last_error_message wording."""
    try:
        response = await client.post(url, json=update, headers=headers)
    except httpx.HTTPError as err:
        return f"Connection failed: {type(err).__name__}"
    if 200 <= response.status_code < 300:
        return None
    return f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
