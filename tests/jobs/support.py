"""Builders for the job-helper tests: a stored job as the ledger returns it, and real requests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.gateway.request import Mode
from bot.jobs.build import BuiltRequest, FrameImage, build_request
from bot.video_options import VideoOptions
from storage import Job, JobState

CREATED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

_BASE = Job(
    id="0123456789",
    user_id=42,
    chat_id=42,
    chat_type="private",
    thread_id=None,
    user_message_id=7,
    dedupe_key="42:7",
    status_message_id=8,
    request_json='{"prompt": "a fox in the snow", "model": "veo-3.1-fast", "n": 1}',
    model="veo-3.1-fast",
    mode="sync",
    n=1,
    price_cents=15,
    reserved_cents=15,
    charged_cents=0,
    delivered_count=0,
    upstream_task_id=None,
    result_urls=(),
    state=JobState.QUEUED,
    attempts=0,
    error_kind=None,
    error_message=None,
    language="en",
    period_key="2026-11-23",
    user_notified=False,
    created_at=CREATED,
    updated_at=CREATED,
    finished_at=None,
)


def stored_job(**changes: Any) -> Job:
    """A job as the ledger returns it: a 15-cent portrait fast clip in a private chat, with changes."""
    return replace(_BASE, **changes)


def built(
    prompt: str = "a fox in the snow",
    *,
    images: tuple[FrameImage, ...] = (),
    default_model: str = "veo-3.1-fast",
    generation_mode: Mode = "sync",
    **options: Any,
) -> BuiltRequest:
    """`build_request` for typed options, with the operator's default model and mode."""
    return build_request(
        VideoOptions(prompt=prompt, **options),
        images,
        default_model=default_model,
        generation_mode=generation_mode,
    )
