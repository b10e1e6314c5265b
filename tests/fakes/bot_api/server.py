"""The fake's HTTP side: the listener on 127.0.0.1, routing, request parsing, the pipeline, the call log.

- Listener owns the tornado HTTPServer and the port. During an outage the listening socket is closed and
  open connections are cut; the port stays bound by a socket that does not listen, so connection attempts
  are refused (ECONNREFUSED) and no other process can take the port; coming back up makes that same
  socket listen again.
- BotApiHandler reads /bot<token>/<method> over GET or POST (JSON, urlencoded or multipart body);
  FileDownloadHandler serves /file/bot<token>/<file_path>.
- ApiCore runs one request through every check the real server makes: token, size, spec, faults, flood
  control, the method, and records it in the CallLog.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import socket
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.fakes.bot_api.faults import FaultPlan
from tests.fakes.bot_api.limits import FloodControl
from tests.fakes.bot_api.methods import CallContext, MethodTable
from tests.fakes.bot_api.rules import ApiError, BotApiSpec, Upload, bad_request
from tests.fakes.bot_api.state import BotState

logger = logging.getLogger(__name__)

_SHUTDOWN_TIMEOUT = 5.0
_BACKLOG = 128
DISCONNECTED = 0  # status recorded when the fake dropped the connection without answering


# -- the listener and outages --------------------------------------------------------------------


class Listener:
    """Owns the tornado HTTPServer and the port, and takes them down and up again."""

    def __init__(self, *, host: str, port: int, body_limit: int) -> None:
        self._app: tornado.web.Application | None = None
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

    def start(self, app: tornado.web.Application) -> None:
        """Bind host:port (0 picks a free port) and serve `app`."""
        self._app = app
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
        assert self._app is not None
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


def quiet_log(handler: tornado.web.RequestHandler) -> None:
    """Log requests at DEBUG without the URL: Bot API URLs contain the token."""
    logger.debug("%s %s", handler.get_status(), handler.request.method)


# -- HTTP handlers -------------------------------------------------------------------------------


def write_json(handler: tornado.web.RequestHandler, status: int, body: Any) -> asyncio.Future[None]:
    """Send a JSON answer with a status; the future resolves once it has been written out."""
    handler.set_status(status)
    handler.set_header("Content-Type", "application/json")
    return handler.finish(json.dumps(body, ensure_ascii=False))


class BotApiHandler(tornado.web.RequestHandler):
    """One Bot API method call over GET or POST (JSON, urlencoded or multipart body)."""

    def initialize(self, core: ApiCore) -> None:
        """Tornado passes the shared core."""
        self.core = core
        self.gone = asyncio.Event()

    def on_connection_close(self) -> None:
        """The client hung up (ends a long poll early)."""
        self.gone.set()

    async def get(self, token: str, method: str) -> None:
        """GET with query parameters."""
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        """POST with any body Telegram accepts."""
        await self._serve(token, method)

    async def _serve(self, token: str, method: str) -> None:
        try:
            params, uploads = self._read_request()
        except ApiError as err:
            write_json(self, err.error_code, err.payload())
            return
        answer = await self.core.handle(token, method, params, uploads, self.gone)
        if answer.body is None:
            self.detach().close()
            return
        if self.gone.is_set():
            return  # nobody to answer; tornado finishes the request quietly
        write_json(self, answer.status, answer.body)

    def _read_request(self) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = {key: self.get_query_argument(key) for key in self.request.query_arguments}
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/json" and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError as err:
                raise bad_request("can't parse JSON encoded request body") from err
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            params.update(body)
        else:
            for key, values in self.request.body_arguments.items():
                try:
                    params[key] = values[-1].decode("utf-8")
                except UnicodeDecodeError as err:
                    raise bad_request(f'parameter "{key}" is not valid UTF-8') from err
        uploads = {
            name: Upload(name=name, filename=part.filename, content_type=part.content_type, data=part.body)
            for name, parts in self.request.files.items()
            for part in parts[-1:]
        }
        return params, uploads


class FileDownloadHandler(tornado.web.RequestHandler):
    """GET /file/bot<token>/<file_path>: the bytes of a stored file."""

    def initialize(self, core: ApiCore) -> None:
        """Tornado passes the shared core."""
        self.core = core

    def get(self, token: str, file_path: str) -> None:
        """Serve the file or a Telegram-style 404."""
        if token != self.core.token:
            write_json(self, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        stored = self.core.state.file_by_path(file_path)
        if stored is None:
            write_json(self, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        guessed = stored.mime_type or mimetypes.guess_type(file_path)[0] or "application/octet-stream"
        self.set_header("Content-Type", guessed)
        self.finish(stored.data)


def bot_api_routes(core: ApiCore) -> list[Any]:
    """The Bot API's URL routes: methods and file downloads."""
    return [
        (r"/bot([^/]+)/([A-Za-z0-9_]+)/?", BotApiHandler, {"core": core}),
        (r"/file/bot([^/]+)/(.+)", FileDownloadHandler, {"core": core}),
    ]


# -- the request pipeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What to send back: a status and JSON body, or nothing at all (drop the connection)."""

    status: int
    body: dict[str, Any] | None

    @classmethod
    def error(cls, err: ApiError) -> Answer:
        """An error answer."""
        return cls(err.error_code, err.payload())

    @classmethod
    def dropped(cls) -> Answer:
        """Close the connection without answering."""
        return cls(DISCONNECTED, None)


class ApiCore:
    """Runs one Bot API request through every check, the way the real server would answer it."""

    def __init__(
        self,
        *,
        token: str,
        spec: BotApiSpec,
        state: BotState,
        methods: MethodTable,
        flood: FloodControl,
        faults: FaultPlan,
        calls: CallLog,
        upload_limit: int,
    ) -> None:
        self.token = token
        self.spec = spec
        self.state = state
        self.methods = methods
        self.flood = flood
        self.faults = faults
        self.calls = calls
        self.upload_limit = upload_limit

    async def handle(
        self,
        token: str,
        method_name: str,
        params: dict[str, Any],
        uploads: Mapping[str, Upload],
        gone: asyncio.Event,
    ) -> Answer:
        """Answer one request."""
        files = tuple(uploads.values())
        if token != self.token or self.state.logged_out:
            return self._fail(method_name, params, files, ApiError(401, "Unauthorized"))
        if sum(len(upload.data) for upload in files) > self.upload_limit:
            return self._fail(method_name, params, files, ApiError(413, "Request Entity Too Large"))
        method = self.spec.canonical_method(method_name)
        if method is None:
            return self._fail(method_name, params, files, ApiError(404, "Not Found: method not found"))
        try:
            decoded = self.spec.decode_call(method, params, uploads)
        except ApiError as err:
            return self._fail(method, params, files, err)
        return await self._run(method, decoded, uploads, gone)

    async def _run(
        self, method: str, params: dict[str, Any], uploads: Mapping[str, Upload], gone: asyncio.Event
    ) -> Answer:
        files = tuple(uploads.values())
        if not await self.faults.wait_delays(method, gone, after_execute=False):
            return self._lost(method, params, files, None, "the client gave up while the answer was delayed")
        if self.faults.take(method, "hang") is not None:
            return await self._hang(method, params, files, gone, "no answer")
        if self.faults.take(method, "disconnect") is not None:
            return self._lost(method, params, files, None, "connection dropped")
        fault = self.faults.take(method, "error")
        if fault is not None and fault.error is not None:
            return self._fail(method, params, files, fault.error)
        retry_after = self.flood.take(method, self._flood_chat(params), _cost(method, params))
        if retry_after is not None:
            err = ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
            return self._fail(method, params, files, err)
        implementation = self.methods.get(method)
        if implementation is None:
            err = ApiError(501, f"Not Implemented: the fake Bot API does not implement {method}")
            logger.warning("unimplemented Bot API method called: %s", method)
            return self._fail(method, params, files, err)
        try:
            result = await implementation(CallContext(method, params, uploads, gone))
        except ApiError as err:
            return self._fail(method, params, files, err)
        if not await self.faults.wait_delays(method, gone, after_execute=True):
            description = "the method ran; the client gave up before the late answer"
            return self._lost(method, params, files, result, description)
        if self.faults.take(method, "hang", after_execute=True) is not None:
            return await self._hang(method, params, files, gone, "the method ran; no answer", result)
        if self.faults.take(method, "disconnect", after_execute=True) is not None:
            return self._lost(method, params, files, result, "connection dropped after the method ran")
        self.calls.add(method, params, 200, result=result, uploads=files, chat_id=self._flood_chat(params))
        return Answer(200, {"ok": True, "result": result})

    async def _hang(
        self,
        method: str,
        params: dict[str, Any],
        files: tuple[Upload, ...],
        gone: asyncio.Event,
        what: str,
        result: Any = None,
    ) -> Answer:
        """Never answer: hold the connection until the client gives up or the fake stops."""
        who = await self.faults.hold(gone)
        return self._lost(method, params, files, result, f"{what} until {who}")

    def _lost(
        self, method: str, params: dict[str, Any], files: tuple[Upload, ...], result: Any, description: str
    ) -> Answer:
        self.calls.add(
            method,
            params,
            DISCONNECTED,
            result=result,
            description=description,
            uploads=files,
            chat_id=self._flood_chat(params),
        )
        return Answer.dropped()

    def _fail(self, method: str, params: dict[str, Any], files: tuple[Upload, ...], err: ApiError) -> Answer:
        self.calls.add(
            method,
            params,
            err.error_code,
            description=err.description,
            uploads=files,
            retry_after=err.retry_after,
            chat_id=self._flood_chat(params),
        )
        return Answer.error(err)

    def _flood_chat(self, params: dict[str, Any]) -> int | None:
        """The chat a call concerns (chat_id, @username resolved), for flood control and the call log."""
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            return chat_id
        if isinstance(chat_id, str):
            chat = self.state.find_chat(chat_id)
            return None if chat is None else chat.id
        return None


def _cost(method: str, params: dict[str, Any]) -> int:
    """A media group is one message per item."""
    media = params.get("media")
    if method == "sendMediaGroup" and isinstance(media, list):
        return max(1, len(media))
    return 1


# -- the call log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One Bot API request: what was asked, when, and what the fake answered."""

    index: int
    method: str
    params: dict[str, Any]
    time: float
    status: int
    result: Any = None
    description: str | None = None
    uploads: tuple[Upload, ...] = ()
    retry_after: int | None = None  # parameters.retry_after of a 429 answer
    chat_id: int | None = None  # the chat the call concerned (an @username resolved), if any

    @property
    def ok(self) -> bool:
        """True when the fake answered 200."""
        return self.status == 200

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (uploads summarised, not their bytes)."""
        return {
            "index": self.index,
            "method": self.method,
            "params": _jsonable(self.params),
            "time": self.time,
            "status": self.status,
            "description": self.description,
            "uploads": [upload.summary() for upload in self.uploads],
            "retry_after": self.retry_after,
            "chat_id": self.chat_id,
        }


@dataclass(frozen=True)
class ApiStats:
    """Counts over the call log."""

    calls: dict[str, int]
    statuses: dict[int, int]
    too_many_requests: int
    not_implemented: dict[str, int]
    uploaded_bytes: int
    total: int = 0
    by_method_status: dict[str, dict[int, int]] = field(default_factory=dict)
    too_many_requests_by_chat: dict[int | None, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "calls": self.calls,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "too_many_requests": self.too_many_requests,
            "not_implemented": self.not_implemented,
            "uploaded_bytes": self.uploaded_bytes,
            "total": self.total,
            "by_method_status": {
                method: {str(k): v for k, v in codes.items()}
                for method, codes in self.by_method_status.items()
            },
            "too_many_requests_by_chat": {
                str(chat): count for chat, count in self.too_many_requests_by_chat.items()
            },
        }


CallMatch = str | Callable[[CallRecord], bool]


class CallLog(Sequence[CallRecord]):
    """Every request the fake answered, in order (a sequence of CallRecord), with waiters and stats."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.records: list[CallRecord] = []
        self._changed = asyncio.Event()

    @overload
    def __getitem__(self, index: int) -> CallRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[CallRecord]: ...

    def __getitem__(self, index: int | slice) -> CallRecord | list[CallRecord]:
        return self.records[index]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[CallRecord]:
        return iter(list(self.records))

    def to(self, method: str) -> list[CallRecord]:
        """Requests for one method (names match case-insensitively)."""
        check = _matcher(method)
        return [record for record in self.records if check(record)]

    def add(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        *,
        result: Any = None,
        description: str | None = None,
        uploads: tuple[Upload, ...] = (),
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> CallRecord:
        """Append one record and wake waiters."""
        record = CallRecord(
            index=len(self.records),
            method=method,
            params=params,
            time=self._clock(),
            status=status,
            result=result,
            description=description,
            uploads=uploads,
            retry_after=retry_after,
            chat_id=chat_id,
        )
        self.records.append(record)
        self._changed.set()
        self._changed = asyncio.Event()
        return record

    def find(self, match: CallMatch, start: int = 0) -> CallRecord | None:
        """The first record from index `start` that matches a method name or predicate."""
        check = _matcher(match)
        return next((record for record in self.records[start:] if check(record)), None)

    async def wait_for(self, match: CallMatch, *, timeout: float = 10.0, start: int = 0) -> CallRecord:
        """Wait until a matching call exists (from index `start`) and return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := self.find(match, start)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(f"{r.method}->{r.status}" for r in self.records[-12:]) or "none"
                raise TimeoutError(f"no call matching {match!r} within {timeout}s; recent calls: {recent}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
        return found

    def stats(self) -> ApiStats:
        """Calls per method, statuses, 429s, unimplemented methods and uploaded bytes."""
        calls = Counter(record.method for record in self.records)
        statuses = Counter(record.status for record in self.records)
        not_implemented = Counter(record.method for record in self.records if record.status == 501)
        throttled = Counter(record.chat_id for record in self.records if record.status == 429)
        per_method: dict[str, Counter[int]] = {}
        uploaded = 0
        for record in self.records:
            per_method.setdefault(record.method, Counter())[record.status] += 1
            uploaded += sum(len(upload.data) for upload in record.uploads)
        return ApiStats(
            calls=dict(calls),
            statuses=dict(statuses),
            too_many_requests=statuses.get(429, 0),
            not_implemented=dict(not_implemented),
            uploaded_bytes=uploaded,
            total=len(self.records),
            by_method_status={method: dict(codes) for method, codes in per_method.items()},
            too_many_requests_by_chat=dict(throttled),
        )


def _matcher(match: CallMatch) -> Callable[[CallRecord], bool]:
    if isinstance(match, str):
        wanted = match.lower()
        return lambda record: record.method.lower() == wanted
    return match


def _jsonable(value: Any) -> Any:
    if isinstance(value, Upload):
        return value.summary()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value
