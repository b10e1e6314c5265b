"""The benchmark's arithmetic: deliveries per message, percentiles, latencies and calls per method."""

from __future__ import annotations

from typing import Any

import pytest

from bench.metrics import (
    Spread,
    calls_by_method,
    count_deliveries,
    delays,
    edit_times,
    first_answers,
    largest_progress_gap,
    last_activity,
    last_edits,
    percentile,
)
from bench.wire import ApiCall, ChatMessage

GROUP = -1001700000001
BOT = {"id": 123456, "is_bot": True}
USER = {"id": 700001, "is_bot": False}


def call(index: int, method: str, at: float, status: int = 200, **params: Any) -> ApiCall:
    return ApiCall(index=index, method=method, params=params, time=at, status=status)


def video(message_id: int, replying_to: int | None, sender: dict[str, Any] = BOT) -> ChatMessage:
    data: dict[str, Any] = {"message_id": message_id, "from": sender, "video": {"file_id": "x"}}
    if replying_to is not None:
        data["reply_to_message"] = {"message_id": replying_to}
    return ChatMessage.model_validate(data)


def test_deliveries_count_lost_duplicated_and_stray_videos() -> None:
    messages = [
        (GROUP, video(10, replying_to=1)),
        (GROUP, video(11, replying_to=2)),
        (GROUP, video(12, replying_to=2)),
        (GROUP, video(13, replying_to=None)),
        (GROUP, video(14, replying_to=3, sender=USER)),  # a user's video is not a delivery
        (GROUP, ChatMessage.model_validate({"message_id": 15, "from": BOT, "text": "status"})),
    ]

    deliveries = count_deliveries([(GROUP, 1), (GROUP, 2), (GROUP, 3)], messages)

    assert deliveries.once == 1
    assert deliveries.lost == ((GROUP, 3),)
    assert deliveries.duplicated == {(GROUP, 2): 2}
    assert deliveries.strays == 1
    assert not deliveries.complete


def test_exactly_one_video_per_message_is_complete() -> None:
    deliveries = count_deliveries([(GROUP, 1)], [(GROUP, video(5, replying_to=1))])

    assert deliveries.complete and deliveries.once == 1


def test_percentile_is_nearest_rank() -> None:
    sample = [float(n) for n in range(1, 21)]

    assert percentile(sample, 50) == 10.0
    assert percentile(sample, 95) == 19.0
    assert percentile(sample, 100) == 20.0
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_spread_of_nothing_is_none() -> None:
    assert Spread.of([]) is None
    assert Spread.of([2.0, 1.0, 3.0]) == Spread(count=3, median=2.0, p95=3.0, maximum=3.0)


def test_first_successful_answer_per_quoted_message_gives_the_latency() -> None:
    calls = [
        call(0, "sendVideo", 9.0, status=429, chat_id=GROUP, reply_parameters={"message_id": 1}),
        call(1, "sendVideo", 10.5, chat_id=GROUP, reply_parameters='{"message_id": 1}'),
        call(2, "sendVideo", 11.0, chat_id=GROUP, reply_parameters={"message_id": 1}),
        call(3, "sendMessage", 4.0, chat_id=GROUP, reply_parameters={"message_id": 1}),
        call(4, "sendVideo", 12.0, chat_id=GROUP),
    ]

    videos = first_answers(calls, "sendVideo")

    assert videos == {(GROUP, 1): 10.5}
    assert delays({(GROUP, 1): 2.0, (GROUP, 2): 2.5}, videos, minus=5.0) == [3.5]


def test_calls_by_method_counts_429_answers() -> None:
    calls = [
        call(0, "sendMessage", 1.0, status=429),
        call(1, "sendMessage", 2.0),
        call(2, "getUpdates", 3.0),
    ]

    summary = {entry.method: (entry.total, entry.too_many_requests) for entry in calls_by_method(calls)}

    assert summary == {"sendMessage": (2, 1), "getUpdates": (1, 0)}
    assert last_activity(calls) == 2.0


def test_last_edits_keep_the_latest_successful_edit_of_each_message() -> None:
    calls = [
        call(0, "editMessageText", 1.0, chat_id=GROUP, message_id=7),
        call(1, "editMessageText", 3.0, chat_id=GROUP, message_id=7),
        call(2, "editMessageText", 4.0, status=429, chat_id=GROUP, message_id=7),
        call(3, "editMessageText", 2.0, chat_id=GROUP, message_id=8),
    ]

    assert last_edits(calls) == {(GROUP, 7): 3.0, (GROUP, 8): 2.0}


def test_edit_times_list_every_successful_edit_in_order() -> None:
    calls = [
        call(0, "editMessageText", 3.0, chat_id=GROUP, message_id=7),
        call(1, "editMessageText", 1.0, chat_id=GROUP, message_id=7),
        call(2, "editMessageText", 2.0, status=429, chat_id=GROUP, message_id=7),
        call(3, "sendMessage", 0.5, chat_id=GROUP),
    ]

    assert edit_times(calls) == {(GROUP, 7): [1.0, 3.0]}


def test_the_largest_progress_gap_counts_the_gap_still_open_when_generation_ends() -> None:
    assert largest_progress_gap(1.0, [2.0, 4.5], ready=5.0) == 2.5
    assert largest_progress_gap(1.0, [2.0, 3.0], ready=6.0) == 3.0  # the last update was 3 s before the end
    assert largest_progress_gap(1.0, [], ready=5.0) == 4.0  # a status that was never edited
    assert largest_progress_gap(1.0, [0.5, 7.0], ready=5.0) == 4.0  # edits outside the generation don't count
    assert largest_progress_gap(5.0, [6.0], ready=5.0) is None  # the status came after the generation
