"""Fixtures for storage tests: a real SQLite file in tmp_path and a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, JobStore, QuotaLedger, UserStore
from tests.storage.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "nested" / "bot.sqlite3"


@pytest.fixture
async def db(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    database = await Database.open(db_path, clock=clock)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def jobs(db: Database) -> JobStore:
    return JobStore(db)


@pytest.fixture
def ledger(db: Database) -> QuotaLedger:
    return QuotaLedger(db)


@pytest.fixture
def users(db: Database) -> UserStore:
    return UserStore(db)
