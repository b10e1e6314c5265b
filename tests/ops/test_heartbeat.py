"""Liveness: the event loop refreshes the heartbeat, a blocked loop lets it go stale; the probe reads it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from bot.healthcheck import heartbeat_age
from bot.heartbeat import Heartbeat
from bot.settings import Settings


async def wait_for_beat(path: Path, after: float = 0.0) -> float:
    for _ in range(200):
        if path.exists() and path.stat().st_mtime > after:
            return path.stat().st_mtime
        await asyncio.sleep(0.02)
    raise AssertionError(f"no heartbeat at {path}")


async def test_the_heartbeat_goes_stale_while_the_event_loop_is_blocked(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    heartbeat = Heartbeat(path, interval=0.05)
    heartbeat.start(alive=lambda: True)
    try:
        first = await wait_for_beat(path)
        time.sleep(1.2)  # a blocking call on the event loop: nothing else runs
        age = heartbeat_age(path)
        assert age is not None and age >= 1.0
        assert path.stat().st_mtime == first
        assert await wait_for_beat(path, after=first) > first  # and it beats again once the loop is free
    finally:
        await heartbeat.stop()
    assert not path.exists()  # a stopped bot is not alive


async def test_no_beat_while_the_update_loop_is_not_running(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    running = False
    heartbeat = Heartbeat(path, interval=0.02)
    heartbeat.start(alive=lambda: running)
    try:
        await asyncio.sleep(0.2)
        assert not path.exists()
        running = True
        await wait_for_beat(path)
    finally:
        await heartbeat.stop()


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot.healthcheck", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_probe_passes_on_a_fresh_heartbeat_and_fails_on_a_stale_or_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat"
    missing = probe(str(path))
    path.write_text("1\n")
    fresh = probe(str(path))
    old = time.time() - 120
    os.utime(path, (old, old))
    stale = probe(str(path))

    assert missing.returncode == 1 and "no heartbeat" in missing.stdout
    assert fresh.returncode == 0 and fresh.stdout.startswith("Alive")
    assert stale.returncode == 1 and "old" in stale.stdout
    # Cheap: the probe loads neither the bot's settings nor Telegram nor the database.
    imported = {line.rsplit("|", 1)[-1].strip() for line in fresh.stderr.splitlines()}
    assert not {"telegram", "pydantic", "aiosqlite", "bot.settings"} & imported


async def test_the_running_bot_keeps_its_heartbeat_fresh_and_removes_it_at_stop(
    settings_for: Callable[..., Settings], bot_with: Callable[..., AbstractAsyncContextManager[Any]]
) -> None:
    path = settings_for().heartbeat_file
    async with bot_with():
        await wait_for_beat(path)
        age = heartbeat_age(path)
        assert age is not None and age < 5
    assert not path.exists()
