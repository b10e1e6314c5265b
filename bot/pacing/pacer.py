"""The one component that paces the bot's calls to Telegram: per chat and bot-wide, in priority order.

Every message the bot sends or edits passes through `TelegramPacer` (PTB calls it as the bot's rate
limiter). Each chat's budget is spent in priority order: videos being delivered, then first answers to
users, then final states, and progress edits only from what is left once the chat's expected videos have
their room. A `RetryAfter` pauses only the chat it names, until a deadline, and the chat then resumes at
its steady rate. Nothing is retried here except a first answer once after flood control; edits never.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import itertools
import logging
import math
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.constants import FORGET_IDLE_CHATS_AT, MAX_ANSWER_RETRY_WAIT
from bot.pacing.window import SlidingWindow, TelegramLimits

logger = logging.getLogger(__name__)


# Methods that post or change messages: these are what Telegram rate-limits (chat actions are not).
_COUNTED_PREFIXES = ("send", "editMessage", "copyMessage", "forwardMessage")
_NOT_COUNTED = frozenset({"sendChatAction"})


class Priority(Enum):
    """What a call is for, most urgent first (values are never 0: PTB drops falsy rate_limit_args)."""

    VIDEO = 1  # a paid video on its way to the chat
    ANSWER = 2  # the first answer to a user (status message, refusal, /help, menus): the default
    FINAL = 3  # a status message's final state
    PROGRESS = 4  # a progress edit: only from what is left, and only the newest text


def counts_against_limits(endpoint: str) -> bool:
    """True for calls that post or change a message."""
    return endpoint.startswith(_COUNTED_PREFIXES) and endpoint not in _NOT_COUNTED


def retry_after_seconds(err: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB_TIMEDELTA; accept both quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = err.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


@dataclass(eq=False)
class _Chat:
    window: SlidingWindow
    paused_until: float = -math.inf
    expected_videos: int = 0  # jobs of this chat that will send a video soon
    videos_in_flight: int = 0

    @property
    def room_kept_for_videos(self) -> int:
        return max(0, self.expected_videos - self.videos_in_flight)

    @property
    def idle(self) -> bool:
        return self.expected_videos == 0 and self.videos_in_flight == 0


@dataclass(eq=False)
class Turn:
    """The right to make one call now (`cost` messages); pass it as `rate_limit_args`."""

    chat_id: int | None
    priority: Priority
    cost: int
    used: bool = False
    refused: bool = False  # Telegram answered 429: the message was not sent and does not count


@dataclass(eq=False, order=False)
class _Waiter:
    turn: Turn
    seq: int
    granted: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def key(self) -> tuple[int, int]:
        return self.turn.priority.value, self.seq


class VideoReservation:
    """Room a chat keeps for a video that is being made; released when it was sent or will never be."""

    def __init__(self, pacer: TelegramPacer, chat_id: int) -> None:
        self._pacer = pacer
        self.chat_id = chat_id
        self._held = True

    def release(self) -> None:
        """Give the room back (idempotent)."""
        if self._held:
            self._held = False
            self._pacer._release_video(self.chat_id)


class TelegramPacer(BaseRateLimiter[Turn | Priority]):
    """Grants each call its turn within Telegram's limits; see the module docstring."""

    def __init__(
        self,
        limits: TelegramLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limits = limits or TelegramLimits()
        self._clock = clock
        self._sleep = sleep
        self._overall = SlidingWindow(self._limits.overall)
        self._paused_until = -math.inf  # a RetryAfter that named no chat
        self._chats: dict[int, _Chat] = {}
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._waker: asyncio.Task[None] | None = None
        self._wake_at = math.inf

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Stop the wake-up task; waiting calls are cancelled by their own tasks."""
        if self._waker is not None:
            self._waker.cancel()
            self._waker = None

    # -- what the bot's own components call ------------------------------------------------------

    def reserve_video(self, chat_id: int) -> VideoReservation:
        """Keep room in the chat for a video that is coming: progress edits and final states leave it."""
        self._chat(chat_id).expected_videos += 1
        return VideoReservation(self, chat_id)

    def paused_for(self, chat_id: int) -> float:
        """Seconds until flood control lets the chat send again (0 when it may)."""
        chat = self._chats.get(chat_id)
        until = max(self._paused_until, chat.paused_until if chat else -math.inf)
        return max(0.0, until - self._clock())

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: int | None, priority: Priority, *, cost: int = 1) -> AsyncIterator[Turn]:
        """Wait for this call's turn; make the call inside, with `rate_limit_args=turn`."""
        turn = await self.acquire(chat_id, priority, cost=cost)
        try:
            yield turn
        finally:
            self.release(turn)

    async def acquire(self, chat_id: int | None, priority: Priority, *, cost: int = 1) -> Turn:
        """Wait for a turn (cancellable); every turn acquired must be given to `release`."""
        turn = Turn(chat_id, priority, max(1, cost))
        await self._acquire(turn)
        return turn

    def release(self, turn: Turn) -> None:
        """The call made with `turn` has its answer (or was never made, if the turn was not used)."""
        self._finish(turn)

    # -- BaseRateLimiter ----------------------------------------------------------------------------

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Turn | Priority | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Make the call in its turn; record flood control; retry a first answer once."""
        chat_id = _chat_of(data)
        if isinstance(rate_limit_args, Turn):
            rate_limit_args.used = True
            return await self._call(callback, args, kwargs, chat_id, rate_limit_args)
        if not counts_against_limits(endpoint):
            return await callback(*args, **kwargs)
        priority = rate_limit_args or Priority.ANSWER
        cost = (
            len(data["media"]) if endpoint == "sendMediaGroup" and isinstance(data.get("media"), list) else 1
        )
        retried = False
        while True:
            async with self.turn(chat_id, priority, cost=cost) as turn:
                turn.used = True
                try:
                    return await self._call(callback, args, kwargs, chat_id, turn)
                except RetryAfter as err:
                    wait = retry_after_seconds(err)
                    if retried or endpoint.startswith("edit") or wait > MAX_ANSWER_RETRY_WAIT:
                        raise
                    retried = True

    # -- the schedule -------------------------------------------------------------------------------

    async def _call(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        chat_id: int | None,
        turn: Turn | None = None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as err:
            if isinstance(turn, Turn):
                turn.refused = True
            self._pause(chat_id, retry_after_seconds(err))
            raise

    def _pause(self, chat_id: int | None, seconds: float) -> None:
        deadline = self._clock() + seconds
        logger.info("Flood control in chat %s: waiting %.1f s", chat_id if chat_id else "(none)", seconds)
        if chat_id is None:
            self._paused_until = max(self._paused_until, deadline)
            self._overall.hold_until(deadline)
        else:
            chat = self._chat(chat_id)
            chat.paused_until = max(chat.paused_until, deadline)
            chat.window.hold_until(deadline)
        self._pump()

    async def _acquire(self, turn: Turn) -> None:
        waiter = _Waiter(turn, next(self._seq))
        self._waiting.append(waiter)
        self._pump()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            elif waiter.granted.done() and not waiter.granted.cancelled():
                self._finish(turn)  # granted just as we were cancelled: give the room back
            self._pump()
            raise

    def _finish(self, turn: Turn) -> None:
        now = self._clock()
        sent = turn.used and not turn.refused
        self._overall.end(turn.cost, now, sent=sent)
        if turn.chat_id is not None:
            chat = self._chat(turn.chat_id)
            chat.window.end(turn.cost, now, sent=sent)
            if turn.priority is Priority.VIDEO:
                chat.videos_in_flight -= 1
        self._pump()

    def _release_video(self, chat_id: int) -> None:
        chat = self._chat(chat_id)
        chat.expected_videos = max(0, chat.expected_videos - 1)
        self._pump()

    def _pump(self) -> None:
        """Grant every turn that may go now, most urgent first; wake up again when the next one may."""
        now = self._clock()
        wake_at = math.inf
        blocked_chats: set[int | None] = set()
        for waiter in sorted(self._waiting, key=lambda w: w.key):
            turn = waiter.turn
            if turn.chat_id in blocked_chats:
                continue  # a more urgent call of the same chat waits: this one waits behind it
            ready_at = self._chat_ready_at(turn, now)
            if ready_at > now:
                blocked_chats.add(turn.chat_id)
                wake_at = min(wake_at, ready_at)
                continue
            overall_at = max(self._paused_until, self._overall.ready_at(now, turn.cost))
            if overall_at > now:
                wake_at = min(wake_at, overall_at)
                break  # the bot-wide budget is spent: nobody else may go either
            self._grant(waiter)
        self._schedule(wake_at, now)

    def _chat_ready_at(self, turn: Turn, now: float) -> float:
        if turn.chat_id is None:
            return now
        chat = self._chat(turn.chat_id)
        ready = max(chat.paused_until, chat.window.ready_at(now, turn.cost))
        room = chat.room_kept_for_videos
        if turn.priority in (Priority.FINAL, Priority.PROGRESS) and room:
            # Leave room for the chat's coming videos: wait until this call fits beside all of them.
            if turn.cost + room > chat.window.limit.messages:
                return math.inf  # the videos need the whole window; a finish or release wakes us
            ready = max(ready, chat.window.ready_at(now, turn.cost + room))
        return ready

    def _grant(self, waiter: _Waiter) -> None:
        self._waiting.remove(waiter)
        turn = waiter.turn
        self._overall.begin(turn.cost)
        if turn.chat_id is not None:
            chat = self._chat(turn.chat_id)
            chat.window.begin(turn.cost)
            if turn.priority is Priority.VIDEO:
                chat.videos_in_flight += 1
        waiter.granted.set_result(None)

    def _schedule(self, wake_at: float, now: float) -> None:
        """Have one task wake the schedule at `wake_at` (the earliest moment a waiting call may go)."""
        if not self._waiting or not math.isfinite(wake_at):
            wake_at = math.inf
        if self._waker is not None and wake_at == self._wake_at:
            return
        if self._waker is not None:
            self._waker.cancel()
            self._waker = None
        self._wake_at = wake_at
        if math.isfinite(wake_at):
            self._waker = asyncio.get_running_loop().create_task(
                self._wake_after(max(0.0, wake_at - now)), name="telegram-pacer"
            )

    async def _wake_after(self, delay: float) -> None:
        await self._sleep(delay)
        self._waker = None
        self._wake_at = math.inf
        self._pump()

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= FORGET_IDLE_CHATS_AT:
                self._forget_idle_chats()
            chat = self._chats[chat_id] = _Chat(SlidingWindow(self._limits.for_chat(chat_id)))
        return chat

    def _forget_idle_chats(self) -> None:
        """Drop chats whose window is empty, that expect nothing and that nobody waits for."""
        now = self._clock()
        waited_for = {waiter.turn.chat_id for waiter in self._waiting}
        for chat_id, chat in list(self._chats.items()):
            empty = chat.window.free(now) == chat.window.limit.messages
            if chat.idle and empty and chat.paused_until <= now and chat_id not in waited_for:
                del self._chats[chat_id]


def _chat_of(data: dict[str, Any]) -> int | None:
    chat_id = data.get("chat_id")
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdecimal() and chat_id.isascii():
        return int(chat_id)
    return None  # @username or an inline message: only the bot-wide budget applies
