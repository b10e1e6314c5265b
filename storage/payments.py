"""Telegram Stars purchases: paid credit that never expires, credited once per charge, refundable once.

A user's paid credit is what their purchases (not refunded) brought in minus what their jobs hold or spent
from it (the `paid` rows of the spend ledger). Each purchase is one row keyed by Telegram's
`telegram_payment_charge_id`, so the same payment update arriving twice, or again after a crash, credits
once. A refund first holds the purchase's credit back (`refund_state = 'pending'`), then the caller asks
Telegram, then marks it `done` (or gives the credit back with `abort_refund` if Telegram refused).

Refund policy: a purchase can be refunded only while its whole credit is unspent, i.e. the user's
available paid credit is at least the purchase's credit (Telegram refunds whole payments only).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

import aiosqlite

from storage.clock import from_db_time, to_db_time
from storage.database import Database, fetch_int, fetch_row
from storage.ledger import paid_committed

RefundState = Literal["pending", "done"]


@dataclass(frozen=True)
class StarPayment:
    """One successful Telegram Stars payment and what became of it."""

    charge_id: str
    user_id: int
    stars: int
    credit_cents: int
    payload: str
    paid_at: datetime
    user_notified: bool
    refund_state: RefundState | None
    refunded_at: datetime | None
    refunded_by: int | None


@dataclass(frozen=True)
class Credited:
    """The outcome of recording a payment: `new` is False when the charge was already recorded."""

    payment: StarPayment
    new: bool
    balance_cents: int


@dataclass(frozen=True)
class PaidCredit:
    """A user's paid credit: what can be spent now and what running jobs hold."""

    available_cents: int
    reserved_cents: int


@dataclass(frozen=True)
class RefundReady:
    """The purchase's credit is held back; ask Telegram to refund, then complete or abort."""

    payment: StarPayment


@dataclass(frozen=True)
class AlreadyRefunded:
    """The purchase was refunded before."""

    payment: StarPayment


@dataclass(frozen=True)
class CreditSpent:
    """Part of the purchase's credit is spent (or held by running jobs); nothing was changed."""

    payment: StarPayment
    available_cents: int


@dataclass(frozen=True)
class UnknownCharge:
    """No payment with that charge id."""


RefundStart = RefundReady | AlreadyRefunded | CreditSpent | UnknownCharge


def payment_from_row(row: sqlite3.Row) -> StarPayment:
    """Turn a star_payments row into a StarPayment."""
    refunded_at = row["refunded_at"]
    return StarPayment(
        charge_id=str(row["charge_id"]),
        user_id=int(row["user_id"]),
        stars=int(row["stars"]),
        credit_cents=int(row["credit_cents"]),
        payload=str(row["payload"]),
        paid_at=from_db_time(row["paid_at"]),
        user_notified=bool(row["user_notified"]),
        refund_state=cast(RefundState | None, row["refund_state"]),
        refunded_at=None if refunded_at is None else from_db_time(refunded_at),
        refunded_by=row["refunded_by"],
    )


async def paid_balance(conn: aiosqlite.Connection, user_id: int) -> int:
    """Paid credit the user can spend now, inside the caller's transaction (never negative)."""
    bought = await fetch_int(
        conn,
        "SELECT SUM(credit_cents) FROM star_payments WHERE user_id = ? AND refund_state IS NULL",
        (user_id,),
    )
    return max(0, bought - await paid_committed(conn, user_id))


async def _fetch_payment(conn: aiosqlite.Connection, charge_id: str) -> StarPayment | None:
    row = await fetch_row(conn, "SELECT * FROM star_payments WHERE charge_id = ?", (charge_id,))
    return None if row is None else payment_from_row(row)


async def _require_payment(conn: aiosqlite.Connection, charge_id: str) -> StarPayment:
    payment = await _fetch_payment(conn, charge_id)
    if payment is None:
        raise LookupError(f"no star payment {charge_id!r}")
    return payment


class PaymentStore:
    """Purchases, paid credit and refunds; the payment handlers talk to storage through this."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_payment(
        self,
        *,
        charge_id: str,
        user_id: int,
        stars: int,
        credit_cents: int,
        payload: str,
        provider_charge_id: str | None = None,
        now: datetime | None = None,
    ) -> Credited:
        """Credit a payment once: a known charge id changes nothing and returns the first record."""
        if not charge_id:
            raise ValueError("charge_id must not be empty")
        stamp = to_db_time(self._db.now(now))
        async with self._db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO star_payments (charge_id, user_id, stars, credit_cents, payload,"
                " provider_charge_id, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (charge_id) DO NOTHING",
                (charge_id, user_id, stars, credit_cents, payload, provider_charge_id, stamp),
            ) as cursor:
                new = cursor.rowcount == 1
            payment = await _require_payment(conn, charge_id)
            balance = await paid_balance(conn, payment.user_id)
        return Credited(payment=payment, new=new, balance_cents=balance)

    async def mark_notified(self, charge_id: str) -> bool:
        """Record that the buyer was told about the credit; False if that was already recorded."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE star_payments SET user_notified = 1 WHERE charge_id = ? AND user_notified = 0",
                (charge_id,),
            ) as cursor,
        ):
            return cursor.rowcount == 1

    async def get(self, charge_id: str) -> StarPayment | None:
        """The payment with that charge id, or None."""
        async with self._db.snapshot() as conn:
            return await _fetch_payment(conn, charge_id)

    async def credit(self, user_id: int) -> PaidCredit:
        """The user's paid credit now."""
        async with self._db.snapshot() as conn:
            available = await paid_balance(conn, user_id)
            reserved = await fetch_int(
                conn,
                "SELECT SUM(CASE kind WHEN 'reserve' THEN amount_cents ELSE -amount_cents END)"
                " FROM spend_ledger WHERE user_id = ? AND pool = 'paid'"
                " AND kind IN ('reserve', 'refund', 'charge')",
                (user_id,),
            )
        return PaidCredit(available_cents=available, reserved_cents=max(0, reserved))

    async def begin_refund(
        self, charge_id: str, *, actor_id: int, now: datetime | None = None
    ) -> RefundStart:
        """Hold the purchase's credit back for a refund, if all of it is unspent (one transaction)."""
        stamp = to_db_time(self._db.now(now))
        async with self._db.transaction() as conn:
            payment = await _fetch_payment(conn, charge_id)
            if payment is None:
                return UnknownCharge()
            if payment.refund_state == "done":
                return AlreadyRefunded(payment)
            if payment.refund_state == "pending":
                return RefundReady(payment)  # an earlier attempt was interrupted: ask Telegram again
            available = await paid_balance(conn, payment.user_id)
            if available < payment.credit_cents:
                return CreditSpent(payment, available)
            await conn.execute(
                "UPDATE star_payments SET refund_state = 'pending', refunded_at = ?, refunded_by = ?"
                " WHERE charge_id = ?",
                (stamp, actor_id, charge_id),
            )
            return RefundReady(await _require_payment(conn, charge_id))

    async def complete_refund(self, charge_id: str) -> StarPayment:
        """Telegram refunded the Stars: the purchase is refunded for good."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE star_payments SET refund_state = 'done'"
                " WHERE charge_id = ? AND refund_state = 'pending'",
                (charge_id,),
            )
            return await _require_payment(conn, charge_id)

    async def abort_refund(self, charge_id: str) -> None:
        """Telegram refused the refund: the held credit is the user's again."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE star_payments SET refund_state = NULL, refunded_at = NULL, refunded_by = NULL"
                " WHERE charge_id = ? AND refund_state = 'pending'",
                (charge_id,),
            )
