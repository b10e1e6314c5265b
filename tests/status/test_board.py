"""Tests for StatusBoard: a real telegram.Bot against the fake Bot API over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.pacing.pacer import TelegramPacer
from bot.pacing.window import TelegramLimits
from bot.status.board import StatusBoard
from tests.fakes.bot_api import CallRecord, FakeBotAPI, FloodLimits

TOKEN = "123456:TEST-TOKEN"
CHAT = 1001
GROUP = -1001000000001
LIVE_SCALE = 0.1


class FakeTime:
    """A clock that only moves when the board (or the test) sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        await asyncio.sleep(0)


@dataclass
class Telegram:
    """The fake Bot API, a Bot talking to it, and the boards a test made (stopped at the end)."""

    api: FakeBotAPI
    bot: Bot
    pacer: TelegramPacer
    time: FakeTime | None = None
    boards: list[StatusBoard] = field(default_factory=list)

    def board(self, **options: Any) -> StatusBoard:
        if self.time is not None:
            options = {"clock": self.time.clock, "sleep": self.time.sleep, **options}
        board = StatusBoard(self.bot, self.pacer, **options)
        self.boards.append(board)
        return board

    async def message(self, chat_id: int = CHAT, text: str = "⏳") -> int:
        """A status message the bot sent, ready to be edited."""
        return (await self.bot.send_message(chat_id, text)).message_id

    def edits(self, message_id: int | None = None) -> list[CallRecord]:
        return [
            call
            for call in self.api.calls.to("editMessageText")
            if message_id is None or call.params["message_id"] == message_id
        ]

    def written(self, message_id: int) -> list[str]:
        """Texts accepted for one message, in order."""
        return [call.params["text"] for call in self.edits(message_id) if call.ok]

    def shown(self, message_id: int, chat_id: int = CHAT) -> str | None:
        """The message's text as users see it (HTML already parsed)."""
        message = self.api.state.message(chat_id, message_id)
        return None if message is None else message.text

    async def wait_for_edits(self, count: int, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.edits()) < count:
            assert time.monotonic() < deadline, f"only {len(self.edits())} of {count} edits arrived"
            await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def serve(fake_time: FakeTime | None, flood: FloodLimits) -> AsyncIterator[Telegram]:
    clock = fake_time.clock if fake_time is not None else time.monotonic
    if fake_time is not None:  # Telegram's own limits on a clock that moves when the board sleeps
        pacer = TelegramPacer(clock=fake_time.clock, sleep=fake_time.sleep)
    else:  # real time: Telegram's limits ten times faster (three edits in 0.3 s in a private chat)
        pacer = TelegramPacer(TelegramLimits().scaled(LIVE_SCALE))
    async with FakeBotAPI(token=TOKEN, flood=flood, clock=clock) as api:
        api.users.private_chat(CHAT)
        api.users.group(GROUP)
        bot = ExtBot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url, rate_limiter=pacer)
        async with bot:
            telegram = Telegram(api, bot, pacer, fake_time)
            try:
                yield telegram
            finally:
                for board in telegram.boards:
                    await board.stop()
    assert board_tasks() == []


@pytest.fixture
async def live() -> AsyncIterator[Telegram]:
    """Real time, short intervals, no flood control at the fake (tests that need real waiting)."""
    async with serve(None, FloodLimits.off()) as telegram:
        yield telegram


@pytest.fixture
async def timed() -> AsyncIterator[Telegram]:
    """Fake time, Telegram's real intervals, and the fake enforcing Telegram's flood limits."""
    async with serve(FakeTime(), FloodLimits()) as telegram:
        yield telegram


def quick(telegram: Telegram, **options: Any) -> StatusBoard:
    """A board on the real clock, its pacer keeping Telegram's limits ten times faster."""
    return telegram.board(**options)


def board_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("status-board-") and not t.done()]


async def wait_idle(timeout: float = 3.0) -> None:
    """Wait until the board has no worker left."""
    deadline = time.monotonic() + timeout
    while board_tasks():
        assert time.monotonic() < deadline, "workers still running"
        await asyncio.sleep(0.005)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


# --- throttling --------------------------------------------------------------------------------


async def test_many_updates_become_few_edits_and_the_newest_text_wins(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    started = time.monotonic()
    for i in range(60):
        board.update(CHAT, message, f"step {i}")
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started
    await wait_idle()

    written = live.written(message)
    assert written[0] == "step 0"
    assert written[-1] == "step 59"
    assert live.shown(message) == "step 59"
    # The pacer's private-chat budget (3 in any 0.3 s) allows about ten a second: far fewer than 60.
    assert 2 <= len(written) <= 3 + elapsed / 0.1 + 1
    assert written == sorted(written, key=lambda t: int(t.split()[1]))  # never an older text after a newer


async def test_identical_text_and_markup_are_not_sent_again(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Cancel", callback_data="cancel:7")]])
    board.update(CHAT, message, "<b>47%</b>", reply_markup=keyboard)
    await wait_idle()
    for _ in range(5):
        board.update(CHAT, message, "<b>47%</b>", reply_markup=keyboard)
    assert board_tasks() == []  # nothing to do, so no worker was even started
    # A newer text replaced by the shown one before it was written: nothing to send.
    board.update(CHAT, message, "<b>48%</b>", reply_markup=keyboard)
    board.update(CHAT, message, "<b>47%</b>", reply_markup=keyboard)
    await wait_idle()
    assert len(live.edits()) == 1
    # The same text without the keyboard is a change.
    board.update(CHAT, message, "<b>47%</b>")
    await wait_idle()
    assert [call.ok for call in live.edits()] == [True, True]
    assert live.api.state.message(CHAT, message).reply_markup is None


async def test_edits_use_html(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    assert await board.finish(CHAT, message, "<b>done</b> &amp; dusted")
    assert live.edits()[0].params["parse_mode"] == "HTML"
    assert live.shown(message) == "done & dusted"
    assert live.api.state.message(CHAT, message).entities == [{"offset": 0, "length": 4, "type": "bold"}]


async def test_one_worker_per_chat_and_none_when_idle(live: Telegram) -> None:
    private = [await live.message() for _ in range(3)]
    group = [await live.message(GROUP) for _ in range(2)]
    board = quick(live)
    await board.start()
    for message in private:
        board.update(CHAT, message, "hello")
    for message in group:
        board.update(GROUP, message, "hello")
    assert len(board_tasks()) == 2
    await wait_idle()
    assert len(live.edits()) == 5
    assert all(call.ok for call in live.edits())


# --- the final state ---------------------------------------------------------------------------


async def test_finish_supersedes_pending_updates_and_later_updates_are_ignored(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    board.update(CHAT, message, "10%")
    await live.wait_for_edits(1)
    video = live.pacer.reserve_video(CHAT)  # the chat keeps room for a video: progress must wait...
    board.update(CHAT, message, "20%")
    assert await board.finish(CHAT, message, "✅ done")  # ...and is superseded
    video.release()
    assert live.written(message) == ["10%", "✅ done"]
    board.update(CHAT, message, "30%")
    assert board_tasks() == []
    await asyncio.sleep(0.05)
    assert live.shown(message) == "✅ done"
    assert len(live.edits()) == 2


async def test_not_modified_counts_as_success(live: Telegram) -> None:
    message = await live.message(text="✅ done")  # e.g. written before a restart
    board = quick(live)
    await board.start()
    assert await board.finish(CHAT, message, "✅ done")
    [call] = live.edits()
    assert call.status == 400
    assert "not modified" in (call.description or "")


async def test_finish_of_the_text_already_shown_sends_nothing(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    board.update(CHAT, message, "✅ done")
    await wait_idle()
    assert await board.finish(CHAT, message, "✅ done")
    assert len(live.edits()) == 1


async def test_a_finished_message_can_get_another_final_state(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    assert await board.finish(CHAT, message, "✅ done")
    board.update(CHAT, message, "50%")  # late progress stays ignored
    assert await board.finish(CHAT, message, "✅ done, 2 clips")
    assert live.written(message) == ["✅ done", "✅ done, 2 clips"]


async def test_a_refused_final_state_returns_false_and_can_be_corrected(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    assert await board.finish(CHAT, message, "<b>broken") is False
    assert await board.finish(CHAT, message, "<b>fixed</b>")
    assert live.shown(message) == "fixed"


async def test_finish_returns_false_when_the_message_was_deleted(live: Telegram) -> None:
    message = await live.message()
    await live.bot.delete_message(CHAT, message)
    board = quick(live)
    await board.start()
    assert await board.finish(CHAT, message, "✅ done") is False
    assert "message to edit not found" in (live.edits()[0].description or "")
    # The board stops trying: neither updates nor another finish reach Telegram.
    board.update(CHAT, message, "again")
    assert await board.finish(CHAT, message, "again") is False
    assert len(live.edits()) == 1


async def test_finish_returns_false_when_the_message_cannot_be_edited(live: Telegram) -> None:
    users_message = live.api.users.send_text(CHAT, CHAT, "/video a fox")["message_id"]
    board = quick(live)
    await board.start()
    assert await board.finish(CHAT, users_message, "✅ done") is False
    assert "can't be edited" in (live.edits()[0].description or "")


async def test_update_of_a_deleted_message_stops_the_updates(live: Telegram) -> None:
    message = await live.message()
    await live.bot.delete_message(CHAT, message)
    board = quick(live)
    await board.start()
    board.update(CHAT, message, "10%")
    await wait_idle()
    board.update(CHAT, message, "20%")
    await wait_idle()
    assert [call.params["text"] for call in live.edits()] == ["10%"]


async def test_retry_after_is_honoured_and_the_final_text_written(timed: Telegram) -> None:
    message = await timed.message()
    timed.api.faults.inject("editMessageText", error_code=429, retry_after=7)
    timed.api.faults.inject("editMessageText", error_code=429, retry_after=3)
    board = timed.board()
    await board.start()
    assert await board.finish(CHAT, message, "✅ done")
    assert [call.status for call in timed.edits()] == [429, 429, 200]
    assert timed.shown(message) == "✅ done"
    first, second, third = (call.time for call in timed.edits())
    assert second - first >= 7
    assert third - second >= 3


async def test_retry_after_on_an_update_keeps_it_for_later(timed: Telegram) -> None:
    message = await timed.message()
    timed.api.faults.inject("editMessageText", error_code=429, retry_after=5)
    board = timed.board()
    await board.start()
    board.update(CHAT, message, "50%")
    await wait_idle()
    assert [(call.params["text"], call.status) for call in timed.edits()] == [("50%", 429), ("50%", 200)]
    assert gaps([call.time for call in timed.edits()])[0] >= 5


async def test_network_errors_on_finish_are_retried_with_backoff(timed: Telegram) -> None:
    message = await timed.message()
    timed.api.faults.inject("editMessageText", error_code=502, retry_after=None)
    timed.api.faults.inject("editMessageText", error_code=500, retry_after=None)
    timed.api.faults.inject_disconnect("editMessageText")
    assert timed.time is not None
    timed.time.now += 60  # the chat's budget is whole again, so the waits are the backoff alone
    board = timed.board()
    await board.start()
    assert await board.finish(CHAT, message, "✅ done")
    statuses = [call.status for call in timed.edits()]
    assert sorted(statuses[:3]) == [0, 500, 502]  # 0: the connection dropped without an answer
    assert statuses[3] == 200
    assert timed.shown(message) == "✅ done"
    waits = gaps([call.time for call in timed.edits()])
    assert waits[0] >= 0.4  # about 0.5 s, then about 1 s, then about 2 s
    assert waits == sorted(waits)
    assert waits[-1] <= 8 * 1.2


async def test_network_errors_on_finish_give_up_eventually(timed: Telegram) -> None:
    message = await timed.message()
    timed.api.faults.inject("editMessageText", error_code=502, retry_after=None, count=None)
    board = timed.board()
    await board.start()
    finishing = board.finish(CHAT, message, "✅ done")
    assert await asyncio.wait_for(finishing, timeout=5) is False
    assert 2 <= len(timed.edits()) <= 6
    board.update(CHAT, message, "later")
    assert board_tasks() == []


async def test_a_refused_update_is_dropped_without_logging_its_text(
    live: Telegram, caplog: pytest.LogCaptureFixture
) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    with caplog.at_level(logging.INFO, logger="bot.status.board"):
        board.update(CHAT, message, "<b>secret prompt")
        await wait_idle()
        assert await board.finish(CHAT, message, "<b>fine</b>")
    assert [call.status for call in live.edits()] == [400, 200]
    assert "can't parse entities" in caplog.text.lower()
    assert "secret prompt" not in caplog.text


async def test_forget_releases_a_waiting_finish(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    await board.start()
    live.api.faults.inject_delay("editMessageText", 0.2, count=1)  # still on its way when forgotten
    board.update(CHAT, message, "10%")
    await asyncio.sleep(0.05)  # the edit is on its way
    finishing = asyncio.create_task(board.finish(CHAT, message, "✅ done"))
    await asyncio.sleep(0.01)
    board.forget(CHAT, message)
    assert await finishing is False
    board.update(CHAT, message, "20%")
    await wait_idle()
    assert live.written(message) == ["10%"]


# --- pacing across the messages of a chat ------------------------------------------------------


async def drive(telegram: Telegram, board: StatusBoard, chat_id: int, count: int, rounds: int) -> list[int]:
    """Several jobs in one chat report progress at once, then all finish."""
    messages = [await telegram.message(chat_id) for _ in range(count)]
    assert telegram.time is not None
    telegram.time.now += 60  # the jobs start later: sending the messages used up no edit allowance
    for step in range(rounds):
        for message in messages:
            board.update(chat_id, message, f"{message}: {step}%")
        await asyncio.sleep(0.002)
    finals = [board.finish(chat_id, m, f"{m}: done") for m in messages]
    assert all(await asyncio.gather(*finals))
    return messages


async def test_group_chats_stay_under_twenty_edits_a_minute(timed: Telegram) -> None:
    board = timed.board()
    await board.start()
    messages = await drive(timed, board, GROUP, count=4, rounds=60)

    times = [call.time for call in timed.edits()]
    assert len(times) > len(messages)
    assert all(sum(1 for t in times if start <= t < start + 60) <= 20 for start in times)
    for message in messages:
        assert timed.shown(message, GROUP) == f"{message}: done"
    # The fake applies Telegram's flood limits; it never had to refuse an edit.
    assert timed.api.calls.stats().too_many_requests == 0


async def test_private_chats_share_about_one_edit_a_second_round_robin(timed: Telegram) -> None:
    board = timed.board()
    await board.start()
    messages = await drive(timed, board, CHAT, count=3, rounds=80)

    times = [call.time for call in timed.edits()]
    assert len(times) > 2 * len(messages)
    assert all(sum(1 for t in times if start <= t < start + 3) <= 3 for start in times)  # about 1 a second
    for message in messages:
        assert timed.shown(message) == f"{message}: done"
    # Round-robin: while all three have news, none gets a second edit before the others got one.
    order = [call.params["message_id"] for call in timed.edits()[:6]]
    assert sorted(order[:3]) == messages
    assert sorted(order[3:]) == messages
    assert timed.api.calls.stats().too_many_requests == 0


# --- shutting down -----------------------------------------------------------------------------


async def test_stop_writes_finals_drops_updates_and_leaves_no_tasks(live: Telegram) -> None:
    updated, finished = await live.message(), await live.message()
    board = live.board()
    await board.start()
    board.update(CHAT, updated, "10%")
    await wait_idle()
    for _ in range(2):
        live.pacer.reserve_video(CHAT)  # the chat keeps room for two videos: progress waits its turn
    board.update(CHAT, updated, "20%")
    finishing = asyncio.create_task(board.finish(CHAT, finished, "✅ done"))
    await asyncio.sleep(0)
    started = time.monotonic()
    await board.stop()
    assert time.monotonic() - started < 2
    assert await finishing is True
    assert live.shown(finished) == "✅ done"
    assert live.written(updated) == ["10%"]
    assert board_tasks() == []
    board.update(CHAT, updated, "late")
    assert await board.finish(CHAT, updated, "late") is False
    assert board_tasks() == []
    assert len(live.edits()) == 2


async def test_stop_gives_up_on_a_final_that_cannot_be_written_in_time(live: Telegram) -> None:
    message = await live.message()
    live.api.faults.inject("editMessageText", error_code=429, retry_after=30)
    board = live.board(stop_timeout=0.2)
    await board.start()
    finishing = asyncio.create_task(board.finish(CHAT, message, "✅ done"))
    await live.wait_for_edits(1)
    started = time.monotonic()
    await board.stop()
    assert time.monotonic() - started < 2
    assert await finishing is False
    assert board_tasks() == []


async def test_using_the_board_before_start_is_an_error(live: Telegram) -> None:
    message = await live.message()
    board = quick(live)
    with pytest.raises(RuntimeError):
        board.update(CHAT, message, "10%")
    with pytest.raises(RuntimeError):
        await board.finish(CHAT, message, "✅ done")
    assert board_tasks() == []
    assert live.edits() == []
