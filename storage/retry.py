"""Retrying writes on a job's path while SQLite is busy (another process holds the lock) or full."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 15.0
# Words in SQLite's messages for trouble that passes: a lock held elsewhere, a full or failing disk.
_PASSING = ("locked", "busy", "full", "disk i/o error", "unable to open")


def is_passing(err: BaseException) -> bool:
    """True for SQLite errors that a later attempt may not meet (never for a bug in our SQL)."""
    return isinstance(err, sqlite3.OperationalError) and any(word in str(err).lower() for word in _PASSING)


def until_written(
    method: Callable[P, Awaitable[T]], *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> Callable[P, Awaitable[T]]:
    """Run `method` again after a pause (0.5 s growing to 15 s) for as long as SQLite's trouble lasts.

    For steps of a job that must reach the ledger: giving up would leave money reserved and the user
    without an answer. Cancellation (shutdown) still ends the wait. Every transaction is rolled back
    before it is tried again, so a retry never applies a change twice.
    """

    @functools.wraps(method)
    async def retrying(*args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 0
        while True:
            try:
                return await method(*args, **kwargs)
            except sqlite3.OperationalError as err:
                if not is_passing(err):
                    raise
                attempt += 1
                pause = min(FIRST_PAUSE_SECONDS * 2 ** (attempt - 1), MAX_PAUSE_SECONDS)
                log = logger.warning if attempt == 1 or attempt % 10 == 0 else logger.debug
                log("Database busy or full (%s); %s tried again in %.1f s", err, method.__name__, pause)
                await sleep(pause * random.uniform(0.8, 1.2))

    return retrying
