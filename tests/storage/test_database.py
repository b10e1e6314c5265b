"""Opening, migrating and transacting on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage import Database, SchemaVersionError
from storage.database import fetch_all, fetch_int, fetch_value
from storage.migrations import MIGRATIONS, split_statements
from tests.storage.support import FakeClock


async def test_open_creates_folders_and_applies_every_migration(db_path: Path, clock: FakeClock) -> None:
    assert not db_path.parent.exists()
    db = await Database.open(db_path, clock=clock)
    try:
        async with db.snapshot() as conn:
            assert await fetch_int(conn, "PRAGMA user_version") == len(MIGRATIONS)
            assert await fetch_value(conn, "PRAGMA journal_mode") == "wal"
            assert await fetch_int(conn, "PRAGMA foreign_keys") == 1
            assert await fetch_int(conn, "PRAGMA busy_timeout") == 5000
            assert await fetch_int(conn, "PRAGMA auto_vacuum") == 2  # incremental, for cleanup
            tables = {
                row[0] for row in await fetch_all(conn, "SELECT name FROM sqlite_master WHERE type='table'")
            }
    finally:
        await db.close()
    assert db_path.is_file()
    assert {"users", "chats", "jobs", "job_images", "spend_ledger"} <= tables


async def test_reopen_is_idempotent_and_keeps_data(db_path: Path, clock: FakeClock) -> None:
    db = await Database.open(db_path, clock=clock)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (id, first_seen, last_seen) VALUES (7, '2026-01-01', '2026-01-01')"
        )
    await db.close()

    for _ in range(2):
        db = await Database.open(db_path, clock=clock)
        async with db.snapshot() as conn:
            assert await fetch_int(conn, "PRAGMA user_version") == len(MIGRATIONS)
            assert await fetch_int(conn, "SELECT COUNT(*) FROM users WHERE id = 7") == 1
        await db.close()


async def test_several_starts_at_once_on_a_new_file_all_open_and_migrate_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    # Many rounds: the race (the WAL switch meeting a file another connection just created) is rare.
    for round_ in range(30):
        path = tmp_path / f"bot-{round_}.sqlite3"
        opened = await asyncio.gather(
            *(Database.open(path, clock=clock) for _ in range(6)), return_exceptions=True
        )
        databases = [db for db in opened if isinstance(db, Database)]
        try:
            assert len(databases) == 6, [db for db in opened if not isinstance(db, Database)]
            async with databases[0].snapshot() as conn:
                assert await fetch_int(conn, "PRAGMA user_version") == len(MIGRATIONS)
                assert await fetch_value(conn, "PRAGMA journal_mode") == "wal"
        finally:
            for db in databases:
                await db.close()


async def test_newer_schema_is_refused(db_path: Path, clock: FakeClock) -> None:
    db = await Database.open(db_path, clock=clock)
    await db.close()
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(SchemaVersionError):
        await Database.open(db_path, clock=clock)


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO users (id, first_seen, last_seen) VALUES (1, 'a', 'a')")
            raise RuntimeError("boom")
    async with db.snapshot() as conn:
        assert await fetch_int(conn, "SELECT COUNT(*) FROM users") == 0
    # The connection is clean afterwards: a new transaction commits normally.
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO users (id, first_seen, last_seen) VALUES (1, 'a', 'a')")
    async with db.snapshot() as conn:
        assert await fetch_int(conn, "SELECT COUNT(*) FROM users") == 1


async def test_cancelled_transaction_rolls_back(db: Database) -> None:
    inserted = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO users (id, first_seen, last_seen) VALUES (2, 'a', 'a')")
            inserted.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(writer())
    await inserted.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.snapshot() as conn:
        assert await fetch_int(conn, "SELECT COUNT(*) FROM users") == 0


async def test_nested_transaction_is_refused_instead_of_deadlocking(db: Database) -> None:
    async with db.transaction():
        with pytest.raises(RuntimeError, match="nested"):
            async with db.transaction():
                pass


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO job_images (job_id, position, mime_type, data)"
                " VALUES ('nope', 0, 'image/png', x'00')"
            )


async def test_naive_now_is_refused(db: Database) -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="naive"):
        db.now(datetime(2026, 1, 1))


def test_split_statements_keeps_trigger_bodies_and_quoted_semicolons_whole() -> None:
    script = """
    CREATE TABLE t (a TEXT DEFAULT 'x;y');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET a = 'b;c';
        DELETE FROM t WHERE a = ';';
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE t (a TEXT)")
