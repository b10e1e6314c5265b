"""Operational metrics: a summary logged every few minutes and at shutdown, and an optional /metrics page."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import tornado.httpserver
import tornado.netutil
import tornado.web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.constants import SERVER_CLOSE_TIMEOUT_SECONDS
from storage import Database, JobState, Period, Stats, collect_stats

logger = logging.getLogger(__name__)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRIC_PREFIX = "veo_bot_"


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


#: Seconds; generations take minutes, waits and delivery overhead seconds.
QUEUE_WAIT_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
GENERATION_BUCKETS = (10, 30, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1800)
DELIVERY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)
JobOutcome = Literal["delivered", "failed", "cancelled"]


class _UpstreamErrors(Collector):
    """The gateway's failed attempts since start, read at scrape time (the gateway owns the count)."""

    def __init__(self, counts: Mapping[str, int] | None) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        """One counter sample per error kind."""
        family = CounterMetricFamily(
            f"{METRIC_PREFIX}upstream_errors",
            "Failed gateway attempts since the bot started, by error kind (retried ones included).",
            labels=["kind"],
        )
        for kind, count in sorted((self._counts or {}).items()):
            family.add_metric([kind], count)
        yield family


class PrometheusMetrics:
    """The bot's Prometheus registry: ledger gauges set at scrape time, event counters and histograms."""

    def __init__(self, upstream_errors: Mapping[str, int] | None = None) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        # RSS, CPU seconds, open files and start time of this process (Linux).
        ProcessCollector(registry=registry)
        registry.register(_UpstreamErrors(upstream_errors))
        name = METRIC_PREFIX
        self._jobs = Gauge(
            f"{name}jobs",
            "Jobs created today or this quota period, by their current state.",
            ["window", "state"],
            registry=registry,
        )
        self._clips = Gauge(
            f"{name}clips_delivered",
            "Clips delivered today or this quota period.",
            ["window"],
            registry=registry,
        )
        self._spent = Gauge(
            f"{name}spent_cents",
            "US cents charged for delivered clips today or this quota period.",
            ["window"],
            registry=registry,
        )
        self._failures = Gauge(
            f"{name}failures",
            "Jobs that failed this quota period, by error kind.",
            ["kind"],
            registry=registry,
        )
        self._users = Gauge(f"{name}users", "Users with a job this quota period.", registry=registry)
        self._unfinished = Gauge(
            f"{name}jobs_unfinished",
            "Jobs not yet delivered, failed or cancelled (the ledger's view).",
            registry=registry,
        )
        self._running = Gauge(f"{name}jobs_running", "Jobs holding a generation slot.", registry=registry)
        self._waiting = Gauge(f"{name}jobs_waiting", "Jobs waiting for a generation slot.", registry=registry)
        self._finished = Counter(
            f"{name}jobs_finished", "Jobs finished since start, by outcome.", ["outcome"], registry=registry
        )
        self._clips_total = Counter(
            f"{name}clips", "Clips delivered since the bot started.", registry=registry
        )
        self._spent_total = Counter(
            f"{name}charged_cents",
            "US cents charged for delivered clips since the bot started.",
            registry=registry,
        )
        self._queue_wait = Histogram(
            f"{name}queue_wait_seconds",
            "From a job being queued to it getting a generation slot.",
            buckets=QUEUE_WAIT_BUCKETS,
            registry=registry,
        )
        self._generation = Histogram(
            f"{name}generation_seconds",
            "From submitting to the gateway to the finished video's URL.",
            buckets=GENERATION_BUCKETS,
            registry=registry,
        )
        self._delivery = Histogram(
            f"{name}delivery_overhead_seconds",
            "From the finished video's URL to Telegram accepting the upload (download and upload).",
            buckets=DELIVERY_BUCKETS,
            registry=registry,
        )

    def job_finished(self, *, outcome: JobOutcome, clips: int = 0, cents: int = 0) -> None:
        """Count a job that reached a final state, with the clips delivered and the cents charged."""
        self._finished.labels(outcome=outcome).inc()
        self._clips_total.inc(clips)
        self._spent_total.inc(cents)

    def observe_queue_wait(self, seconds: float) -> None:
        """A job waited this long for a generation slot."""
        self._queue_wait.observe(max(seconds, 0.0))

    def observe_generation(self, seconds: float) -> None:
        """The gateway took this long to make a job's video(s)."""
        self._generation.observe(max(seconds, 0.0))

    def observe_delivery(self, seconds: float) -> None:
        """Downloading and uploading a job's video(s) took this long."""
        self._delivery.observe(max(seconds, 0.0))

    def render(self, snapshot: MetricsSnapshot) -> str:
        """Set the gauges from the snapshot and return the whole registry as Prometheus text."""
        stats = snapshot.stats
        for window, counts in (("today", stats.jobs_today), ("period", stats.jobs_period)):
            for state in JobState:
                self._jobs.labels(window=window, state=str(state)).set(counts.get(state, 0))
        self._clips.labels(window="today").set(stats.clips_delivered_today)
        self._clips.labels(window="period").set(stats.clips_delivered_period)
        self._spent.labels(window="today").set(stats.spent_today_cents)
        self._spent.labels(window="period").set(stats.spent_period_cents)
        self._failures.clear()  # a kind with no failures this period disappears
        for kind, count in stats.errors_by_kind.items():
            self._failures.labels(kind=kind).set(count)
        self._users.set(stats.users_period)
        self._unfinished.set(stats.active_jobs)
        self._running.set(snapshot.running_jobs)
        self._waiting.set(snapshot.waiting_jobs)
        return generate_latest(self.registry).decode()


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
        prometheus: PrometheusMetrics | None = None,
    ) -> None:
        self._db = db
        self._upstream_errors = upstream_errors
        self.prometheus = prometheus or PrometheusMetrics(upstream_errors)
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
        return self.prometheus.render(await self.snapshot())

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
