"""The real bot process is killed mid-job (SIGKILL) and restarted: the video arrives once, is charged once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from storage import Database, JobState, QuotaLedger
from tests.e2e.bot_process import BotProcess, all_jobs, bot_environment, until
from tests.e2e.harness import API_KEY, BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway


async def test_sigkill_mid_job_then_restart_delivers_exactly_once(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.generation_seconds = 4.0
    env = bot_environment(tmp_path, api, gateway, GENERATION_MODE="async", LOG_LEVEL="DEBUG")
    chat = api.users.private_chat(user_id=5001)

    first = await BotProcess.start(tmp_path, env, "first.log")
    try:
        await api.calls.wait_for("getUpdates", timeout=60)
        api.users.send_text(chat, None, "/video a clock tower in fog")
        # Polls of the task mean its id is in the ledger: the bot writes it before it waits.
        await until(lambda: len(gateway.requests_to("/v1/videos/", method="GET")) >= 2, timeout=30)
    finally:
        code, _ = await first.terminate(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert api.state.videos_sent(chat) == []

    second = await BotProcess.start(tmp_path, env, "second.log")
    try:
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=60)
        await asyncio.sleep(0.5)
    finally:
        code, _ = await second.terminate(signal.SIGTERM)
    assert code == 0

    assert len(api.state.videos_sent(chat)) == 1
    assert len(gateway.requests_to("/v1/videos", method="POST")) == 1  # polled again, never resubmitted
    [job] = await all_jobs(tmp_path / "bot.sqlite3")
    assert job.state is JobState.DELIVERED and job.charged_cents == 15
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        charges = await QuotaLedger(db).entries(5001, kind="charge")
    finally:
        await db.close()
    assert [entry.amount_cents for entry in charges] == [15]
    for log in (first.log(), second.log()):
        assert "[REDACTED]" in log  # PTB logs the Bot API URL at DEBUG, token and all
        assert BOT_TOKEN not in log and API_KEY not in log
        assert BOT_TOKEN.split(":")[1] not in log


async def test_stream_cut_by_a_kill_is_refunded_with_a_retry_button_that_works(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.generation_seconds = 6.0
    env = bot_environment(tmp_path, api, gateway, GENERATION_MODE="sync")
    chat = api.users.private_chat(user_id=5002)

    first = await BotProcess.start(tmp_path, env, "first.log")
    try:
        await api.calls.wait_for("getUpdates", timeout=60)
        api.users.send_text(chat, None, "/video rain on a window")
        await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "%" in call.params["text"], timeout=30
        )
    finally:
        await first.terminate(signal.SIGKILL)

    gateway.generation_seconds = 0.3
    second = await BotProcess.start(tmp_path, env, "second.log")
    try:
        told = await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "restarted" in call.params["text"], timeout=60
        )
        assert "Nothing was charged" in told.params["text"]
        status = api.state.message(chat, told.params["message_id"])
        [retry] = status.callback_data
        api.users.press_button(chat, None, status.message_id, retry)
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=60)
    finally:
        code, _ = await second.terminate(signal.SIGTERM)
    assert code == 0

    assert len(api.state.videos_sent(chat)) == 1
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        usage = await QuotaLedger(db).usage(5002, period="day", budget_cents=100)
    finally:
        await db.close()
    assert usage.spent_cents == 15 and usage.reserved_cents == 0  # the cut job cost nothing
