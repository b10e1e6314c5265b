"""An online, consistent copy of the database through SQLite's backup API (safe while the bot writes)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError


@dataclass(frozen=True)
class BackupResult:
    """What was written."""

    path: Path
    size_bytes: int
    ledger_rows: int


def _copy(source: Path, target: Path) -> BackupResult:
    if not source.is_file():
        raise StorageError(f"there is no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(partial)) as dst,
    ):
        # One step (pages=-1): the copy is one read transaction, so it is a single consistent moment;
        # in WAL mode the bot keeps writing meanwhile.
        src.backup(dst)
        # A self-contained file: no -wal to carry along.
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise StorageError(f"the copy failed its integrity check: {check}")
        rows = int(dst.execute("SELECT COUNT(*) FROM spend_ledger").fetchone()[0])
    partial.replace(target)
    return BackupResult(path=target, size_bytes=target.stat().st_size, ledger_rows=rows)


async def backup_database(source: Path, target: Path) -> BackupResult:
    """Copy `source` to `target` (written under a temporary name, then renamed), off the event loop."""
    return await asyncio.to_thread(_copy, source, target)
