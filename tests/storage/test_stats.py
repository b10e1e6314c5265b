"""The operator's overview over a real database with jobs on both sides of the period boundaries."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import Database, JobCreated, JobState, JobStore, collect_stats
from tests.storage.support import FakeClock, deliver, make_job, policy


async def create(jobs: JobStore, user_id: int, message_id: int, n: int = 1) -> str:
    result = await jobs.create_job(make_job(user_id=user_id, message_id=message_id, n=n), policy=policy())
    assert isinstance(result, JobCreated)
    return result.job.id


async def test_stats_for_today_and_the_week(db: Database, jobs: JobStore, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Sunday: the previous week
    await jobs.fail_job(await create(jobs, 3, 1), "server", "500")

    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday: this week, not today
    await deliver(jobs, await create(jobs, 1, 2, n=2), 2)
    await jobs.fail_job(await create(jobs, 2, 3), "content_policy", "refused")

    clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday: today
    await deliver(jobs, await create(jobs, 1, 4), 1)
    await jobs.fail_job(await create(jobs, 2, 5), "content_policy", "refused")
    await create(jobs, 3, 6)
    await jobs.advance(await create(jobs, 1, 7), JobState.GENERATING)
    await create(jobs, 4, 8)
    assert len(await jobs.cancel_queued_jobs(4)) == 1

    stats = await collect_stats(db, period="week", now=datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    assert (stats.period, stats.period_start, stats.resets_at) == (
        "week",
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert set(stats.jobs_today) == set(JobState)
    assert {state: n for state, n in stats.jobs_today.items() if n} == {
        JobState.DELIVERED: 1,
        JobState.FAILED: 1,
        JobState.QUEUED: 1,
        JobState.GENERATING: 1,
        JobState.CANCELLED: 1,
    }
    assert {state: n for state, n in stats.jobs_period.items() if n} == {
        JobState.DELIVERED: 2,
        JobState.FAILED: 2,
        JobState.QUEUED: 1,
        JobState.GENERATING: 1,
        JobState.CANCELLED: 1,
    }
    assert (stats.clips_delivered_today, stats.clips_delivered_period) == (1, 3)
    assert (stats.spent_today_cents, stats.spent_period_cents) == (100, 300)
    assert stats.users_period == 4
    assert (stats.active_jobs, stats.queued_jobs) == (2, 1)
    assert stats.errors_by_kind == {"content_policy": 2}  # last week's server error is not counted


async def test_stats_of_an_empty_database(db: Database) -> None:
    stats = await collect_stats(db, period="day")
    assert all(count == 0 for count in stats.jobs_today.values())
    assert (stats.spent_period_cents, stats.active_jobs, stats.errors_by_kind) == (0, 0, {})
