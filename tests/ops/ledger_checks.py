"""What every fault test checks at the end: the money and the jobs in the bot's own database."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from storage import Database, Job
from tests.e2e.bot_process import all_jobs


async def assert_ledger_sound(database_path: Path, *, clips_paid_upstream: int) -> list[Job]:
    """For every job one reserve and at most one charge or refund, charge + refund = reserve, no job
    left unfinished or untold, and as many clips delivered as the gateway generated."""
    jobs = await all_jobs(database_path)
    db = await Database.open(database_path)
    try:
        async with db.snapshot() as conn:
            rows = await conn.execute_fetchall("SELECT job_id, kind, amount_cents FROM spend_ledger")
    finally:
        await db.close()
    entries: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for job_id, kind, amount in rows:
        entries[str(job_id)][str(kind)].append(int(amount))
    for job in jobs:
        money = entries[job.id]
        assert len(money["reserve"]) == 1, (job, dict(money))
        assert len(money["charge"]) <= 1 and len(money["refund"]) <= 1, (job, dict(money))
        assert sum(money["charge"]) + sum(money["refund"]) == money["reserve"][0], (job, dict(money))
        assert job.is_terminal and job.user_notified, job
    assert sum(job.delivered_count for job in jobs) == clips_paid_upstream
    return jobs
