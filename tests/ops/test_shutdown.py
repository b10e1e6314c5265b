"""SIGTERM: updates stop, long jobs stay in the ledger, the process exits; the next start finishes them."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from storage import Database, JobState, QuotaLedger
from tests.e2e.bot_process import BotProcess, all_jobs, bot_environment, until
from tests.e2e.harness import API_KEY, BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway, ManualClock

USER_ID = 6101
PRICE_CENTS = 15  # veo-3.1-fast


@pytest.fixture
def clock() -> ManualClock:
    """The gateway's clock: it moves only when the test says so."""
    return ManualClock()


@pytest.fixture
async def slow_gateway(clock: ManualClock) -> AsyncIterator[FakeGateway]:
    """Tasks take 60 s of the manual clock."""
    async with FakeGateway(
        api_key=API_KEY, generation_seconds=60.0, content_delay_seconds=0.0, clock=clock
    ) as fake:
        yield fake


async def test_sigterm_leaves_an_async_job_for_the_next_start_which_delivers_it_once(
    api: FakeBotAPI, slow_gateway: FakeGateway, clock: ManualClock, tmp_path: Path
) -> None:
    gateway = slow_gateway
    env = bot_environment(tmp_path, api, gateway, GENERATION_MODE="async")
    chat = api.users.private_chat(user_id=USER_ID)

    first = await BotProcess.start(tmp_path, env, "first.log")
    try:
        api.users.send_text(chat, None, "/video a lighthouse in a storm")
        await until(lambda: len(gateway.requests_to("/v1/videos/", method="GET")) >= 2)
        code, seconds = await first.terminate(signal.SIGTERM)
    finally:
        await first.kill()

    assert code == 0, first.log()[-3000:]
    assert seconds < 15
    [job] = await all_jobs(tmp_path / "bot.sqlite3")
    [task_id] = gateway.tasks
    assert not job.state.is_terminal and job.upstream_task_id == task_id
    assert api.state.videos_sent(chat) == []
    log = first.log()
    assert "Job runner stopped; 1 job(s) left for the next start" in log
    assert "unfinished=1" in log  # the metrics summary written at shutdown
    assert "Traceback" not in log
    assert api.calls.to("setWebhook") == []  # long polling is the default

    clock.advance(120)  # the task finishes while the bot is down
    second = await BotProcess.start(tmp_path, env, "second.log")
    try:
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=30)
        await until(lambda: "delivered:" in second.log(), timeout=10)
        code, _ = await second.terminate(signal.SIGTERM)
    finally:
        await second.kill()

    assert code == 0
    assert len(api.state.videos_sent(chat)) == 1
    status = api.state.message(chat, job.status_message_id or 0)
    assert status is not None and "ready" in (status.text or "")  # the final edit is written before exit
    assert len(gateway.requests_to("/v1/videos", method="POST")) == 1  # polled again, never resubmitted
    [job] = await all_jobs(tmp_path / "bot.sqlite3")
    assert job.state is JobState.DELIVERED and job.charged_cents == PRICE_CENTS
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        charges = await QuotaLedger(db).entries(USER_ID, kind="charge")
    finally:
        await db.close()
    assert [entry.amount_cents for entry in charges] == [PRICE_CENTS]
    for log in (first.log(), second.log()):
        assert BOT_TOKEN not in log and API_KEY not in log


async def wait_for_state(database_path: Path, state: JobState, *, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not any(job.state is state for job in await all_jobs(database_path)):
            await asyncio.sleep(0.05)


async def test_a_stop_during_an_upload_lets_it_finish_and_settle_before_exit(
    api: FakeBotAPI,
    gateway: FakeGateway,
    bot_with: Callable[..., AbstractAsyncContextManager[Any]],
    tmp_path: Path,
) -> None:
    chat = api.users.private_chat(user_id=6102)
    api.faults.inject_delay("sendVideo", 1.0, count=1)  # Telegram takes a moment to accept the upload
    async with bot_with():
        api.users.send_text(chat, None, "/video a paper boat on a river")
        await wait_for_state(tmp_path / "bot.sqlite3", JobState.UPLOADING)
        await asyncio.sleep(0.3)  # the upload is on its way when the stop comes

    # Settled before the bot stopped: a restart has nothing to resume and cannot send it twice.
    assert len(api.state.videos_sent(chat)) == 1
    [job] = await all_jobs(tmp_path / "bot.sqlite3")
    assert job.state is JobState.DELIVERED and job.charged_cents == PRICE_CENTS
