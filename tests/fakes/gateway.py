"""A fake APIYI VEO 3.1 gateway over real loopback HTTP, reproducing /work/shared/apiyi-docs.

In-process::

    async with FakeGateway(api_key="sk-test-key", generation_seconds=0.2) as gw:
        gw.base_url          # "http://127.0.0.1:<port>/v1"
        gw.requests          # every request received (method, path, headers, JSON, form, files)

As a process (prints its base URL as the first line of stdout, stops on SIGTERM or SIGINT)::

    python -m tests.fakes.gateway --port 0 --generation-seconds 2 --video-bytes 5000000

What it serves (see the docs for the real thing):
- POST /v1/chat/completions: the Reverse sync stream (`> 🏃 Progress: 45.0%`, one
  `> ✅ Video i complete, [click here](URL) to view~~~` per video, `data: [DONE]`), with the documented 400s.
- POST /v1/videos (JSON or multipart), GET /v1/videos/{id}, GET /v1/videos/{id}/content for both channels:
  Reverse ids `video_...`, progress as "NN%", /content answers JSON with a `url`; Official ids `task_...` with
  `id` and `task_id`, statuses queued/in_progress/completed, progress 0/50/100, /content streams the MP4 and
  answers 400 for `content_delay_seconds` after completion.
- GET /files/<name>.mp4 on a second port (another origin, like the real CDN), no auth needed.
Task progress follows the injectable `clock`; streams pace themselves in real time over `generation_seconds`.

Prompt markers (anywhere in the prompt). `#name:N` applies the fault only to the first N requests that carry
that exact prompt (so `#500:1` fails once and then succeeds); without `:N` it applies every time.
    #policy    generation fails with PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED (`❌` line / failed task)
    #audio     generation fails with PUBLIC_ERROR_AUDIO_FILTERED
    #fail      generation fails without a content-policy reason
    #400 #401 #403 #404 #429 #500 #502 #503   the submit answers that status (429 carries Retry-After)
    #drop      the submit's connection is closed without an answer
    #cut       the stream is closed abruptly mid-way, before any URL
    #nourl     the stream ends normally ([DONE]) without any URL
    #stall     the stream goes silent after the first progress line (connection kept open)
    #longline  mid-way the stream sends one `data:` line of LONG_LINE_BYTES (2 MiB) with no line break
    #slow      generation takes `slow_factor` times longer
    #huge      the video is served with a Content-Length of `huge_bytes` (bigger than the client's cap)
    #truncate  the video is served with its full Content-Length but the connection closes half-way
    #chunked   the video is served without a Content-Length
    #reasoning the stream puts its text in `delta.reasoning_content`
    #videotag  the stream announces videos as `<video src='URL'>` instead of markdown links
    #split     the stream splits its text (and its bytes) at awkward places
    #json      stream=true is ignored: one whole chat.completion JSON arrives after the generation

Programmable faults: `gw.inject(fault, count=1, path_prefix="/v1/videos/", method="GET")` applies `fault` (a
marker name without `#`, e.g. "502", "429", "drop", "cut", "truncate") to the next `count` matching requests.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import functools
import json
import re
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from bot.gateway.catalog import MODELS, Channel, ModelSpec, Orientation
from tests.fakes.media import make_mp4

POLICY_REASON = "PUBLIC_ERROR_PROMINENT_PEOPLE_FILTER_FAILED"
AUDIO_REASON = "PUBLIC_ERROR_AUDIO_FILTERED"
FAIL_REASON = "upstream capacity exhausted, generation failed"
LONG_LINE_BYTES = 2 * 1024 * 1024

STATUS_FAULTS = frozenset({"400", "401", "403", "404", "429", "500", "502", "503", "drop"})
OUTCOME_FAULTS = frozenset({"policy", "audio", "fail"})
STREAM_FAULTS = frozenset({"cut", "nourl", "stall", "longline"})
FILE_FAULTS = frozenset({"huge", "truncate", "chunked"})
STYLE_MARKERS = frozenset({"reasoning", "videotag", "split", "json"})
ALL_FAULTS = STATUS_FAULTS | OUTCOME_FAULTS | STREAM_FAULTS | FILE_FAULTS | STYLE_MARKERS | {"slow"}

# From the docs, not from bot.gateway.catalog: the fake is the oracle the client is checked against.
DOCUMENTED_SIZES = {"1280x720", "720x1280", "1920x1080", "1080x1920", "3840x2160", "2160x3840"}
_SIZE_RESOLUTION = {"720": "720p", "1080": "1080p", "2160": "4k"}
_MARKER = re.compile(r"#([a-z0-9]+)(?::(\d+))?")
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+);base64,(.*)$", re.DOTALL)
_CHUNK = 256 * 1024
_STATUS_TEXT = {
    400: ("invalid_request", "invalid_request_error", "Invalid request parameters"),
    401: ("invalid_api_key", "authentication_error", "Invalid API key provided"),
    403: ("content_policy_violation", "content_policy_error", "Request rejected by content policy"),
    404: ("video_not_found", "invalid_request_error", "Video not found"),
    429: ("quota_exceeded", "rate_limit_error", "Rate limit or quota exceeded"),
    500: ("internal_error", "server_error", "Internal server error"),
    502: ("bad_gateway", "upstream_error", "Upstream returned an invalid response"),
    503: ("service_unavailable", "upstream_error", "Upstream is busy, retry later"),
}


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordedFile:
    """One uploaded file (multipart) or one image data URL (chat content)."""

    field: str
    filename: str
    content_type: str
    size: int


@dataclass
class RecordedRequest:
    """What one request carried, for tests to assert on."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: list[RecordedFile] = field(default_factory=list)
    status: int | None = None

    @property
    def authorization(self) -> str | None:
        """The Authorization header as sent, or None."""
        return self.headers.get("Authorization")


@dataclass
class FakeStats:
    """Counters a benchmark can read."""

    created: int = 0
    completed: int = 0
    failed: int = 0
    downloads: int = 0
    streams_open: int = 0
    max_streams_open: int = 0


@dataclass
class _Fault:
    name: str
    remaining: int
    path_prefix: str
    method: str | None
    retry_after: str


@dataclass
class FakeTask:
    """One async task and how it will end."""

    id: str
    spec: ModelSpec
    prompt: str
    created_at: float
    created_ts: int
    generation_seconds: float
    seconds: int
    width: int
    height: int
    resolution: str
    outcome: str | None  # None (success) or one of OUTCOME_FAULTS
    file_faults: frozenset[str]
    settled: bool = False

    def fraction(self, now: float) -> float:
        """How far generation is, 0..1."""
        if self.generation_seconds <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.created_at) / self.generation_seconds))

    @property
    def completed_at(self) -> float:
        """The clock value at which the task finishes."""
        return self.created_at + self.generation_seconds


@dataclass(frozen=True)
class _ServedFile:
    width: int
    height: int
    seconds: int
    faults: frozenset[str]


class ManualClock:
    """A clock that moves only when told to, or when its `sleep` is awaited (no real waiting)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the wait, move time forward, and let other tasks run."""
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


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


def _reason(outcome: str) -> str:
    return {"policy": POLICY_REASON, "audio": AUDIO_REASON}.get(outcome, FAIL_REASON)


def _dimensions(orientation: Orientation) -> tuple[int, int]:
    return (128, 72) if orientation is Orientation.LANDSCAPE else (72, 128)


def _error_body(code: str, message: str, kind: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "type": kind}}


class _Refused(Exception):
    """Raised inside a handler to answer with a documented error body."""

    def __init__(self, status: int, message: str, code: str | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        default_code, default_kind, _ = _STATUS_TEXT.get(status, ("error", "error", ""))
        self.status = status
        self.body = _error_body(code or default_code, message, kind or default_kind)


# --------------------------------------------------------------------------------------------- handlers


class _BaseHandler(tornado.web.RequestHandler):
    """Records the request, applies status faults, checks the key, answers errors as JSON."""

    requires_auth = True

    def initialize(self, gateway: FakeGateway) -> None:
        self.gw = gateway
        self.closed = asyncio.Event()
        self.record: RecordedRequest | None = None
        self.json_body: Any = None

    def on_connection_close(self) -> None:
        self.closed.set()

    async def prepare(self) -> None:
        self.record = self._record()
        self.gw.requests.append(self.record)
        fault = self.gw._take_fault(STATUS_FAULTS, self.request.method or "GET", self.request.path)
        if fault is not None:
            self.apply_status_fault(fault.name, fault.retry_after)
            return
        if self.requires_auth and not self._authorized():
            token = self._token() or ""
            self.send_json(
                401,
                _error_body(
                    "invalid_api_key",
                    f"Invalid API key provided: {token}" if token else "Missing API key",
                    "authentication_error",
                ),
            )

    def _token(self) -> str | None:
        header = self.request.headers.get("Authorization")
        if header is None:
            return None
        header = header.strip()
        return header[7:].strip() if header.lower().startswith("bearer ") else header

    def _authorized(self) -> bool:
        return self._token() == self.gw.api_key

    def _record(self) -> RecordedRequest:
        request = self.request
        record = RecordedRequest(
            method=request.method or "GET", path=request.path, headers=dict(request.headers.get_all())
        )
        content_type = request.headers.get("Content-Type", "")
        if "json" in content_type and request.body:
            try:
                self.json_body = json.loads(request.body)
            except ValueError:
                self.json_body = None
            record.json = self.json_body
        for name, values in request.body_arguments.items():
            record.form[name] = [value.decode("utf-8", "replace") for value in values]
        for name, uploads in request.files.items():
            for upload in uploads:
                record.files.append(
                    RecordedFile(name, upload.filename, upload.content_type, len(upload.body))
                )
        return record

    def abandon(self) -> None:
        """Drop the connection without finishing the response (the client left, or a fault wants it)."""
        with contextlib.suppress(Exception):
            self.detach().close()

    def apply_status_fault(self, name: str, retry_after: str) -> None:
        """Answer with a documented error status, or drop the connection."""
        if name == "drop":
            self.abandon()
            return
        status = int(name)
        code, kind, message = _STATUS_TEXT[status]
        headers = {"Retry-After": retry_after} if status == 429 else {}
        self.send_json(status, _error_body(code, message, kind), headers)

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Finish with a JSON body."""
        if self.record is not None:
            self.record.status = status
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("X-Request-Id", uuid.uuid4().hex)
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        self.finish(json.dumps(body, ensure_ascii=False))

    def refuse(self, error: _Refused) -> None:
        """Answer a _Refused with its documented body."""
        self.send_json(error.status, error.body)

    def submit_faults(self, prompt: str) -> bool:
        """Apply a status marker (#500, #429, #drop...) in the prompt; True when the request was answered."""
        active = self.gw._markers(prompt, STATUS_FAULTS)
        for name in sorted(active):
            self.apply_status_fault(name, self.gw.retry_after)
            return True
        return False

    async def pause(self, seconds: float) -> bool:
        """Wait in real time; False when the client went away or the gateway is stopping."""
        if self.closed.is_set() or self.gw._stopping.is_set():
            return False
        waiters = [asyncio.ensure_future(self.closed.wait()), asyncio.ensure_future(self.gw._stopping.wait())]
        try:
            done, _ = await asyncio.wait(
                waiters, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        return not done

    async def serve_video(self, served: _ServedFile, faults: frozenset[str]) -> None:
        """Stream an MP4 (or a fault-shaped imitation of one)."""
        path = await self.gw.prepare_video(width=served.width, height=served.height, seconds=served.seconds)
        size = path.stat().st_size
        self.gw.stats.downloads += 1
        if self.record is not None:
            self.record.status = 200
        self.set_header("Content-Type", "video/mp4")
        try:
            if "huge" in faults:
                self.set_header("Content-Length", str(self.gw.huge_bytes))
                zeros = b"\0" * _CHUNK
                sent = 0
                while sent < self.gw.huge_bytes:
                    if self.closed.is_set() or self.gw._stopping.is_set():
                        self.abandon()
                        return
                    piece = zeros[: min(_CHUNK, self.gw.huge_bytes - sent)]
                    self.write(piece)
                    await self.flush()
                    sent += len(piece)
                self.finish()
                return
            data = await self.gw.video_data(path)
            if "truncate" in faults:
                self.set_header("Content-Length", str(size))
                self.write(data[: size // 2])
                await self.flush()
                self.abandon()
                return
            if "chunked" not in faults:
                self.set_header("Content-Length", str(size))
            for start in range(0, size, _CHUNK):
                self.write(data[start : start + _CHUNK])
                await self.flush()
            self.finish()
        except tornado.iostream.StreamClosedError:
            self.abandon()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        code, kind, message = _STATUS_TEXT.get(status_code, ("error", "server_error", "error"))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(_error_body(code, message, kind)))


class _NotFoundHandler(_BaseHandler):
    async def get(self, *args: str) -> None:
        self.send_json(
            404, _error_body("not_found", f"No route for {self.request.path}", "invalid_request_error")
        )

    post = get


class _ChatHandler(_BaseHandler):
    """POST /v1/chat/completions: the Reverse sync stream."""

    async def post(self) -> None:
        try:
            spec, prompt, n, stream = self._validate()
        except _Refused as error:
            self.refuse(error)
            return
        if self.submit_faults(prompt):
            return
        method, path = "POST", self.request.path
        outcome = self.gw._outcome(prompt, method, path)
        injected = self.gw._take_fault(STREAM_FAULTS, method, path)
        behaviour = (
            injected.name if injected else next(iter(sorted(self.gw._markers(prompt, STREAM_FAULTS))), None)
        )
        styles = self.gw._markers(prompt, STYLE_MARKERS)
        file_faults = frozenset(self.gw._markers(prompt, FILE_FAULTS))
        injected_file = self.gw._take_fault(FILE_FAULTS, method, path)
        if injected_file is not None:
            file_faults |= {injected_file.name}
        generation = self.gw._generation_time(prompt, method, path)
        self.gw.stats.created += 1
        chat = _ChatStream(self, spec, n, styles)
        if not stream or "json" in styles:
            await self._answer_whole(chat, outcome, behaviour, generation, file_faults)
            return
        self.gw.stats.streams_open += 1
        self.gw.stats.max_streams_open = max(self.gw.stats.max_streams_open, self.gw.stats.streams_open)
        try:
            finished = await chat.run(outcome, behaviour, generation, file_faults)
        except tornado.iostream.StreamClosedError:
            finished = False
        finally:
            self.gw.stats.streams_open -= 1
        if not finished:
            self.abandon()

    def _validate(self) -> tuple[ModelSpec, str, int, bool]:
        body = self.json_body
        if not isinstance(body, dict):
            raise _Refused(400, "Request body must be a JSON object", "invalid_request")
        model = body.get("model")
        spec = MODELS.get(model) if isinstance(model, str) else None
        if spec is None:
            raise _Refused(400, f"Model not found: {model}", "invalid_model")
        if spec.channel is Channel.OFFICIAL:
            raise _Refused(400, f"{spec.id} is only available through POST /v1/videos", "invalid_model")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 4:
            raise _Refused(400, "n must be an integer between 1 and 4", "invalid_request")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
            raise _Refused(400, "messages must be a non-empty list", "invalid_request")
        prompt, images = self._content(messages[-1].get("content"))
        if not prompt.strip():
            raise _Refused(400, "prompt must not be empty", "invalid_prompt")
        if spec.frame_to_video and not images:
            raise _Refused(400, f"{spec.id} requires 1 or 2 images (frame-to-video)", "invalid_request")
        if images and not spec.frame_to_video:
            raise _Refused(400, f"{spec.id} does not accept images; use a -fl model", "invalid_request")
        if len(images) > 2:
            raise _Refused(400, "at most 2 images (start and end frame) are supported", "invalid_request")
        return spec, prompt, n, body.get("stream") is True

    def _content(self, content: object) -> tuple[str, list[RecordedFile]]:
        if isinstance(content, str):
            return content, []
        if not isinstance(content, list):
            raise _Refused(400, "message content must be a string or a list of parts", "invalid_request")
        texts: list[str] = []
        images: list[RecordedFile] = []
        for part in content:
            if not isinstance(part, dict):
                raise _Refused(400, "content parts must be objects", "invalid_request")
            if part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "image_url":
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                match = _DATA_URL.match(url) if isinstance(url, str) else None
                if match is None:
                    raise _Refused(400, "image_url must be a base64 data: URL (remote URLs are not accepted)")
                if match.group(1) not in ("image/jpeg", "image/png"):
                    raise _Refused(400, f"unsupported image type {match.group(1)}", "invalid_request")
                try:
                    data = base64.b64decode(match.group(2), validate=True)
                except (binascii.Error, ValueError):
                    raise _Refused(400, "image_url holds invalid base64", "invalid_request") from None
                images.append(RecordedFile("image_url", "", match.group(1), len(data)))
            else:
                raise _Refused(400, f"unsupported content part type {part.get('type')!r}", "invalid_request")
        if self.record is not None:
            self.record.files.extend(images)
        return "\n".join(texts), images

    async def _answer_whole(
        self,
        chat: _ChatStream,
        outcome: str | None,
        behaviour: str | None,
        generation: float,
        file_faults: frozenset[str],
    ) -> None:
        """stream=false: wait for the whole generation, answer one chat.completion."""
        if not await self.pause(generation):
            self.abandon()
            return
        if outcome is not None:
            text = f"> ❌ Video generation failed: {_reason(outcome)}\n\n"
            self.gw.stats.failed += 1
        elif behaviour == "nourl":
            text = ""
        else:
            text = "".join(await chat.video_lines(file_faults))
            self.gw.stats.completed += 1
        self.send_json(
            200,
            {
                "id": chat.chat_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": chat.spec.id,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
            },
        )


class _ChatStream:
    """Writes one SSE chat-completion stream in the documented format."""

    def __init__(self, handler: _ChatHandler, spec: ModelSpec, n: int, styles: set[str]) -> None:
        self.handler = handler
        self.gw = handler.gw
        self.spec = spec
        self.n = n
        self.styles = styles
        self.chat_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"

    def _event(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        chunk = {
            "id": self.chat_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.spec.id,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

    async def _send(self, data: bytes) -> None:
        if "split" in self.styles and len(data) > 8:
            # Byte-level split that lands inside JSON (and often inside a multi-byte character).
            middle = len(data) // 2 + 1
            for piece in (data[:middle], data[middle:]):
                self.handler.write(piece)
                await self.handler.flush()
                await asyncio.sleep(0.001)
            return
        self.handler.write(data)
        await self.handler.flush()

    async def text(self, text: str) -> None:
        """Send text the way the configured style does."""
        field_name = "reasoning_content" if "reasoning" in self.styles else "content"
        pieces = [text[: len(text) // 2], text[len(text) // 2 :]] if "split" in self.styles else [text]
        for piece in pieces:
            await self._send(self._event({field_name: piece}))

    async def video_lines(self, file_faults: frozenset[str]) -> list[str]:
        """Make the n result files and the lines announcing them."""
        assert self.spec.orientation is not None
        width, height = _dimensions(self.spec.orientation)
        await self.gw.prepare_video(width=width, height=height, seconds=8)
        lines = []
        for index in range(1, self.n + 1):
            url = self.gw._register_file(
                f"{self.chat_id}-{index}.mp4", _ServedFile(width, height, 8, file_faults)
            )
            if "videotag" in self.styles:
                lines.append(f"> ✅ Video {index} complete <video src='{url}' controls></video>\n\n")
            else:
                lines.append(f"> ✅ Video {index} complete, [click here]({url}) to view~~~\n\n")
        return lines

    async def run(
        self, outcome: str | None, behaviour: str | None, generation: float, file_faults: frozenset[str]
    ) -> bool:
        """Progress over `generation` seconds, then the videos (or the fault), then [DONE]; False if cut."""
        handler = self.handler
        handler.set_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.set_header("Cache-Control", "no-cache")
        handler.set_header("X-Request-Id", uuid.uuid4().hex)
        if handler.record is not None:
            handler.record.status = 200
        handler.write(b": keep-alive\n\n")
        await self._send(self._event({"role": "assistant", "content": ""}))
        await self.text("> 🕐 Queued, waiting for a free slot...\n\n")
        steps = max(1, self.gw.progress_steps)
        for step in range(1, steps + 1):
            if not await handler.pause(generation / (steps + 1)):
                return False
            percent = 100.0 * step / (steps + 1)
            await self.text(f"> 🏃 Progress: {percent:.1f}%\n\n")
            if behaviour == "stall":
                await handler.pause(3600)
                return False
            if step == steps // 2 + 1:
                if behaviour == "cut":
                    return False
                if behaviour == "longline":
                    await self._long_line()
                    return False
                if outcome is not None:
                    await self.text(f"> ❌ Video generation failed: {_reason(outcome)}\n\n")
                    self.gw.stats.failed += 1
                    await self._finish()
                    return True
        if not await handler.pause(generation / (steps + 1)):
            return False
        if behaviour != "nourl":
            for line in await self.video_lines(file_faults):
                await self.text(line)
            self.gw.stats.completed += 1
        await self._finish()
        return True

    async def _long_line(self) -> None:
        """A line that never ends, written in 64 KB pieces as a runaway upstream would."""
        await self._send(b"data: ")
        piece = b"x" * (64 * 1024)
        for _ in range(LONG_LINE_BYTES // len(piece)):
            await self._send(piece)

    async def _finish(self) -> None:
        await self._send(self._event({}, finish_reason="stop"))
        await self._send(b"data: [DONE]\n\n")
        self.handler.finish()


class _CreateVideoHandler(_BaseHandler):
    """POST /v1/videos: JSON or multipart, both channels."""

    async def post(self) -> None:
        try:
            task = self._create()
        except _Refused as error:
            self.refuse(error)
            return
        if task is None:
            return
        self.gw.tasks[task.id] = task
        self.gw.stats.created += 1
        if task.spec.channel is Channel.OFFICIAL:
            body: dict[str, Any] = {
                "id": task.id,
                "task_id": task.id,
                "object": "video",
                "model": task.spec.id,
                "status": "queued",
                "progress": 0,
                "created_at": task.created_ts,
            }
        else:
            body = {
                "id": task.id,
                "object": "video",
                "created": task.created_ts,
                "status": "queued",
                "model": task.spec.id,
            }
        self.send_json(200, body)

    def _create(self) -> FakeTask | None:
        multipart = "multipart/form-data" in self.request.headers.get("Content-Type", "")
        if multipart:
            fields = {name: values[0] for name, values in (self.record.form if self.record else {}).items()}
            uploads = self.request.files.get("input_reference", [])
        else:
            if not isinstance(self.json_body, dict):
                raise _Refused(
                    400, "parse_request_failed: request body is not a JSON object", "parse_request_failed"
                )
            fields = self.json_body
            uploads = []
        model = fields.get("model")
        spec = MODELS.get(model) if isinstance(model, str) else None
        if spec is None:
            raise _Refused(400, f"Model not found: {model}", "invalid_model")
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _Refused(400, "prompt is required", "invalid_prompt")
        metadata = fields.get("metadata") if not multipart else None
        if "generateAudio" in fields or (isinstance(metadata, dict) and "generateAudio" in metadata):
            raise _Refused(
                400, "INVALID_ARGUMENT: generateAudio is not supported for this model", "INVALID_ARGUMENT"
            )
        if self.submit_faults(prompt):
            return None
        if spec.channel is Channel.REVERSE:
            seconds, width, height, resolution = self._reverse(spec, multipart, uploads)
        else:
            seconds, width, height, resolution = self._official(fields, multipart, uploads)
        method, path = "POST", self.request.path
        file_faults = frozenset(self.gw._markers(prompt, FILE_FAULTS))
        prefix = "video_" if spec.channel is Channel.REVERSE else "task_"
        task_id = prefix + (str(uuid.uuid4()) if spec.channel is Channel.REVERSE else uuid.uuid4().hex[:16])
        return FakeTask(
            id=task_id,
            spec=spec,
            prompt=prompt,
            created_at=self.gw.clock(),
            created_ts=int(time.time()),
            generation_seconds=self.gw._generation_time(prompt, method, path),
            seconds=seconds,
            width=width,
            height=height,
            resolution=resolution,
            outcome=self.gw._outcome(prompt, method, path),
            file_faults=file_faults,
        )

    def _reverse(self, spec: ModelSpec, multipart: bool, uploads: list[Any]) -> tuple[int, int, int, str]:
        if spec.frame_to_video:
            if not multipart:
                raise _Refused(
                    400, f"{spec.id} (frame-to-video) requires multipart/form-data with input_reference"
                )
            if not 1 <= len(uploads) <= 2:
                raise _Refused(400, f"{spec.id} takes 1 or 2 input_reference images, got {len(uploads)}")
            for upload in uploads:
                if upload.content_type not in ("image/jpeg", "image/png"):
                    raise _Refused(
                        400, f"input_reference must be image/jpeg or image/png, not {upload.content_type}"
                    )
        elif uploads:
            raise _Refused(400, f"{spec.id} does not accept input_reference; use a -fl model")
        assert spec.orientation is not None
        width, height = _dimensions(spec.orientation)
        label = "1280x720" if spec.orientation is Orientation.LANDSCAPE else "720x1280"
        return 8, width, height, label

    def _official(
        self, fields: dict[str, Any], multipart: bool, uploads: list[Any]
    ) -> tuple[int, int, int, str]:
        if multipart:
            # The documented quirk: `duration` is ignored here and the default is 4 s unless `seconds` is set.
            raw_seconds: object = fields.get("seconds", "4")
            resolution_field = fields.get("resolution")
            aspect_field = fields.get("aspectRatio")
            if not uploads:
                raise _Refused(400, "input_reference is required for image-to-video")
            upload = uploads[0]  # Only the first image is kept; the rest are silently dropped.
            if upload.content_type not in ("image/jpeg", "image/png", "image/webp"):
                raise _Refused(400, f"input_reference must be jpeg, png or webp, not {upload.content_type}")
        else:
            metadata = fields.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise _Refused(
                    400, "parse_request_failed: metadata must be an object", "parse_request_failed"
                )
            for name in ("duration", "seconds"):
                if name in fields and not isinstance(fields[name], str):
                    raise _Refused(
                        400,
                        f"parse_request_failed: cannot unmarshal number into Go struct field "
                        f"VideoRequest.{name} of type string",
                        "parse_request_failed",
                    )
            raw_seconds = (
                metadata.get("durationSeconds") or fields.get("duration") or fields.get("seconds") or "8"
            )
            resolution_field = metadata.get("resolution")
            aspect_field = metadata.get("aspectRatio")
        if str(raw_seconds) not in ("4", "6", "8"):
            raise _Refused(400, f'duration must be "4", "6" or "8", not {raw_seconds!r}')
        seconds = int(str(raw_seconds))
        size = fields.get("size")
        if size is not None and size not in DOCUMENTED_SIZES:
            raise _Refused(400, f"unsupported size {size!r}")
        resolution = resolution_field or (_SIZE_RESOLUTION[min(size.split("x"), key=int)] if size else "720p")
        if resolution not in ("720p", "1080p", "4k"):
            raise _Refused(400, f"unsupported resolution {resolution!r}")
        if resolution in ("1080p", "4k") and seconds != 8:
            raise _Refused(400, f'INVALID_ARGUMENT: {resolution} requires duration "8"', "INVALID_ARGUMENT")
        if aspect_field is None and size:
            width_px, height_px = (int(part) for part in size.split("x"))
            aspect_field = "16:9" if width_px > height_px else "9:16"
        aspect = aspect_field or "16:9"
        if aspect not in ("16:9", "9:16"):
            raise _Refused(400, f"unsupported aspectRatio {aspect!r}")
        width, height = _dimensions(Orientation.LANDSCAPE if aspect == "16:9" else Orientation.PORTRAIT)
        return seconds, width, height, resolution


class _TaskHandler(_BaseHandler):
    """GET /v1/videos/{id}: the task's status, progressing with the gateway's clock."""

    async def get(self, task_id: str) -> None:
        task = self.gw.tasks.get(task_id)
        if task is None:
            self.send_json(
                404, _error_body("video_not_found", f"Video not found: {task_id}", "invalid_request_error")
            )
            return
        self.send_json(200, _status_body(task, self.gw.clock()))
        if task.fraction(self.gw.clock()) >= 1.0:
            self.gw._settle(task)


def _status_body(task: FakeTask, now: float) -> dict[str, Any]:
    fraction = task.fraction(now)
    official = task.spec.channel is Channel.OFFICIAL
    if fraction >= 1.0 and task.outcome is not None:
        reason = _reason(task.outcome)
        if official:
            body: dict[str, Any] = {
                "id": task.id,
                "task_id": task.id,
                "object": "video",
                "model": task.spec.id,
                "status": "failed",
                "progress": 100,
                "created_at": task.created_ts,
            }
            if task.outcome != "fail":  # "status: failed may not include a detailed error field"
                body["error"] = {"code": "", "message": reason}
            return body
        return {  # the documented sample, field for field
            "task_id": task.id,
            "object": "task",
            "task_type": "sora2_video_generation",
            "model_name": task.spec.id,
            "platform": "openai",
            "status": "failed",
            "progress": "100%",
            "fail_reason": reason,
            "error": {"message": reason, "type": "task_failed"},
            "data": {
                "id": task.id,
                "object": "video",
                "model": task.spec.id,
                "size": task.resolution,
                "status": "failed",
                "error": {"code": "", "message": reason},
            },
        }
    if fraction >= 1.0:
        status = "completed"
    elif fraction < 0.1:
        status = "queued"
    else:
        status = "in_progress" if official else "processing"
    if official:
        body = {
            "id": task.id,
            "task_id": task.id,
            "object": "video",
            "model": task.spec.id,
            "status": status,
            "progress": 100 if status == "completed" else (50 if status == "in_progress" else 0),
            "created_at": task.created_ts,
        }
        if status == "completed":
            body["completed_at"] = task.created_ts + round(task.generation_seconds)
        return body
    return {
        "id": task.id,
        "object": "video",
        "created": task.created_ts,
        "model": task.spec.id,
        "status": status,
        "progress": f"{round(fraction * 100)}%",
    }


class _ContentHandler(_BaseHandler):
    """GET /v1/videos/{id}/content: JSON with a URL (Reverse) or the MP4 itself (Official)."""

    async def get(self, task_id: str) -> None:
        task = self.gw.tasks.get(task_id)
        if task is None:
            self.send_json(
                404, _error_body("video_not_found", f"Video not found: {task_id}", "invalid_request_error")
            )
            return
        now = self.gw.clock()
        if task.fraction(now) < 1.0:
            self.send_json(
                400, _error_body("video_not_ready", "Video not yet generated", "invalid_request_error")
            )
            return
        self.gw._settle(task)
        if task.outcome is not None:
            self.send_json(400, _error_body("video_generation_failed", _reason(task.outcome), "task_failed"))
            return
        served = _ServedFile(task.width, task.height, task.seconds, task.file_faults)
        if task.spec.channel is Channel.REVERSE:
            url = self.gw._register_file(f"{task.id}.mp4", served)
            self.send_json(
                200,
                {
                    "id": task.id,
                    "object": "video",
                    "created": task.created_ts,
                    "status": "completed",
                    "model": task.spec.id,
                    "prompt": task.prompt,
                    "url": url,
                    "duration": task.seconds,
                    "resolution": task.resolution,
                },
            )
            return
        if now < task.completed_at + self.gw.content_delay_seconds:
            # "/content returns 400 occasionally right after status flips to completed" (CDN sync delay).
            self.send_json(
                400,
                _error_body(
                    "video_not_ready", "video content is not ready yet, retry later", "invalid_request_error"
                ),
            )
            return
        injected = self.gw._take_fault(FILE_FAULTS, "GET", self.request.path)
        await self.serve_video(served, task.file_faults | ({injected.name} if injected else set()))


class _FileHandler(_BaseHandler):
    """GET /files/<name>: the result files behind the Reverse URLs (the "CDN"); no key needed."""

    requires_auth = False

    async def get(self, name: str) -> None:
        served = self.gw._files.get(name)
        if served is None:
            self.send_json(
                404, _error_body("not_found", "The file does not exist or has expired", "not_found")
            )
            return
        injected = self.gw._take_fault(FILE_FAULTS, "GET", self.request.path)
        await self.serve_video(served, served.faults | ({injected.name} if injected else set()))


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


if __name__ == "__main__":
    main()
