"""The real bot process is killed mid-job (SIGKILL) and restarted: the video arrives once, is charged once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from storage import Database, JobState, JobStore, QuotaLedger
from tests.e2e.harness import API_KEY, BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway


def bot_environment(tmp_path: Path, api: FakeBotAPI, gateway: FakeGateway) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "APIYI_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_URL=api.root,
        APIYI_API_KEY=API_KEY,
        APIYI_BASE_URL=gateway.base_url,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        TEMP_DIR=str(tmp_path / "tmp"),
        GENERATION_MODE="async",
        POLL_INTERVAL_SECONDS="0.2",
        LOG_LEVEL="DEBUG",
    )
    return env


async def start_bot(tmp_path: Path, env: dict[str, str], log_name: str) -> asyncio.subprocess.Process:
    log = (tmp_path / log_name).open("wb")
    # The working directory is the test's folder, so no developer's .env is picked up.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    log.close()
    return process


async def stop(process: asyncio.subprocess.Process, sig: int) -> int:
    if process.returncode is None:
        process.send_signal(sig)
    return await asyncio.wait_for(process.wait(), timeout=20)


async def test_sigkill_mid_job_then_restart_delivers_exactly_once(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.generation_seconds = 4.0
    env = bot_environment(tmp_path, api, gateway)
    chat = api.private_chat(user_id=5001)

    first = await start_bot(tmp_path, env, "first.log")
    try:
        await api.wait_for("getUpdates", timeout=30)
        api.send_text(chat, None, "/video a clock tower in fog")
        # Polls of the task mean its id is in the ledger: the bot writes it before it waits.
        await asyncio.wait_for(_until(lambda: len(gateway.requests_to("/v1/videos/", method="GET")) >= 2), 20)
    finally:
        assert await stop(first, signal.SIGKILL) == -signal.SIGKILL
    assert api.videos_sent(chat) == []

    second = await start_bot(tmp_path, env, "second.log")
    try:
        await api.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=30)
        await asyncio.sleep(0.5)
    finally:
        assert await stop(second, signal.SIGTERM) == 0

    assert len(api.videos_sent(chat)) == 1
    assert len(gateway.requests_to("/v1/videos", method="POST")) == 1  # polled again, never resubmitted
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        [job] = await JobStore(db).active_jobs(5001) or [await _only_job(db)]
        assert job.state is JobState.DELIVERED and job.charged_cents == 15
        charges = await QuotaLedger(db).entries(5001, kind="charge")
        assert [entry.amount_cents for entry in charges] == [15]
    finally:
        await db.close()
    for name in ("first.log", "second.log"):
        log = (tmp_path / name).read_text(errors="replace")
        assert BOT_TOKEN not in log and API_KEY not in log, name
        assert BOT_TOKEN.split(":")[1] not in log


async def _only_job(db: Database) -> Any:
    async with db.snapshot() as conn, conn.execute("SELECT id FROM jobs") as cursor:
        rows = list(await cursor.fetchall())
    assert len(rows) == 1
    return await JobStore(db).get_job(rows[0][0])


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.05)


async def test_stream_cut_by_a_kill_is_refunded_with_a_retry_button_that_works(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.generation_seconds = 6.0
    env = bot_environment(tmp_path, api, gateway) | {"GENERATION_MODE": "sync"}
    chat = api.private_chat(user_id=5002)

    first = await start_bot(tmp_path, env, "first.log")
    try:
        await api.wait_for("getUpdates", timeout=30)
        api.send_text(chat, None, "/video rain on a window")
        await api.wait_for(
            lambda call: call.method == "editMessageText" and "%" in call.params["text"], timeout=20
        )
    finally:
        await stop(first, signal.SIGKILL)

    gateway.generation_seconds = 0.3
    second = await start_bot(tmp_path, env, "second.log")
    try:
        told = await api.wait_for(
            lambda call: call.method == "editMessageText" and "restarted" in call.params["text"], timeout=30
        )
        assert "Nothing was charged" in told.params["text"]
        status = api.message(chat, told.params["message_id"])
        [retry] = status.callback_data
        api.press_button(chat, None, status.message_id, retry)
        await api.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=30)
    finally:
        assert await stop(second, signal.SIGTERM) == 0

    assert len(api.videos_sent(chat)) == 1
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        usage = await QuotaLedger(db).usage(5002, period="day", budget_cents=100)
        assert usage.spent_cents == 15 and usage.reserved_cents == 0  # the cut job cost nothing
    finally:
        await db.close()
