"""The database-trouble helpers: a SQLite lock held by another process, and a tiny tmpfs that fills up."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from tests.fakes.sqlite_faults import hold_sqlite_lock
from tests.fakes.tiny_tmpfs import MB, TinyTmpfs

BUSY_TIMEOUT = 0.2  # seconds a writer waits for the lock before "database is locked"


def make_db(path: Path, *, wal: bool = True) -> None:
    with sqlite3.connect(path) as db:
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (x INTEGER)")
    db.close()


def write_row(path: Path, value: int) -> None:
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    try:
        with db:
            db.execute("INSERT INTO t VALUES (?)", (value,))
    finally:
        db.close()


def rows(path: Path) -> list[int]:
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("SELECT x FROM t ORDER BY x")]
    finally:
        db.close()


async def test_a_held_lock_blocks_writers_until_it_is_released(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    make_db(path)
    async with hold_sqlite_lock(path, seconds=0.5) as lock:
        assert lock.held
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            write_row(path, 1)
        assert rows(path) == []  # WAL: readers still read
        await lock.wait_released(timeout=30)
        assert not lock.held
        write_row(path, 2)
    assert rows(path) == [2]


async def test_leaving_the_block_kills_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    make_db(path, wal=False)
    async with hold_sqlite_lock(path, seconds=600, mode="IMMEDIATE") as lock:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            write_row(path, 1)
    assert not lock.held
    write_row(path, 3)
    assert rows(path) == [3]


async def test_a_lock_that_cannot_be_taken_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RuntimeError, match="could not lock"):
        async with hold_sqlite_lock(path, seconds=1):
            pass


@pytest.mark.tiny_tmpfs(size=2 * MB)
def test_a_full_tmpfs_refuses_writes_until_freed(tiny_tmpfs: TinyTmpfs) -> None:
    assert 0 < tiny_tmpfs.free_bytes <= 2 * MB
    assert tiny_tmpfs.fill() > MB
    target = tiny_tmpfs.path / "video.mp4"
    with pytest.raises(OSError) as caught:
        target.write_bytes(b"x" * 64 * 1024)
    assert caught.value.errno == errno.ENOSPC
    tiny_tmpfs.free()
    target.write_bytes(b"x" * 64 * 1024)
    assert target.stat().st_size == 64 * 1024


def test_fill_can_leave_room_for_small_writes(tiny_tmpfs: TinyTmpfs) -> None:
    tiny_tmpfs.fill(leave_bytes=256 * 1024)
    assert 0 < tiny_tmpfs.free_bytes <= 256 * 1024
    (tiny_tmpfs.path / "small").write_bytes(b"x" * 64 * 1024)
    with pytest.raises(OSError) as caught:
        (tiny_tmpfs.path / "big").write_bytes(b"x" * MB)
    assert caught.value.errno == errno.ENOSPC


def test_a_database_on_a_full_disk_fails_with_full_and_recovers(tiny_tmpfs: TinyTmpfs) -> None:
    path = tiny_tmpfs.path / "ledger.sqlite3"
    make_db(path, wal=False)
    tiny_tmpfs.fill()
    with pytest.raises(sqlite3.OperationalError, match="full"):
        db = sqlite3.connect(path)
        try:
            with db:
                db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(20000)])
        finally:
            db.close()
    tiny_tmpfs.free()
    write_row(path, 7)
    assert rows(path) == [7]
