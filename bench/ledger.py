"""Read-only looks into the bot's SQLite ledger (WAL mode lets a reader in while the bot writes)."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class LedgerJob:
    """What the benchmark needs of one job row."""

    chat_id: int
    user_message_id: int
    status_message_id: int | None
    state: str
    user_notified: bool


def _connect(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)


def read_jobs(database: Path) -> list[LedgerJob]:
    """Every job in the ledger (empty before the bot created its database)."""
    if not database.exists():
        return []
    query = "SELECT chat_id, user_message_id, status_message_id, state, user_notified FROM jobs ORDER BY seq"
    with contextlib.closing(_connect(database)) as connection:
        rows = connection.execute(query).fetchall()
    return [
        LedgerJob(
            chat_id=int(chat_id),
            user_message_id=int(user_message_id),
            status_message_id=None if status_message_id is None else int(status_message_id),
            state=str(state),
            user_notified=bool(notified),
        )
        for chat_id, user_message_id, status_message_id, state, notified in rows
    ]


def notified_count(database: Path) -> int:
    """Jobs whose user has been told the final outcome (the bot's last step of a job)."""
    if not database.exists():
        return 0
    with contextlib.closing(_connect(database)) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM jobs WHERE user_notified = 1").fetchone()
    return int(count)


TERMINAL_STATES = ("delivered", "failed", "cancelled")


def finished_messages(database: Path) -> set[tuple[int, int]]:
    """(chat_id, user_message_id) of every job in a terminal state: delivered, failed or cancelled."""
    if not database.exists():
        return set()
    marks = ", ".join("?" for _ in TERMINAL_STATES)
    query = f"SELECT chat_id, user_message_id FROM jobs WHERE state IN ({marks})"  # noqa: S608 - placeholders only
    with contextlib.closing(_connect(database)) as connection:
        rows = connection.execute(query, TERMINAL_STATES).fetchall()
    return {(int(chat_id), int(message_id)) for chat_id, message_id in rows}
