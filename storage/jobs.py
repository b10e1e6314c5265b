"""The durable job table: atomic reservation on creation, enforced state transitions, settlement.

Every method that changes money does it in the same BEGIN IMMEDIATE transaction as the job row, so a
crash or an exception leaves either the whole change or none of it.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import aiosqlite

from storage.clock import from_db_time, to_db_time
from storage.database import Database, fetch_all, fetch_int, fetch_row
from storage.errors import IllegalTransition, JobNotFound
from storage.ledger import add_entry, job_paid_reserve, period_totals
from storage.models import (
    CreateJobResult,
    Duplicate,
    Job,
    JobCreated,
    JobImage,
    JobMode,
    JobState,
    LedgerKind,
    LedgerPool,
    NewJob,
    QuotaPolicy,
    RefusalReason,
    Refused,
    can_transition,
)
from storage.payments import paid_balance
from storage.periods import period_bounds, period_key
from storage.retry import until_written

logger = logging.getLogger(__name__)

MAX_ERROR_MESSAGE_CHARS = 1000
# The order of the steps a job goes through; a resumed job never steps back.
_STEP_ORDER = {
    JobState.QUEUED: 0,
    JobState.SUBMITTED: 1,
    JobState.GENERATING: 2,
    JobState.DOWNLOADING: 3,
    JobState.UPLOADING: 4,
}
_JOB_ID_BYTES = 5  # 10 hex characters


def job_from_row(row: sqlite3.Row) -> Job:
    """Turn a jobs row into a Job."""
    finished_at = row["finished_at"]
    return Job(
        id=str(row["id"]),
        user_id=int(row["user_id"]),
        chat_id=int(row["chat_id"]),
        chat_type=str(row["chat_type"]),
        thread_id=row["thread_id"],
        user_message_id=int(row["user_message_id"]),
        dedupe_key=str(row["dedupe_key"]),
        status_message_id=row["status_message_id"],
        request_json=str(row["request_json"]),
        model=str(row["model"]),
        mode=cast(JobMode, row["mode"]),
        n=int(row["n"]),
        price_cents=int(row["price_cents"]),
        reserved_cents=int(row["reserved_cents"]),
        charged_cents=int(row["charged_cents"]),
        delivered_count=int(row["delivered_count"]),
        upstream_task_id=row["upstream_task_id"],
        result_urls=tuple(json.loads(row["result_urls"] or "[]")),
        state=JobState(row["state"]),
        attempts=int(row["attempts"]),
        error_kind=row["error_kind"],
        error_message=row["error_message"],
        language=row["language"],
        period_key=str(row["period_key"]),
        user_notified=bool(row["user_notified"]),
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        finished_at=None if finished_at is None else from_db_time(finished_at),
        parent_job_id=row["parent_job_id"],
        delivered_file_ids=tuple(json.loads(row["delivered_file_ids"] or "[]")),
        submitted_at=None if row["submitted_at"] is None else from_db_time(row["submitted_at"]),
        delivery_note=row["delivery_note"],
    )


async def fetch_job(conn: aiosqlite.Connection, job_id: str) -> Job | None:
    """Read one job inside the caller's transaction."""
    row = await fetch_row(conn, "SELECT * FROM jobs WHERE id = ?", (job_id,))
    return None if row is None else job_from_row(row)


async def _require_job(conn: aiosqlite.Connection, job_id: str) -> Job:
    job = await fetch_job(conn, job_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


def _validate_new_job(new: NewJob) -> None:
    """Refuse values the schema would refuse, with a readable message instead of an IntegrityError."""
    if not new.dedupe_key:
        raise ValueError("dedupe_key must not be empty")
    if new.n < 1:
        raise ValueError("n must be at least 1")
    if new.price_cents < 0:
        raise ValueError("price_cents must not be negative")
    if new.mode not in ("sync", "async"):
        raise ValueError(f"unknown mode {new.mode!r}")
    for image in new.images:
        if not image.mime_type.startswith("image/"):
            raise ValueError(f"not an image type: {image.mime_type!r}")


async def _new_job_id(conn: aiosqlite.Connection) -> str:
    """A short random id not used yet (checked inside the transaction that will insert it)."""
    while True:
        job_id = secrets.token_hex(_JOB_ID_BYTES)
        if await fetch_row(conn, "SELECT 1 FROM jobs WHERE id = ?", (job_id,)) is None:
            return job_id


async def _count_active(conn: aiosqlite.Connection, user_id: int) -> int:
    return await fetch_int(
        conn,
        "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND state NOT IN ('delivered', 'failed', 'cancelled')",
        (user_id,),
    )


@dataclass(frozen=True)
class _Reservation:
    """How a job's cost is taken: from the free per-period budget first, the rest from paid credit."""

    free_cents: int
    paid_cents: int = 0


async def _check_quota(
    conn: aiosqlite.Connection, new: NewJob, policy: QuotaPolicy, key: str, resets_at: datetime
) -> Refused | _Reservation:
    """Why the job may not start now, or how it is paid for; runs inside the reserving transaction."""
    cost = new.cost_cents
    active = await _count_active(conn, new.user_id)
    totals = await period_totals(conn, key, new.user_id)
    free_left = max(0, policy.user_budget_cents + totals.granted_cents - totals.committed_cents)
    paid_left = await paid_balance(conn, new.user_id)
    user_left = free_left + paid_left

    def refuse(reason: RefusalReason, left: int) -> Refused:
        return Refused(
            reason=reason,
            left_cents=max(0, left),
            cost_cents=cost,
            resets_at=resets_at,
            active_jobs=active,
            max_active=policy.max_active_jobs,
        )

    if active >= policy.max_active_jobs:
        return refuse("active_jobs", user_left)
    if cost > user_left:
        return refuse("budget", user_left)
    if policy.global_budget_cents > 0:
        bot_totals = await period_totals(conn, key, None)
        global_left = policy.global_budget_cents - bot_totals.committed_cents
        if cost > global_left:
            return refuse("global_budget", global_left)
    free = min(cost, free_left)
    return _Reservation(free_cents=free, paid_cents=cost - free)


async def _insert_images(conn: aiosqlite.Connection, job_id: str, images: Sequence[JobImage]) -> None:
    await conn.executemany(
        "INSERT INTO job_images (job_id, position, mime_type, data) VALUES (?, ?, ?, ?)",
        [(job_id, position, image.mime_type, image.data) for position, image in enumerate(images)],
    )


async def _finish(
    conn: aiosqlite.Connection,
    job: Job,
    state: JobState,
    now: datetime,
    *,
    delivered_count: int,
    error_kind: str | None = None,
    error_message: str | None = None,
) -> None:
    """Move a job to a terminal state: charge what was delivered, refund the rest, drop its images.

    Delivered clips are charged to the free budget first; whatever is given back goes to the pool it
    was reserved from (paid credit first, since that is the part reserved last).
    """
    charged = delivered_count * job.price_cents
    refund = job.reserved_cents - charged
    paid_reserved = await job_paid_reserve(conn, job.id)
    paid_refund = min(refund, paid_reserved)
    stamp = to_db_time(now)
    await conn.execute(
        "UPDATE jobs SET state = ?, delivered_count = ?, charged_cents = ?, error_kind = ?,"
        " error_message = ?, updated_at = ?, finished_at = ? WHERE id = ?",
        (
            state.value,
            delivered_count,
            charged,
            error_kind,
            None if error_message is None else error_message[:MAX_ERROR_MESSAGE_CHARS],
            stamp,
            stamp,
            job.id,
        ),
    )
    paid_charged = paid_reserved - paid_refund
    delivered = f"{delivered_count} of {job.n} delivered"
    moves: tuple[tuple[LedgerKind, LedgerPool, int, str], ...] = (
        ("charge", "free", charged - paid_charged, delivered),
        ("charge", "paid", paid_charged, delivered),
        ("refund", "free", refund - paid_refund, state.value),
        ("refund", "paid", paid_refund, state.value),
    )
    for kind, pool, amount, note in moves:
        if amount > 0:
            await add_entry(
                conn,
                user_id=job.user_id,
                kind=kind,
                amount_cents=amount,
                key=job.period_key,
                now=now,
                job_id=job.id,
                note=note,
                pool=pool,
            )
    # The images stay a while after the job finished so "Try again" can reuse them; cleanup drops them.


_QUEUED_OF_USER = "SELECT * FROM jobs WHERE user_id = ? AND state = 'queued' ORDER BY seq"
_QUEUED_IN_CHAT = "SELECT * FROM jobs WHERE chat_id = ? AND state = 'queued' ORDER BY seq"


class JobStore:
    """Jobs and their reservations; the job runner and handlers talk to storage through this."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_job(
        self,
        new: NewJob,
        *,
        policy: QuotaPolicy,
        unlimited: bool = False,
        now: datetime | None = None,
    ) -> CreateJobResult:
        """Check limits and store the job with its images and its reservation, all in one transaction.

        A known dedupe key returns the existing job. `unlimited` (admins) skips every limit but still
        records the reservation, so the money shows in the ledger and in the global total.
        """
        _validate_new_job(new)
        moment = self._db.now(now)
        key = period_key(policy.period, moment)
        _, resets_at = period_bounds(policy.period, moment)
        stamp = to_db_time(moment)
        async with self._db.transaction() as conn:
            row = await fetch_row(conn, "SELECT * FROM jobs WHERE dedupe_key = ?", (new.dedupe_key,))
            if row is not None:
                return Duplicate(job_from_row(row))
            reservation = _Reservation(free_cents=new.cost_cents)
            if not unlimited:
                outcome = await _check_quota(conn, new, policy, key, resets_at)
                if isinstance(outcome, Refused):
                    return outcome
                reservation = outcome
            job_id = await _new_job_id(conn)
            await conn.execute(
                "INSERT INTO jobs (id, user_id, chat_id, chat_type, thread_id, user_message_id, dedupe_key,"
                " status_message_id, request_json, model, mode, n, price_cents, reserved_cents, state,"
                " language, period_key, created_at, updated_at, parent_job_id, result_urls, upstream_task_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    new.user_id,
                    new.chat_id,
                    new.chat_type,
                    new.thread_id,
                    new.user_message_id,
                    new.dedupe_key,
                    new.status_message_id,
                    new.request_json,
                    new.model,
                    new.mode,
                    new.n,
                    new.price_cents,
                    new.cost_cents,
                    JobState.QUEUED.value,
                    new.language,
                    key,
                    stamp,
                    stamp,
                    new.parent_job_id,
                    json.dumps(list(new.result_urls)) if new.result_urls else None,
                    new.upstream_task_id,
                ),
            )
            # One reserve row per pool the cost comes from (a free row even for a free job, as before).
            reserves: tuple[tuple[LedgerPool, int], ...] = (
                ("free", reservation.free_cents),
                ("paid", reservation.paid_cents),
            )
            for pool, amount in reserves:
                if amount > 0 or (pool == "free" and reservation.paid_cents == 0):
                    await add_entry(
                        conn,
                        user_id=new.user_id,
                        kind="reserve",
                        amount_cents=amount,
                        key=key,
                        now=moment,
                        job_id=job_id,
                        note=f"{new.n} x {new.model}",
                        pool=pool,
                    )
            await _insert_images(conn, job_id, new.images)
            job = await _require_job(conn, job_id)
        logger.info("job %s created for user %d, reserved %d cents", job.id, job.user_id, job.reserved_cents)
        return JobCreated(job)

    @until_written
    async def get_job(self, job_id: str) -> Job | None:
        """The job, or None if it does not exist."""
        async with self._db.snapshot() as conn:
            return await fetch_job(conn, job_id)

    @until_written
    async def job_images(self, job_id: str) -> list[JobImage]:
        """The job's input images in their original order (empty once the job has finished)."""
        async with self._db.snapshot() as conn:
            rows = await fetch_all(
                conn, "SELECT mime_type, data FROM job_images WHERE job_id = ? ORDER BY position", (job_id,)
            )
        return [JobImage(str(row["mime_type"]), bytes(row["data"])) for row in rows]

    @until_written
    async def advance(
        self,
        job_id: str,
        state: JobState,
        *,
        upstream_task_id: str | None = None,
        result_urls: Sequence[str] | None = None,
    ) -> Job:
        """Record that the job reached the non-terminal `state`, with what the step learned, in one
        transaction: the upstream task's id, or the finished videos' URLs (they outlive a restart).

        A no-op (except for those fields) when a resumed job is already there or past it; raises
        IllegalTransition when the job has finished meanwhile (e.g. it was cancelled). The first step
        that goes upstream stamps `submitted_at`, from which the generation's deadline counts.
        """
        moment = self._db.now()
        async with self._db.transaction() as conn:
            job = await _require_job(conn, job_id)
            if job.is_terminal or state.is_terminal:
                raise IllegalTransition(job_id, job.state, state)
            target = state if _STEP_ORDER[state] > _STEP_ORDER[job.state] else job.state
            if target is not job.state and not can_transition(job.state, target):
                raise IllegalTransition(job_id, job.state, state)
            submitted = job.submitted_at is None and _STEP_ORDER[target] >= _STEP_ORDER[JobState.SUBMITTED]
            await conn.execute(
                "UPDATE jobs SET state = ?, updated_at = ?, upstream_task_id = COALESCE(?, upstream_task_id),"
                " result_urls = COALESCE(?, result_urls), submitted_at = COALESCE(submitted_at, ?)"
                " WHERE id = ?",
                (
                    target.value,
                    to_db_time(moment),
                    upstream_task_id,
                    None if result_urls is None else json.dumps(list(result_urls)),
                    to_db_time(moment) if submitted else None,
                    job_id,
                ),
            )
            return await _require_job(conn, job_id)

    @until_written
    async def update_job(
        self,
        job_id: str,
        *,
        upstream_task_id: str | None = None,
        status_message_id: int | None = None,
        delivered_count: int | None = None,
        attempts: int | None = None,
        now: datetime | None = None,
    ) -> Job:
        """Set fields without changing the state (e.g. the status message sent after creation)."""
        moment = self._db.now(now)
        async with self._db.transaction() as conn:
            job = await _require_job(conn, job_id)
            return await self._update(
                conn, job, job.state, moment, upstream_task_id, status_message_id, delivered_count, attempts
            )

    @staticmethod
    async def _update(
        conn: aiosqlite.Connection,
        job: Job,
        state: JobState,
        now: datetime,
        upstream_task_id: str | None,
        status_message_id: int | None,
        delivered_count: int | None,
        attempts: int | None,
    ) -> Job:
        if delivered_count is not None and not 0 <= delivered_count <= job.n:
            raise ValueError(f"delivered_count must be between 0 and {job.n}")
        if attempts is not None and attempts < 0:
            raise ValueError("attempts must not be negative")
        await conn.execute(
            "UPDATE jobs SET state = ?, updated_at = ?,"
            " upstream_task_id = COALESCE(?, upstream_task_id),"
            " status_message_id = COALESCE(?, status_message_id),"
            " delivered_count = COALESCE(?, delivered_count),"
            " attempts = COALESCE(?, attempts)"
            " WHERE id = ?",
            (
                state.value,
                to_db_time(now),
                upstream_task_id,
                status_message_id,
                delivered_count,
                attempts,
                job.id,
            ),
        )
        return await _require_job(conn, job.id)

    @until_written
    async def settle_delivered(
        self,
        job_id: str,
        delivered_count: int,
        *,
        file_ids: Sequence[str] = (),
        attempts: int = 1,
        possible_duplicate: bool = False,
        now: datetime | None = None,
    ) -> bool:
        """Mark an uploading job delivered, charge the delivered clips and refund the rest, in one step.

        Returns False (and changes nothing) if the job had already finished.
        """
        moment = self._db.now(now)
        async with self._db.transaction() as conn:
            job = await _require_job(conn, job_id)
            if job.is_terminal:
                return False
            if not can_transition(job.state, JobState.DELIVERED):
                raise IllegalTransition(job_id, job.state, JobState.DELIVERED)
            if not 1 <= delivered_count <= job.n:
                raise ValueError(f"delivered_count must be between 1 and {job.n}; use fail_job for none")
            await _finish(conn, job, JobState.DELIVERED, moment, delivered_count=delivered_count)
            await conn.execute(
                "UPDATE jobs SET delivered_file_ids = ?, attempts = ?, delivery_note = ? WHERE id = ?",
                (
                    json.dumps(list(file_ids)),
                    attempts,
                    "possible_duplicate" if possible_duplicate else None,
                    job_id,
                ),
            )
        logger.info("job %s delivered %d/%d", job_id, delivered_count, job.n)
        return True

    @until_written
    async def fail_job(
        self, job_id: str, error_kind: str, error_message: str, *, now: datetime | None = None
    ) -> bool:
        """Mark a job failed and refund its reservation, minus clips already delivered (which are charged).

        Returns False (and changes nothing) if the job had already finished.
        """
        moment = self._db.now(now)
        async with self._db.transaction() as conn:
            job = await _require_job(conn, job_id)
            if job.is_terminal:
                return False
            await _finish(
                conn,
                job,
                JobState.FAILED,
                moment,
                delivered_count=job.delivered_count,
                error_kind=error_kind,
                error_message=error_message,
            )
        logger.info("job %s failed: %s", job_id, error_kind)
        return True

    async def cancel_queued_jobs(self, user_id: int, *, now: datetime | None = None) -> list[Job]:
        """Cancel and refund every queued job of a user; returns them as they are now."""
        return await self._cancel_queued(_QUEUED_OF_USER, user_id, now)

    async def cancel_queued_chat_jobs(self, chat_id: int, *, now: datetime | None = None) -> list[Job]:
        """Cancel and refund every queued job in a chat (the bot left it); returns them as they are now."""
        return await self._cancel_queued(_QUEUED_IN_CHAT, chat_id, now)

    async def _cancel_queued(self, query: str, value: int, now: datetime | None) -> list[Job]:
        moment = self._db.now(now)
        async with self._db.transaction() as conn:
            rows = await fetch_all(conn, query, (value,))
            cancelled = []
            for row in rows:
                job = job_from_row(row)
                await _finish(conn, job, JobState.CANCELLED, moment, delivered_count=0)
                cancelled.append(await _require_job(conn, job.id))
        return cancelled

    @until_written
    async def chain(self, job_id: str, *, limit: int = 50) -> list[Job]:
        """The job and the jobs it continues (parent, grandparent, ...), oldest first."""
        chain: list[Job] = []
        async with self._db.snapshot() as conn:
            next_id: str | None = job_id
            while next_id is not None and len(chain) < limit:
                job = await fetch_job(conn, next_id)
                if job is None:
                    break
                chain.append(job)
                next_id = job.parent_job_id
        return chain[::-1]

    @until_written
    async def mark_notified(self, job_id: str) -> bool:
        """Record that the user was told the final outcome; False if it was already recorded."""
        async with self._db.transaction() as conn:
            job = await _require_job(conn, job_id)
            if job.user_notified:
                return False
            await conn.execute("UPDATE jobs SET user_notified = 1 WHERE id = ?", (job_id,))
        return True

    @until_written
    async def jobs_to_resume(self) -> list[Job]:
        """Every unfinished job, oldest first: what the runner picks up after a restart."""
        return await self._select(
            "SELECT * FROM jobs WHERE state NOT IN ('delivered', 'failed', 'cancelled') ORDER BY seq"
        )

    @until_written
    async def unnotified_finished_jobs(self) -> list[Job]:
        """Finished jobs whose user has not been told the outcome yet, oldest first."""
        return await self._select(
            "SELECT * FROM jobs WHERE state IN ('delivered', 'failed', 'cancelled') AND user_notified = 0"
            " ORDER BY seq"
        )

    async def active_jobs(self, user_id: int) -> list[Job]:
        """A user's unfinished jobs, oldest first."""
        return await self._select(
            "SELECT * FROM jobs WHERE user_id = ? AND state NOT IN ('delivered', 'failed', 'cancelled')"
            " ORDER BY seq",
            (user_id,),
        )

    async def cleanup(self, older_than: datetime, *, images_older_than: datetime | None = None) -> int:
        """Delete jobs finished before `older_than`, and images of jobs finished before
        `images_older_than` (default: the same cutoff); returns jobs deleted.

        Ledger rows stay (their job_id becomes NULL), so money history and period sums do not change.
        """
        cutoff = to_db_time(older_than)
        images_cutoff = to_db_time(images_older_than or older_than)
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM job_images WHERE job_id IN (SELECT id FROM jobs"
                " WHERE state IN ('delivered', 'failed', 'cancelled') AND finished_at < ?)",
                (images_cutoff,),
            )
            async with conn.execute(
                "DELETE FROM jobs WHERE state IN ('delivered', 'failed', 'cancelled') AND finished_at < ?",
                (cutoff,),
            ) as cursor:
                deleted = cursor.rowcount
        await self._db.compact()
        logger.info("cleanup deleted %d finished jobs older than %s", deleted, cutoff)
        return deleted

    async def _select(self, sql: str, params: Sequence[object] = ()) -> list[Job]:
        async with self._db.snapshot() as conn:
            rows = await fetch_all(conn, sql, params)
        return [job_from_row(row) for row in rows]
