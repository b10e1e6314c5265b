"""Paid credit: credited once per charge, spent after the free budget, given back to its pool, refunds."""

from __future__ import annotations

import asyncio

from storage import (
    Database,
    JobCreated,
    JobStore,
    PaymentTotals,
    QuotaLedger,
    Refused,
    collect_stats,
)
from storage.payments import AlreadyRefunded, CreditSpent, PaymentStore, RefundReady, UnknownCharge
from tests.storage.support import FakeClock, deliver, make_job, policy


async def buy(payments: PaymentStore, user_id: int, cents: int, charge: str = "charge-1") -> None:
    await payments.record_payment(
        charge_id=charge, user_id=user_id, stars=50, credit_cents=cents, payload="p"
    )


async def create(jobs: JobStore, message_id: int, *, price: int, budget: int, n: int = 1) -> JobCreated:
    result = await jobs.create_job(
        make_job(message_id=message_id, price_cents=price, n=n), policy=policy(budget=budget)
    )
    assert isinstance(result, JobCreated), result
    return result


async def test_the_same_charge_is_credited_once_even_when_recorded_concurrently(db: Database) -> None:
    payments = PaymentStore(db)
    results = await asyncio.gather(
        *(
            payments.record_payment(
                charge_id="tg-charge-7", user_id=1, stars=50, credit_cents=50, payload="p"
            )
            for _ in range(5)
        )
    )
    assert sum(result.new for result in results) == 1
    assert (await payments.credit(1)).available_cents == 50


async def test_a_job_takes_the_free_budget_first_then_paid_credit(db: Database, jobs: JobStore) -> None:
    payments, ledger = PaymentStore(db), QuotaLedger(db)
    await buy(payments, 1, 100)
    job = (await create(jobs, 1, price=40, budget=30, n=2)).job  # costs 80: 30 free + 50 paid
    credit = await payments.credit(1)
    assert (credit.available_cents, credit.reserved_cents) == (50, 50)
    usage = await ledger.usage(1, period="day", budget_cents=30)
    assert (usage.left_cents, usage.reserved_cents) == (0, 30)

    await deliver(jobs, job.id, 1)  # 40 charged (30 free + 10 paid), 40 paid back
    credit = await payments.credit(1)
    assert (credit.available_cents, credit.reserved_cents) == (90, 0)
    usage = await ledger.usage(1, period="day", budget_cents=30)
    assert (usage.spent_cents, usage.left_cents) == (30, 0)


async def test_a_failed_job_gives_back_exactly_what_it_took_to_where_it_came_from(
    db: Database, jobs: JobStore
) -> None:
    payments, ledger = PaymentStore(db), QuotaLedger(db)
    await buy(payments, 1, 100)
    job = (await create(jobs, 1, price=75, budget=25)).job
    assert (await payments.credit(1)).available_cents == 50
    assert await jobs.fail_job(job.id, "timeout", "too slow")
    assert (await payments.credit(1)).available_cents == 100
    usage = await ledger.usage(1, period="day", budget_cents=25)
    assert (usage.left_cents, usage.spent_cents, usage.reserved_cents) == (25, 0, 0)
    refunds = await ledger.entries(1, kind="refund")
    assert sorted((entry.pool, entry.amount_cents) for entry in refunds) == [("free", 25), ("paid", 50)]


async def test_pay_only_paid_credit_does_not_expire_with_the_period(
    db: Database, jobs: JobStore, clock: FakeClock
) -> None:
    payments = PaymentStore(db)
    refused = await jobs.create_job(make_job(message_id=1, price_cents=15), policy=policy(budget=0))
    assert isinstance(refused, Refused) and refused.reason == "budget" and refused.left_cents == 0
    await buy(payments, 1, 20)
    clock.advance(days=3)
    job = (await create(jobs, 2, price=15, budget=0)).job
    await deliver(jobs, job.id, 1)
    assert (await payments.credit(1)).available_cents == 5
    refused = await jobs.create_job(make_job(message_id=3, price_cents=15), policy=policy(budget=0))
    assert isinstance(refused, Refused) and refused.left_cents == 5


async def test_a_refund_holds_the_credit_back_and_happens_once(db: Database) -> None:
    payments = PaymentStore(db)
    await buy(payments, 1, 50)
    assert isinstance(await payments.begin_refund("nope", actor_id=9), UnknownCharge)
    started = await payments.begin_refund("charge-1", actor_id=9)
    assert isinstance(started, RefundReady)
    assert (await payments.credit(1)).available_cents == 0  # held while Telegram is asked
    again = await payments.begin_refund("charge-1", actor_id=9)
    assert isinstance(again, RefundReady)  # an interrupted refund can be asked again
    done = await payments.complete_refund("charge-1")
    assert done.refund_state == "done" and done.refunded_by == 9
    assert isinstance(await payments.begin_refund("charge-1", actor_id=9), AlreadyRefunded)
    assert (await payments.credit(1)).available_cents == 0


async def test_an_aborted_refund_gives_the_credit_back(db: Database) -> None:
    payments = PaymentStore(db)
    await buy(payments, 1, 50)
    assert isinstance(await payments.begin_refund("charge-1", actor_id=9), RefundReady)
    await payments.abort_refund("charge-1")
    assert (await payments.credit(1)).available_cents == 50
    payment = await payments.get("charge-1")
    assert payment is not None and payment.refund_state is None and payment.refunded_at is None


async def test_a_partly_spent_purchase_is_not_refunded(db: Database, jobs: JobStore) -> None:
    payments = PaymentStore(db)
    await buy(payments, 1, 50)
    job = (await create(jobs, 1, price=15, budget=0)).job
    started = await payments.begin_refund("charge-1", actor_id=9)
    assert isinstance(started, CreditSpent) and started.available_cents == 35  # held by the running job
    assert await jobs.fail_job(job.id, "timeout", "too slow")
    assert isinstance(await payments.begin_refund("charge-1", actor_id=9), RefundReady)


async def test_notification_is_recorded_once(db: Database) -> None:
    payments = PaymentStore(db)
    await buy(payments, 1, 50)
    assert await payments.mark_notified("charge-1")
    assert not await payments.mark_notified("charge-1")
    second = await payments.record_payment(
        charge_id="charge-1", user_id=1, stars=50, credit_cents=50, payload="p"
    )
    assert not second.new and second.payment.user_notified and second.balance_cents == 50


async def test_stats_count_purchases_and_completed_refunds(db: Database, clock: FakeClock) -> None:
    payments = PaymentStore(db)
    await buy(payments, 1, 50, charge="a")
    await buy(payments, 2, 50, charge="b")
    clock.advance(days=1)
    await buy(payments, 3, 50, charge="c")
    assert isinstance(await payments.begin_refund("c", actor_id=9), RefundReady)
    stats = await collect_stats(db, period="week")
    assert stats.purchases_today == PaymentTotals(count=1, stars=50, cents=50)
    assert stats.purchases_period == PaymentTotals(count=3, stars=150, cents=150)
    assert stats.refunds_today == PaymentTotals()  # still pending at Telegram
    await payments.complete_refund("c")
    stats = await collect_stats(db, period="week")
    assert stats.refunds_today == stats.refunds_period == PaymentTotals(count=1, stars=50, cents=50)
