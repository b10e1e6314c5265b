"""Runs the real bot process (`python -m bot`) against in-process fakes, its output kept in a log file."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings
from storage import Database, Job, JobStore
from tests.e2e.harness import API_KEY, BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway

SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_environment() -> dict[str, str]:
    """This process's environment without any of the bot's settings (a developer's shell may set some)."""
    return {key: value for key, value in os.environ.items() if key.upper() not in SETTING_NAMES}


def bot_environment(tmp_path: Path, api: FakeBotAPI, gateway: FakeGateway, **settings: str) -> dict[str, str]:
    """Settings for a bot process that talks to the fakes and keeps its files in tmp_path."""
    env = clean_environment()
    env.update(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_URL=api.root,
        APIYI_API_KEY=API_KEY,
        APIYI_BASE_URL=gateway.base_url,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        TEMP_DIR=str(tmp_path / "tmp"),
        POLL_INTERVAL_SECONDS="0.1",
    )
    env.update(settings)
    return env


class BotProcess:
    """One `python -m bot` process; stdout and stderr go to `log_path`."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @classmethod
    async def start(cls, tmp_path: Path, env: dict[str, str], log_name: str) -> BotProcess:
        """Start the bot; its working directory is tmp_path, so no developer's .env is read."""
        log_path = tmp_path / log_name
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        return cls(process, log_path)

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    async def wait_for_log(self, text: str, *, timeout: float = 20.0) -> None:
        """Wait until the log contains `text` (fails early if the process exits)."""
        await until(lambda: text in self.log() or self.process.returncode is not None, timeout=timeout)
        assert text in self.log(), f"{text!r} never logged:\n{self.log()[-3000:]}"

    async def terminate(self, sig: int, *, timeout: float = 20.0) -> tuple[int, float]:
        """Send `sig` and wait for the exit: (return code, seconds it took)."""
        started = time.monotonic()
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout=timeout)
        return code, time.monotonic() - started

    async def kill(self) -> None:
        """Make sure the process is gone (cleanup after a failed assertion)."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def until(condition: Callable[[], bool], *, timeout: float = 20.0, step: float = 0.05) -> None:
    """Wait (polling) until condition() is true; TimeoutError after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(step)


async def all_jobs(database_path: Path) -> list[Job]:
    """Every job in the database file, oldest first."""
    db = await Database.open(database_path)
    try:
        async with db.snapshot() as conn, conn.execute("SELECT id FROM jobs ORDER BY created_at") as cursor:
            ids = [row[0] for row in await cursor.fetchall()]
        store = JobStore(db)
        jobs = [await store.get_job(job_id) for job_id in ids]
    finally:
        await db.close()
    return [job for job in jobs if job is not None]
