"""Versioned schema: migration N brings `PRAGMA user_version` from N-1 to N, each in its own transaction.

Never edit a released migration; append a new one.
"""

from __future__ import annotations

import logging
import sqlite3

import aiosqlite

from storage.errors import SchemaVersionError

logger = logging.getLogger(__name__)

_V1 = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT,
    language_code TEXT,
    language_override TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
) STRICT;

CREATE TABLE chats (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    title TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
) STRICT;

CREATE TABLE jobs (
    -- seq orders jobs (oldest first) and never reuses a number; id is what callers see.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    chat_type TEXT NOT NULL,
    thread_id INTEGER,
    user_message_id INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    status_message_id INTEGER,
    request_json TEXT NOT NULL,
    model TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('sync', 'async')),
    n INTEGER NOT NULL CHECK (n >= 1),
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    reserved_cents INTEGER NOT NULL CHECK (reserved_cents >= 0),
    charged_cents INTEGER NOT NULL DEFAULT 0 CHECK (charged_cents >= 0),
    delivered_count INTEGER NOT NULL DEFAULT 0 CHECK (delivered_count >= 0),
    upstream_task_id TEXT,
    -- JSON array of the finished videos' URLs (valid for 24 h), so a download can resume after a restart.
    result_urls TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'submitted', 'generating', 'downloading',
                                         'uploading', 'delivered', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error_kind TEXT,
    error_message TEXT,
    language TEXT,
    period_key TEXT NOT NULL,
    user_notified INTEGER NOT NULL DEFAULT 0 CHECK (user_notified IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
) STRICT;

CREATE INDEX jobs_by_user_state ON jobs (user_id, state);
CREATE INDEX jobs_by_state ON jobs (state, seq);
CREATE INDEX jobs_by_created ON jobs (created_at);
CREATE INDEX jobs_by_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_images (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    mime_type TEXT NOT NULL CHECK (mime_type LIKE 'image/%'),
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, position)
) STRICT;

-- Money history, kept forever. Amounts are positive; kind says how they count:
-- reserve adds to the period's committed money, refund takes back, charge turns reserved money
-- into spent money (no change to committed), grant raises the user's budget for the period.
CREATE TABLE spend_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reserve', 'refund', 'charge', 'grant')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    period_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    note TEXT,
    actor_id INTEGER
) STRICT;

CREATE INDEX spend_ledger_by_user_period ON spend_ledger (user_id, period_key);
CREATE INDEX spend_ledger_by_period ON spend_ledger (period_key, kind);
CREATE INDEX spend_ledger_by_job ON spend_ledger (job_id);
CREATE INDEX spend_ledger_by_created ON spend_ledger (created_at, kind);
"""

# Migration 2: /settings. One row per user (scope 'user') or group (scope 'chat'); a row is a complete,
# consistent set of /video defaults, so a user's row replaces the group's as a whole.
_V2 = """
CREATE TABLE video_defaults (
    scope TEXT NOT NULL CHECK (scope IN ('user', 'chat')),
    owner_id INTEGER NOT NULL,
    orientation TEXT NOT NULL CHECK (orientation IN ('auto', 'portrait', 'landscape')),
    speed TEXT NOT NULL CHECK (speed IN ('fast', 'standard')),
    channel TEXT NOT NULL CHECK (channel IN ('reverse', 'official')),
    seconds INTEGER NOT NULL CHECK (seconds IN (4, 6, 8)),
    resolution TEXT NOT NULL CHECK (resolution IN ('720p', '1080p', '4k')),
    n INTEGER NOT NULL CHECK (n BETWEEN 1 AND 4),
    updated_by INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (scope, owner_id)
) STRICT;
"""

# Follow-ups: a continued clip points at the clip it continues; delivered videos keep their Telegram file ids
# so they can be fetched again (last frame, stitching) without storing any video here.
_V3 = """
ALTER TABLE jobs ADD COLUMN parent_job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL;
ALTER TABLE jobs ADD COLUMN delivered_file_ids TEXT;
CREATE INDEX jobs_by_parent ON jobs (parent_job_id) WHERE parent_job_id IS NOT NULL;
"""

# Delivery: when a job went upstream (its deadline survives restarts) and what a delivery may have done twice.
_V4 = """
ALTER TABLE jobs ADD COLUMN submitted_at TEXT;
ALTER TABLE jobs ADD COLUMN delivery_note TEXT;
"""


# Telegram Stars payments (issue 12): one row per successful payment, keyed by Telegram's charge id so a
# payment is credited once however often its update arrives; refund_state is 'pending' while the refund is
# being asked of Telegram (the credit is already held back) and 'done' after. Spending is tagged with the
# pool it came from: the free per-period budget or the paid credit, which never expires.
_PAYMENTS = """
CREATE TABLE star_payments (
    charge_id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    stars INTEGER NOT NULL CHECK (stars > 0),
    credit_cents INTEGER NOT NULL CHECK (credit_cents >= 0),
    payload TEXT NOT NULL,
    provider_charge_id TEXT,
    paid_at TEXT NOT NULL,
    user_notified INTEGER NOT NULL DEFAULT 0 CHECK (user_notified IN (0, 1)),
    refund_state TEXT CHECK (refund_state IN ('pending', 'done')),
    refunded_at TEXT,
    refunded_by INTEGER
) STRICT;

CREATE INDEX star_payments_by_user ON star_payments (user_id, refund_state);
CREATE INDEX star_payments_by_paid ON star_payments (paid_at);
CREATE INDEX star_payments_by_refunded ON star_payments (refunded_at) WHERE refunded_at IS NOT NULL;

ALTER TABLE spend_ledger ADD COLUMN pool TEXT NOT NULL DEFAULT 'free' CHECK (pool IN ('free', 'paid'));
CREATE INDEX spend_ledger_by_user_pool ON spend_ledger (user_id, pool) WHERE pool = 'paid';
"""

# my_chat_member (issue 13): whether the bot is in a chat (1/0, NULL while unknown) and when it left.
_CHAT_MEMBERSHIP = """
ALTER TABLE chats ADD COLUMN member INTEGER CHECK (member IN (0, 1));
ALTER TABLE chats ADD COLUMN left_at TEXT;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _PAYMENTS, _CHAT_MEMBERSHIP)


def split_statements(script: str) -> list[str]:
    """Split a script into complete SQL statements (trigger bodies and quoted semicolons stay whole)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement at end of script: {pending.strip()[:80]!r}")
    return statements


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The migration number the file is at (`PRAGMA user_version`)."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def apply_migrations(conn: aiosqlite.Connection, migrations: tuple[str, ...] = MIGRATIONS) -> int:
    """Bring the schema up to date and return its version; safe when several processes start at once.

    The connection must be in autocommit mode (isolation_level=None). Each migration runs in its own
    BEGIN IMMEDIATE transaction and re-reads the version inside it, so a concurrent start-up that got
    there first is noticed instead of applied twice.
    """
    target = len(migrations)
    for number, script in enumerate(migrations, start=1):
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await schema_version(conn)
            if current > target:
                raise SchemaVersionError(
                    f"database schema version {current} is newer than this code supports ({target})"
                )
            if current < number:
                for statement in split_statements(script):
                    await conn.execute(statement)
                # PRAGMA takes no parameters; `number` is an int from enumerate, not outside input.
                await conn.execute(f"PRAGMA user_version = {number:d}")
                logger.info("applied database migration %d", number)
            await conn.execute("COMMIT")
        except BaseException:
            await conn.rollback()
            raise
    return await schema_version(conn)
