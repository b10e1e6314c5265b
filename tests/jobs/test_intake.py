"""Intake's pure rules: how many clips a longer video chains, how a reset time reads, and when
"Try again" may send the clip a job already made instead of making (and charging) a new one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.gateway.errors import InvalidRequestError
from bot.jobs.intake import can_send_again, format_reset, plan_segments
from bot.jobs.requests import dump_request
from storage import Job, JobState
from tests.jobs.support import built, stored_job

# -- plan_segments: Reverse clips are 8 s; Official clips are 4, 6 or 8 s; at most 5 clips ------------


@pytest.mark.parametrize(
    ("seconds", "segments"),
    [
        (1, 2),  # a longer video is always at least two clips
        (9, 2),
        (16, 2),
        (17, 3),
        (24, 3),
        (25, 4),
        (40, 5),
    ],
)
def test_eight_second_clips_are_chained_until_the_length_is_reached(seconds: int, segments: int) -> None:
    assert plan_segments(built(), seconds) == segments


def test_short_official_clips_chain_by_their_own_length() -> None:
    four_seconds = built(model="veo-3.1-fast-generate-preview", seconds=4, resolution="720p")
    assert plan_segments(four_seconds, 13) == 4
    assert plan_segments(four_seconds, 20) == 5


@pytest.mark.parametrize(
    ("request_kwargs", "seconds", "limit"),
    [
        ({}, 41, "40"),
        ({}, 1000, "40"),
        ({"model": "veo-3.1-fast-generate-preview", "seconds": 4, "resolution": "720p"}, 21, "20"),
    ],
)
def test_more_than_five_clips_is_refused_naming_the_longest_video(
    request_kwargs: dict[str, Any], seconds: int, limit: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        plan_segments(built(**request_kwargs), seconds)
    assert refused.value.code == "extend_too_long"
    assert refused.value.details == {"limit": limit}


def test_a_longer_video_is_one_video_not_several() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        plan_segments(built(n=2), 16)
    assert refused.value.code == "extend_single_video"


# -- format_reset -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 11, 24, 0, 0, tzinfo=UTC), "2026-11-24 00:00 UTC"),
        (datetime(2026, 11, 24, 12, 34, 56, tzinfo=UTC), "2026-11-24 12:34 UTC"),  # no seconds
        (datetime(2026, 11, 24, 8, 30, tzinfo=timezone(timedelta(hours=8))), "2026-11-24 00:30 UTC"),
        (datetime(2026, 12, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), "2026-11-30 23:00 UTC"),
    ],
)
def test_reset_times_are_shown_in_utc_to_the_minute(moment: datetime, shown: str) -> None:
    assert format_reset(moment) == shown


# -- can_send_again ---------------------------------------------------------------------------------

CLIP_URL = "https://cdn.example/result.mp4"


def undelivered_clip(**changes: Any) -> Job:
    """A clip that was made an hour ago (its link is still valid) but that Telegram never took."""
    values: dict[str, Any] = {
        "state": JobState.FAILED,
        "error_kind": "upload_failed",
        "result_urls": (CLIP_URL,),
        "finished_at": datetime.now(UTC) - timedelta(hours=1),
    }
    return stored_job(**(values | changes))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"error_kind": "undeliverable"},
        {"error_kind": "no_rights"},
        {"finished_at": datetime.now(UTC) - timedelta(hours=22)},
        # An async job without kept links is fetched again by its task id.
        {"mode": "async", "result_urls": (), "upstream_task_id": "task-1"},
    ],
    ids=["upload_failed", "undeliverable", "no_rights", "22h_old", "async_task"],
)
def test_a_made_but_undelivered_clip_is_sent_again(changes: dict[str, Any]) -> None:
    assert can_send_again(undelivered_clip(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"state": JobState.DELIVERED},
        {"state": JobState.CANCELLED},
        {"error_kind": "content_policy"},  # nothing was made
        {"error_kind": "timeout"},
        {"error_kind": None},
        {"delivered_count": 1},  # part of it reached the chat
        {"finished_at": None},
        {"finished_at": datetime.now(UTC) - timedelta(hours=24)},  # the link has expired (24 h)
        {"result_urls": ()},  # a stream's clip without its link cannot be fetched again
        {"mode": "async", "result_urls": (), "upstream_task_id": None},
    ],
    ids=[
        "delivered",
        "cancelled",
        "content_policy",
        "timeout",
        "no_kind",
        "partly_delivered",
        "never_finished",
        "expired",
        "no_link",
        "async_no_task",
    ],
)
def test_otherwise_try_again_makes_a_new_clip(changes: dict[str, Any]) -> None:
    assert not can_send_again(undelivered_clip(**changes))


def test_a_chained_video_is_made_again_whole() -> None:
    chained = dump_request(built().request, segments=3)
    assert not can_send_again(undelivered_clip(request_json=chained))
    assert can_send_again(undelivered_clip(request_json=dump_request(built().request)))
