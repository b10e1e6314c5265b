"""Operational metrics: a summary logged every few minutes and at shutdown, and an optional /metrics page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import tornado.httpserver
import tornado.netutil
import tornado.web

from storage import Database, JobState, Period, Stats, collect_stats

logger = logging.getLogger(__name__)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRIC_PREFIX = "veo_bot_"
SERVER_CLOSE_TIMEOUT_SECONDS = 5.0


class JobCounts(Protocol):
    """What the metrics read from the job runner (JobRunner satisfies it)."""

    @property
    def running_count(self) -> int:
        """Jobs holding a slot right now."""
        ...

    @property
    def waiting_count(self) -> int:
        """Jobs waiting for a slot."""
        ...


@dataclass(frozen=True)
class MetricsSnapshot:
    """The numbers an operator watches, read at one moment."""

    stats: Stats
    running_jobs: int
    waiting_jobs: int
    #: Failed upstream attempts since the bot started, by error kind (retried ones included).
    upstream_errors: dict[str, int] = field(default_factory=dict)


async def read_snapshot(
    db: Database, runner: JobCounts, *, period: Period, upstream_errors: Mapping[str, int] | None = None
) -> MetricsSnapshot:
    """Read the ledger's overview, the runner's queue and the gateway's error counts."""
    stats = await collect_stats(db, period=period)
    return MetricsSnapshot(
        stats=stats,
        running_jobs=runner.running_count,
        waiting_jobs=runner.waiting_count,
        upstream_errors=dict(upstream_errors or {}),
    )


def _usd(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{name}={count}" for name, count in counts.items() if count]
    return " ".join(shown) if shown else "none"


def _windows(today: str, this_period: str, period: Period) -> str:
    return f"today={today}" if period == "day" else f"today={today} this {period}={this_period}"


def summary_line(snapshot: MetricsSnapshot) -> str:
    """One log line: jobs by state, clips, spend, failures by kind and the queue."""
    stats = snapshot.stats
    jobs_today = {str(state): count for state, count in stats.jobs_today.items()}
    clips = _windows(str(stats.clips_delivered_today), str(stats.clips_delivered_period), stats.period)
    spent = _windows(_usd(stats.spent_today_cents), _usd(stats.spent_period_cents), stats.period)
    return (
        f"Metrics: jobs today {_counts(jobs_today)}; clips {clips}; spent {spent}; "
        f"failures this {stats.period} {_counts(stats.errors_by_kind)}; "
        f"upstream errors since start {_counts(snapshot.upstream_errors)}; "
        f"unfinished={stats.active_jobs} running={snapshot.running_jobs} waiting={snapshot.waiting_jobs}"
    )


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name: str, value: int, **labels: str) -> str:
    if not labels:
        return f"{METRIC_PREFIX}{name} {value}"
    inside = ",".join(f'{key}="{_label_value(text)}"' for key, text in labels.items())
    return f"{METRIC_PREFIX}{name}{{{inside}}} {value}"


def _family(name: str, help_text: str, samples: list[str]) -> list[str]:
    return [f"# HELP {METRIC_PREFIX}{name} {help_text}", f"# TYPE {METRIC_PREFIX}{name} gauge", *samples]


def _by_state(counts: dict[JobState, int], window: str) -> list[str]:
    return [_sample("jobs", counts.get(state, 0), window=window, state=str(state)) for state in JobState]


def prometheus_text(snapshot: MetricsSnapshot) -> str:
    """The snapshot in Prometheus' text exposition format (every value a gauge)."""
    stats = snapshot.stats
    lines = [
        *_family(
            "jobs",
            f"Jobs created today or this quota period ({stats.period}), by their current state.",
            _by_state(stats.jobs_today, "today") + _by_state(stats.jobs_period, "period"),
        ),
        *_family(
            "clips_delivered",
            "Clips delivered today or this quota period.",
            [
                _sample("clips_delivered", stats.clips_delivered_today, window="today"),
                _sample("clips_delivered", stats.clips_delivered_period, window="period"),
            ],
        ),
        *_family(
            "spent_cents",
            "US cents charged for delivered clips today or this quota period.",
            [
                _sample("spent_cents", stats.spent_today_cents, window="today"),
                _sample("spent_cents", stats.spent_period_cents, window="period"),
            ],
        ),
        *_family(
            "failures",
            "Jobs that failed this quota period, by error kind.",
            [_sample("failures", count, kind=kind) for kind, count in sorted(stats.errors_by_kind.items())],
        ),
        *_family(
            "upstream_errors",
            "Failed gateway attempts since the bot started, by error kind (retried ones included).",
            [
                _sample("upstream_errors", count, kind=kind)
                for kind, count in sorted(snapshot.upstream_errors.items())
            ],
        ),
        *_family("users", "Users with a job this quota period.", [_sample("users", stats.users_period)]),
        *_family(
            "jobs_unfinished",
            "Jobs not yet delivered, failed or cancelled (the ledger's view).",
            [_sample("jobs_unfinished", stats.active_jobs)],
        ),
        *_family(
            "jobs_running",
            "Jobs holding a generation slot.",
            [_sample("jobs_running", snapshot.running_jobs)],
        ),
        *_family(
            "jobs_waiting",
            "Jobs waiting for a generation slot.",
            [_sample("jobs_waiting", snapshot.waiting_jobs)],
        ),
    ]
    return "\n".join(lines) + "\n"


class _MetricsHandler(tornado.web.RequestHandler):
    """GET /metrics: the current snapshot as Prometheus text."""

    def initialize(self, render: Callable[[], Awaitable[str]]) -> None:
        """Keep the renderer."""
        self._render = render

    async def get(self) -> None:
        """Answer with the current numbers."""
        body = await self._render()
        self.set_header("Content-Type", PROMETHEUS_CONTENT_TYPE)
        self.finish(body)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    logger.debug("metrics %s %s %s", handler.get_status(), handler.request.method, handler.request.path)


class OpsMetrics:
    """Logs a metrics summary every `log_interval_seconds` (and once at stop); serves /metrics when asked."""

    def __init__(
        self,
        *,
        db: Database,
        runner: JobCounts,
        period: Period,
        log_interval_seconds: float,
        listen: str = "127.0.0.1",
        port: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        upstream_errors: Mapping[str, int] | None = None,
    ) -> None:
        self._db = db
        self._upstream_errors = upstream_errors
        self._runner = runner
        self._period = period
        self._interval = log_interval_seconds
        self._listen = listen
        self._port = port
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._server: tornado.httpserver.HTTPServer | None = None
        self._bound_port: int | None = None

    @property
    def bound_port(self) -> int | None:
        """The port /metrics is served on (the real one when 0 was asked for), or None when off."""
        return self._bound_port

    async def snapshot(self) -> MetricsSnapshot:
        """The current numbers."""
        return await read_snapshot(
            self._db, self._runner, period=self._period, upstream_errors=self._upstream_errors
        )

    async def render_prometheus(self) -> str:
        """The current numbers as Prometheus text."""
        return prometheus_text(await self.snapshot())

    async def log_summary(self) -> None:
        """Log the current numbers in one line."""
        logger.info("%s", summary_line(await self.snapshot()))

    async def start(self) -> None:
        """Start the periodic summary and, when a port is set, the /metrics endpoint."""
        if self._port is not None:
            self._start_server(self._port)
        if self._interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._log_periodically(), name="metrics-summary")

    def _start_server(self, port: int) -> None:
        app = tornado.web.Application(
            [(r"/metrics", _MetricsHandler, {"render": self.render_prometheus})], log_function=_log_request
        )
        sockets = tornado.netutil.bind_sockets(port, self._listen, family=socket.AF_UNSPEC)
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self._bound_port = int(sockets[0].getsockname()[1])
        logger.info("Serving metrics on http://%s:%d/metrics", self._listen, self._bound_port)

    async def _log_periodically(self) -> None:
        while True:
            await self._sleep(self._interval)
            try:
                await self.log_summary()
            except Exception:
                logger.exception("Could not read the metrics")

    async def stop(self) -> None:
        """Stop the timer and the endpoint, then log a last summary (the database must still be open)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            try:
                await asyncio.wait_for(server.close_all_connections(), SERVER_CLOSE_TIMEOUT_SECONDS)
            except TimeoutError:
                logger.warning("metrics connections did not close within %ss", SERVER_CLOSE_TIMEOUT_SECONDS)
            self._bound_port = None
        try:
            await self.log_summary()
        except Exception:
            logger.exception("Could not read the metrics at shutdown")
