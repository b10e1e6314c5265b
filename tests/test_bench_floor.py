"""Telegram's floor: an ideal sender under the fake's token buckets, checked on cases worked out by hand."""

from __future__ import annotations

import pytest

from bench.floor import FloorSend, JobFloor, Kind, job_floors, send_times
from tests.fakes.bot_api import FloodLimits

GROUP = -1001700000001
OTHER_GROUP = -1001700000002
PRIVATE = 700001


def jobs_at_once(chat_id: int, count: int, at: float = 0.0) -> dict[tuple[int, int], float]:
    return {(chat_id, number): at for number in range(1, count + 1)}


def test_ten_jobs_in_one_group_fit_its_burst_so_every_video_leaves_when_ready() -> None:
    floors = job_floors(jobs_at_once(GROUP, 10), 5.0)

    assert set(floors.values()) == {JobFloor(ack=0.0, video=5.0)}


def test_forty_jobs_in_one_group_are_pushed_back_by_twenty_a_minute() -> None:
    floors = job_floors(jobs_at_once(GROUP, 40), 5.0)

    # 20 acknowledgements spend the burst at once; the 21st waits for the next token (3 s).
    assert [floors[(GROUP, n)].ack for n in (1, 20, 21)] == [0.0, 0.0, pytest.approx(3.0)]
    # From 5 s every video goes before the waiting acknowledgements, one token every 3 s.
    assert floors[(GROUP, 1)].video == pytest.approx(6.0)
    assert floors[(GROUP, 2)].video == pytest.approx(9.0)
    assert floors[(GROUP, 40)].video == pytest.approx(6.0 + 39 * 3.0)
    # The other 19 acknowledgements come after the last video.
    assert floors[(GROUP, 22)].ack == pytest.approx(126.0)
    assert floors[(GROUP, 40)].ack == pytest.approx(180.0)


def test_four_jobs_in_a_private_chat_have_a_burst_of_three_then_one_a_second() -> None:
    floors = job_floors(jobs_at_once(PRIVATE, 4), 5.0)

    assert [floors[(PRIVATE, n)] for n in range(1, 5)] == [
        JobFloor(ack=0.0, video=5.0),
        JobFloor(ack=0.0, video=5.0),
        JobFloor(ack=0.0, video=5.0),
        JobFloor(ack=pytest.approx(1.0), video=pytest.approx(6.0)),
    ]


def test_the_bot_wide_limit_binds_across_chats() -> None:
    # 40 private chats, one job each: the bot-wide burst of 30 then 30 a second.
    injected = {(PRIVATE + n, 1): 0.0 for n in range(40)}

    floors = job_floors(injected, 5.0)

    acks = sorted(floor.ack for floor in floors.values())
    assert acks[:30] == [0.0] * 30
    assert acks[30] == pytest.approx(1 / 30) and acks[-1] == pytest.approx(10 / 30)
    videos = sorted(floor.video for floor in floors.values())
    assert videos[:30] == [5.0] * 30  # the bucket refilled during the generation
    assert videos[-1] == pytest.approx(5.0 + 10 / 30)


def test_a_video_goes_before_an_acknowledgement_that_waits_for_the_same_token() -> None:
    sends = [
        FloorSend("video", GROUP, 1.0, Kind.VIDEO),
        FloorSend("ack", GROUP, 0.5, Kind.ACK),
        FloorSend("other", OTHER_GROUP, 0.5, Kind.ACK),
    ]
    limits = FloodLimits(group_burst=1, group_per_minute=60)  # one token a second per group
    # One token was spent at 0.0 by an earlier ack, so the group has none until 1.0.
    times = send_times([FloorSend("first", GROUP, 0.0, Kind.ACK), *sends], limits)

    assert times == {"first": 0.0, "other": 0.5, "video": 1.0, "ack": pytest.approx(2.0)}


def test_a_media_group_costs_one_per_item_and_limits_off_cost_nothing() -> None:
    limits = FloodLimits(private_burst=3)
    sends = [FloorSend("album", PRIVATE, 0.0, Kind.VIDEO, cost=3), FloorSend("ack", PRIVATE, 0.0, Kind.ACK)]

    assert send_times(sends, limits) == {"album": 0.0, "ack": pytest.approx(1.0)}
    assert send_times(sends, FloodLimits.off()) == {"album": 0.0, "ack": 0.0}
    assert send_times([]) == {}
