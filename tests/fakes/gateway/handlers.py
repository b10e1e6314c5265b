"""The shared request handler base, task status and content, and the CDN's files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import TYPE_CHECKING, Any

import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

from tests.fakes.gateway.tasks import (
    _CHUNK,
    _STATUS_TEXT,
    FILE_FAULTS,
    STATUS_FAULTS,
    FakeTask,
    RecordedFile,
    RecordedRequest,
    _error_body,
    _reason,
    _Refused,
    _ServedFile,
)

if TYPE_CHECKING:
    from tests.fakes.gateway.server import FakeGateway


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

    def task_or_404(self, task_id: str) -> FakeTask | None:
        """The task with this id, or None after answering the documented video_not_found."""
        task = self.gw.tasks.get(task_id)
        if task is None:
            self.send_json(
                404, _error_body("video_not_found", f"Video not found: {task_id}", "invalid_request_error")
            )
        return task

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


class _TaskHandler(_BaseHandler):
    """GET /v1/videos/{id}: the task's status, progressing with the gateway's clock."""

    async def get(self, task_id: str) -> None:
        task = self.task_or_404(task_id)
        if task is None:
            return
        self.send_json(200, _status_body(task, self.gw.clock()))
        if task.fraction(self.gw.clock()) >= 1.0:
            self.gw._settle(task)


def _status_body(task: FakeTask, now: float) -> dict[str, Any]:
    fraction = task.fraction(now)
    official = task.spec.channel == "official"
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
        task = self.task_or_404(task_id)
        if task is None:
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
        if task.spec.channel == "reverse":
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
