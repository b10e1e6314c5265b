"""bot/metrics.py: the logged summary, the Prometheus page, the timer, and their wiring into the bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import PROMETHEUS_CONTENT_TYPE, OpsMetrics, read_snapshot, summary_line
from storage import Database, JobCreated, JobState, JobStore
from tests.e2e.bot_process import free_port
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway
from tests.storage.support import FakeClock, make_job, policy

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Counts:
    """Stands in for the job runner's queue counters."""

    def __init__(self, running: int = 0, waiting: int = 0) -> None:
        self.running_count = running
        self.waiting_count = waiting


def parse_prometheus(text: str) -> Samples:
    """Samples by (name, labels), parsed by prometheus_client's own parser (which rejects malformed text)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def families(text: str) -> dict[str, str]:
    return {family.name: family.type for family in text_string_to_metric_families(text)}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(f"veo_bot_{name}", frozenset(labels.items()))]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A ledger with, today: one delivered clip (15 c), one timeout failure, one job still generating."""
    database = await Database.open(tmp_path / "bot.sqlite3", clock=FakeClock())
    jobs = JobStore(database)
    created = []
    for message_id in (1, 2, 3):
        result = await jobs.create_job(
            make_job(user_id=10 + message_id, message_id=message_id, price_cents=15), policy=policy()
        )
        assert isinstance(result, JobCreated)
        created.append(result.job.id)
    delivered, failed, running = created
    for state in (JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING):
        await jobs.advance(delivered, state)
    await jobs.settle_delivered(delivered, 1)
    await jobs.fail_job(failed, "timeout", "the gateway sent nothing")
    await jobs.advance(running, JobState.GENERATING)
    try:
        yield database
    finally:
        await database.close()


async def test_summary_line_has_states_clips_spend_failures_and_queue(db: Database) -> None:
    snapshot = await read_snapshot(db, Counts(running=1, waiting=2), period="day")

    line = summary_line(snapshot)

    assert line.startswith("Metrics: jobs today ")
    for part in ("delivered=1", "failed=1", "generating=1", "clips today=1", "spent today=$0.15"):
        assert part in line, line
    assert "failures this day timeout=1" in line
    assert "unfinished=1 running=1 waiting=2" in line
    assert "upstream errors since start none" in line
    assert "queued=" not in line  # states with no jobs are left out


async def test_summary_names_the_quota_period_when_it_is_not_a_day(db: Database) -> None:
    line = summary_line(await read_snapshot(db, Counts(), period="week"))

    assert "clips today=1 this week=1" in line and "spent today=$0.15 this week=$0.15" in line


async def test_metrics_endpoint_serves_prometheus_text_and_stops(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = OpsMetrics(
        db=db,
        runner=Counts(running=1, waiting=3),
        period="day",
        log_interval_seconds=0,
        port=0,
        upstream_errors={"server_error": 3, "rate_limited": 1},
    )
    await metrics.start()
    port = metrics.bound_port
    assert port is not None
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            page = await client.get(f"http://127.0.0.1:{port}/metrics")
            other = await client.get(f"http://127.0.0.1:{port}/")
    finally:
        with caplog.at_level(logging.INFO, logger="bot.metrics"):
            await metrics.stop()

    assert page.status_code == 200 and page.headers["content-type"] == PROMETHEUS_CONTENT_TYPE
    assert other.status_code == 404
    samples = parse_prometheus(page.text)
    assert value(samples, "jobs", window="today", state="delivered") == 1
    assert value(samples, "jobs", window="today", state="queued") == 0
    assert value(samples, "jobs", window="period", state="failed") == 1
    assert value(samples, "clips_delivered", window="today") == 1
    assert value(samples, "spent_cents", window="period") == 15
    assert value(samples, "failures", kind="timeout") == 1
    assert value(samples, "jobs_unfinished") == 1
    assert (value(samples, "jobs_running"), value(samples, "jobs_waiting")) == (1, 3)
    assert value(samples, "upstream_errors_total", kind="server_error") == 3
    assert value(samples, "upstream_errors_total", kind="rate_limited") == 1
    kinds = families(page.text)
    assert kinds["veo_bot_jobs"] == "gauge" and kinds["veo_bot_upstream_errors"] == "counter"
    for name in ("queue_wait_seconds", "generation_seconds", "delivery_overhead_seconds"):
        assert kinds[f"veo_bot_{name}"] == "histogram"
    # The default process collector: memory, CPU and open files of this process.
    assert samples[("process_resident_memory_bytes", frozenset())] > 0
    assert ("process_cpu_seconds_total", frozenset()) in samples
    assert samples[("process_open_fds", frozenset())] > 0
    # Stopped: the port is closed and a last summary was logged.
    assert metrics.bound_port is None
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=2) as client:
            await client.get(f"http://127.0.0.1:{port}/metrics")
    assert [record.getMessage() for record in caplog.records if "Metrics:" in record.getMessage()]


async def test_recorded_events_show_as_counters_and_histograms(db: Database) -> None:
    metrics = OpsMetrics(db=db, runner=Counts(), period="day", log_interval_seconds=0)
    recorder = metrics.prometheus
    recorder.job_finished(outcome="delivered", clips=2, cents=30)
    recorder.job_finished(outcome="failed")
    recorder.observe_queue_wait(0.3)
    recorder.observe_queue_wait(42)
    recorder.observe_generation(75)
    recorder.observe_delivery(1.5)

    samples = parse_prometheus(await metrics.render_prometheus())

    assert value(samples, "jobs_finished_total", outcome="delivered") == 1
    assert value(samples, "jobs_finished_total", outcome="failed") == 1
    assert value(samples, "clips_total") == 2 and value(samples, "charged_cents_total") == 30
    assert value(samples, "queue_wait_seconds_count") == 2
    assert value(samples, "queue_wait_seconds_sum") == pytest.approx(42.3)
    assert value(samples, "queue_wait_seconds_bucket", le="0.5") == 1
    assert value(samples, "queue_wait_seconds_bucket", le="+Inf") == 2
    assert value(samples, "generation_seconds_bucket", le="60.0") == 0
    assert value(samples, "generation_seconds_bucket", le="90.0") == 1
    assert value(samples, "delivery_overhead_seconds_count") == 1
    # The ledger gauges are still there, set at scrape time.
    assert value(samples, "jobs", window="today", state="delivered") == 1


async def test_summary_is_logged_every_interval(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    ticks: asyncio.Queue[None] = asyncio.Queue()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await ticks.get()

    metrics = OpsMetrics(db=db, runner=Counts(), period="day", log_interval_seconds=600, sleep=sleep)
    with caplog.at_level(logging.INFO, logger="bot.metrics"):
        await metrics.start()
        for _ in range(2):
            ticks.put_nowait(None)
        while len(waits) < 3:
            await asyncio.sleep(0.01)
        logged_while_running = sum("Metrics:" in record.getMessage() for record in caplog.records)
        await metrics.stop()

    assert waits == [600, 600, 600]
    assert logged_while_running == 2
    assert sum("Metrics:" in record.getMessage() for record in caplog.records) == 3  # and one at stop


async def test_the_running_bot_serves_metrics_on_metrics_port(
    api: FakeBotAPI,
    gateway: FakeGateway,
    bot_with: Callable[..., AbstractAsyncContextManager[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    chat = api.users.private_chat(user_id=6201)
    with caplog.at_level(logging.INFO, logger="bot.metrics"):
        async with bot_with(METRICS_PORT=port, METRICS_LOG_MINUTES=0):
            api.users.send_text(chat, None, "/video a kite over a hill")
            await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=15)
            async with httpx.AsyncClient(timeout=5) as client:
                for _ in range(100):  # the ledger settles right after the upload
                    samples = parse_prometheus((await client.get(f"http://127.0.0.1:{port}/metrics")).text)
                    if value(samples, "clips_delivered", window="today"):
                        break
                    await asyncio.sleep(0.05)

    assert value(samples, "jobs", window="today", state="delivered") == 1
    assert value(samples, "spent_cents", window="today") == 15
    summaries = [record.getMessage() for record in caplog.records if "Metrics:" in record.getMessage()]
    assert len(summaries) == 1 and "delivered=1" in summaries[0]  # METRICS_LOG_MINUTES=0: only at stop
