"""The spend ledger: every reserve, refund, charge and grant, and the per-period sums budgets are built on.

A period's committed money is reserves minus refunds; charges mark the committed part that was spent
on delivered clips; grants raise one user's budget for one period. Reserve, refund and charge rows of a
job all carry the job's period key, so a refund always returns money to the period that held it.

Every row also names its pool: `free` (the per-period budget) or `paid` (credit bought with Telegram
Stars, see storage/payments.py). A user's budget counts only free rows; the bot's global budget counts
both, because paid jobs cost the operator the same.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import aiosqlite

from storage.clock import from_db_time, to_db_time
from storage.database import Database, fetch_all, fetch_row
from storage.models import LedgerEntry, LedgerKind, LedgerPool, UsageSummary
from storage.periods import Period, period_bounds, period_key

MAX_GRANT_CENTS = 1_000_000

_TOTALS_COLUMNS = """
    SELECT
        COALESCE(SUM(CASE kind WHEN 'reserve' THEN amount_cents
                               WHEN 'refund' THEN -amount_cents ELSE 0 END), 0) AS committed,
        COALESCE(SUM(CASE kind WHEN 'charge' THEN amount_cents ELSE 0 END), 0) AS charged,
        COALESCE(SUM(CASE kind WHEN 'grant' THEN amount_cents ELSE 0 END), 0) AS granted
    FROM spend_ledger
"""
_USER_TOTALS_SQL = _TOTALS_COLUMNS + " WHERE period_key = ? AND user_id = ? AND pool = 'free'"
_BOT_TOTALS_SQL = _TOTALS_COLUMNS + " WHERE period_key = ?"


@dataclass(frozen=True)
class PeriodTotals:
    """Sums of one period's ledger rows for one user or for the whole bot."""

    #: Reserved for running jobs plus charged for delivered ones.
    committed_cents: int
    charged_cents: int
    granted_cents: int

    @property
    def reserved_cents(self) -> int:
        """Money held for jobs that have not finished."""
        return self.committed_cents - self.charged_cents


async def period_totals(conn: aiosqlite.Connection, key: str, user_id: int | None) -> PeriodTotals:
    """Ledger sums for `key`: one user's free budget, or (`user_id=None`) every user and both pools."""
    if user_id is None:
        row = await fetch_row(conn, _BOT_TOTALS_SQL, (key,))
    else:
        row = await fetch_row(conn, _USER_TOTALS_SQL, (key, user_id))
    if row is None:
        return PeriodTotals(0, 0, 0)
    return PeriodTotals(int(row["committed"]), int(row["charged"]), int(row["granted"]))


async def add_entry(
    conn: aiosqlite.Connection,
    *,
    user_id: int,
    kind: LedgerKind,
    amount_cents: int,
    key: str,
    now: datetime,
    job_id: str | None = None,
    note: str | None = None,
    actor_id: int | None = None,
    pool: LedgerPool = "free",
) -> int:
    """Append one ledger row inside the caller's transaction and return its id."""
    async with conn.execute(
        "INSERT INTO spend_ledger"
        " (user_id, job_id, kind, amount_cents, period_key, created_at, note, actor_id, pool)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, job_id, kind, amount_cents, key, to_db_time(now), note, actor_id, pool),
    ) as cursor:
        row_id = cursor.lastrowid
    if row_id is None:
        raise RuntimeError("SQLite returned no row id for a ledger insert")
    return row_id


def entry_from_row(row: sqlite3.Row) -> LedgerEntry:
    """Turn a spend_ledger row into a LedgerEntry."""
    return LedgerEntry(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        job_id=row["job_id"],
        kind=cast(LedgerKind, row["kind"]),
        amount_cents=int(row["amount_cents"]),
        period_key=str(row["period_key"]),
        created_at=from_db_time(row["created_at"]),
        note=row["note"],
        actor_id=row["actor_id"],
        pool=cast(LedgerPool, row["pool"]),
    )


async def paid_committed(conn: aiosqlite.Connection, user_id: int) -> int:
    """Paid credit a user's jobs hold or spent (paid reserves minus paid refunds), over all time."""
    row = await fetch_row(
        conn,
        "SELECT COALESCE(SUM(CASE kind WHEN 'reserve' THEN amount_cents"
        " WHEN 'refund' THEN -amount_cents ELSE 0 END), 0) AS committed"
        " FROM spend_ledger WHERE user_id = ? AND pool = 'paid'",
        (user_id,),
    )
    return 0 if row is None else int(row["committed"])


async def job_paid_reserve(conn: aiosqlite.Connection, job_id: str) -> int:
    """How much of a job's reservation came from paid credit."""
    row = await fetch_row(
        conn,
        "SELECT COALESCE(SUM(amount_cents), 0) FROM spend_ledger"
        " WHERE job_id = ? AND kind = 'reserve' AND pool = 'paid'",
        (job_id,),
    )
    return 0 if row is None else int(row[0])


class QuotaLedger:
    """Budgets as users and admins see them: usage per period, grants and the ledger history."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def usage(
        self, user_id: int, *, period: Period, budget_cents: int, now: datetime | None = None
    ) -> UsageSummary:
        """What a user spent, holds and may still spend in the period containing `now`."""
        moment = self._db.now(now)
        start, end = period_bounds(period, moment)
        async with self._db.snapshot() as conn:
            totals = await period_totals(conn, period_key(period, moment), user_id)
        left = budget_cents + totals.granted_cents - totals.committed_cents
        return UsageSummary(
            spent_cents=totals.charged_cents,
            reserved_cents=totals.reserved_cents,
            granted_cents=totals.granted_cents,
            budget_cents=budget_cents,
            left_cents=max(0, left),
            period_start=start,
            resets_at=end,
        )

    async def grant(
        self,
        user_id: int,
        amount_cents: int,
        *,
        actor_id: int,
        period: Period,
        now: datetime | None = None,
        note: str | None = None,
    ) -> LedgerEntry:
        """Give a user extra budget for the current period only; the row stays in the ledger forever."""
        if amount_cents <= 0:
            raise ValueError("a grant must be a positive number of cents")
        if amount_cents > MAX_GRANT_CENTS:
            raise ValueError(f"a grant above {MAX_GRANT_CENTS} cents is refused as a likely typo")
        moment = self._db.now(now)
        async with self._db.transaction() as conn:
            entry_id = await add_entry(
                conn,
                user_id=user_id,
                kind="grant",
                amount_cents=amount_cents,
                key=period_key(period, moment),
                now=moment,
                note=note,
                actor_id=actor_id,
            )
            row = await fetch_row(conn, "SELECT * FROM spend_ledger WHERE id = ?", (entry_id,))
        if row is None:
            raise RuntimeError("the grant row vanished inside its own transaction")
        return entry_from_row(row)

    async def entries(
        self, user_id: int, *, kind: LedgerKind | None = None, limit: int = 100
    ) -> list[LedgerEntry]:
        """A user's ledger rows, newest first, optionally of one kind."""
        async with self._db.snapshot() as conn:
            rows = await fetch_all(
                conn,
                "SELECT * FROM spend_ledger WHERE user_id = ? AND (? IS NULL OR kind = ?)"
                " ORDER BY id DESC LIMIT ?",
                (user_id, kind, kind, limit),
            )
        return [entry_from_row(row) for row in rows]
