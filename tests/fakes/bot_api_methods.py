"""The implemented Bot API methods, by name; anything else in the spec answers 501."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.bot_api_calls import CallContext
from tests.fakes.bot_api_editing import MessageEditor
from tests.fakes.bot_api_files import FileResolver
from tests.fakes.bot_api_members import ChatMembers
from tests.fakes.bot_api_payments import StarPayments
from tests.fakes.bot_api_sending import MessageSender
from tests.fakes.bot_api_spec import ApiError, bad_request
from tests.fakes.bot_api_state import BotState, ChatActionRecord
from tests.fakes.bot_api_updates import UpdateQueue
from tests.fakes.bot_api_webhook import WebhookConfig, WebhookDelivery

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
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
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
            self._state.commands[key] = [dict(command) for command in commands]
        else:
            self._state.commands.pop(key, None)
        return True

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        language = params.get("language_code", "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return self._state.commands_key(params.get("scope"), language)

    async def get_my_commands(self, call: CallContext) -> list[dict[str, Any]]:
        """getMyCommands."""
        return list(self._state.commands.get(self._commands_key(call.params), []))

    async def delete_my_commands(self, call: CallContext) -> bool:
        """deleteMyCommands."""
        self._state.commands.pop(self._commands_key(call.params), None)
        return True

    async def set_description(self, name: str, limit: int, call: CallContext) -> bool:
        """setMyDescription (0-512 characters) and setMyShortDescription (0-120); empty removes it."""
        params = call.params
        text: str = params.get(name, "")
        if len(text) > limit:
            raise bad_request(f"BOT_{name.upper()}_INVALID")
        language = params.get("language_code", "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
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
