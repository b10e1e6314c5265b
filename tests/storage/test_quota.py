"""Atomic reservations and budgets: refusals, concurrency, grants and period rollover."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import (
    MAX_GRANT_CENTS,
    Database,
    JobCreated,
    JobStore,
    Period,
    QuotaLedger,
    Refused,
)
from tests.storage.support import FakeClock, deliver, make_job, policy


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def outcome_counts(results: list[object]) -> tuple[int, int]:
    created = sum(isinstance(result, JobCreated) for result in results)
    refused = [result for result in results if isinstance(result, Refused)]
    assert all(result.reason == "budget" for result in refused)
    return created, len(refused)


async def test_fifty_concurrent_requests_on_one_connection_create_exactly_two(
    jobs: JobStore, ledger: QuotaLedger
) -> None:
    limits = policy(budget=200, max_active=100)
    results = await asyncio.gather(
        *(jobs.create_job(make_job(message_id=i, price_cents=100), policy=limits) for i in range(50))
    )
    assert outcome_counts(list(results)) == (2, 48)
    usage = await ledger.usage(1, period="day", budget_cents=200)
    assert (usage.reserved_cents, usage.left_cents) == (200, 0)
    assert len(await jobs.active_jobs(1)) == 2


async def test_fifty_concurrent_requests_on_two_connections_create_exactly_two(
    db_path: Path, clock: FakeClock
) -> None:
    first, second = await Database.open(db_path, clock=clock), await Database.open(db_path, clock=clock)
    try:
        stores = (JobStore(first), JobStore(second))
        limits = policy(budget=200, max_active=100)
        results = await asyncio.gather(
            *(
                stores[i % 2].create_job(make_job(message_id=i, price_cents=100), policy=limits)
                for i in range(50)
            )
        )
        assert outcome_counts(list(results)) == (2, 48)
        for store in stores:
            assert len(await store.active_jobs(1)) == 2
        usage = await QuotaLedger(second).usage(1, period="day", budget_cents=200)
        assert usage.reserved_cents == 200
    finally:
        await first.close()
        await second.close()


async def test_concurrent_duplicates_reserve_once(db_path: Path, clock: FakeClock) -> None:
    first, second = await Database.open(db_path, clock=clock), await Database.open(db_path, clock=clock)
    try:
        stores = (JobStore(first), JobStore(second))
        results = await asyncio.gather(
            *(stores[i % 2].create_job(make_job(message_id=1), policy=policy()) for i in range(10))
        )
        assert sum(isinstance(result, JobCreated) for result in results) == 1
        assert len({result.job.id for result in results if not isinstance(result, Refused)}) == 1
        assert (await QuotaLedger(first).usage(1, period="day", budget_cents=1000)).reserved_cents == 100
    finally:
        await first.close()
        await second.close()


async def test_budget_refusal_reports_what_is_left_and_when_it_resets(jobs: JobStore) -> None:
    limits = policy(budget=250)
    assert isinstance(
        await jobs.create_job(make_job(message_id=1, n=2, price_cents=100), policy=limits), JobCreated
    )

    refused = await jobs.create_job(make_job(message_id=2, n=1, price_cents=100), policy=limits)

    assert refused == Refused(
        reason="budget",
        left_cents=50,
        cost_cents=100,
        resets_at=utc(2026, 11, 24),
        active_jobs=1,
        max_active=10,
    )
    # A cheaper job still fits in what is left.
    assert isinstance(
        await jobs.create_job(make_job(message_id=3, price_cents=50), policy=limits), JobCreated
    )


async def test_resets_at_follows_the_period(jobs: JobStore) -> None:
    expected: dict[Period, datetime] = {
        "day": utc(2026, 11, 24),
        "week": utc(2026, 11, 30),
        "month": utc(2026, 12, 1),
    }
    for number, (period, resets_at) in enumerate(expected.items()):
        refused = await jobs.create_job(make_job(message_id=number), policy=policy(budget=0, period=period))
        assert isinstance(refused, Refused) and refused.resets_at == resets_at


async def test_active_jobs_limit(jobs: JobStore) -> None:
    limits = policy(budget=1000, max_active=2)
    first = await jobs.create_job(make_job(message_id=1), policy=limits)
    await jobs.create_job(make_job(message_id=2), policy=limits)

    refused = await jobs.create_job(make_job(message_id=3), policy=limits)
    assert isinstance(refused, Refused)
    assert (refused.reason, refused.active_jobs, refused.max_active, refused.left_cents) == (
        "active_jobs",
        2,
        2,
        800,
    )
    # Other users are not affected, and a finished job frees a slot.
    assert isinstance(await jobs.create_job(make_job(user_id=2, message_id=4), policy=limits), JobCreated)
    assert isinstance(first, JobCreated)
    await jobs.fail_job(first.job.id, "server", "500")
    assert isinstance(await jobs.create_job(make_job(message_id=3), policy=limits), JobCreated)


async def test_admin_is_unlimited_but_still_recorded(jobs: JobStore, ledger: QuotaLedger) -> None:
    limits = policy(budget=0, max_active=1, global_budget=50)
    for i in range(3):
        result = await jobs.create_job(make_job(message_id=i, price_cents=100), policy=limits, unlimited=True)
        assert isinstance(result, JobCreated)
    usage = await ledger.usage(1, period="day", budget_cents=0)
    assert (usage.reserved_cents, usage.left_cents) == (300, 0)


async def test_global_budget_counts_every_user(jobs: JobStore) -> None:
    limits = policy(budget=1000, global_budget=250)
    assert isinstance(
        await jobs.create_job(make_job(user_id=1, message_id=1, n=2), policy=limits), JobCreated
    )

    refused = await jobs.create_job(make_job(user_id=2, message_id=2, n=1), policy=limits)
    assert isinstance(refused, Refused)
    assert (refused.reason, refused.left_cents, refused.active_jobs) == ("global_budget", 50, 0)
    assert isinstance(
        await jobs.create_job(make_job(user_id=2, message_id=3, price_cents=50), policy=limits), JobCreated
    )
    # 0 means no global limit.
    assert isinstance(
        await jobs.create_job(make_job(user_id=3, message_id=4, n=5), policy=policy(global_budget=0)),
        JobCreated,
    )


async def test_failed_and_cancelled_jobs_give_the_budget_back(jobs: JobStore) -> None:
    limits = policy(budget=100)
    first = await jobs.create_job(make_job(message_id=1), policy=limits)
    assert isinstance(first, JobCreated)
    assert isinstance(await jobs.create_job(make_job(message_id=2), policy=limits), Refused)
    assert [job.id for job in await jobs.cancel_queued_jobs(1)] == [first.job.id]
    second = await jobs.create_job(make_job(message_id=3), policy=limits)
    assert isinstance(second, JobCreated)
    await jobs.fail_job(second.job.id, "server", "500")
    assert isinstance(await jobs.create_job(make_job(message_id=4), policy=limits), JobCreated)


@pytest.mark.parametrize(
    ("period", "last_moment", "next_period"),
    [
        ("day", utc(2026, 11, 23, 23, 59, 59), utc(2026, 11, 24)),
        ("week", utc(2026, 11, 29, 23, 59, 59), utc(2026, 11, 30)),  # Sunday night -> Monday
        ("month", utc(2026, 11, 30, 23, 59, 59), utc(2026, 12, 1)),
        ("month", utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1)),
        ("day", utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1)),
    ],
)
async def test_budget_renews_exactly_at_the_period_boundary(
    jobs: JobStore, ledger: QuotaLedger, period: Period, last_moment: datetime, next_period: datetime
) -> None:
    limits = policy(budget=100, period=period)
    created = await jobs.create_job(make_job(message_id=1), policy=limits, now=last_moment)
    assert isinstance(created, JobCreated)
    refused = await jobs.create_job(make_job(message_id=2), policy=limits, now=last_moment)
    assert isinstance(refused, Refused) and refused.resets_at == next_period

    assert isinstance(
        await jobs.create_job(make_job(message_id=3), policy=limits, now=next_period), JobCreated
    )
    old = await ledger.usage(1, period=period, budget_cents=100, now=last_moment)
    new = await ledger.usage(1, period=period, budget_cents=100, now=next_period)
    assert (old.reserved_cents, new.reserved_cents, new.period_start) == (100, 100, next_period)


async def test_refund_after_rollover_returns_money_to_the_period_that_held_it(
    jobs: JobStore, ledger: QuotaLedger, clock: FakeClock
) -> None:
    clock.now = utc(2026, 11, 23, 23, 50)
    limits = policy(budget=100)
    created = await jobs.create_job(make_job(message_id=1), policy=limits)
    assert isinstance(created, JobCreated)
    clock.now = utc(2026, 11, 24, 0, 10)
    assert isinstance(await jobs.create_job(make_job(message_id=2), policy=limits), JobCreated)

    await jobs.fail_job(created.job.id, "timeout", "took too long")

    yesterday = await ledger.usage(1, period="day", budget_cents=100, now=utc(2026, 11, 23, 12))
    today = await ledger.usage(1, period="day", budget_cents=100)
    assert (yesterday.reserved_cents, yesterday.left_cents) == (0, 100)
    assert (today.reserved_cents, today.left_cents) == (100, 0)  # the refund did not make room today


async def test_grants_add_room_only_in_their_period(
    jobs: JobStore, ledger: QuotaLedger, clock: FakeClock
) -> None:
    limits = policy(budget=100)
    assert isinstance(await jobs.create_job(make_job(message_id=1), policy=limits), JobCreated)
    assert isinstance(await jobs.create_job(make_job(message_id=2), policy=limits), Refused)

    entry = await ledger.grant(1, 150, actor_id=999, period="day", note="birthday")
    assert (entry.kind, entry.amount_cents, entry.actor_id, entry.period_key) == (
        "grant",
        150,
        999,
        "2026-11-23",
    )
    assert entry.note == "birthday" and entry.job_id is None and entry.created_at == clock.now

    assert isinstance(await jobs.create_job(make_job(message_id=2), policy=limits), JobCreated)
    refused = await jobs.create_job(make_job(message_id=3), policy=limits)
    assert isinstance(refused, Refused) and refused.left_cents == 50

    clock.advance(days=1)
    usage = await ledger.usage(1, period="day", budget_cents=100)
    assert (usage.granted_cents, usage.left_cents) == (0, 100)
    # The grant stays in the ledger forever.
    assert [e.amount_cents for e in await ledger.entries(1, kind="grant")] == [150]


async def test_grant_amount_is_validated(ledger: QuotaLedger) -> None:
    for bad in (0, -5, MAX_GRANT_CENTS + 1):
        with pytest.raises(ValueError, match="grant"):
            await ledger.grant(1, bad, actor_id=999, period="day")
    assert await ledger.entries(1) == []
    assert (
        await ledger.grant(1, MAX_GRANT_CENTS, actor_id=999, period="day")
    ).amount_cents == MAX_GRANT_CENTS


async def test_usage_summary(jobs: JobStore, ledger: QuotaLedger) -> None:
    limits = policy(budget=1000, period="week")
    delivered = await jobs.create_job(make_job(message_id=1, n=2, price_cents=100), policy=limits)
    running = await jobs.create_job(make_job(message_id=2, n=1, price_cents=150), policy=limits)
    other_user = await jobs.create_job(make_job(user_id=2, message_id=3, n=4), policy=limits)
    assert isinstance(delivered, JobCreated) and isinstance(running, JobCreated)
    assert isinstance(other_user, JobCreated)
    await deliver(jobs, delivered.job.id, 1)
    await ledger.grant(1, 300, actor_id=999, period="week")

    usage = await ledger.usage(1, period="week", budget_cents=1000)

    assert usage.spent_cents == 100
    assert usage.reserved_cents == 150
    assert usage.granted_cents == 300
    assert usage.budget_cents == 1000
    assert usage.left_cents == 1000 + 300 - 100 - 150
    assert (usage.period_start, usage.resets_at) == (utc(2026, 11, 23), utc(2026, 11, 30))
    kinds = [entry.kind for entry in await ledger.entries(1)]
    assert kinds == ["grant", "refund", "charge", "reserve", "reserve"]  # newest first


async def test_left_is_never_negative_after_the_budget_is_lowered(
    jobs: JobStore, ledger: QuotaLedger
) -> None:
    assert isinstance(await jobs.create_job(make_job(n=3), policy=policy(budget=1000)), JobCreated)
    usage = await ledger.usage(1, period="day", budget_cents=100)
    assert usage.left_cents == 0
    refused = await jobs.create_job(make_job(message_id=2), policy=policy(budget=100))
    assert isinstance(refused, Refused) and refused.left_cents == 0
