"""A fake Telegram Bot API server, checked against the official spec, for end-to-end tests and benchmarks.

In-process (binds 127.0.0.1 on a free port; everything stops at context exit)::

    async with FakeBotAPI(token="123456:TEST-TOKEN") as api:
        bot = Bot(token, base_url=api.base_url, base_file_url=api.base_file_url)
        chat = api.users.private_chat(user_id=1001, first_name="Alice")
        api.users.send_text(chat, None, "/video a cat")    # user is chat.user in private chats
        call = await api.calls.wait_for("sendVideo", timeout=10)

As a process for a benchmark (see __main__.py and control.py)::

    python -m tests.fakes.bot_api --port 0 [--no-flood] [--time-scale 0.1] [--no-privacy]

Tests talk to the part that owns a behaviour:
- `api.users` (control.py): create users, chats, topics and admins; write, send media, press buttons;
- `api.state` (state.py): what Telegram remembers: messages, videos_sent, callback answers, commands;
- `api.calls` (server.py): every request in order; `calls.to(method)`, `calls.wait_for(match, start=)`
  (the first matching call from index `start`: 0 means calls already made count too), `calls.stats()`
  (calls per method and status, 429s per chat, unimplemented methods, uploaded bytes);
- `api.faults` (faults.py): inject errors, disconnects, delays, hangs; `go_down(N)` / `come_up()`;
- `api.flood` (limits.py): Telegram's flood control, on by default; `flood.configure(FloodLimits.off())`;
- `api.payments` (methods.py): Telegram Stars: `pay_invoice`, `checkout`, `complete`, `charge`;
- `api.queue` (state.py): pending updates; `queue.redeliver(update)` sends one again.

Behaviour worth knowing: every call is checked against telegram-bot-api/api.json (rules.py): unknown
method 404, missing/unknown/mistyped parameter 400 (nested objects too); implemented-but-not-faked methods
answer 501 and show in calls.stats(); HTML parse mode follows tdlib's parser; MarkdownV2 answers 400;
photos are stored in Telegram's sizes (the largest keeps the original bytes); every 429 answers
`parameters.retry_after`; call records carry `retry_after` and `chat_id` (the chat the call concerned,
@usernames resolved).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import tornado.web

from tests.fakes.bot_api.control import ControlHandler, UserActions
from tests.fakes.bot_api.faults import ANY_METHOD, FaultPlan
from tests.fakes.bot_api.limits import FloodControl, FloodLimits
from tests.fakes.bot_api.methods import MethodTable, WebhookDelivery
from tests.fakes.bot_api.rules import BotApiSpec
from tests.fakes.bot_api.server import (
    ApiCore,
    ApiStats,
    CallLog,
    CallRecord,
    Listener,
    bot_api_routes,
    quiet_log,
)
from tests.fakes.bot_api.state import (
    MB,
    BotState,
    FakeChat,
    FakeUser,
    FileLimits,
    FileResolver,
    StoredMessage,
    UpdateQueue,
)

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
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.bot_user = FakeUser(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        self.state = BotState(bot=self.bot_user)
        self.queue = UpdateQueue()
        self.webhook = WebhookDelivery(self.queue, retry_delay=webhook_retry_delay)
        files = FileResolver(
            self.state, FileLimits(upload=upload_limit, photo=photo_limit, download=download_limit)
        )
        self.flood = FloodControl(flood or FloodLimits(), clock)
        self.calls = CallLog(clock)
        self.users = UserActions(self.state, self.queue, files, privacy_mode=privacy_mode)
        methods = MethodTable(
            state=self.state,
            queue=self.queue,
            webhook=self.webhook,
            files=files,
            clock=clock,
            privacy_mode=privacy_mode,
        )
        self.payments = methods.payments
        self._listener = Listener(host=host, port=port, body_limit=max(4 * upload_limit, 256 * MB))
        self.faults = FaultPlan(outage=self._listener)
        self._core = ApiCore(
            token=token,
            spec=BotApiSpec(spec_path),
            state=self.state,
            methods=methods,
            flood=self.flood,
            faults=self.faults,
            calls=self.calls,
            upload_limit=upload_limit,
        )
        self._root = ""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind 127.0.0.1 (port 0 picks a free port) and serve."""
        routes = [*bot_api_routes(self._core), (r"/_control/([a-z_]+)", ControlHandler, {"api": self})]
        self._listener.start(tornado.web.Application(routes, log_function=quiet_log))
        self._root = f"http://{self._host}:{self._listener.port}"

    async def stop(self) -> None:
        """Release pending long polls and hung requests, stop webhook delivery, close every connection."""
        self.queue.close()
        self.faults.release()
        await self.webhook.stop()
        if not self._root:
            return
        await asyncio.sleep(0)  # let released polls write their answers
        await self._listener.stop()

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
