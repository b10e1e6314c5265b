"""A fake Telegram Bot API server, checked against the official spec, for end-to-end tests and benchmarks.

In-process (binds 127.0.0.1 on a free port; everything stops at context exit)::

    async with FakeBotAPI(token="123456:TEST-TOKEN") as api:
        bot = Bot(token, base_url=api.base_url, base_file_url=api.base_file_url)
        chat = api.private_chat(user_id=1001, first_name="Alice")
        api.send_text(chat, None, "/video a cat")          # user is chat.user in private chats
        call = await api.wait_for("sendVideo", timeout=10)

As a process for a benchmark, run from the repository root (first stdout line is the root URL, SIGTERM
stops it; drive it with POST /_control/{chats,send_text,send_photo,press_button,updates,flood,faults}
and read GET /_control/{calls,stats,messages,health}; faults takes kind error|disconnect|delay|hang|down|
clear with the keyword arguments of the methods below, see bot_api_control.py)::

    python -m tests.fakes.bot_api --port 0 [--no-flood] [--time-scale 0.1] [--no-privacy]

Behaviour worth knowing:
- every call is checked against telegram-bot-api/api.json: unknown method 404, missing/unknown/mistyped
  parameter 400 (nested objects too); implemented-but-not-faked methods answer 501 and show in stats();
- flood control is on by default (30/s overall, 1/s per private chat with a burst of 3, 20/min per group;
  sends and edits count); use FloodLimits.off(), FloodLimits(time_scale=...) or a manual `clock`;
- privacy mode is on by default: in groups the bot only gets commands, replies to it and @mentions;
- photos are stored in Telegram's sizes; the largest keeps the original bytes;
- wait_for() returns the first matching call from index `start` (0: calls already made count too);
- HTML parse mode follows tdlib's parser; MarkdownV2 answers 400 (not supported by the fake);
- faults (inject, inject_disconnect, inject_delay) catch the next call by default, `count=K` calls, or
  every matching call for `for_seconds=N` of wall time (a count then caps the window); method "*"
  (ANY_METHOD) matches every method; `fault.hits` counts the calls a fault caught.
- `await api.go_down(N)` makes the whole API unreachable for N seconds (None: until `await api.come_up()`):
  open connections are cut, new ones refused (ECONNREFUSED) on the same port, then everything serves
  again with state kept (updates written meanwhile are waiting); `api.is_down`, `await api.wait_up()`;
- `inject_delay(m, N, after_execute=True)`: the method runs at once, the answer comes N s later;
  `inject_hang(m)`: the method runs and the connection stays open without an answer until the client
  gives up (after_execute=False: nothing runs); stop() releases hung and delayed requests; a call
  whose answer never went out is logged with status 0 (DISCONNECTED) and its result, if it ran;
- every 429 (injected or flood control) answers `parameters.retry_after`; call records carry
  `retry_after` and `chat_id` (the chat the call concerned, @usernames resolved), and
  `stats().too_many_requests_by_chat` counts 429s per chat (None: calls without a chat);
- payments are Telegram Stars only (bot_api_payments.py): pay_invoice() sends the pre_checkout_query,
  complete_payment() the successful_payment update, which redeliver() can send again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import tornado.web

from tests.fakes.bot_api_actions import ChatRef, UserActions, UserRef
from tests.fakes.bot_api_calls import ApiStats, CallLog, CallMatch, CallRecord
from tests.fakes.bot_api_control import ControlHandler
from tests.fakes.bot_api_core import ApiCore
from tests.fakes.bot_api_faults import (
    ANY_METHOD,
    UNSET,
    Count,
    Fault,
    FaultPlan,
    injected_error,
    planned_count,
)
from tests.fakes.bot_api_files import MB, FileLimits, FileResolver
from tests.fakes.bot_api_flood import FloodControl, FloodLimits
from tests.fakes.bot_api_http import BotApiHandler, FileDownloadHandler
from tests.fakes.bot_api_listener import Listener
from tests.fakes.bot_api_methods import MethodTable
from tests.fakes.bot_api_model import ChatType, FakeChat, FakeUser, StoredMessage
from tests.fakes.bot_api_payments import Charge, Checkout, Invoice
from tests.fakes.bot_api_spec import BotApiSpec
from tests.fakes.bot_api_state import BotState, CallbackQueryState, ChatActionRecord
from tests.fakes.bot_api_updates import UpdateQueue
from tests.fakes.bot_api_webhook import WebhookDelivery

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-TOKEN"

__all__ = [
    "ANY_METHOD",
    "DEFAULT_TOKEN",
    "ApiStats",
    "CallRecord",
    "FakeBotAPI",
    "FakeChat",
    "FakeUser",
    "FloodLimits",
    "StoredMessage",
]


class FakeBotAPI:
    """A Telegram Bot API double on 127.0.0.1: real HTTP, spec-checked calls, Telegram-like state."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "veo_test_bot",
        bot_name: str = "Veo Test Bot",
        flood: FloodLimits | None = None,
        spec_path: Path | None = None,
        upload_limit: int = 50 * MB,
        download_limit: int = 20 * MB,
        photo_limit: int = 10 * MB,
        privacy_mode: bool = True,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.token = token
        self._host = host
        self._port = port
        self._clock = clock
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user = FakeUser(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        self.state = BotState(bot=self.bot_user)
        self.queue = UpdateQueue()
        self.webhook = WebhookDelivery(self.queue, retry_delay=webhook_retry_delay)
        self.files = FileResolver(
            self.state, FileLimits(upload=upload_limit, photo=photo_limit, download=download_limit)
        )
        self.flood = FloodControl(flood or FloodLimits(), clock)
        self.faults = FaultPlan()
        self.call_log = CallLog(clock)
        self.users = UserActions(self.state, self.queue, self.files, privacy_mode=privacy_mode)
        methods = MethodTable(
            state=self.state,
            queue=self.queue,
            webhook=self.webhook,
            files=self.files,
            clock=clock,
            privacy_mode=privacy_mode,
        )
        self.payments = methods.payments
        self.core = ApiCore(
            token=token,
            spec=BotApiSpec(spec_path),
            state=self.state,
            methods=methods,
            flood=self.flood,
            faults=self.faults,
            calls=self.call_log,
            upload_limit=upload_limit,
        )
        self._listener: Listener | None = None
        self._root = ""

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind 127.0.0.1 (port 0 picks a free port) and serve."""
        routes: list[Any] = [
            (r"/bot([^/]+)/([A-Za-z0-9_]+)/?", BotApiHandler, {"core": self.core}),
            (r"/file/bot([^/]+)/(.+)", FileDownloadHandler, {"core": self.core}),
            (r"/_control/([a-z_]+)", ControlHandler, {"api": self}),
        ]
        app = tornado.web.Application(routes, log_function=_quiet_log)
        body_limit = max(4 * self.core.upload_limit, 256 * MB)
        self._listener = Listener(app, host=self._host, port=self._port, body_limit=body_limit)
        self._listener.start()
        self._root = f"http://{self._host}:{self._listener.port}"

    async def stop(self) -> None:
        """Release pending long polls, stop webhook delivery, close every connection."""
        self.queue.close()
        self.core.closing.set()
        await self.webhook.stop()
        listener, self._listener = self._listener, None
        if listener is None:
            return
        await asyncio.sleep(0)  # let released polls write their answers
        await listener.stop()

    # -- outages ---------------------------------------------------------------------------------

    async def go_down(self, seconds: float | None) -> None:
        """The whole Bot API is unreachable for `seconds` (None: until come_up()); state is kept.

        Open connections are cut (pending long polls too) and new ones are refused on the same port.
        """
        await self._running().go_down(seconds)

    async def come_up(self) -> None:
        """End an outage now."""
        await self._running().come_up()

    @property
    def is_down(self) -> bool:
        """True during an outage."""
        return self._listener is not None and self._listener.is_down

    async def wait_up(self, timeout: float = 60.0) -> None:
        """Wait for the end of an outage."""
        await self._running().wait_up(timeout)

    def _running(self) -> Listener:
        if self._listener is None:
            raise RuntimeError("FakeBotAPI is not started; use `async with FakeBotAPI() as api`")
        return self._listener

    @property
    def root(self) -> str:
        """http://127.0.0.1:PORT."""
        if not self._root:
            raise RuntimeError("FakeBotAPI is not started; use `async with FakeBotAPI() as api`")
        return self._root

    @property
    def base_url(self) -> str:
        """What to pass as Bot(base_url=...)."""
        return f"{self.root}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass as Bot(base_file_url=...)."""
        return f"{self.root}/file/bot"

    # -- chats and users -------------------------------------------------------------------------

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
        return self.state.add_user(
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
        return self.state.add_chat(FakeChat(id=user_id, type="private", user=user))

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
        return self.state.add_chat(
            FakeChat(id=chat_id, type=kind, title=title, is_forum=forum, username=username)
        )

    def create_topic(self, chat: ChatRef, name: str = "Topic", creator: UserRef = None) -> int:
        """Create a forum topic and return its message_thread_id."""
        return self.users.create_topic(chat, name, creator)

    def make_admin(self, chat: ChatRef, user: FakeUser | int, *, owner: bool = False) -> None:
        """The user becomes an administrator (or, with owner=True, the creator) of a group."""
        group = self.users.chat(chat)
        if group.type == "private":
            raise ValueError(f"chat {group.id} is private: only groups have admins")
        user_id = user if isinstance(user, int) else self.state.add_user(user).id
        self.state.member_statuses[(group.id, user_id)] = "creator" if owner else "administrator"

    def block_bot(self, user: FakeUser | int) -> None:
        """The user blocks the bot: sends to the private chat answer 403."""
        self.state.blocked_by.add(user if isinstance(user, int) else user.id)

    # -- user actions (each queues an update) ----------------------------------------------------

    def send_text(
        self,
        chat: ChatRef,
        user: UserRef,
        text: str,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A user writes; /command and /command@bot get bot_command entities. Returns the Message."""
        return self.users.send_text(chat, user, text, reply_to=reply_to, thread_id=thread_id)

    def send_photo(
        self,
        chat: ChatRef,
        user: UserRef,
        image_bytes: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a photo, stored in Telegram's sizes (the largest keeps the original bytes)."""
        return self.users.send_photo(
            chat,
            user,
            image_bytes,
            caption=caption,
            media_group_id=media_group_id,
            thread_id=thread_id,
            reply_to=reply_to,
        )

    def send_document(
        self,
        chat: ChatRef,
        user: UserRef,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a document."""
        return self.users.send_document(
            chat, user, data, file_name, mime_type, caption=caption, thread_id=thread_id, reply_to=reply_to
        )

    def send_sticker(
        self,
        chat: ChatRef,
        user: UserRef,
        *,
        emoji: str = "\N{THUMBS UP SIGN}",
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a sticker."""
        return self.users.send_sticker(chat, user, emoji=emoji, thread_id=thread_id, reply_to=reply_to)

    def press_button(
        self, chat: ChatRef, user: UserRef, message_id: int, callback_data: str
    ) -> dict[str, Any]:
        """A user presses an existing inline button; returns the CallbackQuery."""
        return self.users.press_button(chat, user, message_id, callback_data)

    def press_crafted_button(
        self, chat: ChatRef, user: UserRef, message_id: int, callback_data: str
    ) -> dict[str, Any]:
        """A forged press: any callback data on an existing message; returns the CallbackQuery."""
        return self.users.press_crafted_button(chat, user, message_id, callback_data)

    def bot_membership(self, chat: ChatRef, user: UserRef, old: str, new: str) -> dict[str, Any]:
        """The bot added to a chat ("left" -> "member") or removed from it; returns ChatMemberUpdated."""
        return self.users.bot_membership(chat, user, old, new)["my_chat_member"]  # type: ignore[no-any-return]

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw Update dict (update_id assigned when missing)."""
        return self.users.push_update(update)

    # -- payments in Telegram Stars ----------------------------------------------------------------

    def invoices(self, chat: ChatRef) -> list[Invoice]:
        """Invoices the bot sent to the chat, oldest first."""
        chat_id = _chat_id(chat)
        return [
            invoice for (cid, _), invoice in sorted(self.payments.records.invoices.items()) if cid == chat_id
        ]

    def pay_invoice(self, chat: FakeChat, message_id: int, user: FakeUser | None = None) -> dict[str, Any]:
        """The buyer (the private chat's user by default) presses Pay: returns the PreCheckoutQuery."""
        buyer = user or chat.user
        if buyer is None:
            raise ValueError("pass the user who pays")
        return self.payments.pay_invoice(chat, buyer, message_id)

    def checkout(
        self, user: FakeUser, *, payload: str, total_amount: int, currency: str = "XTR"
    ) -> dict[str, Any]:
        """A pre_checkout_query with any payload (a forged or edited invoice)."""
        return self.payments.checkout(user, payload=payload, total_amount=total_amount, currency=currency)

    def checkout_state(self, query_id: str) -> Checkout:
        """A pre-checkout query and the bot's answer."""
        return self.payments.records.checkouts[query_id]

    def complete_payment(self, query_id: str) -> dict[str, Any]:
        """Telegram takes the Stars of an approved checkout; returns the successful_payment update."""
        return self.payments.complete(query_id)

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue the same update again (Telegram does this when the bot did not confirm it)."""
        return self.payments.redeliver(update)

    def charge(self, charge_id: str) -> Charge:
        """A completed Stars payment (refunded or not)."""
        return self.payments.records.charges[charge_id]

    # -- faults and flood control ----------------------------------------------------------------

    def inject(
        self,
        method: str = ANY_METHOD,
        *,
        error_code: int = 429,
        retry_after: int | None = 1,
        count: Count = UNSET,
        for_seconds: float | None = None,
        description: str | None = None,
    ) -> Fault:
        """Calls of `method` fail with `error_code` (429 carries retry_after).

        The next call by default; with for_seconds every call for that long; an explicit count caps
        either (None: every call, forever).
        """
        error = injected_error(error_code, retry_after, description)
        fault = Fault("error", method, planned_count(count, for_seconds), error=error)
        return self.faults.add(fault, for_seconds=for_seconds)

    def inject_disconnect(
        self,
        method: str = ANY_METHOD,
        *,
        count: Count = UNSET,
        for_seconds: float | None = None,
        after_execute: bool = False,
    ) -> Fault:
        """Drop the connection without answering; with after_execute the method runs first.

        Counts and windows as in inject().
        """
        fault = Fault("disconnect", method, planned_count(count, for_seconds), after_execute=after_execute)
        return self.faults.add(fault, for_seconds=for_seconds)

    def inject_delay(
        self,
        method: str,
        seconds: float,
        *,
        count: int | None = None,
        for_seconds: float | None = None,
        after_execute: bool = False,
    ) -> Fault:
        """Answer `method` calls `seconds` late (every call unless count or for_seconds limits it).

        With after_execute the method runs at once (the message is in the chat) and only the answer is late.
        """
        fault = Fault("delay", method, count, seconds=seconds, after_execute=after_execute)
        return self.faults.add(fault, for_seconds=for_seconds)

    def inject_hang(
        self,
        method: str = ANY_METHOD,
        *,
        count: Count = UNSET,
        for_seconds: float | None = None,
        after_execute: bool = True,
    ) -> Fault:
        """Never answer: the connection stays open until the client gives up (or the fake stops).

        With after_execute (the default) the method runs first, so the message exists although the client
        never learns it; counts and windows as in inject().
        """
        fault = Fault("hang", method, planned_count(count, for_seconds), after_execute=after_execute)
        return self.faults.add(fault, for_seconds=for_seconds)

    def clear_faults(self) -> None:
        """Forget every planned fault."""
        self.faults.clear()

    @property
    def flood_limits(self) -> FloodLimits:
        """The flood limits in force."""
        return self.flood.limits

    def set_flood_limits(self, limits: FloodLimits) -> None:
        """Replace the flood limits (FloodLimits.off() disables flood control)."""
        self.flood.configure(limits)

    # -- observation -----------------------------------------------------------------------------

    @property
    def calls(self) -> list[CallRecord]:
        """Every request answered so far, in order."""
        return list(self.call_log.records)

    def calls_to(self, method: str) -> list[CallRecord]:
        """Requests for one method."""
        return [record for record in self.call_log.records if record.method.lower() == method.lower()]

    async def wait_for(self, match: CallMatch, *, timeout: float = 10.0, start: int = 0) -> CallRecord:
        """The first call (from index `start`) matching a method name or predicate, waiting if needed."""
        return await self.call_log.wait_for(match, timeout=timeout, start=start)

    def messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Current state of the chat's messages, oldest first."""
        return self.state.messages(_chat_id(chat), include_deleted=include_deleted)

    def message(self, chat: ChatRef, message_id: int) -> StoredMessage | None:
        """One message's current state (deleted ones too)."""
        return self.state.message(_chat_id(chat), message_id)

    def bot_messages_in(self, chat: ChatRef) -> list[StoredMessage]:
        """Messages the bot sent to the chat and has not deleted."""
        return [message for message in self.messages(chat) if message.from_bot]

    def videos_sent(self, chat: ChatRef) -> list[StoredMessage]:
        """The bot's video messages in the chat."""
        return [message for message in self.bot_messages_in(chat) if message.kind == "video"]

    def chat_actions(self, chat: ChatRef) -> list[ChatActionRecord]:
        """sendChatAction calls for the chat."""
        return [action for action in self.state.chat_actions if action.chat_id == _chat_id(chat)]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for a pressed button (None while unanswered)."""
        query: CallbackQueryState | None = self.state.callback_queries.get(query_id)
        return None if query is None else query.answer

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        """The commands set with setMyCommands for a scope and language."""
        return list(self.state.commands.get(self.state.commands_key(scope, language_code), []))

    def description(self, name: str, language_code: str = "") -> str | None:
        """The profile text set with setMyDescription ("description") or setMyShortDescription."""
        return self.state.descriptions.get((name, language_code))

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file."""
        return self.state.files[file_id].data

    def stats(self) -> ApiStats:
        """Calls per method and status, 429 count, unimplemented methods, uploaded bytes."""
        return self.call_log.stats()


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.id


def _quiet_log(handler: tornado.web.RequestHandler) -> None:
    """Log requests at DEBUG without the URL: Bot API URLs contain the token."""
    logger.debug("%s %s", handler.get_status(), handler.request.method)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the fake Telegram Bot API server.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="veo_test_bot")
    parser.add_argument("--spec", type=Path, default=None, help="path to telegram-bot-api api.json")
    parser.add_argument("--no-flood", action="store_true", help="disable flood control")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="flood windows x this (0.1 = 10x faster)"
    )
    parser.add_argument("--upload-limit-mb", type=float, default=50.0)
    parser.add_argument("--no-privacy", action="store_true", help="bot sees every group message")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    flood = FloodLimits(enabled=not args.no_flood, time_scale=args.time_scale)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with FakeBotAPI(
        args.token,
        bot_username=args.bot_username,
        port=args.port,
        spec_path=args.spec,
        flood=flood,
        upload_limit=int(args.upload_limit_mb * MB),
        privacy_mode=not args.no_privacy,
    ) as api:
        sys.stdout.write(api.root + "\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `python -m tests.fakes.bot_api`."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
