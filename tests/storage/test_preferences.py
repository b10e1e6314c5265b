"""Saved /video defaults: migration 2 on an existing v1 file, get/save/update/reset, user over chat."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import aiosqlite
import pytest

from storage import Database, JobStore, PreferenceStore, PreferenceValues
from storage.database import fetch_all, fetch_int
from storage.migrations import MIGRATIONS, apply_migrations
from tests.storage.support import START, FakeClock

LANDSCAPE = PreferenceValues(
    orientation="landscape", speed="standard", channel="reverse", seconds=8, resolution="720p", n=2
)
OFFICIAL = PreferenceValues(
    orientation="auto", speed="fast", channel="official", seconds=4, resolution="720p", n=1
)


# What a v1 database holds: a user, a group, a queued job and its reservation.
V1_ROWS = (
    "INSERT INTO users (id, username, first_seen, last_seen) VALUES (7, 'ann', '2026-01-01', '2026-01-01')",
    "INSERT INTO chats (id, type, title, first_seen, last_seen)"
    " VALUES (-100, 'supergroup', 'Makers', '2026-01-01', '2026-01-01')",
    "INSERT INTO jobs (id, user_id, chat_id, chat_type, user_message_id, dedupe_key, request_json, model,"
    " mode, n, price_cents, reserved_cents, state, period_key, created_at, updated_at)"
    " VALUES ('job-1', 7, -100, 'supergroup', 5, '-100:5', '{\"prompt\": \"a fox\"}', 'veo-3.1-fast',"
    " 'sync', 1, 15, 15, 'queued', '2026-01-01', '2026-01-01T00:00:00.000000Z',"
    " '2026-01-01T00:00:00.000000Z')",
    "INSERT INTO spend_ledger (user_id, job_id, kind, amount_cents, period_key, created_at)"
    " VALUES (7, 'job-1', 'reserve', 15, '2026-01-01', '2026-01-01T00:00:00.000000Z')",
)


@pytest.fixture
def prefs(db: Database) -> PreferenceStore:
    return PreferenceStore(db)


async def test_migration_2_upgrades_a_v1_file_and_keeps_its_data(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, MIGRATIONS[:1]) == 1
        for statement in V1_ROWS:
            await conn.execute(statement)

    db = await Database.open(db_path, clock=clock)
    try:
        async with db.snapshot() as conn:
            assert await fetch_int(conn, "PRAGMA user_version") == len(MIGRATIONS) >= 2
            assert await fetch_int(conn, "SELECT COUNT(*) FROM users WHERE id = 7 AND username = 'ann'") == 1
            assert await fetch_int(conn, "SELECT COUNT(*) FROM chats WHERE id = -100") == 1
            assert await fetch_int(conn, "SELECT reserved_cents FROM jobs WHERE id = 'job-1'") == 15
            assert await fetch_int(conn, "SELECT SUM(amount_cents) FROM spend_ledger WHERE user_id = 7") == 15
        job = await JobStore(db).get_job("job-1")
        assert job is not None and job.user_id == 7 and job.model == "veo-3.1-fast"
        store = PreferenceStore(db)
        assert await store.get("user", 7) is None
        await store.save("user", 7, LANDSCAPE, updated_by=7)
        saved = await store.get("user", 7)
        assert saved is not None and saved.values == LANDSCAPE
    finally:
        await db.close()


async def test_get_save_and_reset(prefs: PreferenceStore, clock: FakeClock) -> None:
    assert await prefs.get("user", 1) is None
    first = await prefs.save("user", 1, LANDSCAPE, updated_by=1)
    clock.advance(minutes=5)
    await prefs.save("user", 1, OFFICIAL, updated_by=1)

    saved = await prefs.get("user", 1)
    assert saved is not None
    assert (saved.scope, saved.owner_id, saved.values, saved.updated_by) == ("user", 1, OFFICIAL, 1)
    assert first.updated_at == START and saved.updated_at > START
    assert await prefs.get("chat", 1) is None  # a private chat's id equals its user's: scopes stay apart
    assert await prefs.reset("user", 1) is True
    assert await prefs.get("user", 1) is None
    assert await prefs.reset("user", 1) is False


async def test_chat_default_applies_only_to_users_without_their_own(prefs: PreferenceStore) -> None:
    group = -100123
    await prefs.save("chat", group, OFFICIAL, updated_by=50)
    await prefs.save("user", 2, LANDSCAPE, updated_by=2)

    for_newcomer = await prefs.for_request(1, group)
    for_owner_of_settings = await prefs.for_request(2, group)
    assert for_newcomer is not None and for_newcomer.scope == "chat" and for_newcomer.values == OFFICIAL
    assert for_newcomer.updated_by == 50
    assert for_owner_of_settings is not None and for_owner_of_settings.values == LANDSCAPE
    assert await prefs.for_request(1, None) is None  # private chat: no chat default
    assert await prefs.for_request(1, -100999) is None
    assert (await prefs.for_request(2, None)) == for_owner_of_settings  # the user's own apply everywhere
    await prefs.reset("chat", group)
    assert await prefs.for_request(1, group) is None


async def test_update_starts_from_the_chat_default_and_never_loses_a_quick_second_change(
    prefs: PreferenceStore,
) -> None:
    group = -100123
    await prefs.save("chat", group, OFFICIAL, updated_by=50)
    seen: list[PreferenceValues | None] = []

    def landscape(current: PreferenceValues | None) -> PreferenceValues:
        seen.append(current)
        return replace(current or LANDSCAPE, orientation="landscape")

    def standard(current: PreferenceValues | None) -> PreferenceValues:
        seen.append(current)
        return replace(current or LANDSCAPE, speed="standard")

    await asyncio.gather(
        prefs.update("user", 3, landscape, updated_by=3, inherit_chat_id=group),
        prefs.update("user", 3, standard, updated_by=3, inherit_chat_id=group),
    )

    saved = await prefs.get("user", 3)
    assert saved is not None
    assert saved.values == replace(OFFICIAL, orientation="landscape", speed="standard")
    assert seen[0] == OFFICIAL and seen[1] is not None and seen[1] != OFFICIAL
    chat = await prefs.get("chat", group)
    assert chat is not None and chat.values == OFFICIAL  # inheriting never changes the chat's row
    fresh = await prefs.update("user", 4, landscape, updated_by=4)
    assert fresh.values == LANDSCAPE and seen[-1] is None


async def test_values_outside_the_vocabulary_are_refused(db: Database, prefs: PreferenceStore) -> None:
    bad = replace(LANDSCAPE, n=5)
    with pytest.raises(sqlite3.IntegrityError):
        await prefs.save("user", 1, bad, updated_by=1)
    with pytest.raises(sqlite3.IntegrityError):
        await prefs.save("user", 1, replace(LANDSCAPE, seconds=5), updated_by=1)
    async with db.snapshot() as conn:
        assert await fetch_all(conn, "SELECT * FROM video_defaults") == []
