"""The operator's overview, read in one consistent snapshot.

Counts here go by when things happened (jobs by creation time, charges and failures by when they were
recorded), unlike budgets, which go by the period a reservation was made in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import aiosqlite

from storage.clock import to_db_time
from storage.database import Database, fetch_all, fetch_int, fetch_row
from storage.models import JobState, PaymentTotals, Stats
from storage.periods import Period, period_bounds


async def _jobs_by_state(conn: aiosqlite.Connection, start: str, end: str) -> dict[JobState, int]:
    counts = dict.fromkeys(JobState, 0)
    rows = await fetch_all(
        conn,
        "SELECT state, COUNT(*) AS jobs FROM jobs WHERE created_at >= ? AND created_at < ? GROUP BY state",
        (start, end),
    )
    for row in rows:
        counts[JobState(row["state"])] = int(row["jobs"])
    return counts


async def _clips_delivered(conn: aiosqlite.Connection, start: str, end: str) -> int:
    return await fetch_int(
        conn,
        "SELECT SUM(delivered_count) FROM jobs WHERE finished_at >= ? AND finished_at < ?",
        (start, end),
    )


async def _spent(conn: aiosqlite.Connection, start: str, end: str) -> int:
    return await fetch_int(
        conn,
        "SELECT SUM(amount_cents) FROM spend_ledger"
        " WHERE kind = 'charge' AND created_at >= ? AND created_at < ?",
        (start, end),
    )


_PAYMENT_SUMS = (
    "SELECT COUNT(*) AS n, COALESCE(SUM(stars), 0) AS stars, COALESCE(SUM(credit_cents), 0) AS cents"
    " FROM star_payments"
)
_PAYMENTS_SQL = {
    "purchases": _PAYMENT_SUMS + " WHERE paid_at >= ? AND paid_at < ?",
    "refunds": _PAYMENT_SUMS + " WHERE refund_state = 'done' AND refunded_at >= ? AND refunded_at < ?",
}


async def _payments(
    conn: aiosqlite.Connection, what: Literal["purchases", "refunds"], start: str, end: str
) -> PaymentTotals:
    """Stars payments made, or refunds completed, in the range."""
    row = await fetch_row(conn, _PAYMENTS_SQL[what], (start, end))
    if row is None:
        return PaymentTotals()
    return PaymentTotals(count=int(row["n"]), stars=int(row["stars"]), cents=int(row["cents"]))


async def collect_stats(db: Database, *, period: Period, now: datetime | None = None) -> Stats:
    """Job counts, delivered clips, spend and failures for today and the current period."""
    moment = db.now(now)
    day_start, day_end = (to_db_time(edge) for edge in period_bounds("day", moment))
    start, end = period_bounds(period, moment)
    period_start, period_end = to_db_time(start), to_db_time(end)
    async with db.snapshot() as conn:
        jobs_today = await _jobs_by_state(conn, day_start, day_end)
        jobs_period = await _jobs_by_state(conn, period_start, period_end)
        clips_today = await _clips_delivered(conn, day_start, day_end)
        clips_period = await _clips_delivered(conn, period_start, period_end)
        spent_today = await _spent(conn, day_start, day_end)
        spent_period = await _spent(conn, period_start, period_end)
        users_period = await fetch_int(
            conn,
            "SELECT COUNT(DISTINCT user_id) FROM jobs WHERE created_at >= ? AND created_at < ?",
            (period_start, period_end),
        )
        active = await fetch_int(
            conn, "SELECT COUNT(*) FROM jobs WHERE state NOT IN ('delivered', 'failed', 'cancelled')"
        )
        queued = await fetch_int(conn, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
        error_rows = await fetch_all(
            conn,
            "SELECT COALESCE(error_kind, 'unknown') AS kind, COUNT(*) AS jobs FROM jobs"
            " WHERE state = 'failed' AND finished_at >= ? AND finished_at < ? GROUP BY 1 ORDER BY 2 DESC, 1",
            (period_start, period_end),
        )
        purchases_today = await _payments(conn, "purchases", day_start, day_end)
        purchases_period = await _payments(conn, "purchases", period_start, period_end)
        refunds_today = await _payments(conn, "refunds", day_start, day_end)
        refunds_period = await _payments(conn, "refunds", period_start, period_end)
    return Stats(
        period=period,
        period_start=start,
        resets_at=end,
        jobs_today=jobs_today,
        jobs_period=jobs_period,
        clips_delivered_today=clips_today,
        clips_delivered_period=clips_period,
        spent_today_cents=spent_today,
        spent_period_cents=spent_period,
        users_period=users_period,
        active_jobs=active,
        queued_jobs=queued,
        errors_by_kind={str(row["kind"]): int(row["jobs"]) for row in error_rows},
        purchases_today=purchases_today,
        purchases_period=purchases_period,
        refunds_today=refunds_today,
        refunds_period=refunds_period,
    )
