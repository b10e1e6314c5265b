"""Webhook server: path, secret and size checked on the headers, the body capped, bad bodies answered 400.

A refused request's body is never kept: a large one is not read at all, a small one is read and dropped
so the sender gets the answer (closing on unread data would reset the connection instead).

PTB's own webhook server reads bodies of up to 100 MB before it checks the secret and answers malformed JSON
with 500. `WebhookUpdater` replaces only that server; PTB's `Application.run_webhook` still owns the
lifecycle (initialize, post_init, start, idle until a stop signal, stop, post_stop, shutdown, post_shutdown).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from http import HTTPStatus
from types import TracebackType
from typing import Any

import tornado.httputil
import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot, Updater
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer

from bot.constants import MAX_UPDATE_BYTES

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def _small_body(request: tornado.httputil.HTTPServerRequest) -> bool:
    """True when the request declares a body within the cap (or none)."""
    length = request.headers.get("Content-Length", "0")
    return length.isascii() and length.isdecimal() and int(length) <= MAX_UPDATE_BYTES


@tornado.web.stream_request_body
class _Refuse(tornado.web.RequestHandler):
    """Answers every request to an unknown path 404; a small body is read and dropped first (see
    `UpdateHandler.prepare`), a large one never."""

    def prepare(self) -> None:
        if self.request.method in ("GET", "HEAD") or not _small_body(self.request):
            raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND)

    def data_received(self, chunk: bytes) -> None:
        """Dropped."""

    def post(self, *args: str) -> None:
        raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND)

    put = patch = delete = options = post

    def log_exception(self, *args: Any) -> None:
        """Refusals are expected: no log line."""


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POST /telegram: secret and size are checked on the headers; the body streams into a capped buffer."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, receiver: UpdateReceiver) -> None:
        self.receiver = receiver
        self.chunks: list[bytes] = []
        self.size = 0
        self.forbidden = False

    def prepare(self) -> None:
        secret = self.receiver.secret_token
        if secret is not None:
            given = self.request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                if not _small_body(self.request):
                    raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
                # A small body is read (and dropped) before the answer: closing a connection with unread
                # data resets it, and the sender would never see the 403.
                self.forbidden = True
        length = self.request.headers.get("Content-Length", "0")
        if not _small_body(self.request):
            logger.warning("Webhook refused a body of %s bytes (cap %d)", length[:20], MAX_UPDATE_BYTES)
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        # Chunked bodies have no Content-Length: data_received answers 413 past the cap; tornado's own limit
        # (a bare 400 and a closed connection) stays as a backstop above it.
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(2 * MAX_UPDATE_BYTES)

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > MAX_UPDATE_BYTES:
            if not self._finished:
                if not self.forbidden:
                    logger.warning("Webhook refused a body of over %d bytes", MAX_UPDATE_BYTES)
                self.set_status(
                    HTTPStatus.FORBIDDEN if self.forbidden else HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                )
                self.finish()
            return
        if not self.forbidden:
            self.chunks.append(chunk)

    async def post(self) -> None:
        if self.forbidden:
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            data = json.loads(b"".join(self.chunks).decode("utf-8"))
            update = Update.de_json(data, self.receiver.bot)
        except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as err:
            # Never the body: it may hold a user's message. One line, no traceback.
            logger.warning("Webhook refused a malformed update (%d bytes): %s", self.size, type(err).__name__)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if update is None or not isinstance(data, dict):
            logger.warning("Webhook refused a malformed update (%d bytes): not an object", self.size)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
        await self.receiver.put(update)

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Refusals are logged above (or not at all); only our own bugs get a traceback."""
        if value is not None and not isinstance(value, tornado.web.HTTPError):
            logger.error("Webhook handler failed", exc_info=(typ, value, tb))  # type: ignore[arg-type]


class UpdateReceiver:
    """What the handler needs: the bot (to build updates), the secret and PTB's update queue."""

    def __init__(self, bot: Bot, queue: asyncio.Queue[object], secret_token: str | None) -> None:
        self.bot = bot
        self.queue = queue
        self.secret_token = secret_token

    async def put(self, update: Update) -> None:
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        await self.queue.put(update)


class WebhookUpdater(Updater):
    """PTB's Updater with the capped server above; plain HTTP on listen:port (TLS ends at the proxy)."""

    __slots__ = ("_server",)

    def __init__(self, bot: Bot, update_queue: asyncio.Queue[object]) -> None:
        super().__init__(bot=bot, update_queue=update_queue)
        self._server: HTTPServer | None = None

    async def start_webhook(  # type: ignore[override]
        self,
        listen: str,
        port: int,
        url_path: str = "",
        cert: None = None,
        key: None = None,
        bootstrap_retries: int = 0,
        webhook_url: str | None = None,
        allowed_updates: Any = None,
        drop_pending_updates: bool | None = None,
        ip_address: str | None = None,
        max_connections: int = 40,
        secret_token: str | None = None,
        unix: None = None,
    ) -> asyncio.Queue[object]:
        """Register the webhook with Telegram (retried like PTB does), then listen."""
        if self.running:
            raise RuntimeError("This Updater is already running!")
        receiver = UpdateReceiver(self.bot, self.update_queue, secret_token)
        path = "/" + url_path.strip("/")
        app = tornado.web.Application(
            [(rf"{path}/?", UpdateHandler, {"receiver": receiver})], default_handler_class=_Refuse
        )
        app.log_request = lambda handler: None  # type: ignore[method-assign]
        await self._bootstrap(
            max_retries=bootstrap_retries,
            webhook_url=webhook_url,
            allowed_updates=allowed_updates,
            drop_pending_updates=drop_pending_updates,
            ip_address=ip_address,
            max_connections=max_connections,
            secret_token=secret_token,
        )
        self._server = HTTPServer(app, max_body_size=MAX_UPDATE_BYTES)
        self._server.listen(port, address=listen)
        self._running = True
        return self.update_queue

    async def stop(self) -> None:
        """Stop listening and close open connections (the webhook stays registered, as with PTB)."""
        if not self.running:
            raise RuntimeError("This Updater is not running!")
        self._running = False
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
