"""The job table: creation, dedupe, transitions, settlement, resume after restart and cleanup."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest

import storage.jobs
from storage import (
    Database,
    Duplicate,
    IllegalTransition,
    Job,
    JobCreated,
    JobImage,
    JobNotFound,
    JobState,
    JobStore,
    NewJob,
    QuotaLedger,
)
from storage.database import fetch_all, fetch_int
from tests.storage.support import FakeClock, make_job, policy, walk

PNG = JobImage("image/png", b"\x89PNG fake first frame")
JPEG = JobImage("image/jpeg", b"\xff\xd8 fake last frame")


async def create(jobs: JobStore, new: NewJob | None = None) -> Job:
    result = await jobs.create_job(new or make_job(), policy=policy())
    assert isinstance(result, JobCreated), result
    return result.job


async def ledger_rows(db: Database, job_id: str | None = None) -> list[tuple[str, int]]:
    async with db.snapshot() as conn:
        rows = await fetch_all(
            conn,
            "SELECT kind, amount_cents FROM spend_ledger WHERE (? IS NULL OR job_id = ?) ORDER BY id",
            (job_id, job_id),
        )
    return [(row["kind"], row["amount_cents"]) for row in rows]


async def test_create_stores_job_images_and_reservation(
    db: Database, jobs: JobStore, clock: FakeClock
) -> None:
    job = await create(jobs, make_job(user_id=5, message_id=9, n=2, price_cents=150, images=(PNG, JPEG)))

    assert re.fullmatch(r"[0-9a-f]{10}", job.id)
    assert job.state is JobState.QUEUED
    assert (job.user_id, job.chat_id, job.user_message_id, job.dedupe_key) == (5, 100, 9, "100:9")
    assert (job.n, job.price_cents, job.reserved_cents, job.charged_cents) == (2, 150, 300, 0)
    assert job.period_key == "2026-11-23"
    assert job.created_at == job.updated_at == clock.now
    assert job.finished_at is None and not job.user_notified
    assert await jobs.job_images(job.id) == [PNG, JPEG]
    assert await ledger_rows(db, job.id) == [("reserve", 300)]
    assert await jobs.get_job(job.id) == job
    assert await jobs.get_job("missing") is None


async def test_same_dedupe_key_returns_the_existing_job_without_a_new_reservation(
    db: Database, jobs: JobStore
) -> None:
    job = await create(jobs)
    again = await jobs.create_job(make_job(), policy=policy())
    assert again == Duplicate(job)
    # Even a user who is over the limit now gets the duplicate, not a refusal.
    again = await jobs.create_job(make_job(), policy=policy(budget=0, max_active=1))
    assert again == Duplicate(job)
    assert await ledger_rows(db) == [("reserve", 100)]


async def test_invalid_new_job_is_refused_before_touching_the_database(db: Database, jobs: JobStore) -> None:
    with pytest.raises(ValueError, match="n must"):
        await jobs.create_job(make_job(n=0), policy=policy())
    with pytest.raises(ValueError, match="not an image"):
        await jobs.create_job(make_job(images=(JobImage("text/plain", b"x"),)), policy=policy())
    assert await ledger_rows(db) == []


async def test_happy_path_transitions_write_fields_and_updated_at(jobs: JobStore, clock: FakeClock) -> None:
    job = await create(jobs)
    clock.advance(seconds=5)
    job = await jobs.advance(job.id, JobState.SUBMITTED, upstream_task_id="task-1")
    assert (job.state, job.upstream_task_id) == (JobState.SUBMITTED, "task-1")
    assert job.submitted_at == job.updated_at == clock.now
    assert job.created_at == clock.now - timedelta(seconds=5)
    job = await jobs.update_job(job.id, status_message_id=77)
    clock.advance(seconds=5)
    job = await jobs.advance(job.id, JobState.GENERATING)
    assert job.upstream_task_id == "task-1" and job.status_message_id == 77  # None keeps the value
    assert job.submitted_at == clock.now - timedelta(seconds=5)  # stamped once, by the first step upstream
    job = await jobs.advance(job.id, JobState.DOWNLOADING, result_urls=["https://cdn.example/v.mp4"])
    assert job.result_urls == ("https://cdn.example/v.mp4",)
    job = await jobs.advance(job.id, JobState.UPLOADING)
    assert job.result_urls == ("https://cdn.example/v.mp4",)  # None keeps the value
    job = await jobs.update_job(job.id, delivered_count=1)
    assert job.state is JobState.UPLOADING and job.delivered_count == 1


async def test_a_step_that_skips_ahead_raises_and_changes_nothing(jobs: JobStore) -> None:
    # (queued -> downloading is allowed: a clip made before is sent again)
    job = await create(jobs)
    with pytest.raises(IllegalTransition):
        await jobs.advance(job.id, JobState.UPLOADING)
    assert await jobs.get_job(job.id) == job


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((JobState.SUBMITTED,), JobState.QUEUED),
        ((JobState.GENERATING, JobState.DOWNLOADING), JobState.GENERATING),
        ((JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING), JobState.DOWNLOADING),
    ],
)
async def test_a_step_already_passed_is_a_no_op(
    jobs: JobStore, clock: FakeClock, path: tuple[JobState, ...], target: JobState
) -> None:
    """A resumed job repeats the steps it had reached; the ledger stays where the job got to."""
    job = await walk(jobs, (await create(jobs)).id, *path)
    clock.advance(seconds=1)
    again = await jobs.advance(job.id, target)
    assert again.state is job.state
    assert again.submitted_at == job.submitted_at


async def test_terminal_states_only_through_settle_fail_cancel(jobs: JobStore) -> None:
    job = await create(jobs)
    for target in (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED):
        with pytest.raises(IllegalTransition):
            await jobs.advance(job.id, target)
    assert await jobs.fail_job(job.id, "timeout", "upstream timed out")
    with pytest.raises(IllegalTransition):
        await jobs.advance(job.id, JobState.GENERATING)
    with pytest.raises(JobNotFound):
        await jobs.advance("missing", JobState.GENERATING)


async def test_settle_partial_delivery_charges_delivered_and_refunds_the_rest(
    db: Database, jobs: JobStore, ledger: QuotaLedger, clock: FakeClock
) -> None:
    job = await create(jobs, make_job(n=3, price_cents=100, images=(PNG,)))
    await walk(jobs, job.id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    clock.advance(minutes=3)

    assert await jobs.settle_delivered(job.id, 2)
    settled = await jobs.get_job(job.id)
    assert settled is not None
    assert settled.state is JobState.DELIVERED
    assert (settled.delivered_count, settled.charged_cents, settled.reserved_cents) == (2, 200, 300)
    assert settled.finished_at == clock.now
    assert await ledger_rows(db, job.id) == [("reserve", 300), ("charge", 200), ("refund", 100)]
    assert await jobs.job_images(job.id) == [PNG]  # kept for "Try again" until cleanup
    usage = await ledger.usage(1, period="day", budget_cents=1000)
    assert (usage.spent_cents, usage.reserved_cents, usage.left_cents) == (200, 0, 800)

    # A second settle (e.g. after a retry) changes nothing.
    assert not await jobs.settle_delivered(job.id, 3)
    assert await jobs.get_job(job.id) == settled
    assert await ledger_rows(db, job.id) == [("reserve", 300), ("charge", 200), ("refund", 100)]


async def test_settle_full_delivery_writes_no_refund(db: Database, jobs: JobStore) -> None:
    job = await create(jobs, make_job(n=2, price_cents=100))
    await walk(jobs, job.id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    assert await jobs.settle_delivered(job.id, 2)
    assert await ledger_rows(db, job.id) == [("reserve", 200), ("charge", 200)]


async def test_settle_requires_uploading_and_a_sane_count(jobs: JobStore) -> None:
    job = await create(jobs, make_job(n=2))
    with pytest.raises(IllegalTransition):
        await jobs.settle_delivered(job.id, 1)
    await walk(jobs, job.id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    for bad in (0, 3):
        with pytest.raises(ValueError, match="delivered_count"):
            await jobs.settle_delivered(job.id, bad)
    with pytest.raises(ValueError, match="delivered_count"):
        await jobs.update_job(job.id, delivered_count=5)


async def test_fail_refunds_exactly_once(db: Database, jobs: JobStore, ledger: QuotaLedger) -> None:
    job = await create(jobs, make_job(n=2, price_cents=100, images=(PNG,)))
    await jobs.advance(job.id, JobState.GENERATING)

    assert await jobs.fail_job(job.id, "content_policy", "refused by the safety filter")
    assert not await jobs.fail_job(job.id, "content_policy", "again")
    failed = await jobs.get_job(job.id)
    assert failed is not None
    assert failed.state is JobState.FAILED
    assert (failed.error_kind, failed.error_message) == ("content_policy", "refused by the safety filter")
    assert failed.charged_cents == 0 and failed.finished_at is not None
    assert await ledger_rows(db, job.id) == [("reserve", 200), ("refund", 200)]
    assert await jobs.job_images(job.id) == [PNG]
    usage = await ledger.usage(1, period="day", budget_cents=1000)
    assert (usage.spent_cents, usage.reserved_cents, usage.left_cents) == (0, 0, 1000)


async def test_fail_after_partial_upload_charges_only_what_was_delivered(
    db: Database, jobs: JobStore
) -> None:
    job = await create(jobs, make_job(n=2, price_cents=100))
    await walk(jobs, job.id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    await jobs.update_job(job.id, delivered_count=1)
    assert await jobs.fail_job(job.id, "upload", "second clip too large")
    assert await ledger_rows(db, job.id) == [("reserve", 200), ("charge", 100), ("refund", 100)]


async def test_fail_and_settle_do_not_override_each_other(db: Database, jobs: JobStore) -> None:
    job = await create(jobs)
    await walk(jobs, job.id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    assert await jobs.settle_delivered(job.id, 1)
    assert not await jobs.fail_job(job.id, "late", "late failure")
    assert await jobs.cancel_queued_jobs(1) == []
    finished = await jobs.get_job(job.id)
    assert finished is not None and finished.state is JobState.DELIVERED
    assert await ledger_rows(db, job.id) == [("reserve", 100), ("charge", 100)]


async def test_long_error_messages_are_truncated(jobs: JobStore) -> None:
    job = await create(jobs)
    await jobs.fail_job(job.id, "server", "x" * 5000)
    failed = await jobs.get_job(job.id)
    assert failed is not None and failed.error_message == "x" * storage.jobs.MAX_ERROR_MESSAGE_CHARS


async def test_cancel_only_queued_jobs(db: Database, jobs: JobStore) -> None:
    queued = await create(jobs, make_job(message_id=1))
    started = await create(jobs, make_job(message_id=2))
    await jobs.advance(started.id, JobState.SUBMITTED)

    assert [job.id for job in await jobs.cancel_queued_jobs(1)] == [queued.id]
    assert await jobs.cancel_queued_jobs(1) == []
    cancelled = await jobs.get_job(queued.id)
    still_running = await jobs.get_job(started.id)
    assert cancelled is not None and cancelled.state is JobState.CANCELLED
    assert still_running is not None and still_running.state is JobState.SUBMITTED
    assert await ledger_rows(db, queued.id) == [("reserve", 100), ("refund", 100)]
    assert await ledger_rows(db, started.id) == [("reserve", 100)]
    # A runner that picks the job up after the cancel is stopped by the transition check.
    with pytest.raises(IllegalTransition):
        await jobs.advance(queued.id, JobState.SUBMITTED)


async def test_cancel_queued_jobs_of_one_user(db: Database, jobs: JobStore) -> None:
    mine = [await create(jobs, make_job(user_id=1, message_id=i)) for i in range(3)]
    theirs = await create(jobs, make_job(user_id=2, message_id=10))
    await jobs.advance(mine[0].id, JobState.GENERATING)

    cancelled = await jobs.cancel_queued_jobs(1)
    assert [job.id for job in cancelled] == [mine[1].id, mine[2].id]
    assert all(job.state is JobState.CANCELLED for job in cancelled)
    assert [job.id for job in await jobs.active_jobs(1)] == [mine[0].id]
    assert [job.id for job in await jobs.active_jobs(2)] == [theirs.id]
    assert await jobs.cancel_queued_jobs(1) == []


async def test_notifications_of_finished_jobs(jobs: JobStore) -> None:
    first = await create(jobs, make_job(user_id=1, message_id=1))
    second = await create(jobs, make_job(user_id=2, message_id=2))
    running = await create(jobs, make_job(user_id=2, message_id=3))
    await jobs.advance(running.id, JobState.GENERATING)
    await jobs.fail_job(second.id, "server", "500")
    await jobs.cancel_queued_jobs(1)

    assert [job.id for job in await jobs.unnotified_finished_jobs()] == [first.id, second.id]
    assert await jobs.mark_notified(first.id)
    assert not await jobs.mark_notified(first.id)
    assert [job.id for job in await jobs.unnotified_finished_jobs()] == [second.id]
    assert running.id not in {job.id for job in await jobs.unnotified_finished_jobs()}


async def test_jobs_to_resume_survive_a_restart_oldest_first(db_path: Path, clock: FakeClock) -> None:
    db = await Database.open(db_path, clock=clock)
    jobs = JobStore(db)
    # Same timestamp on purpose: order must come from insertion, not from the clock.
    created = [await create(jobs, make_job(message_id=i, images=(PNG, JPEG))) for i in range(4)]
    await jobs.advance(created[0].id, JobState.GENERATING, upstream_task_id="up-0")
    await jobs.fail_job(created[1].id, "server", "500")
    await jobs.advance(created[3].id, JobState.SUBMITTED)
    await db.close()

    db = await Database.open(db_path, clock=clock)
    try:
        jobs = JobStore(db)
        resumable = await jobs.jobs_to_resume()
        assert [job.id for job in resumable] == [created[0].id, created[2].id, created[3].id]
        assert [job.state for job in resumable] == [JobState.GENERATING, JobState.QUEUED, JobState.SUBMITTED]
        assert resumable[0].upstream_task_id == "up-0"
        assert await jobs.job_images(created[2].id) == [PNG, JPEG]
    finally:
        await db.close()


async def test_interrupted_create_leaves_no_job_no_images_and_no_ledger_row(
    db: Database, jobs: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = storage.jobs._insert_images

    async def crash_after_writing(*args: object, **kwargs: object) -> None:
        await real_insert(*args, **kwargs)  # type: ignore[arg-type]
        raise OSError("disk vanished")

    monkeypatch.setattr(storage.jobs, "_insert_images", crash_after_writing)
    with pytest.raises(OSError, match="disk vanished"):
        await jobs.create_job(make_job(images=(PNG,)), policy=policy())

    async with db.snapshot() as conn:
        for table in ("jobs", "job_images", "spend_ledger"):
            assert await fetch_int(conn, f"SELECT COUNT(*) FROM {table}") == 0, table

    # The dedupe key was not taken, so the retry after the crash creates the job.
    monkeypatch.setattr(storage.jobs, "_insert_images", real_insert)
    job = await create(jobs, make_job(images=(PNG,)))
    assert await jobs.job_images(job.id) == [PNG]


async def test_cancelled_create_leaves_nothing(
    db: Database, jobs: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached = asyncio.Event()

    async def hang(*args: object, **kwargs: object) -> None:
        reached.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(storage.jobs, "_insert_images", hang)
    task = asyncio.create_task(jobs.create_job(make_job(), policy=policy()))
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await ledger_rows(db) == []
    assert await jobs.jobs_to_resume() == []


async def test_cleanup_deletes_old_finished_jobs_but_keeps_the_money_history(
    db: Database, jobs: JobStore, ledger: QuotaLedger, clock: FakeClock
) -> None:
    old_done = await create(jobs, make_job(message_id=1, n=2, images=(PNG,)))
    await walk(jobs, old_done.id, JobState.GENERATING, JobState.DOWNLOADING, JobState.UPLOADING)
    await jobs.settle_delivered(old_done.id, 1)
    old_failed = await create(jobs, make_job(message_id=2))
    await jobs.fail_job(old_failed.id, "server", "500")
    old_running = await create(jobs, make_job(message_id=3, images=(PNG,)))
    clock.advance(hours=2)
    recent_done = await create(jobs, make_job(message_id=4, images=(JPEG,)))
    await jobs.fail_job(recent_done.id, "server", "500")
    usage_before = await ledger.usage(1, period="day", budget_cents=1000)
    rows_before = await ledger_rows(db)

    deleted = await jobs.cleanup(older_than=clock.now - timedelta(hours=1))

    assert deleted == 2
    assert await jobs.get_job(old_done.id) is None and await jobs.get_job(old_failed.id) is None
    assert await jobs.get_job(old_running.id) is not None
    assert await jobs.get_job(recent_done.id) is not None
    assert await jobs.job_images(old_running.id) == [PNG]  # still needed to resume
    assert await jobs.job_images(recent_done.id) == [JPEG]  # kept for "Try again" until its cutoff
    async with db.snapshot() as conn:
        assert await fetch_int(conn, "SELECT COUNT(*) FROM job_images") == 2
        orphaned = await fetch_int(conn, "SELECT COUNT(*) FROM spend_ledger WHERE job_id IS NULL")
    assert orphaned == 5  # old_done: reserve, charge, refund; old_failed: reserve, refund
    assert await ledger_rows(db) == rows_before
    assert await ledger.usage(1, period="day", budget_cents=1000) == usage_before
    assert await jobs.cleanup(older_than=clock.now - timedelta(hours=1)) == 0
    await jobs.cleanup(
        older_than=clock.now - timedelta(hours=1), images_older_than=clock.now + timedelta(seconds=1)
    )
    assert await jobs.job_images(recent_done.id) == []
    assert await jobs.job_images(old_running.id) == [PNG]
