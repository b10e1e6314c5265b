"""The SQLite connection: opening, pragmas, migrations and the transactions every store runs in."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.clock import Clock, ensure_utc, utc_now
from storage.errors import StorageError
from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5000
# How often a WAL switch that met a just-opened file is tried again.
WAL_SWITCH_PAUSE_SECONDS = 0.02


class Database:
    """One aiosqlite connection shared by the whole bot; every store reads and writes through it.

    aiosqlite runs statements one at a time on its own thread, but statements of different tasks would
    interleave, so one asyncio lock makes each transaction exclusive on this connection. Other
    connections (another Database on the same file) are kept out by SQLite's own locks: writes start
    with BEGIN IMMEDIATE and wait up to the busy timeout.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path, clock: Clock) -> None:
        self._conn = conn
        self._path = path
        self._clock = clock
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> Database:
        """Create the file's folder if needed, connect, set pragmas and apply pending migrations."""
        db_path = Path(path)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(db_path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
            await conn.execute("PRAGMA foreign_keys = ON")
            # Only takes effect on a new, empty file; lets cleanup give freed pages back to the disk.
            await conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            mode = await _switch_to_wal(conn, busy_timeout_ms / 1000)
            if str(mode).lower() != "wal":
                raise StorageError(f"could not switch {db_path} to WAL mode (got {mode!r})")
            version = await apply_migrations(conn)
        except BaseException:
            await conn.close()
            raise
        logger.info("opened database %s at schema version %d", db_path, version)
        return cls(conn, db_path, clock)

    async def close(self) -> None:
        """Wait for running work and close the connection."""
        async with self._lock:
            await self._conn.close()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def now(self, now: datetime | None = None) -> datetime:
        """`now` if given (must be aware), else the injected clock, as UTC."""
        return ensure_utc(now if now is not None else self._clock())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE): committed on success, rolled back on any exception."""
        async with self._exclusive(), self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read transaction: every query inside it sees the same committed state."""
        async with self._exclusive(), self._transaction("BEGIN DEFERRED") as conn:
            yield conn

    async def compact(self) -> None:
        """Return free pages to the disk and fold the WAL back into the main file."""
        async with self._exclusive():
            await self._conn.execute_fetchall("PRAGMA incremental_vacuum")
            row = await fetch_row(self._conn, "PRAGMA wal_checkpoint(TRUNCATE)")
            if row is not None and row[0]:
                # Another connection is reading; the checkpoint will complete on a later run.
                logger.debug("WAL checkpoint was busy")

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """Hold the connection for the current task; nesting would deadlock, so it is refused."""
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            raise RuntimeError("nested Database transaction: pass the open connection down instead")
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None

    @asynccontextmanager
    async def _transaction(self, begin: str) -> AsyncIterator[aiosqlite.Connection]:
        """Run BEGIN ... COMMIT, rolling back whatever happened if the body or the commit fails."""
        try:
            # BEGIN is inside the try: if the task is cancelled while BEGIN waits on a busy file, the
            # rollback is queued behind it on aiosqlite's thread and still undoes it.
            await self._conn.execute(begin)
            yield self._conn
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._conn.rollback()
            raise


async def fetch_row(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
    """The first row of a query, or None."""
    async with conn.execute(sql, tuple(params)) as cursor:
        row: sqlite3.Row | None = await cursor.fetchone()
    return row


async def fetch_value(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> Any:
    """The first column of the first row of a query, or None."""
    row = await fetch_row(conn, sql, params)
    return None if row is None else row[0]


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
    """Every row of a query."""
    rows = await conn.execute_fetchall(sql, tuple(params))
    return list(rows)


async def fetch_int(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> int:
    """A single integer result (COUNT/SUM); NULL counts as 0."""
    value = await fetch_value(conn, sql, params)
    return 0 if value is None else int(value)


async def _switch_to_wal(conn: aiosqlite.Connection, busy_seconds: float) -> object:
    """Turn on WAL mode and return the mode now in force.

    SQLite answers "database is locked" at once, without its busy handler, when another connection opens the
    same new file at that moment; that is retried within the busy timeout like any other lock.
    """
    deadline = time.monotonic() + busy_seconds
    while True:
        try:
            return await fetch_value(conn, "PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(WAL_SWITCH_PAUSE_SECONDS)
