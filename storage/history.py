"""A user's delivered videos, newest first, for /history (read-only; storage.jobs owns the job table)."""

from __future__ import annotations

from storage.database import Database, fetch_all
from storage.jobs import job_from_row
from storage.models import Job

HISTORY_LIMIT = 10


async def delivered_videos(db: Database, user_id: int, *, limit: int = HISTORY_LIMIT) -> list[Job]:
    """The user's last delivered jobs whose Telegram file ids are known, newest first."""
    async with db.snapshot() as conn:
        rows = await fetch_all(
            conn,
            "SELECT * FROM jobs WHERE user_id = ? AND state = 'delivered'"
            " AND delivered_file_ids IS NOT NULL AND delivered_file_ids != '[]'"
            " ORDER BY seq DESC LIMIT ?",
            (user_id, limit),
        )
    return [job_from_row(row) for row in rows]
