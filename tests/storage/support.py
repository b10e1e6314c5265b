"""Helpers for storage tests: a hand-moved clock and builders for jobs and policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Job, JobImage, JobState, JobStore, NewJob, Period, QuotaPolicy

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_job(
    user_id: int = 1,
    message_id: int = 1,
    *,
    chat_id: int = 100,
    n: int = 1,
    price_cents: int = 100,
    images: tuple[JobImage, ...] = (),
    model: str = "veo-3.1-fast",
) -> NewJob:
    """A NewJob whose dedupe key follows the bot's f"{chat_id}:{message_id}" convention."""
    return NewJob(
        user_id=user_id,
        chat_id=chat_id,
        chat_type="private",
        user_message_id=message_id,
        dedupe_key=f"{chat_id}:{message_id}",
        request_json='{"prompt": "a cat surfing"}',
        model=model,
        mode="sync",
        n=n,
        price_cents=price_cents,
        language="en",
        images=images,
    )


def policy(
    budget: int = 1000, *, max_active: int = 10, global_budget: int = 0, period: Period = "day"
) -> QuotaPolicy:
    """A QuotaPolicy with roomy defaults so each test tightens only the limit it is about."""
    return QuotaPolicy(
        period=period,
        user_budget_cents=budget,
        max_active_jobs=max_active,
        global_budget_cents=global_budget,
    )


async def walk(jobs: JobStore, job_id: str, *states: JobState) -> Job:
    """Move a job through `states`, one pipeline step each, and return it as it is then."""
    job = await jobs.get_job(job_id)
    assert job is not None
    for state in states:
        job = await jobs.advance(job_id, state)
    return job


async def deliver(jobs: JobStore, job_id: str, clips: int) -> None:
    """Take a sync job from queued to delivered with `clips` clips charged."""
    await walk(jobs, job_id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    assert await jobs.settle_delivered(job_id, clips)
