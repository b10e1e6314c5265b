"""What the gateway reports: stream events (sync mode) and task statuses (async mode).

A stream that fails raises instead (see `VideoGateway.stream_video`); it has no failure event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

TaskState = Literal["queued", "processing", "completed", "failed"]

# The two channels' documented spellings (reverse: `processing`, official: `in_progress`), folded onto
# the four states.
_STATUS_ALIASES: dict[str, TaskState] = {
    "queued": "queued",
    "processing": "processing",
    "in_progress": "processing",
    "completed": "completed",
    "failed": "failed",
}

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Progress:
    """The generation is `percent` (0..100) done."""

    percent: float


@dataclass(frozen=True)
class VideoReady:
    """Video number `index` (0-based) is ready at `url`; one event per video when n > 1."""

    url: str
    index: int


StreamEvent = Progress | VideoReady


class TaskStatus(BaseModel):
    """One async task as the gateway reports it; tolerant of both channels' shapes."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    task_id: str
    status: TaskState
    progress: float | None = None
    fail_reason: str | None = None
    model: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        """Fold the documented variants (id/task_id, in_progress, "100%", nested errors) into one shape."""
        if not isinstance(data, dict):
            return data
        raw_nested = data.get("data")
        nested: dict[str, Any] = raw_nested if isinstance(raw_nested, dict) else {}
        status = data.get("status") or nested.get("status")
        return {
            "task_id": _first_text(
                data.get("task_id"), data.get("id"), nested.get("task_id"), nested.get("id")
            ),
            "status": _STATUS_ALIASES.get(str(status).strip().lower(), status) if status else status,
            "progress": parse_progress(data.get("progress", nested.get("progress"))),
            "fail_reason": _fail_reason(data, nested),
            "model": _first_text(data.get("model"), data.get("model_name"), nested.get("model")),
        }

    @property
    def is_terminal(self) -> bool:
        """True once the task can no longer change (completed or failed)."""
        return self.status in ("completed", "failed")


def parse_progress(value: object) -> float | None:
    """Read 45, 45.0, "45", "45%" or "45.5 %" as a percentage clamped to 0..100; None when absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _NUMBER.search(str(value))
        if match is None:
            return None
        number = float(match.group())
    return min(100.0, max(0.0, number))


def _first_text(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _error_message(error: object) -> str | None:
    if isinstance(error, dict):
        return _first_text(error.get("message"), error.get("code"))
    return _first_text(error)


def _fail_reason(data: dict[str, Any], nested: dict[str, Any]) -> str | None:
    return (
        _first_text(data.get("fail_reason"))
        or _error_message(data.get("error"))
        or _error_message(nested.get("error"))
        or _first_text(nested.get("fail_reason"))
    )
