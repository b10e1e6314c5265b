"""Sliding windows: in-flight messages count as now, finished ones until a window after their answer."""

from __future__ import annotations

import math

from bot.pacing.window import SlidingWindow, TelegramLimits, WindowLimit


def test_a_window_admits_its_messages_then_frees_one_a_window_after_each_answer() -> None:
    window = SlidingWindow(WindowLimit(3, 3.0))
    for _ in range(3):
        assert window.free(0.0) > 0
        window.begin()
        window.end(1, 0.5)
    assert window.free(0.5) == 0
    assert window.ready_at(0.5) == 3.5  # the first answer at 0.5 leaves the window at 3.5
    assert window.free(3.5) == 3


def test_messages_in_flight_block_until_they_end() -> None:
    window = SlidingWindow(WindowLimit(2, 1.0))
    window.begin(2)
    assert window.free(10.0) == 0
    assert window.ready_at(10.0) == math.inf  # nothing finished yet, so no moment is known
    window.end(2, 10.2)
    assert window.ready_at(10.2) == 11.2


def test_a_call_that_never_left_does_not_count() -> None:
    window = SlidingWindow(WindowLimit(1, 60.0))
    window.begin()
    window.end(1, 1.0, sent=False)
    assert window.free(1.0) == 1


def test_a_media_group_needs_room_for_all_its_items_up_to_the_window() -> None:
    window = SlidingWindow(WindowLimit(3, 3.0))
    window.begin()
    window.end(1, 0.0)
    assert window.ready_at(0.0, cost=3) == 3.0
    assert window.ready_at(0.0, cost=2) == 0.0
    assert window.ready_at(5.0, cost=10) == 5.0  # more than the window holds: needs it empty


def test_after_flood_control_the_window_resumes_at_its_steady_rate_not_in_a_burst() -> None:
    window = SlidingWindow(WindowLimit(20, 60.0))
    window.hold_until(100.0)
    assert window.free(99.9) == 0
    starts = []
    now = 100.0
    for _ in range(4):
        now = window.ready_at(now)
        starts.append(now)
        window.begin()
        window.end(1, now)
    assert starts == [100.0, 103.0, 106.0, 109.0]  # one message every 60/20 seconds


def test_answers_that_arrive_out_of_order_keep_the_window_sorted() -> None:
    window = SlidingWindow(WindowLimit(2, 10.0))
    window.hold_until(50.0)  # entries at 40 and 45: the next message at 50, the one after at 55
    window.begin()
    window.end(1, 41.0)  # a request that was in flight during the pause answers late
    # Three messages now count (40, 41, 45): the next one may start once two of them have left.
    assert window.ready_at(41.0) == 51.0
    assert window.free(52.0) == 1


def test_limits_come_from_telegram_and_scale_for_tests() -> None:
    limits = TelegramLimits()
    assert (limits.overall.messages, limits.overall.seconds) == (30, 1.0)
    assert (limits.group.messages, limits.group.seconds) == (20, 60.0)
    assert limits.private_chat.messages / limits.private_chat.seconds == 1.0
    assert limits.for_chat(42) is limits.private_chat and limits.for_chat(-100123) is limits.group
    assert limits.scaled(0.05).group == WindowLimit(20, 3.0)
