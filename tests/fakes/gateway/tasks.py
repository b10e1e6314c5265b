"""The fake gateway's constants, request records, task model and clock."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.gateway.models import DocModel, OrientationName

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
    spec: DocModel
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


def _reason(outcome: str) -> str:
    return {"policy": POLICY_REASON, "audio": AUDIO_REASON}.get(outcome, FAIL_REASON)


def _dimensions(orientation: OrientationName) -> tuple[int, int]:
    return (128, 72) if orientation == "landscape" else (72, 128)


def _error_body(code: str, message: str, kind: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "type": kind}}


class _Refused(Exception):
    """Raised inside a handler to answer with a documented error body."""

    def __init__(self, status: int, message: str, code: str | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        default_code, default_kind, _ = _STATUS_TEXT.get(status, ("error", "error", ""))
        self.status = status
        self.body = _error_body(code or default_code, message, kind or default_kind)
