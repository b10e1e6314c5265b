"""Database trouble for tests: another process holding a SQLite write lock.

async with hold_sqlite_lock(db_path, seconds=30) as lock:   # returns once the lock is really held
    ...                     # writers with a short busy timeout get "database is locked"
    await lock.wait_released(timeout=60)                    # or leave the block: the holder is killed
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

LockMode = Literal["IMMEDIATE", "EXCLUSIVE"]

_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=float(sys.argv[4]))
connection.execute("BEGIN " + sys.argv[3])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.rollback()
connection.close()
"""


class SqliteLockHolder:
    """The process holding the lock."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        """The holder's process id."""
        return self._process.pid

    @property
    def held(self) -> bool:
        """True while the holder process runs (and so holds the lock)."""
        return self._process.returncode is None

    async def wait_released(self, timeout: float) -> None:
        """Wait until the holder let go of the lock by itself and exited."""
        await asyncio.wait_for(self._process.wait(), timeout)

    async def release(self) -> None:
        """Kill the holder now: the lock goes with it."""
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        await self._process.wait()


@contextlib.asynccontextmanager
async def hold_sqlite_lock(
    path: Path | str,
    seconds: float,
    *,
    mode: LockMode = "EXCLUSIVE",
    acquire_timeout: float = 30.0,
) -> AsyncIterator[SqliteLockHolder]:
    """Another OS process takes a write lock on the SQLite file and holds it for `seconds`.

    Enters once the lock is held (waiting up to acquire_timeout for it, e.g. behind the bot's own write);
    exits by killing the holder if it still runs. EXCLUSIVE also keeps readers out unless the database
    is in WAL mode; IMMEDIATE only keeps writers out.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLDER,
        str(path),
        str(seconds),
        mode,
        str(acquire_timeout),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    holder = SqliteLockHolder(process)
    try:
        assert process.stdout is not None and process.stderr is not None
        line = await asyncio.wait_for(process.stdout.readline(), acquire_timeout + 10)
        if line.strip() != b"locked":
            error = (await process.stderr.read()).decode(errors="replace").strip()
            raise RuntimeError(f"the lock holder could not lock {path}: {error or 'no output'}")
        yield holder
    finally:
        await holder.release()
