"""Telegram's floor: when an ideal sender could answer and deliver each job under the fake's flood limits.

The ideal sender sends one acknowledgement per command and each video as early as Telegram's token buckets
allow (the same buckets the fake Bot API applies: bot-wide, per private chat, per group), and whenever both
kinds could go it sends videos first. Nothing else spends the buckets. Pure arithmetic, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from bench.wire import MessageKey
from tests.fakes.bot_api import FloodLimits

_EPSILON = 1e-9  # in tokens: the fake's tolerance for "a whole token is there"


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


class _Bucket:
    """A token bucket kept as the moment it would next be full again (the GCRA form of the same limit)."""

    def __init__(self, capacity: float, rate: float) -> None:
        self._capacity = capacity
        self._interval = 1.0 / rate  # seconds per token
        self._full_at = -math.inf

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds from `now` until `cost` tokens are there (0.0 when they are)."""
        cost = min(cost, self._capacity)
        earliest = self._full_at - (self._capacity - cost) * self._interval
        return 0.0 if earliest - now <= _EPSILON * self._interval else earliest - now

    def spend(self, cost: float, now: float) -> None:
        """Take `cost` tokens at `now` (they must be there)."""
        self._full_at = max(self._full_at, now) + min(cost, self._capacity) * self._interval


class _Buckets:
    """The bot-wide bucket and one per chat, each full until first spent (as in the fake)."""

    def __init__(self, limits: FloodLimits) -> None:
        self._limits = limits
        self._bot = _Bucket(limits.global_burst, limits.global_per_second / limits.time_scale)
        self._chats: dict[int, _Bucket] = {}

    def of(self, chat_id: int) -> tuple[_Bucket, _Bucket]:
        """The bot-wide bucket and the chat's."""
        chat = self._chats.get(chat_id)
        if chat is None:
            limits = self._limits
            private = chat_id > 0  # a private chat's id is its user's; group ids are negative
            burst = limits.private_burst if private else limits.group_burst
            per_second = limits.private_per_second if private else limits.group_per_minute / 60.0
            chat = self._chats[chat_id] = _Bucket(burst, per_second / limits.time_scale)
        return self._bot, chat


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
            wait = max(bucket.wait_for(send.cost, now) for bucket in buckets.of(send.chat_id))
            if wait == 0.0:
                for bucket in buckets.of(send.chat_id):
                    bucket.spend(send.cost, now)
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
