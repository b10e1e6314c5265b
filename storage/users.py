"""Users and chats the bot has seen, and each user's language choice."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.clock import from_db_time, to_db_time
from storage.database import Database, fetch_all, fetch_row
from storage.models import User


def _user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=int(row["id"]),
        username=row["username"],
        language_code=row["language_code"],
        language_override=row["language_override"],
        first_seen=from_db_time(row["first_seen"]),
        last_seen=from_db_time(row["last_seen"]),
    )


class UserStore:
    """Who talks to the bot, where, and in which language."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_user(
        self, user_id: int, username: str | None, language_code: str | None, *, now: datetime | None = None
    ) -> None:
        """Record a user, refreshing name, Telegram language and last_seen; first_seen never changes."""
        stamp = to_db_time(self._db.now(now))
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (id, username, language_code, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET username = excluded.username,"
                " language_code = excluded.language_code, last_seen = excluded.last_seen",
                (user_id, username, language_code, stamp, stamp),
            )

    async def upsert_chat(
        self, chat_id: int, chat_type: str, title: str | None, *, now: datetime | None = None
    ) -> None:
        """Record a chat, refreshing its type, title and last_seen."""
        stamp = to_db_time(self._db.now(now))
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chats (id, type, title, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title,"
                " last_seen = excluded.last_seen",
                (chat_id, chat_type, title, stamp, stamp),
            )

    async def set_membership(
        self, chat_id: int, chat_type: str, title: str | None, *, member: bool, now: datetime | None = None
    ) -> None:
        """Record that the bot was added to (member) or removed from a chat; left_at is set on leaving."""
        stamp = to_db_time(self._db.now(now))
        left_at = None if member else stamp
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chats (id, type, title, first_seen, last_seen, member, left_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET type = excluded.type, title = excluded.title,"
                " last_seen = excluded.last_seen, member = excluded.member, left_at = excluded.left_at",
                (chat_id, chat_type, title, stamp, stamp, int(member), left_at),
            )

    async def has_left(self, chat_id: int) -> bool:
        """True when the bot was removed from the chat (and not added back since)."""
        async with self._db.snapshot() as conn:
            row = await fetch_row(conn, "SELECT member FROM chats WHERE id = ?", (chat_id,))
        return row is not None and row["member"] == 0

    async def get_user(self, user_id: int) -> User | None:
        """The stored user, or None if never seen."""
        async with self._db.snapshot() as conn:
            row = await fetch_row(
                conn,
                "SELECT id, username, language_code, language_override, first_seen, last_seen"
                " FROM users WHERE id = ?",
                (user_id,),
            )
        return None if row is None else _user_from_row(row)

    async def get_user_language(self, user_id: int) -> str | None:
        """The user's chosen language, else the one Telegram reported, else None."""
        user = await self.get_user(user_id)
        return None if user is None else user.language

    async def set_user_language(
        self, user_id: int, language: str | None, *, now: datetime | None = None
    ) -> None:
        """Store the user's explicit language choice; None goes back to Telegram's language."""
        stamp = to_db_time(self._db.now(now))
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (id, language_override, first_seen, last_seen) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET language_override = excluded.language_override",
                (user_id, language, stamp, stamp),
            )

    async def language_overrides(self) -> dict[int, str]:
        """Every user's explicit language choice (users without one are left out)."""
        async with self._db.snapshot() as conn:
            rows = await fetch_all(
                conn, "SELECT id, language_override FROM users WHERE language_override IS NOT NULL"
            )
        return {int(row["id"]): str(row["language_override"]) for row in rows}
