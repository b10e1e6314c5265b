"""The fake's HTTP listener on 127.0.0.1, and outages: the port refuses connections, then serves again.

During an outage the listening socket is closed and open connections are cut; the port stays bound by a
socket that does not listen, so connection attempts are refused (ECONNREFUSED) and no other process can
take the port; coming back up makes that same socket listen again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import tornado.httpserver
import tornado.netutil
import tornado.web

logger = logging.getLogger(__name__)

_SHUTDOWN_TIMEOUT = 5.0
_BACKLOG = 128


class Listener:
    """Owns the tornado HTTPServer and the port, and takes them down and up again."""

    def __init__(self, app: tornado.web.Application, *, host: str, port: int, body_limit: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._body_limit = body_limit
        self._server: tornado.httpserver.HTTPServer | None = None
        self._reserved: socket.socket | None = None  # bound, not listening, while down
        self._comeback: asyncio.Task[None] | None = None
        self._up = asyncio.Event()

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        return self._port

    @property
    def is_down(self) -> bool:
        """True during an outage."""
        return self._reserved is not None

    def start(self) -> None:
        """Bind host:port (0 picks a free port) and serve."""
        sockets = tornado.netutil.bind_sockets(self._port, self._host, family=socket.AF_INET)
        self._port = sockets[0].getsockname()[1]
        self._serve(sockets[0])

    async def go_down(self, seconds: float | None) -> None:
        """Refuse every connection for `seconds` (None: until come_up), cutting open connections."""
        if self._server is None and self._reserved is None:
            raise RuntimeError("the fake Bot API is not running")
        if self._comeback is not None:
            self._comeback.cancel()
            self._comeback = None
        if self._reserved is None:
            server, self._server = self._server, None
            assert server is not None
            server.stop()  # closes the listening socket
            self._reserved = _reserve(self._host, self._port)
            self._up.clear()
            await _close_connections(server)
        if seconds is not None:
            self._comeback = asyncio.create_task(self._come_up_after(seconds), name="fake-bot-api-comeback")

    async def come_up(self) -> None:
        """End an outage now (a no-op when up)."""
        if self._comeback is not None and self._comeback is not asyncio.current_task():
            self._comeback.cancel()
        self._comeback = None
        reserved, self._reserved = self._reserved, None
        if reserved is not None:
            reserved.listen(_BACKLOG)
            reserved.setblocking(False)
            self._serve(reserved)

    async def wait_up(self, timeout: float) -> None:
        """Wait until the listener serves again."""
        await asyncio.wait_for(self._up.wait(), timeout)

    async def stop(self) -> None:
        """Stop listening, cancel a planned comeback, close every connection."""
        if self._comeback is not None:
            self._comeback.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._comeback
            self._comeback = None
        reserved, self._reserved = self._reserved, None
        if reserved is not None:
            reserved.close()
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            await _close_connections(server)

    def _serve(self, sock: socket.socket) -> None:
        # a fresh server each time: a stopped tornado server cannot be restarted
        self._server = tornado.httpserver.HTTPServer(
            self._app, max_body_size=self._body_limit, max_buffer_size=self._body_limit
        )
        self._server.add_sockets([sock])
        self._up.set()

    async def _come_up_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.come_up()


def _reserve(host: str, port: int) -> socket.socket:
    """Bind the port without listening: connections are refused and the port stays ours."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def _close_connections(server: tornado.httpserver.HTTPServer) -> None:
    try:
        await asyncio.wait_for(server.close_all_connections(), _SHUTDOWN_TIMEOUT)
    except TimeoutError:
        logger.warning("fake Bot API connections did not close within %ss", _SHUTDOWN_TIMEOUT)
