"""TaskStatus reads every documented response shape of both channels."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.gateway.events import TaskStatus, parse_progress

DOCUMENTED_FAILED = {
    "task_id": "video_693742f8-45c9-4608-85e0-1c4b3dea97eb",
    "object": "task",
    "task_type": "sora2_video_generation",
    "model_name": "veo-3.1-fl",
    "platform": "openai",
    "status": "failed",
    "progress": "100%",
    "fail_reason": "PUBLIC_ERROR_AUDIO_FILTERED",
    "error": {"message": "PUBLIC_ERROR_AUDIO_FILTERED", "type": "task_failed"},
    "data": {
        "id": "video_693742f8-45c9-4608-85e0-1c4b3dea97eb",
        "object": "video",
        "model": "veo-3.1-fl",
        "size": "720x1280",
        "status": "failed",
        "error": {"code": "", "message": "PUBLIC_ERROR_AUDIO_FILTERED"},
    },
}


def test_documented_failed_sample() -> None:
    status = TaskStatus.model_validate(DOCUMENTED_FAILED)
    assert status == TaskStatus(
        task_id="video_693742f8-45c9-4608-85e0-1c4b3dea97eb",
        status="failed",
        progress=100.0,
        fail_reason="PUBLIC_ERROR_AUDIO_FILTERED",
        model="veo-3.1-fl",
    )
    assert status.is_terminal


def test_task_id_is_preferred_over_id() -> None:
    status = TaskStatus.model_validate({"id": "video_a", "task_id": "task_b", "status": "queued"})
    assert status.task_id == "task_b"
    assert TaskStatus.model_validate({"id": "video_a", "status": "queued"}).task_id == "video_a"


def test_official_in_progress_is_processing_with_coarse_progress() -> None:
    status = TaskStatus.model_validate(
        {
            "id": "task_x",
            "task_id": "task_x",
            "object": "video",
            "model": "veo-3.1-fast-generate-preview",
            "status": "in_progress",
            "progress": 50,
            "created_at": 1775025000,
        }
    )
    assert (status.status, status.progress, status.model) == (
        "processing",
        50.0,
        "veo-3.1-fast-generate-preview",
    )
    assert not status.is_terminal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, 0.0),
        (50, 50.0),
        (100, 100.0),
        ("100%", 100.0),
        ("45.5 %", 45.5),
        ("7", 7.0),
        (250, 100.0),
        (None, None),
        ("n/a", None),
        (True, None),
    ],
)
def test_progress_forms(raw: object, expected: float | None) -> None:
    assert parse_progress(raw) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"fail_reason": "PUBLIC_ERROR_X", "error": {"message": "other"}}, "PUBLIC_ERROR_X"),
        ({"error": {"message": "capacity"}}, "capacity"),
        ({"error": {"code": "upstream_busy", "message": ""}}, "upstream_busy"),
        ({"error": "plain text"}, "plain text"),
        (
            {"data": {"error": {"code": "", "message": "PUBLIC_ERROR_AUDIO_FILTERED"}}},
            "PUBLIC_ERROR_AUDIO_FILTERED",
        ),
        ({}, None),
    ],
)
def test_fail_reason_sources(body: dict[str, object], reason: str | None) -> None:
    status = TaskStatus.model_validate({"task_id": "t", "status": "failed", **body})
    assert status.fail_reason == reason


def test_extra_fields_are_ignored_and_status_case_folded() -> None:
    status = TaskStatus.model_validate({"id": 42, "status": "COMPLETED", "video_url": "x", "seconds": "8"})
    assert (status.task_id, status.status) == ("42", "completed")


@pytest.mark.parametrize("body", [{"id": "t", "status": "exploded"}, {"status": "queued"}, {"id": "t"}])
def test_unreadable_statuses_are_rejected(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TaskStatus.model_validate(body)
