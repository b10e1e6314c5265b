"""Users, chats and the language override."""

from __future__ import annotations

from datetime import timedelta

from storage import Database, UserStore
from storage.database import fetch_row
from tests.storage.support import START, FakeClock


async def test_upsert_user_keeps_first_seen_and_refreshes_the_rest(
    users: UserStore, clock: FakeClock
) -> None:
    assert await users.get_user(1) is None
    await users.upsert_user(1, "alice", "en")
    clock.advance(days=2)
    await users.upsert_user(1, "alice_new", "de")

    user = await users.get_user(1)
    assert user is not None
    assert (user.username, user.language_code, user.language_override) == ("alice_new", "de", None)
    assert (user.first_seen, user.last_seen) == (START, START + timedelta(days=2))


async def test_language_override(users: UserStore) -> None:
    assert await users.get_user_language(1) is None
    await users.upsert_user(1, "alice", "en")
    assert await users.get_user_language(1) == "en"
    await users.set_user_language(1, "ru")
    await users.upsert_user(1, "alice", "en")  # a new update must not undo the user's choice
    assert await users.get_user_language(1) == "ru"
    await users.set_user_language(1, None)
    assert await users.get_user_language(1) == "en"


async def test_language_can_be_set_before_the_user_is_known(users: UserStore) -> None:
    await users.set_user_language(2, "de")
    assert await users.get_user_language(2) == "de"
    await users.upsert_user(2, "bob", "en")
    assert await users.get_user_language(2) == "de"


async def test_language_overrides_lists_only_explicit_choices(users: UserStore) -> None:
    assert await users.language_overrides() == {}
    await users.upsert_user(1, "alice", "en")
    await users.set_user_language(2, "zh")
    await users.upsert_user(3, "carol", "de")
    await users.set_user_language(3, "en")
    await users.set_user_language(4, "zh")
    await users.set_user_language(4, None)  # back to Telegram's language: no longer an override
    assert await users.language_overrides() == {2: "zh", 3: "en"}


async def test_upsert_chat(db: Database, users: UserStore, clock: FakeClock) -> None:
    await users.upsert_chat(-100, "supergroup", "Video fans")
    clock.advance(hours=1)
    await users.upsert_chat(-100, "supergroup", "Video fans (renamed)")
    async with db.snapshot() as conn:
        row = await fetch_row(conn, "SELECT type, title, first_seen, last_seen FROM chats WHERE id = -100")
    assert row is not None
    assert (row["type"], row["title"]) == ("supergroup", "Video fans (renamed)")
    assert row["first_seen"] < row["last_seen"]
