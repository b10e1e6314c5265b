"""A job's progress as an immutable snapshot: events fold into it, and it renders as a status message.

Like anthropic-sdk's `accumulate_event`, `accumulate(progress, event)` is a pure reducer and
`render(progress, translate)` a pure function of the snapshot, so both are trivial to test.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from bot.gateway.events import Progress, VideoReady
from bot.i18n import Translate

Phase = Literal["queued", "submitting", "generating", "downloading", "uploading", "delivered", "failed"]

TERMINAL_PHASES: tuple[Phase, ...] = ("delivered", "failed")
_PHASE_ORDER: tuple[Phase, ...] = (
    "queued",
    "submitting",
    "generating",
    "downloading",
    "uploading",
    "delivered",
)

BAR_CELLS = 10
# How much of the variable parts the status message shows, so that even fully escaped
# ("&" -> "&amp;") the message stays far below Telegram's 4096 characters.
PROMPT_SHOWN_CHARS = 300
REASON_SHOWN_CHARS = 350
MODEL_SHOWN_CHARS = 40
COARSE_STEPS = 3

# Upstream task statuses (see bot.gateway.events.TaskState) that mean "still waiting" or "done".
_UPSTREAM_WAITING = frozenset({"queued", "pending", "submitted"})
_UPSTREAM_DONE = frozenset({"completed", "succeeded", "success"})


@dataclass(frozen=True)
class JobProgress:
    """Everything the status message shows about one job, at one moment."""

    prompt: str
    model: str
    started_at: float
    now: float
    phase: Phase = "queued"
    percent: float | None = None
    # Official/async progress moves in big steps (0, 50, 100): never draw a smooth bar from it.
    coarse: bool = False
    # How many jobs are ahead of this one in the bot's own queue (0 = next).
    queue_position: int | None = None
    # A rough wait before this job starts, in seconds (shown with the queue position).
    queue_wait: float | None = None
    videos_total: int = 1
    videos_ready: int = 0
    upstream_status: str | None = None
    failure_key: str | None = None
    failure_args: Mapping[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def begin(
        cls, *, prompt: str, model: str, at: float, videos_total: int = 1, queue_position: int | None = None
    ) -> JobProgress:
        """A job that was just accepted at time `at` and waits in the bot's queue."""
        return cls(
            prompt=prompt,
            model=model,
            started_at=at,
            now=at,
            videos_total=videos_total,
            queue_position=queue_position,
        )

    @property
    def elapsed(self) -> float:
        """Seconds since the job was accepted (never negative)."""
        return max(0.0, self.now - self.started_at)

    @property
    def finished(self) -> bool:
        """True once the job was delivered or failed; later events change nothing."""
        return self.phase in TERMINAL_PHASES


@dataclass(frozen=True)
class TaskPolled:
    """One poll of an async task: its upstream status and, if reported, its progress."""

    status: str
    progress: float | None = None
    coarse: bool = True


@dataclass(frozen=True)
class PhaseChanged:
    """The job moved to another phase; `queue_position` only matters for "queued"."""

    phase: Phase
    queue_position: int | None = None
    queue_wait: float | None = None


@dataclass(frozen=True)
class Tick:
    """Time passed: `now` is on the same clock as `JobProgress.started_at`."""

    now: float


@dataclass(frozen=True)
class Failed:
    """The job failed; `key` is the Fluent message explaining why, `args` its arguments."""

    key: str
    args: Mapping[str, str] = field(default_factory=dict, hash=False)


ProgressEvent = Progress | VideoReady | TaskPolled | PhaseChanged | Tick | Failed


def accumulate(progress: JobProgress, event: ProgressEvent) -> JobProgress:
    """Fold one event into the snapshot; percent never goes backwards, a finished job never changes."""
    if progress.finished:
        return progress
    if isinstance(event, Tick):
        return replace(progress, now=max(progress.now, event.now))
    if isinstance(event, Progress):
        return replace(
            progress,
            phase=_advance(progress.phase, "generating"),
            percent=_forward(progress.percent, event.percent),
            coarse=False,
            queue_position=None,
        )
    if isinstance(event, VideoReady):
        ready = progress.videos_ready + 1
        return replace(
            progress,
            phase=_advance(progress.phase, "generating"),
            videos_ready=ready,
            videos_total=max(progress.videos_total, ready),
            queue_position=None,
        )
    if isinstance(event, TaskPolled):
        return replace(
            progress,
            phase=_advance(progress.phase, "generating"),
            percent=_forward(progress.percent, event.progress),
            coarse=event.coarse,
            upstream_status=event.status.strip().lower(),
            queue_position=None,
        )
    if isinstance(event, PhaseChanged):
        queued = event.phase == "queued"
        return replace(
            progress,
            phase=event.phase,
            queue_position=event.queue_position if queued else None,
            queue_wait=event.queue_wait if queued else None,
        )
    return replace(progress, phase="failed", failure_key=event.key, failure_args=dict(event.args))


def _advance(current: Phase, target: Phase) -> Phase:
    """Move forward to `target` unless the job is already past it."""
    if _PHASE_ORDER.index(current) >= _PHASE_ORDER.index(target):
        return current
    return target


def _forward(current: float | None, new: float | None) -> float | None:
    if new is None or math.isnan(new):
        return current
    new = min(100.0, max(0.0, new))
    return new if current is None else max(current, new)


_ICONS: dict[Phase, str] = {
    "queued": "🕒",
    "submitting": "📨",
    "generating": "🎬",
    "downloading": "📥",
    "uploading": "📤",
    "delivered": "✅",
    "failed": "❌",
}


def render(progress: JobProgress, translate: Translate) -> str:
    """The status message for `progress` as Telegram HTML (parse_mode HTML), always within limits."""
    count = progress.videos_total
    lines: list[str]
    if progress.phase == "failed":
        lines = [f"❌ {_escape(_failure_text(progress, translate), REASON_SHOWN_CHARS)}"]
    else:
        title_count = (progress.videos_ready or count) if progress.phase == "delivered" else count
        title = translate(f"progress-title-{progress.phase}", count=title_count)
        lines = [f"{_ICONS[progress.phase]} <b>{_escape(title)}</b>"]
    prompt = " ".join(progress.prompt.split())
    if prompt:
        lines.append(f"<i>{_escape(prompt, PROMPT_SHOWN_CHARS)}</i>")
    model = progress.model[:MODEL_SHOWN_CHARS]
    lines.append(_escape(translate("progress-model-line", model=model, count=count)))
    lines.extend(_status_lines(progress, translate))
    return "\n".join(lines)


def _status_lines(progress: JobProgress, translate: Translate) -> list[str]:
    """The phase-specific lines under the title, prompt and model."""
    elapsed = f"⏱ {format_elapsed(progress.elapsed)}"
    if progress.phase == "failed":
        return [_escape(translate("progress-not-charged"))]
    if progress.phase == "delivered":
        lines = []
        if 0 < progress.videos_ready < progress.videos_total:
            lines.append(
                _escape(
                    translate(
                        "progress-partly-delivered", ready=progress.videos_ready, total=progress.videos_total
                    )
                )
            )
        lines.append(f"⏱ {_escape(translate('progress-done-in', elapsed=format_elapsed(progress.elapsed)))}")
        return lines
    if progress.phase == "queued":
        if progress.queue_position is None:
            return [elapsed]
        line = f"⏳ {_escape(translate('progress-queue-ahead', ahead=progress.queue_position))}"
        if progress.queue_wait is not None:
            minutes = max(1, math.ceil(progress.queue_wait / 60))
            line += f" · {_escape(translate('progress-queue-wait', minutes=minutes))}"
        return [line, elapsed]
    lines = []
    if progress.phase == "generating":
        lines.append(_generation_line(progress, translate))
    if progress.videos_total > 1 and progress.videos_ready > 0:
        ready = translate("progress-videos-ready", ready=progress.videos_ready, total=progress.videos_total)
        lines.append(f"🎞 {_escape(ready)}")
    lines.append(elapsed)
    return lines


def _generation_line(progress: JobProgress, translate: Translate) -> str:
    """A real bar for fine-grained progress; a named step for coarse (async) progress."""
    if progress.coarse:
        step, stage = _coarse_step(progress)
        step_text = translate("progress-step", step=step, total=COARSE_STEPS)
        return f"⚙️ {_escape(translate(stage))} · {_escape(step_text)}"
    if progress.percent is None:
        return f"⚙️ {_escape(translate('progress-stage-rendering'))}"
    return f"{progress_bar(progress.percent)} {math.floor(progress.percent)}%"


def _coarse_step(progress: JobProgress) -> tuple[int, str]:
    status = progress.upstream_status or ""
    if status in _UPSTREAM_DONE or (progress.percent or 0.0) >= 100.0:
        return 3, "progress-stage-finishing"
    if status in _UPSTREAM_WAITING:
        return 1, "progress-stage-queued"
    return 2, "progress-stage-rendering"


def progress_bar(percent: float, cells: int = BAR_CELLS) -> str:
    """A bar like ▰▰▰▰▰▱▱▱▱▱ for 47%; it is only full at 100%."""
    filled = round(min(100.0, max(0.0, percent)) * cells / 100)
    if percent < 100:
        filled = min(filled, cells - 1)
    return "▰" * filled + "▱" * (cells - filled)


def format_elapsed(seconds: float) -> str:
    """0:42, 12:05 or 1:02:03."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _failure_text(progress: JobProgress, translate: Translate) -> str:
    if progress.failure_key is None:
        return translate("progress-failed-unknown")
    return translate(progress.failure_key, **progress.failure_args)


def _escape(text: str, limit: int | None = None) -> str:
    """Cut to `limit` characters (with …) before escaping, so no entity is ever split."""
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return html.escape(text, quote=False)
