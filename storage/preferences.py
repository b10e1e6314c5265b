"""Saved /video defaults: each user's own (used in every chat) and a group's default set by its admins."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiosqlite

from storage.clock import from_db_time, to_db_time
from storage.database import Database, fetch_row

PreferenceScope = Literal["user", "chat"]
OrientationValue = Literal["auto", "portrait", "landscape"]
SpeedValue = Literal["fast", "standard"]
ChannelValue = Literal["reverse", "official"]
ResolutionValue = Literal["720p", "1080p", "4k"]

_SELECT = (
    "SELECT scope, owner_id, orientation, speed, channel, seconds, resolution, n, updated_by, updated_at"
    " FROM video_defaults WHERE scope = ? AND owner_id = ?"
)
_UPSERT = (
    "INSERT INTO video_defaults"
    " (scope, owner_id, orientation, speed, channel, seconds, resolution, n, updated_by, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (scope, owner_id) DO UPDATE SET orientation = excluded.orientation,"
    " speed = excluded.speed, channel = excluded.channel, seconds = excluded.seconds,"
    " resolution = excluded.resolution, n = excluded.n, updated_by = excluded.updated_by,"
    " updated_at = excluded.updated_at"
)


@dataclass(frozen=True)
class PreferenceValues:
    """One complete set of defaults; the bot layer decides which combinations make sense."""

    orientation: OrientationValue
    speed: SpeedValue
    channel: ChannelValue
    seconds: int
    resolution: ResolutionValue
    n: int


@dataclass(frozen=True)
class SavedPreferences:
    """Defaults as stored for a user or a chat, with who changed them last and when."""

    scope: PreferenceScope
    owner_id: int
    values: PreferenceValues
    updated_by: int
    updated_at: datetime


PreferenceChange = Callable[[PreferenceValues | None], PreferenceValues]


def _from_row(row: sqlite3.Row) -> SavedPreferences:
    values = PreferenceValues(
        orientation=row["orientation"],
        speed=row["speed"],
        channel=row["channel"],
        seconds=int(row["seconds"]),
        resolution=row["resolution"],
        n=int(row["n"]),
    )
    return SavedPreferences(
        scope=row["scope"],
        owner_id=int(row["owner_id"]),
        values=values,
        updated_by=int(row["updated_by"]),
        updated_at=from_db_time(row["updated_at"]),
    )


async def _select(
    conn: aiosqlite.Connection, scope: PreferenceScope, owner_id: int
) -> SavedPreferences | None:
    row = await fetch_row(conn, _SELECT, (scope, owner_id))
    return None if row is None else _from_row(row)


class PreferenceStore:
    """Reads and writes the `video_defaults` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, scope: PreferenceScope, owner_id: int) -> SavedPreferences | None:
        """The saved defaults of one user or chat, or None."""
        async with self._db.snapshot() as conn:
            return await _select(conn, scope, owner_id)

    async def for_request(self, user_id: int, chat_id: int | None) -> SavedPreferences | None:
        """What applies to a request: the user's own defaults, else the chat's (when a chat is given)."""
        async with self._db.snapshot() as conn:
            own = await _select(conn, "user", user_id)
            if own is not None or chat_id is None:
                return own
            return await _select(conn, "chat", chat_id)

    async def save(
        self,
        scope: PreferenceScope,
        owner_id: int,
        values: PreferenceValues,
        *,
        updated_by: int,
        now: datetime | None = None,
    ) -> SavedPreferences:
        """Store `values` for the user or chat, replacing what was there."""
        return await self.update(scope, owner_id, lambda _: values, updated_by=updated_by, now=now)

    async def update(
        self,
        scope: PreferenceScope,
        owner_id: int,
        change: PreferenceChange,
        *,
        updated_by: int,
        inherit_chat_id: int | None = None,
        now: datetime | None = None,
    ) -> SavedPreferences:
        """Read, change and write in one transaction, so two quick button presses both count.

        `change` gets the saved values, else (for a user) those of `inherit_chat_id`, else None.
        """
        stamp = self._db.now(now)
        async with self._db.transaction() as conn:
            current = await _select(conn, scope, owner_id)
            if current is None and scope == "user" and inherit_chat_id is not None:
                current = await _select(conn, "chat", inherit_chat_id)
            values = change(None if current is None else current.values)
            await conn.execute(
                _UPSERT,
                (
                    scope,
                    owner_id,
                    values.orientation,
                    values.speed,
                    values.channel,
                    values.seconds,
                    values.resolution,
                    values.n,
                    updated_by,
                    to_db_time(stamp),
                ),
            )
        return SavedPreferences(scope, owner_id, values, updated_by, stamp)

    async def reset(self, scope: PreferenceScope, owner_id: int) -> bool:
        """Forget the user's or chat's defaults; True when there were any."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM video_defaults WHERE scope = ? AND owner_id = ?", (scope, owner_id)
            )
            return cursor.rowcount > 0
