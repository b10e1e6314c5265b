"""Liveness: a file the running bot rewrites every few seconds while its update loop runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from bot.constants import HEARTBEAT_INTERVAL_SECONDS

logger = logging.getLogger(__name__)


class Heartbeat:
    """Rewrites `path` every `interval` seconds from the event loop while `alive()` (given to start) is true.

    A blocked event loop, a stopped update loop or a dead process all leave the file unchanged, so its age
    (`python -m bot.healthcheck`) tells whether the bot is really working.
    """

    def __init__(self, path: Path, *, interval: float = HEARTBEAT_INTERVAL_SECONDS) -> None:
        self._path = path
        self._alive: Callable[[], bool] = lambda: True
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self, alive: Callable[[], bool]) -> None:
        """Beat every interval from now on, whenever `alive()` is true."""
        self._alive = alive
        self._path.parent.mkdir(parents=True, exist_ok=True)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="heartbeat")

    def beat(self) -> None:
        """Write the file now (its modification time is what counts)."""
        temporary = self._path.with_name(self._path.name + ".new")
        temporary.write_text(f"{os.getpid()}\n")
        temporary.replace(self._path)

    async def _run(self) -> None:
        while True:
            if self._alive():
                try:
                    self.beat()
                except OSError as err:
                    logger.warning("Could not write the heartbeat %s: %s", self._path, err)
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        """Stop beating and remove the file: a stopped bot is not alive."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
