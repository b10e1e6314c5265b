"""Telegram-like flood control: token buckets for the whole bot, each private chat and each group.

Sends and edits count (30/s overall, 1/s per private chat with a burst of 3, 20/min per group); a call
over the limit answers 429 with `parameters.retry_after`. FloodLimits.off() disables it,
FloodLimits(time_scale=...) runs Telegram's clock faster, and the fake's `clock` can be driven by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

# Methods that post or change messages; Telegram rate-limits these, not reads or chat actions.
_COUNTED_PREFIXES = ("send", "editMessage", "copyMessage", "forwardMessage")
_NOT_COUNTED = frozenset({"sendChatAction"})


def is_counted(method: str) -> bool:
    """True for methods that count towards Telegram's message limits (sends and edits)."""
    return method.startswith(_COUNTED_PREFIXES) and method not in _NOT_COUNTED


@dataclass(frozen=True)
class FloodLimits:
    """Message limits in Telegram seconds; `time_scale` maps them to real time (0.01 = 100x faster)."""

    enabled: bool = True
    global_per_second: float = 30.0
    global_burst: float = 30.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: float = 20.0
    group_burst: float = 20.0
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")

    @classmethod
    def off(cls) -> FloodLimits:
        """No flood control at all."""
        return cls(enabled=False)


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per Telegram second
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, cost: float) -> float:
        """Telegram seconds until `cost` tokens are available (0 when they are)."""
        missing = cost - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate


class FloodControl:
    """Decides whether a send may go through now, or how long the bot must wait."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._limits = limits
        self._buckets: dict[object, _Bucket] = {}

    @property
    def limits(self) -> FloodLimits:
        """The limits in force."""
        return self._limits

    def configure(self, limits: FloodLimits) -> None:
        """Replace the limits and forget the history."""
        self._limits = limits
        self._buckets.clear()

    def take(self, method: str, chat_id: int | None, cost: int = 1) -> int | None:
        """Consume tokens for a call; return None if allowed, else retry_after in whole seconds."""
        if not self._limits.enabled or not is_counted(method):
            return None
        now = self._clock() / self._limits.time_scale
        buckets = [self._bucket("global", now)]
        if chat_id is not None:
            buckets.append(self._bucket(chat_id, now))
        wait = max(bucket.wait_for(min(cost, bucket.capacity)) for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= min(cost, bucket.capacity)
        return None

    def _bucket(self, key: object, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            limits = self._limits
            if key == "global":
                capacity, rate = limits.global_burst, limits.global_per_second
            elif isinstance(key, int) and key > 0:
                capacity, rate = limits.private_burst, limits.private_per_second
            else:
                capacity, rate = limits.group_burst, limits.group_per_minute / 60.0
            bucket = _Bucket(capacity=capacity, rate=rate, tokens=capacity, updated=now)
            self._buckets[key] = bucket
        bucket.refill(now)
        return bucket
