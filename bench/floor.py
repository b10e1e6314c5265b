"""Telegram's floor: when an ideal sender could answer and deliver each job under the fake's flood limits.

The ideal sender sends one acknowledgement per command and each video as early as Telegram's token buckets
allow (the same buckets the fake Bot API applies: bot-wide, per private chat, per group), and whenever both
kinds could go it sends videos first. Nothing else spends the buckets. Pure arithmetic, no clock.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from bench.wire import MessageKey
from tests.fakes.bot_api_flood import FloodLimits

_EPSILON = 1e-9  # the fake's tolerance for "a whole token is there"


class Kind(IntEnum):
    """What a send is; a lower value goes first when both could go."""

    VIDEO = 0
    ACK = 1


@dataclass(frozen=True)
class FloorSend:
    """One message the ideal sender must send: from `ready` on, into `chat_id`, costing `cost` tokens."""

    key: Hashable
    chat_id: int
    ready: float
    kind: Kind
    cost: int = 1  # a media group costs one per item


@dataclass(frozen=True)
class JobFloor:
    """The earliest moments a job's acknowledgement and its video could reach the user."""

    ack: float
    video: float


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, cost: float) -> float:
        missing = min(cost, self.capacity) - self.tokens
        return 0.0 if missing <= _EPSILON else missing / self.rate

    def spend(self, cost: float) -> None:
        self.tokens -= min(cost, self.capacity)


class _Buckets:
    """The bot-wide bucket and one per chat, created full on first use (as the fake does)."""

    def __init__(self, limits: FloodLimits) -> None:
        self._limits = limits
        self._by_key: dict[object, _Bucket] = {}

    def of(self, chat_id: int, now: float) -> tuple[_Bucket, _Bucket]:
        return self._bucket("global", now), self._bucket(chat_id, now)

    def _bucket(self, key: object, now: float) -> _Bucket:
        bucket = self._by_key.get(key)
        if bucket is None:
            limits = self._limits
            if key == "global":
                capacity, rate = limits.global_burst, limits.global_per_second
            elif isinstance(key, int) and key > 0:  # private chat ids are the user's id, groups are negative
                capacity, rate = limits.private_burst, limits.private_per_second
            else:
                capacity, rate = limits.group_burst, limits.group_per_minute / 60.0
            bucket = _Bucket(capacity=capacity, rate=rate / limits.time_scale, tokens=capacity, updated=now)
            self._by_key[key] = bucket
        bucket.refill(now)
        return bucket


def send_times(sends: Sequence[FloorSend], limits: FloodLimits | None = None) -> dict[Hashable, float]:
    """When the ideal sender sends each message: the most urgent sendable message first, at every moment."""
    limits = limits or FloodLimits()
    if not limits.enabled:
        return {send.key: send.ready for send in sends}
    buckets = _Buckets(limits)
    waiting = sorted(sends, key=lambda send: send.ready)
    pending: list[FloorSend] = []
    sent: dict[Hashable, float] = {}
    now = waiting[0].ready if waiting else 0.0
    next_release = 0
    while next_release < len(waiting) or pending:
        while next_release < len(waiting) and waiting[next_release].ready <= now:
            pending.append(waiting[next_release])
            next_release += 1
        pending.sort(key=lambda send: (send.kind, send.ready))
        soonest = float("inf")
        for send in pending:
            wait = max(bucket.wait_for(send.cost) for bucket in buckets.of(send.chat_id, now))
            if wait == 0.0:
                for bucket in buckets.of(send.chat_id, now):
                    bucket.spend(send.cost)
                sent[send.key] = now
                pending.remove(send)
                break
            soonest = min(soonest, wait)
        else:
            release = waiting[next_release].ready if next_release < len(waiting) else float("inf")
            now = min(release, now + soonest)
    return sent


def job_floors(
    injected: Mapping[MessageKey, float],
    generation_seconds: float,
    *,
    videos_per_job: int = 1,
    limits: FloodLimits | None = None,
) -> dict[MessageKey, JobFloor]:
    """Each job's floor: its command can be answered from injection on, its video a generation later."""
    sends: list[FloorSend] = []
    for key, at in injected.items():
        chat_id = key[0]
        sends.append(FloorSend(("ack", key), chat_id, at, Kind.ACK))
        sends.append(FloorSend(("video", key), chat_id, at + generation_seconds, Kind.VIDEO, videos_per_job))
    times = send_times(sends, limits)
    return {key: JobFloor(ack=times[("ack", key)], video=times[("video", key)]) for key in injected}
