"""`python -m bot --backup PATH`: a consistent copy of the live database, taken while jobs run."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, closing
from pathlib import Path
from typing import Any

from bot.settings import Settings
from tests.e2e.bot_process import clean_environment
from tests.e2e.harness import API_KEY, BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI

LEDGER = "SELECT id, user_id, job_id, kind, amount_cents FROM spend_ledger ORDER BY id"


async def run_backup(settings: Settings, target: Path) -> tuple[int, str]:
    env = clean_environment()
    env.update(TELEGRAM_BOT_TOKEN=BOT_TOKEN, APIYI_API_KEY=API_KEY, DATABASE_PATH=str(settings.database_path))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--backup", str(target), env=env, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode()


def rows(path: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return [tuple(row) for row in conn.execute(LEDGER)]


async def test_a_backup_taken_while_jobs_run_holds_every_ledger_row_of_its_moment(
    api: FakeBotAPI,
    settings_for: Callable[..., Settings],
    bot_with: Callable[..., AbstractAsyncContextManager[Any]],
    tmp_path: Path,
) -> None:
    settings = settings_for()
    target = tmp_path / "backups" / "bot-copy.sqlite3"
    chats = [api.users.private_chat(user_id=8100 + index) for index in range(6)]
    async with bot_with():
        for chat in chats[:3]:
            api.users.send_text(chat, None, "/video a lighthouse at dusk")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=20)
        for chat in chats[3:]:
            api.users.send_text(chat, None, "/video a lighthouse at dawn")
        code, output = await run_backup(settings, target)  # while the later jobs are under way
        for _ in range(6):
            await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, timeout=20)
        live = rows(settings.database_path)

    assert code == 0, output
    assert output.startswith(f"Backup written to {target}")
    copied = rows(target)
    assert copied, "the copy holds the ledger"
    assert any(kind == "charge" for *_, kind, _ in copied)  # at least the first video was settled
    # Consistent: exactly the live ledger up to the copy's moment, nothing missing, nothing changed.
    assert copied == live[: len(copied)]
    assert f"{len(copied)} ledger rows" in output
    with closing(sqlite3.connect(target)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not target.with_name(target.name + ".partial").exists()


async def test_a_missing_database_is_reported_in_one_line(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_bot_token=BOT_TOKEN, apiyi_api_key=API_KEY, database_path=tmp_path / "none"
    )

    code, output = await run_backup(settings, tmp_path / "copy.sqlite3")

    assert code == 1 and output.startswith("Backup failed: StorageError: there is no database")
    assert not (tmp_path / "copy.sqlite3").exists()
