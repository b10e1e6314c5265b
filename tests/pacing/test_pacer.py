"""The pacer: priorities within a chat, room kept for videos, flood control per chat, and real HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.pacing.pacer import Priority, TelegramPacer
from bot.pacing.window import TelegramLimits, WindowLimit
from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI, FloodLimits

GROUP = -100500
PRIVATE = 42
# Small windows so the tests take fractions of a second: 2 messages per 0.4 s in a private chat.
FAST = TelegramLimits(
    overall=WindowLimit(30, 0.2), private_chat=WindowLimit(2, 0.4), group=WindowLimit(4, 0.6)
)


async def _fill(pacer: TelegramPacer, chat_id: int, count: int) -> None:
    for _ in range(count):
        async with pacer.turn(chat_id, Priority.ANSWER) as turn:
            turn.used = True


async def test_a_full_chat_grants_videos_then_answers_then_finals_then_progress() -> None:
    pacer = TelegramPacer(FAST)
    await _fill(pacer, PRIVATE, 2)
    order: list[Priority] = []

    async def call(priority: Priority) -> None:
        async with pacer.turn(PRIVATE, priority) as turn:
            turn.used = True
            order.append(priority)

    # Queued least urgent first; each gets its turn as the window frees, most urgent first.
    tasks = [asyncio.create_task(call(p)) for p in reversed(Priority)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert order == [Priority.VIDEO, Priority.ANSWER, Priority.FINAL, Priority.PROGRESS]


async def test_progress_leaves_room_for_expected_videos_while_answers_do_not() -> None:
    pacer = TelegramPacer(FAST)
    reservation = pacer.reserve_video(PRIVATE)
    await _fill(pacer, PRIVATE, 1)  # one of two places used: the other is kept for the video
    progress = asyncio.create_task(_fill_with(pacer, PRIVATE, Priority.PROGRESS))
    await asyncio.sleep(0.1)
    assert not progress.done()
    await asyncio.wait_for(_fill_with(pacer, PRIVATE, Priority.ANSWER), timeout=1)  # answers may use it
    reservation.release()
    await asyncio.wait_for(progress, timeout=2)


async def test_a_chat_expecting_more_videos_than_its_window_shows_no_progress_until_they_leave() -> None:
    pacer = TelegramPacer(FAST)
    reservations = [pacer.reserve_video(GROUP) for _ in range(4)]
    progress = asyncio.create_task(_fill_with(pacer, GROUP, Priority.FINAL))
    await asyncio.sleep(0.8)  # longer than a whole window
    assert not progress.done()
    for reservation in reservations:
        reservation.release()
        reservation.release()  # idempotent
    await asyncio.wait_for(progress, timeout=2)


async def _fill_with(pacer: TelegramPacer, chat_id: int, priority: Priority) -> float:
    async with pacer.turn(chat_id, priority) as turn:
        turn.used = True
        return time.monotonic()


async def test_flood_control_pauses_only_the_chat_it_names() -> None:
    pacer = TelegramPacer(FAST)

    async def flooded(*_: Any, **__: Any) -> bool:
        raise RetryAfter(1)

    async def fine(*_: Any, **__: Any) -> bool:
        return True

    with pytest.raises(RetryAfter):
        await pacer.process_request(flooded, (), {}, "editMessageText", {"chat_id": PRIVATE}, None)
    assert 0.9 < pacer.paused_for(PRIVATE) <= 1.0
    started = time.monotonic()
    assert await pacer.process_request(fine, (), {}, "sendMessage", {"chat_id": PRIVATE + 1}, None)
    assert time.monotonic() - started < 0.5  # another chat is not held up
    assert pacer.paused_for(PRIVATE + 1) == 0.0
    await pacer.shutdown()


async def test_an_edit_is_never_retried_and_an_answer_is_retried_once_after_the_wait() -> None:
    pacer = TelegramPacer(FAST)
    calls: list[str] = []

    def flaky(endpoint: str, failures: int) -> Any:
        async def callback(*_: Any, **__: Any) -> bool:
            calls.append(endpoint)
            if calls.count(endpoint) <= failures:
                raise RetryAfter(1)
            return True

        return callback

    with pytest.raises(RetryAfter):
        await pacer.process_request(flaky("edit", 1), (), {}, "editMessageText", {"chat_id": 1}, None)
    started = time.monotonic()
    assert await pacer.process_request(flaky("send", 1), (), {}, "sendMessage", {"chat_id": 2}, None)
    assert time.monotonic() - started >= 0.95  # waited out retry_after before the second try
    with pytest.raises(RetryAfter):
        await pacer.process_request(flaky("twice", 2), (), {}, "sendMessage", {"chat_id": 3}, None)
    assert calls == ["edit", "send", "send", "twice", "twice"]


async def test_calls_that_are_not_messages_pass_straight_through() -> None:
    pacer = TelegramPacer(TelegramLimits(overall=WindowLimit(1, 60.0)))
    await _fill(pacer, PRIVATE, 1)  # the bot-wide budget is spent for a minute

    async def answer(*_: Any, **__: Any) -> bool:
        return True

    for endpoint in ("answerCallbackQuery", "sendChatAction", "getFile", "deleteMessage"):
        result = await asyncio.wait_for(
            pacer.process_request(answer, (), {}, endpoint, {"chat_id": PRIVATE}, None), timeout=1
        )
        assert result is True


async def test_a_cancelled_wait_gives_its_place_back() -> None:
    pacer = TelegramPacer(FAST)
    await _fill(pacer, PRIVATE, 2)
    waiting = asyncio.create_task(_fill_with(pacer, PRIVATE, Priority.VIDEO))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(_fill_with(pacer, PRIVATE, Priority.PROGRESS), timeout=2)


async def test_a_burst_through_real_http_stays_inside_telegrams_limits() -> None:
    """Forty messages into one group and four private chats at once: all delivered, not one 429."""
    scale = 0.05
    async with FakeBotAPI(token=DEFAULT_TOKEN, flood=FloodLimits(time_scale=scale)) as api:
        group = api.users.group(chat_id=GROUP, title="Busy")
        privates = [api.users.private_chat(user_id=uid) for uid in (11, 12, 13, 14)]
        bot: Bot = ExtBot(
            DEFAULT_TOKEN,
            base_url=api.base_url,
            base_file_url=api.base_file_url,
            rate_limiter=TelegramPacer(TelegramLimits().scaled(scale)),
        )
        async with bot:
            sends = [bot.send_message(group.id, f"group {index}") for index in range(24)]
            sends += [bot.send_message(chat.id, f"hi {index}") for chat in privates for index in range(4)]
            await asyncio.wait_for(asyncio.gather(*sends), timeout=30)
        assert [call.status for call in api.calls if call.status == 429] == []
        assert len(api.state.messages(group)) == 24
        assert all(len(api.state.messages(chat)) == 4 for chat in privates)
