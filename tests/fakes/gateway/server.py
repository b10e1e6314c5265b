"""The FakeGateway object (ports, records, faults) and its process mode."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from tests.fakes.gateway.chat import _ChatHandler
from tests.fakes.gateway.handlers import _ContentHandler, _FileHandler, _NotFoundHandler, _TaskHandler
from tests.fakes.gateway.tasks import (
    _MARKER,
    ALL_FAULTS,
    OUTCOME_FAULTS,
    FakeStats,
    FakeTask,
    RecordedRequest,
    _Fault,
    _ServedFile,
)
from tests.fakes.gateway.videos import _CreateVideoHandler
from tests.fakes.media import make_mp4

# --------------------------------------------------------------------------------------------- gateway


class FakeGateway:
    """The fake gateway: start with `async with`, inspect `requests`/`stats`, steer with `inject`."""

    def __init__(
        self,
        *,
        api_key: str = "sk-test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        generation_seconds: float = 0.3,
        video_bytes: int = 0,
        content_delay_seconds: float = 0.3,
        slow_factor: float = 10.0,
        huge_bytes: int = 600 * 1024 * 1024,
        retry_after: str = "1",
        progress_steps: int = 6,
        clock: Callable[[], float] = time.monotonic,
        video_fps: int = 2,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.generation_seconds = generation_seconds
        self.video_bytes = video_bytes
        self.content_delay_seconds = content_delay_seconds
        self.slow_factor = slow_factor
        self.huge_bytes = huge_bytes
        self.retry_after = retry_after
        self.progress_steps = progress_steps
        self.clock = clock
        self.video_fps = video_fps
        self.requests: list[RecordedRequest] = []
        self.stats = FakeStats()
        self.tasks: dict[str, FakeTask] = {}
        self.cdn_port = 0
        self._faults: list[_Fault] = []
        self._marker_uses: dict[tuple[str, str], int] = {}
        self._files: dict[str, _ServedFile] = {}
        self._videos: dict[tuple[int, int, int, int], asyncio.Future[Path]] = {}
        self._video_data: dict[Path, bytes] = {}
        self._server: tornado.httpserver.HTTPServer | None = None
        self._folder: Path | None = None
        self._stopping = asyncio.Event()

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """The API root, ending in /v1 (what the client is configured with)."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def cdn_url(self) -> str:
        """Where result files are served: another origin than the API."""
        return f"http://{self.host}:{self.cdn_port}"

    async def start(self) -> FakeGateway:
        """Bind the API and CDN ports and start serving."""
        self._stopping = asyncio.Event()
        self._folder = Path(tempfile.mkdtemp(prefix="fake-gateway-"))
        args = {"gateway": self}
        app = tornado.web.Application(
            [
                (r"/v1/chat/completions", _ChatHandler, args),
                (r"/v1/videos", _CreateVideoHandler, args),
                (r"/v1/videos/([^/]+)", _TaskHandler, args),
                (r"/v1/videos/([^/]+)/content", _ContentHandler, args),
                (r"/files/([^/]+)", _FileHandler, args),
            ],
            default_handler_class=_NotFoundHandler,
            default_handler_args=args,
            log_function=lambda handler: None,
        )
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=64 * 1024 * 1024)
        api = tornado.netutil.bind_sockets(self.port, self.host, backlog=2048)
        cdn = tornado.netutil.bind_sockets(0, self.host, backlog=2048)
        self._server.add_sockets(api + cdn)
        self.port = api[0].getsockname()[1]
        self.cdn_port = cdn[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close every connection, stop the streams, remove the video files."""
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.close_all_connections(), timeout=5)
            self._server = None
        for future in self._videos.values():
            future.cancel()
        self._videos.clear()
        self._video_data.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    async def __aenter__(self) -> FakeGateway:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- steering and inspection

    def inject(
        self,
        fault: str,
        *,
        count: int = 1,
        path_prefix: str = "/",
        method: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Apply `fault` to the next `count` requests whose path starts with path_prefix (and method)."""
        if fault not in ALL_FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {sorted(ALL_FAULTS)}")
        self._faults.append(
            _Fault(
                fault, count, path_prefix, method.upper() if method else None, retry_after or self.retry_after
            )
        )

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path starts with path_prefix (and whose method matches)."""
        return [
            r
            for r in self.requests
            if r.path.startswith(path_prefix) and (method is None or r.method == method.upper())
        ]

    async def prepare_video(self, *, width: int, height: int, seconds: int) -> Path:
        """Make (once) the MP4 served for this size and length; later calls reuse the file."""
        key = (width, height, seconds, self.video_bytes)
        future = self._videos.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            assert self._folder is not None, "start the gateway first"
            path = self._folder / f"{width}x{height}_{seconds}s_{self.video_bytes}.mp4"
            future = loop.run_in_executor(
                None,
                functools.partial(
                    make_mp4,
                    path,
                    width=width,
                    height=height,
                    seconds=seconds,
                    fps=self.video_fps,
                    pad_to_bytes=self.video_bytes,
                ),
            )
            self._videos[key] = future
        return await asyncio.shield(future)

    async def video_data(self, path: Path) -> bytes:
        """The bytes of a prepared video, read once and shared by every download of it."""
        data = self._video_data.get(path)
        if data is None:
            data = self._video_data[path] = await asyncio.to_thread(path.read_bytes)
        return data

    # ---------------------------------------------------------------- internals used by handlers

    def _take_fault(self, names: frozenset[str], method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if (
                fault.name in names
                and fault.remaining > 0
                and path.startswith(fault.path_prefix)
                and (fault.method is None or fault.method == method)
            ):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _markers(self, prompt: str, names: frozenset[str]) -> set[str]:
        """The markers of `names` active for this request (counting uses of `#name:N`)."""
        active: set[str] = set()
        for match in _MARKER.finditer(prompt):
            name, limit = match.group(1), match.group(2)
            if name not in names:
                continue
            if limit is None:
                active.add(name)
                continue
            uses = self._marker_uses.get((prompt, name), 0)
            self._marker_uses[(prompt, name)] = uses + 1
            if uses < int(limit):
                active.add(name)
        return active

    def _outcome(self, prompt: str, method: str, path: str) -> str | None:
        injected = self._take_fault(OUTCOME_FAULTS, method, path)
        if injected is not None:
            return injected.name
        active = self._markers(prompt, OUTCOME_FAULTS)
        return next((name for name in ("policy", "audio", "fail") if name in active), None)

    def _generation_time(self, prompt: str, method: str, path: str) -> float:
        slow = self._take_fault(frozenset({"slow"}), method, path) is not None
        slow = slow or bool(self._markers(prompt, frozenset({"slow"})))
        return self.generation_seconds * (self.slow_factor if slow else 1.0)

    def _register_file(self, name: str, served: _ServedFile) -> str:
        self._files[name] = served
        return f"{self.cdn_url}/files/{name}"

    def _settle(self, task: FakeTask) -> None:
        if task.settled:
            return
        task.settled = True
        if task.outcome is None:
            self.stats.completed += 1
        else:
            self.stats.failed += 1


# --------------------------------------------------------------------------------------------- process mode


async def _serve(args: argparse.Namespace) -> None:
    gateway = FakeGateway(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        generation_seconds=args.generation_seconds,
        video_bytes=args.video_bytes,
        content_delay_seconds=args.content_delay,
    )
    async with gateway:
        print(gateway.base_url, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the fake gateway as a process until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="sk-test-key")
    parser.add_argument("--generation-seconds", type=float, default=2.0)
    parser.add_argument("--video-bytes", type=int, default=0)
    parser.add_argument("--content-delay", type=float, default=0.3)
    asyncio.run(_serve(parser.parse_args(argv)))
