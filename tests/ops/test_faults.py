"""Faults on every side: users get their video, or a clear message and a refund; never a double charge."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.client import GatewayTimeouts
from storage import Database, Job, JobState, QuotaLedger
from tests.e2e.bot_process import BotProcess, all_jobs, bot_environment, until
from tests.fakes.bot_api import FakeBotAPI, FakeChat
from tests.fakes.bot_api.server import DISCONNECTED
from tests.fakes.gateway import FakeGateway
from tests.ops.gateway_proxy import GatewayProxy

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
FAST_CENTS = 15  # veo-3.1-fast
OFFICIAL_FAST = "veo-3.1-fast-generate-preview"
OFFICIAL_FAST_CENTS = 30


@dataclass(frozen=True)
class Outcome:
    """What one user ended with: videos in the chat, the status message, the job and its money."""

    job: Job
    videos: int
    status_text: str
    charges: list[int]
    refunds: list[int]

    def assert_delivered(self, price_cents: int) -> None:
        assert self.job.state is JobState.DELIVERED, self
        assert self.videos == 1 and self.charges == [price_cents] and self.refunds == [], self
        assert "ready" in self.status_text, self.status_text

    def assert_refunded(self, *explanation: str) -> None:
        assert self.job.state is JobState.FAILED, self
        assert self.charges == [] and self.refunds == [self.job.reserved_cents], self
        assert "Nothing was charged" in self.status_text, self.status_text
        for words in explanation:
            assert words in self.status_text, self.status_text


async def settled(database_path: Path, user_ids: list[int], *, timeout: float = 20.0) -> None:
    """Wait until every listed user's job is finished and the user was told."""

    async def done() -> bool:
        jobs = {job.user_id: job for job in await all_jobs(database_path)}
        return all(uid in jobs and jobs[uid].is_terminal and jobs[uid].user_notified for uid in user_ids)

    async with asyncio.timeout(timeout):
        while not await done():
            await asyncio.sleep(0.05)


async def outcome(api: FakeBotAPI, database_path: Path, chat: FakeChat) -> Outcome:
    """The user's (single) job and everything they got."""
    [job] = [job for job in await all_jobs(database_path) if job.user_id == chat.id]
    status = api.state.message(chat, job.status_message_id) if job.status_message_id else None
    db = await Database.open(database_path)
    try:
        ledger = QuotaLedger(db)
        charges = [entry.amount_cents for entry in await ledger.entries(chat.id, kind="charge")]
        refunds = [entry.amount_cents for entry in await ledger.entries(chat.id, kind="refund")]
    finally:
        await db.close()
    text = (status.text if status else None) or ""
    return Outcome(job, len(api.state.videos_sent(chat)), text, charges, refunds)


@pytest.fixture
async def proxy(gateway: FakeGateway) -> AsyncIterator[GatewayProxy]:
    """The gateway behind a proxy that can leave requests unanswered."""
    async with GatewayProxy(gateway.base_url.removesuffix("/v1")) as running:
        yield running


# -- the gateway ---------------------------------------------------------------------------------


async def test_submit_5xx_is_retried_or_refunded_and_a_timed_out_submit_is_never_repeated(
    api: FakeBotAPI,
    gateway: FakeGateway,
    proxy: GatewayProxy,
    bot_with: BotStarter,
    short_gateway_timeouts: GatewayTimeouts,
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    flaky, down, silent = (api.users.private_chat(user_id=uid) for uid in (7001, 7002, 7003))
    proxy.hang("POST", "/v1/videos", body_contains="hang-me")
    async with bot_with(generation_mode="async", apiyi_base_url=proxy.base_url):
        api.users.send_text(flaky, None, "/video a red kite #503:1")
        api.users.send_text(down, None, "/video a blue kite #500")
        api.users.send_text(silent, None, "/video a green kite hang-me")
        await settled(database, [7001, 7002, 7003])

    (await outcome(api, database, flaky)).assert_delivered(FAST_CENTS)
    (await outcome(api, database, down)).assert_refunded("had a problem")
    (await outcome(api, database, silent)).assert_refunded("too long")
    # A submit that got no answer may have started a task upstream: it is not sent again.
    assert proxy.seen_to("POST", "/v1/videos", body_contains="hang-me") == 1
    assert len(gateway.requests_to("/v1/videos", method="POST")) == 2 + 3  # #503:1 twice, #500 three times


async def test_polls_that_fail_time_out_or_drop_are_polled_through(
    api: FakeBotAPI,
    gateway: FakeGateway,
    proxy: GatewayProxy,
    bot_with: BotStarter,
    short_gateway_timeouts: GatewayTimeouts,
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=7011)
    proxy.hang("GET", "/v1/videos/video_", count=1)
    gateway.inject("502", count=1, path_prefix="/v1/videos/video_", method="GET")
    gateway.inject("drop", count=1, path_prefix="/v1/videos/video_", method="GET")
    async with bot_with(generation_mode="async", apiyi_base_url=proxy.base_url):
        api.users.send_text(chat, None, "/video a windmill at dusk")
        await settled(database, [7011])

    (await outcome(api, database, chat)).assert_delivered(FAST_CENTS)
    assert len(proxy.hung) == 1
    assert len(gateway.requests_to("/v1/videos", method="POST")) == 1


async def test_video_link_5xx_is_retried_and_a_dead_link_is_refunded(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    first, second = api.users.private_chat(user_id=7021), api.users.private_chat(user_id=7022)
    async with bot_with():
        gateway.inject("502", count=1, path_prefix="/files/")
        api.users.send_text(first, None, "/video a snowy owl")
        await settled(database, [7021])
        gateway.inject("500", count=3, path_prefix="/files/")  # the first try and both retries
        api.users.send_text(second, None, "/video a sleepy owl")
        await settled(database, [7022])

    (await outcome(api, database, first)).assert_delivered(FAST_CENTS)
    (await outcome(api, database, second)).assert_refunded()


async def test_a_result_download_that_times_out_is_retried(
    api: FakeBotAPI,
    gateway: FakeGateway,
    proxy: GatewayProxy,
    bot_with: BotStarter,
    short_gateway_timeouts: GatewayTimeouts,
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=7031)
    proxy.hang("GET", "/v1/videos/", path_suffix="/content", count=1)
    async with bot_with(apiyi_base_url=proxy.base_url):
        api.users.send_text(chat, None, f"/video --model {OFFICIAL_FAST} a glass of water")
        await settled(database, [7031])

    (await outcome(api, database, chat)).assert_delivered(OFFICIAL_FAST_CENTS)
    assert len(proxy.hung) == 1
    assert proxy.seen_to("GET", "/v1/videos/", path_suffix="/content") == 2


async def test_a_silent_stream_is_given_up_and_refunded(
    api: FakeBotAPI,
    gateway: FakeGateway,
    bot_with: BotStarter,
    short_gateway_timeouts: GatewayTimeouts,
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=7041)
    async with bot_with():
        api.users.send_text(chat, None, "/video a quiet lake #stall")
        await settled(database, [7041])

    (await outcome(api, database, chat)).assert_refunded("too long")


# -- Telegram ------------------------------------------------------------------------------------


async def test_telegram_429s_and_dropped_edits_still_end_with_the_video_and_its_final_status(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=7051)
    api.faults.inject("sendVideo", error_code=429, retry_after=1, count=1)
    api.faults.inject("editMessageText", error_code=429, retry_after=1, count=1)
    api.faults.inject_disconnect("editMessageText", count=1)
    async with bot_with():
        api.users.send_text(chat, None, "/video a lantern festival")
        await settled(database, [7051])

    (await outcome(api, database, chat)).assert_delivered(FAST_CENTS)
    assert [call.status for call in api.calls.to("sendVideo")] == [429, 200]
    assert not api.faults.pending


async def test_a_dropped_upload_is_sent_again_and_charged_once(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=7061)
    api.faults.inject_disconnect("sendVideo", count=1)
    async with bot_with():
        api.users.send_text(chat, None, "/video a tram in the rain")
        await settled(database, [7061])

    result = await outcome(api, database, chat)
    result.assert_delivered(FAST_CENTS)
    assert result.job.attempts == 2


async def test_an_upload_whose_answer_is_lost_is_sent_again_recorded_and_charged_once(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=7062)
    api.faults.inject_disconnect(
        "sendVideo", count=1, after_execute=True
    )  # Telegram posted it; the answer is lost
    async with bot_with():
        api.users.send_text(chat, None, "/video a tram in the snow")
        await settled(database, [7062])

    result = await outcome(api, database, chat)
    # The bot cannot know the first one arrived: a second copy is better than none, and it is recorded.
    assert result.videos == 2
    assert result.job.state is JobState.DELIVERED and result.job.delivery_note == "possible_duplicate"
    assert result.charges == [FAST_CENTS] and result.refunds == []


# -- the temp folder -----------------------------------------------------------------------------


async def test_a_vanished_temp_dir_is_recreated_and_an_unusable_one_is_waited_out(
    api: FakeBotAPI, gateway: FakeGateway, bot_with: BotStarter, tmp_path: Path
) -> None:
    database, temp_dir = tmp_path / "bot.sqlite3", tmp_path / "tmp"
    first, second = api.users.private_chat(user_id=7071), api.users.private_chat(user_id=7072)
    async with bot_with():
        shutil.rmtree(temp_dir)  # e.g. a cleaner emptied /tmp
        api.users.send_text(first, None, "/video a sandcastle")
        await settled(database, [7071])
        shutil.rmtree(temp_dir)
        temp_dir.write_text("a file where the folder was")
        api.users.send_text(second, None, "/video a sandcastle at night")
        await asyncio.sleep(3)
        [waiting] = [job for job in await all_jobs(database) if job.user_id == 7072]
        assert not waiting.is_terminal  # local trouble: the job waits, nothing is refunded or generated
        assert len(gateway.requests_to("/v1/chat/completions", method="POST")) == 1
        temp_dir.unlink()  # the operator fixes the folder
        await settled(database, [7072], timeout=30)

    (await outcome(api, database, first)).assert_delivered(FAST_CENTS)
    (await outcome(api, database, second)).assert_delivered(FAST_CENTS)
    assert len(gateway.requests_to("/v1/chat/completions", method="POST")) == 2


async def test_the_process_refuses_to_start_with_an_unusable_temp_dir(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    env = bot_environment(tmp_path, api, gateway, TEMP_DIR=str(tmp_path / "a-file" / "tmp"))

    bot = await BotProcess.start(tmp_path, env, "bot.log")
    try:
        code = await asyncio.wait_for(bot.process.wait(), timeout=20)
    finally:
        await bot.kill()

    assert code == 1
    log = bot.log()
    assert "Cannot start: TEMP_DIR folder" in log and "Traceback" not in log
    assert list(api.calls) == []  # it stopped before contacting Telegram


async def test_the_process_rides_out_telegram_dropping_its_first_calls(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    api.faults.inject_disconnect("getMe", count=1)
    chat = api.users.private_chat(user_id=7081)
    bot = await BotProcess.start(tmp_path, bot_environment(tmp_path, api, gateway), "bot.log")
    try:
        await bot.wait_for_log("is up", timeout=20)
        api.users.send_text(chat, None, "/help")
        await until(lambda: bool(api.state.bot_messages_in(chat)), timeout=15)
        code, _ = await bot.terminate(signal.SIGTERM)
    finally:
        await bot.kill()

    assert code == 0
    statuses = [call.status for call in api.calls.to("getMe")]
    assert statuses[0] == DISCONNECTED and statuses[-1] == 200  # the first try was dropped, a retry worked
