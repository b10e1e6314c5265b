"""A reverse proxy in front of the fake gateway that can leave chosen requests unanswered (real timeouts)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web

_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive", "host"})


@dataclass
class _Hang:
    method: str
    path_prefix: str
    path_suffix: str
    body_contains: bytes
    remaining: int


class GatewayProxy:
    """Forwards to `upstream_root` (buffered, so not for streams) except the requests it was told to hang."""

    def __init__(self, upstream_root: str) -> None:
        self.upstream_root = upstream_root.rstrip("/")
        self._hangs: list[_Hang] = []
        self.seen: list[tuple[str, str, bytes]] = []
        self.hung: list[tuple[str, str, bytes]] = []
        self.released = asyncio.Event()
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    async def __aenter__(self) -> Self:
        app = tornado.web.Application([(r"/(.*)", _ProxyHandler, {"proxy": self})])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.released.set()
        if self._server is not None:
            self._server.stop()
            await asyncio.wait_for(self._server.close_all_connections(), 5)
        await self.client.aclose()

    @property
    def base_url(self) -> str:
        """The API root to give the bot instead of the gateway's."""
        return f"http://127.0.0.1:{self.port}/v1"

    def hang(
        self, method: str, path_prefix: str, *, path_suffix: str = "", body_contains: str = "", count: int = 1
    ) -> None:
        """Leave the next `count` matching requests without an answer (until the client gives up)."""
        self._hangs.append(_Hang(method.upper(), path_prefix, path_suffix, body_contains.encode(), count))

    def take_hang(self, method: str, path: str, body: bytes) -> bool:
        """True (and one use consumed) when this request should hang."""
        for hang in self._hangs:
            if (
                hang.remaining > 0
                and hang.method == method
                and path.startswith(hang.path_prefix)
                and path.endswith(hang.path_suffix)
                and hang.body_contains in body
            ):
                hang.remaining -= 1
                return True
        return False

    def seen_to(
        self, method: str, path_prefix: str, *, path_suffix: str = "", body_contains: str = ""
    ) -> int:
        """How many requests (hung ones included) matched method, path and body."""
        return sum(
            1
            for seen_method, path, body in self.seen
            if seen_method == method
            and path.startswith(path_prefix)
            and path.endswith(path_suffix)
            and body_contains.encode() in body
        )


class _ProxyHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    def initialize(self, proxy: GatewayProxy) -> None:
        self.proxy = proxy
        self.gone = asyncio.Event()

    def on_connection_close(self) -> None:
        self.gone.set()

    async def get(self, _path: str) -> None:
        request = self.request
        method, path = request.method or "GET", request.path
        self.proxy.seen.append((method, path, request.body))
        if self.proxy.take_hang(method, path, request.body):
            self.proxy.hung.append((method, path, request.body))
            waiters = [
                asyncio.ensure_future(self.gone.wait()),
                asyncio.ensure_future(self.proxy.released.wait()),
            ]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            with contextlib.suppress(Exception):
                self.request.connection.close()  # type: ignore[union-attr]
            return
        headers = {
            name: value for name, value in request.headers.get_all() if name.lower() not in _HOP_BY_HOP
        }
        upstream = await self.proxy.client.request(
            method, self.proxy.upstream_root + request.uri, headers=headers, content=request.body
        )
        self.set_status(upstream.status_code)
        for name, value in upstream.headers.multi_items():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-encoding":
                self.add_header(name, value)
        self.finish(upstream.content)

    post = get
