"""A paid video reaches the chat: Telegram errors, flood control, slow answers, an outage, a busy or full
disk and a kill, each injected in the fakes around the real bot process, with the ledger checked after."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.telegram_text import utf16_units
from storage import JobState
from tests.e2e.bot_process import BotProcess, all_jobs, bot_environment, until
from tests.fakes.bot_api import FakeBotAPI, FakeChat
from tests.fakes.gateway import FakeGateway
from tests.fakes.sqlite_faults import hold_sqlite_lock
from tests.fakes.tiny_tmpfs import TinyTmpfs
from tests.ops.ledger_checks import assert_ledger_sound

pytestmark = pytest.mark.timeout(240)
STREAMS = "/v1/chat/completions"


@contextlib.asynccontextmanager
async def bot_process(
    tmp_path: Path, api: FakeBotAPI, gateway: FakeGateway, *, log: str = "bot.log", **settings: str
) -> AsyncIterator[BotProcess]:
    """The real bot (`python -m bot`) against the fakes, stopped with SIGTERM at the end."""
    env = bot_environment(tmp_path, api, gateway, **settings)
    polls = api.queue.polls_started
    process = await BotProcess.start(tmp_path, env, log)
    try:
        await until(lambda: api.queue.polls_started > polls, timeout=60)  # the bot is polling
        yield process
    finally:
        if process.process.returncode is None:
            await process.terminate(signal.SIGTERM, timeout=40)
        await process.kill()


async def videos_arrive(
    api: FakeBotAPI, chats: list[FakeChat], *, each: int = 1, timeout: float = 90
) -> None:
    await until(lambda: all(len(api.state.videos_sent(chat)) >= each for chat in chats), timeout=timeout)


async def told(database: Path, count: int, *, timeout: float = 60) -> None:
    """Wait until `count` jobs are finished and their users told."""

    async def done() -> bool:
        jobs = await all_jobs(database)
        return len(jobs) >= count and all(job.is_terminal and job.user_notified for job in jobs)

    async with asyncio.timeout(timeout):
        while not await done():
            await asyncio.sleep(0.1)


def clips_made(gateway: FakeGateway) -> int:
    return len(gateway.requests_to(STREAMS, method="POST"))


# -- Telegram's errors and flood control -----------------------------------------------------------


async def test_502s_then_connection_resets_on_send_video_for_30_s_end_in_one_delivery(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    chat = api.users.private_chat(user_id=9101)
    api.faults.inject("sendVideo", error_code=502, for_seconds=15)
    async with bot_process(tmp_path, api, gateway):
        api.users.send_text(chat, None, "/video a lighthouse in a storm")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.status == 502, timeout=30)
        api.faults.inject_disconnect("sendVideo", for_seconds=15)
        await videos_arrive(api, [chat], timeout=120)
        await told(tmp_path / "bot.sqlite3", 1)
    assert len(api.state.videos_sent(chat)) == 1
    statuses = {call.status for call in api.calls.to("sendVideo")}
    assert {0, 502, 200} <= statuses  # 0: the connection was reset without an answer
    [job] = await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=clips_made(gateway))
    assert job.state is JobState.DELIVERED and job.attempts > 2
    assert clips_made(gateway) == 1  # never generated (and paid upstream) twice


async def test_flood_control_waits_exactly_and_holds_up_only_its_own_chat(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    storm, long_wait, bystander = (api.users.private_chat(user_id=uid) for uid in (9201, 9202, 9203))
    async with bot_process(tmp_path, api, gateway):
        api.faults.inject("sendVideo", error_code=429, retry_after=1, count=5)
        api.users.send_text(storm, None, "/video five storms in a row")
        await videos_arrive(api, [storm], timeout=60)
        api.faults.inject("sendVideo", error_code=429, retry_after=60, count=1)
        api.users.send_text(long_wait, None, "/video a very patient snail")
        refused = await api.calls.wait_for(
            lambda call: call.method == "sendVideo" and call.status == 429 and call.chat_id == long_wait.id,
            timeout=30,
        )
        api.users.send_text(bystander, None, "/help")
        answer = await api.calls.wait_for(
            lambda call: (
                call.method == "sendMessage" and call.ok and call.params.get("chat_id") == bystander.id
            ),
            timeout=10,
        )
        assert answer.time - refused.time < 5  # another chat's answer did not wait out the 60 s
        await videos_arrive(api, [long_wait], timeout=100)
        sent = api.calls.to("sendVideo")[-1]
        assert sent.ok and sent.time - refused.time >= 60
        await told(tmp_path / "bot.sqlite3", 2)
    assert [len(api.state.videos_sent(chat)) for chat in (storm, long_wait)] == [1, 1]
    await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=clips_made(gateway))


async def test_an_answer_after_10_s_is_one_delivery_and_one_that_never_comes_is_sent_again_and_recorded(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    slow, silent = api.users.private_chat(user_id=9301), api.users.private_chat(user_id=9302)
    async with bot_process(tmp_path, api, gateway, TELEGRAM_UPLOAD_TIMEOUT_SECONDS="15"):
        api.faults.inject_delay("sendVideo", 10, count=1, after_execute=True)
        api.users.send_text(slow, None, "/video a slow river")
        await told(tmp_path / "bot.sqlite3", 1, timeout=60)
        assert len(api.state.videos_sent(slow)) == 1
        api.faults.inject_hang("sendVideo", count=1, after_execute=True)
        api.users.send_text(silent, None, "/video a quiet forest")
        await told(tmp_path / "bot.sqlite3", 2, timeout=90)
    jobs = {
        job.user_id: job for job in await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=2)
    }
    assert jobs[9301].state is JobState.DELIVERED and jobs[9301].delivery_note is None
    # The first upload reached the chat but its answer never came: better twice than never, and recorded.
    assert len(api.state.videos_sent(silent)) == 2
    assert jobs[9302].state is JobState.DELIVERED and jobs[9302].delivery_note == "possible_duplicate"
    assert jobs[9302].charged_cents == 15


async def test_the_whole_bot_api_down_for_30_s_delays_the_video_and_the_failure_notice(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.generation_seconds = 2.0
    fine, failing = api.users.private_chat(user_id=9401), api.users.private_chat(user_id=9402)
    async with bot_process(tmp_path, api, gateway):
        api.users.send_text(fine, None, "/video a city at night")
        api.users.send_text(failing, None, "/video a broken machine #fail")
        await until(lambda: len(api.calls.to("editMessageText")) > 0 or len(api.calls.to("sendMessage")) >= 2)
        await api.faults.go_down(30)
        await videos_arrive(api, [fine], timeout=120)
        await told(tmp_path / "bot.sqlite3", 2, timeout=90)
    jobs = {
        job.user_id: job for job in await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=1)
    }
    assert jobs[9401].state is JobState.DELIVERED
    assert jobs[9402].state is JobState.FAILED
    texts = [message.text or "" for message in api.state.messages(failing)]
    assert any("Nothing was charged" in text for text in texts), texts


async def test_four_jobs_at_once_in_one_private_chat_all_arrive_round_after_round(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    chat = api.users.private_chat(user_id=9501)
    async with bot_process(tmp_path, api, gateway, ADMIN_USER_IDS="9501", MAX_ACTIVE_JOBS_PER_USER="4"):
        for round_number in range(1, 4):
            for index in range(4):
                api.users.send_text(chat, None, f"/video round {round_number} clip {index}")
            await videos_arrive(api, [chat], each=4 * round_number, timeout=90)
        await told(tmp_path / "bot.sqlite3", 12)
    assert len(api.state.videos_sent(chat)) == 12
    assert api.calls.stats().too_many_requests == 0
    await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=12)


async def test_very_long_prompts_get_a_caption_telegram_accepts(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    letters, emoji = api.users.private_chat(user_id=9601), api.users.private_chat(user_id=9602)
    async with bot_process(tmp_path, api, gateway):
        api.users.send_text(letters, None, "/video " + "a fox running through deep snow " * 50)
        api.users.send_text(emoji, None, "/video " + "🦊" * 600)
        await videos_arrive(api, [letters, emoji])
        await told(tmp_path / "bot.sqlite3", 2)
    for chat in (letters, emoji):
        [video] = api.state.videos_sent(chat)
        assert video.caption and utf16_units(video.caption) <= 1024
    assert all(call.ok for call in api.calls.to("sendVideo"))  # accepted the first time
    await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=2)


# -- the bot's own disk and database ---------------------------------------------------------------


async def test_a_database_locked_for_30_s_at_the_end_of_a_stream_and_at_delivery_holds_nothing_up_for_good(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    gateway.generation_seconds = 3.0
    database = tmp_path / "bot.sqlite3"
    at_stream_end, at_delivery = api.users.private_chat(user_id=9701), api.users.private_chat(user_id=9702)
    async with bot_process(tmp_path, api, gateway):
        api.users.send_text(at_stream_end, None, "/video a clock that stopped")
        await until(lambda: len(gateway.requests_to(STREAMS, method="POST")) == 1, timeout=20)
        async with hold_sqlite_lock(database, 30):
            await asyncio.sleep(29)
            assert api.state.videos_sent(at_stream_end) == []
        await videos_arrive(api, [at_stream_end], timeout=60)
        start = len(api.calls)
        api.users.send_text(at_delivery, None, "/video a door that sticks")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=30, start=start)
        async with hold_sqlite_lock(database, 30):
            await asyncio.sleep(29)
        await told(database, 2, timeout=60)
    assert [len(api.state.videos_sent(chat)) for chat in (at_stream_end, at_delivery)] == [1, 1]
    await assert_ledger_sound(database, clips_paid_upstream=2)


async def test_a_full_temp_dir_keeps_the_paid_clip_and_delivers_it_once_there_is_room(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path, tiny_tmpfs: TinyTmpfs
) -> None:
    chat = api.users.private_chat(user_id=9801)
    (tiny_tmpfs.path / "tmp").mkdir()
    tiny_tmpfs.fill(leave_bytes=0)
    async with bot_process(tmp_path, api, gateway, TEMP_DIR=str(tiny_tmpfs.path / "tmp")) as process:
        api.users.send_text(chat, None, "/video a full warehouse")
        await process.wait_for_log("will try again", timeout=40)
        assert api.state.videos_sent(chat) == []
        tiny_tmpfs.free()
        await videos_arrive(api, [chat], timeout=60)
        await told(tmp_path / "bot.sqlite3", 1)
    [job] = await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=1)
    assert job.state is JobState.DELIVERED and clips_made(gateway) == 1


async def test_a_full_disk_under_the_database_is_waited_out(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path, tiny_tmpfs: TinyTmpfs
) -> None:
    gateway.generation_seconds = 2.0
    database = tiny_tmpfs.path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=9901)
    async with bot_process(tmp_path, api, gateway, DATABASE_PATH=str(database)) as process:
        api.users.send_text(chat, None, "/video a library with no shelf space")
        await until(lambda: len(gateway.requests_to(STREAMS, method="POST")) == 1, timeout=20)
        tiny_tmpfs.fill(leave_bytes=0)
        await process.wait_for_log("Database busy or full", timeout=40)
        await asyncio.sleep(3)
        tiny_tmpfs.free()
        await told(database, 1, timeout=90)
    [job] = await assert_ledger_sound(database, clips_paid_upstream=1)
    assert job.state is JobState.DELIVERED and len(api.state.videos_sent(chat)) == 1


# -- restarts --------------------------------------------------------------------------------------


async def test_sigkill_during_an_upload_delivers_the_kept_file_after_the_restart(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    chat = api.users.private_chat(user_id=9951)
    api.faults.inject_hang("sendVideo", count=1, after_execute=False)  # the upload never gets through
    env = bot_environment(tmp_path, api, gateway)
    first = await BotProcess.start(tmp_path, env, "first.log")
    try:
        await until(lambda: api.queue.polls_started > 0, timeout=60)
        api.users.send_text(chat, None, "/video a kite cut loose")
        await first.wait_for_log("uploading 1 video", timeout=30)
        await asyncio.sleep(1.5)  # the upload is on its way and will never be answered
    finally:
        await first.terminate(signal.SIGKILL)
    downloads = len(gateway.requests_to("/files/"))
    assert list((tmp_path / "tmp").glob("job-*/video-1.mp4"))  # the paid clip is kept on disk
    async with bot_process(tmp_path, api, gateway, log="second.log"):
        await videos_arrive(api, [chat], timeout=60)
        await told(tmp_path / "bot.sqlite3", 1)
    [job] = await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=1)
    assert job.state is JobState.DELIVERED and len(api.state.videos_sent(chat)) == 1
    assert len(gateway.requests_to("/files/")) == downloads  # delivered from the kept file, not fetched again


async def test_a_stuck_async_task_keeps_its_deadline_across_restarts(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    chat = api.users.private_chat(user_id=9961)
    gateway.slow_factor = 10_000.0
    env = {"GENERATION_MODE": "async", "GENERATION_TIMEOUT_SECONDS": "12"}
    started = time.monotonic()
    async with bot_process(tmp_path, api, gateway, log="first.log", **env):
        api.users.send_text(chat, None, "/video a sunrise that never comes #slow")
        await until(lambda: len(gateway.requests_to("/v1/videos/", method="GET")) >= 2, timeout=30)
        await asyncio.sleep(6)
    async with bot_process(tmp_path, api, gateway, log="second.log", **env):
        await told(tmp_path / "bot.sqlite3", 1, timeout=40)
    # Twelve seconds from the submission, not twelve more after the restart.
    assert time.monotonic() - started < 12 + 10
    [job] = await assert_ledger_sound(tmp_path / "bot.sqlite3", clips_paid_upstream=0)
    assert job.state is JobState.FAILED and job.error_kind == "timeout"
