"""Pure arithmetic over what the fake Bot API saw: deliveries, latencies, calls per method."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bench.wire import ApiCall, ChatMessage, MessageKey

LONG_POLL_METHOD = "getUpdates"


@dataclass(frozen=True)
class Deliveries:
    """How many videos answered each injected user message."""

    expected: int
    once: int
    lost: tuple[MessageKey, ...]
    duplicated: Mapping[MessageKey, int]
    strays: int  # bot videos that answer no injected message

    @property
    def complete(self) -> bool:
        """Every message got exactly one video and nothing else was sent."""
        return not self.lost and not self.duplicated and self.strays == 0


@dataclass(frozen=True)
class Spread:
    """Summary of a sample of durations in seconds."""

    count: int
    median: float
    p95: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        """The spread of the values, or None for an empty sample."""
        if not values:
            return None
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            median=percentile(ordered, 50),
            p95=percentile(ordered, 95),
            maximum=ordered[-1],
        )


@dataclass(frozen=True)
class MethodCalls:
    """Calls of one Bot API method: all answers, and the 429 answers among them."""

    method: str
    total: int
    too_many_requests: int


def percentile(ordered: Sequence[float], rank: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty sample."""
    if not ordered:
        raise ValueError("percentile of an empty sample")
    position = max(1, math.ceil(rank / 100 * len(ordered)))
    return ordered[min(position, len(ordered)) - 1]


def count_deliveries(
    injected: Iterable[MessageKey], messages: Iterable[tuple[int, ChatMessage]]
) -> Deliveries:
    """Count the bot's videos per injected message from the chats' final state ((chat_id, message) pairs)."""
    wanted = set(injected)
    per_key: Counter[MessageKey] = Counter()
    strays = 0
    for chat_id, message in messages:
        if not message.is_bot_video:
            continue
        quoted = message.reply_to_message
        key = (chat_id, quoted.message_id) if quoted is not None else None
        if key is not None and key in wanted:
            per_key[key] += 1
        else:
            strays += 1
    return Deliveries(
        expected=len(wanted),
        once=sum(1 for key in wanted if per_key[key] == 1),
        lost=tuple(sorted(key for key in wanted if per_key[key] == 0)),
        duplicated={key: count for key, count in sorted(per_key.items()) if count > 1},
        strays=strays,
    )


def first_answers(calls: Iterable[ApiCall], method: str) -> dict[MessageKey, float]:
    """For each quoted message, when the first successful call of `method` quoting it was answered."""
    answered: dict[MessageKey, float] = {}
    for call in calls:
        if call.method != method or not call.ok:
            continue
        key = call.replies_to()
        if key is not None and key not in answered:
            answered[key] = call.time
    return answered


def delays(
    injected: Mapping[MessageKey, float], answered: Mapping[MessageKey, float], minus: float = 0.0
) -> list[float]:
    """answered - injected - minus, for every injected message that was answered."""
    return [answered[key] - sent - minus for key, sent in injected.items() if key in answered]


def calls_by_method(calls: Iterable[ApiCall]) -> list[MethodCalls]:
    """Calls per method (most frequent first) with their 429 answers."""
    totals: Counter[str] = Counter()
    flooded: Counter[str] = Counter()
    for call in calls:
        totals[call.method] += 1
        if call.status == 429:
            flooded[call.method] += 1
    return [MethodCalls(method, total, flooded[method]) for method, total in totals.most_common()]


def last_activity(calls: Iterable[ApiCall]) -> float | None:
    """When the fake last answered anything but a long poll."""
    times = [call.time for call in calls if call.method != LONG_POLL_METHOD]
    return max(times) if times else None


def last_edits(calls: Iterable[ApiCall]) -> dict[MessageKey, float]:
    """For each edited message, when its last successful editMessageText was answered."""
    return {key: times[-1] for key, times in edit_times(calls).items()}


def edit_times(calls: Iterable[ApiCall]) -> dict[MessageKey, list[float]]:
    """For each edited message, when each successful editMessageText of it was answered, in order."""
    updates: dict[MessageKey, list[float]] = {}
    for call in calls:
        chat_id, message_id = call.chat_id, call.params.get("message_id")
        wanted = call.method == "editMessageText" and call.ok
        if not wanted or chat_id is None or not isinstance(message_id, int):
            continue
        updates.setdefault((chat_id, message_id), []).append(call.time)
    return {key: sorted(times) for key, times in updates.items()}


def largest_progress_gap(shown: float, edits: Iterable[float], ready: float) -> float | None:
    """The longest time a user looked at an unchanged status while the job generated (None: never shown then).

    The status message appears at `shown`, is edited at `edits`, and the generation ends at `ready`; the gap
    that is still open when the generation ends counts too.
    """
    if shown >= ready:
        return None
    moments = [shown, *sorted(at for at in edits if shown < at < ready), ready]
    return max(later - earlier for earlier, later in itertools.pairwise(moments))
