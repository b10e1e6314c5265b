"""Telegram's message limits as sliding windows: at most N messages in any T seconds, counted safely."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from telegram.constants import FloodLimit

# Telegram asks for about one message a second in a chat and allows a short burst; three within three
# seconds is that burst, and the long-run rate stays one a second.
PRIVATE_CHAT_BURST = 3


@dataclass(frozen=True)
class WindowLimit:
    """At most `messages` messages in any `seconds` seconds."""

    messages: int
    seconds: float

    def scaled(self, factor: float) -> WindowLimit:
        """The same number of messages in `factor` times the time (tests run Telegram's clock faster)."""
        return WindowLimit(self.messages, self.seconds * factor)


@dataclass(frozen=True)
class TelegramLimits:
    """The limits the pacer keeps: bot-wide, per private chat and per group, from telegram.constants."""

    overall: WindowLimit = WindowLimit(int(FloodLimit.MESSAGES_PER_SECOND), 1.0)
    private_chat: WindowLimit = WindowLimit(
        PRIVATE_CHAT_BURST, PRIVATE_CHAT_BURST / FloodLimit.MESSAGES_PER_SECOND_PER_CHAT
    )
    group: WindowLimit = WindowLimit(int(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP), 60.0)

    def scaled(self, factor: float) -> TelegramLimits:
        """Every window `factor` times as long (0.05 = Telegram's limits twenty times faster)."""
        return TelegramLimits(
            self.overall.scaled(factor), self.private_chat.scaled(factor), self.group.scaled(factor)
        )

    def for_chat(self, chat_id: int) -> WindowLimit:
        """Private chats have positive ids; groups, supergroups and channels negative ones."""
        return self.private_chat if chat_id > 0 else self.group


class SlidingWindow:
    """Counts the messages of one window.

    Telegram counts a message at some moment between the start of our request and its answer, so a
    message in flight counts as "now" and a finished one until `seconds` after its answer arrived: two
    messages counted that way are never closer together on Telegram's side than on ours.
    """

    def __init__(self, limit: WindowLimit) -> None:
        self.limit = limit
        self._ends: list[float] = []  # answer times of finished messages, sorted
        self._in_flight = 0

    def free(self, now: float) -> int:
        """How many more messages may start now."""
        self._expire(now)
        return self.limit.messages - len(self._ends) - self._in_flight

    def ready_at(self, now: float, cost: int = 1) -> float:
        """The earliest moment `cost` more messages may start (`now` if they may start now)."""
        needed = min(cost, self.limit.messages)
        missing = needed - self.free(now)
        if missing <= 0:
            return now
        if missing > len(self._ends):
            return math.inf  # only the end of messages in flight can make room
        return self._ends[missing - 1] + self.limit.seconds

    def begin(self, cost: int = 1) -> None:
        """Messages start: they count as in flight until `end`."""
        self._in_flight += cost

    def end(self, cost: int, now: float, *, sent: bool = True) -> None:
        """The answer arrived (`sent`), or the request never left (it stops counting at once)."""
        self._in_flight -= cost
        if sent:
            for _ in range(cost):
                bisect.insort(self._ends, now)

    def hold_until(self, deadline: float) -> None:
        """After flood control: nothing before `deadline`, then one message per step, never a burst."""
        step = self.limit.seconds / self.limit.messages
        start = deadline - self.limit.seconds
        self._ends = [max(old, start + index * step) for index, old in enumerate(self._padded())]

    def _padded(self) -> list[float]:
        padding = [-math.inf] * max(0, self.limit.messages - len(self._ends))
        return sorted([*padding, *self._ends])[-self.limit.messages :]

    def _expire(self, now: float) -> None:
        horizon = now - self.limit.seconds
        del self._ends[: bisect.bisect_right(self._ends, horizon)]
