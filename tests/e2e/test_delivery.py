"""Deliveries that fail for good: Try again sends the clip that was made, it does not make a new one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from bot.jobs.followup_buttons import FollowUp
from storage import Database, JobState
from tests.e2e.bot_process import all_jobs
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway
from tests.ops.ledger_checks import assert_ledger_sound

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
STREAMS = "/v1/chat/completions"


async def _finished(database: Path, count: int, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while True:
            jobs = await all_jobs(database)
            if len(jobs) >= count and all(job.is_terminal and job.user_notified for job in jobs):
                return
            await asyncio.sleep(0.05)


async def test_try_again_after_telegram_refused_for_the_whole_window_sends_the_same_clip(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=8101)
    fault = api.faults.inject("sendVideo", error_code=502, for_seconds=4)
    async with bot_with(delivery_retry_minutes=0.03):  # a window of about two seconds
        api.users.send_text(chat, None, "/video a paper boat")
        await _finished(database, 1)
        [failed] = await all_jobs(database)
        assert failed.state is JobState.FAILED and failed.error_kind == "upload_failed"
        status = api.state.message(chat, failed.status_message_id or 0)
        assert status is not None and "Try again" in (status.text or "")
        assert "the video is not made again" in (status.text or "")
        api.faults.clear()
        assert fault.hits >= 2
        api.users.press_button(chat, chat.user, status.message_id, FollowUp("again", failed.id).encode())
        await _finished(database, 2)

    failed_again, sent = await all_jobs(database)
    assert failed_again.id == failed.id and sent.state is JobState.DELIVERED
    assert len(api.state.videos_sent(chat)) == 1
    assert len(gateway.requests_to(STREAMS, method="POST")) == 1  # the clip was made (and paid) once
    await assert_ledger_sound(database, clips_paid_upstream=1)
    db = await Database.open(database)
    try:
        async with db.snapshot() as conn:
            rows = await conn.execute_fetchall(
                "SELECT kind, amount_cents FROM spend_ledger WHERE job_id = ? ORDER BY id", (sent.id,)
            )
    finally:
        await db.close()
    assert [tuple(row) for row in rows] == [("reserve", 15), ("charge", 15)]  # paid on delivery only
