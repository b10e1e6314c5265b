"""Injected faults: error answers, dropped connections, slow and missing answers, and whole outages.

A fault catches the next matching call by default, `count=K` calls, or every matching call for
`for_seconds=N` of wall time (a count then caps the window); `count=None` and no window means every
matching call from now on. Method "*" (ANY_METHOD) matches every method; `fault.hits` counts the calls a
fault caught. With `after_execute` the method runs first (the message is in the chat) and only the answer
is lost, late or never sent; a call whose answer never went out is logged with status 0 (DISCONNECTED).
`go_down(N)` makes the whole API unreachable for N seconds (None: until `come_up()`): open connections
are cut, new ones refused on the same port, then everything serves again with state kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from tests.fakes.bot_api.rules import ApiError

FaultKind = Literal["error", "disconnect", "delay", "hang"]
ANY_METHOD = "*"


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET
Count = int | None | _Unset  # how many calls a fault catches: UNSET picks the default below

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def injected_error(error_code: int, retry_after: int | None, description: str | None) -> ApiError:
    """The ApiError an injected fault answers with, worded like Telegram."""
    if error_code == 429:
        wait = retry_after if retry_after is not None else 1
        return ApiError(429, description or f"Too Many Requests: retry after {wait}", retry_after=wait)
    text = description or _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}: injected failure")
    return ApiError(error_code, text)


def planned_count(count: Count, for_seconds: float | None, *, default: int | None = 1) -> int | None:
    """An explicit count wins; otherwise `default` calls, or every call of the window when there is one."""
    if count is not UNSET:
        return count
    return None if for_seconds is not None else default


@dataclass
class Fault:
    """One planned failure; `remaining` None means every matching call (until `until`, if set)."""

    kind: FaultKind
    method: str
    remaining: int | None = 1
    error: ApiError | None = None
    seconds: float = 0.0
    after_execute: bool = False
    until: float | None = None  # FaultPlan clock time at which the window ends
    hits: int = 0  # calls this fault has caught so far

    def matches(self, method: str) -> bool:
        """True for calls of this fault's method (any method for "*")."""
        return self.method == ANY_METHOD or self.method.lower() == method.lower()

    def expired(self, now: float) -> bool:
        """True once the window is over or the count is used up."""
        return (self.until is not None and now >= self.until) or (
            self.remaining is not None and self.remaining <= 0
        )


class Outage(Protocol):
    """The switch that takes the whole listener down and up (server.Listener)."""

    @property
    def is_down(self) -> bool: ...

    async def go_down(self, seconds: float | None) -> None: ...

    async def come_up(self) -> None: ...

    async def wait_up(self, timeout: float) -> None: ...


class FaultPlan:
    """The pending faults, consumed in the order they were added; windows run on wall time.

    Tests plan faults with inject*() and go_down(); the request pipeline takes them with take*(), waits
    out delays and holds hung requests until the client gives up or the fake stops (release()).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, outage: Outage | None = None) -> None:
        self._clock = clock
        self._faults: list[Fault] = []
        self._outage = outage
        self._released = asyncio.Event()  # set when the fake stops: releases hung and delayed requests

    # -- planning (tests) ------------------------------------------------------------------------

    def inject(
        self,
        method: str = ANY_METHOD,
        *,
        error_code: int = 429,
        retry_after: int | None = 1,
        count: Count = UNSET,
        for_seconds: float | None = None,
        description: str | None = None,
    ) -> Fault:
        """Calls of `method` fail with `error_code` (429 carries retry_after).

        The next call by default; with for_seconds every call for that long; an explicit count caps
        either (None: every call, forever).
        """
        error = injected_error(error_code, retry_after, description)
        fault = Fault("error", method, planned_count(count, for_seconds), error=error)
        return self.add(fault, for_seconds=for_seconds)

    def inject_disconnect(
        self,
        method: str = ANY_METHOD,
        *,
        count: Count = UNSET,
        for_seconds: float | None = None,
        after_execute: bool = False,
    ) -> Fault:
        """Drop the connection without answering; with after_execute the method runs first.

        Counts and windows as in inject().
        """
        fault = Fault("disconnect", method, planned_count(count, for_seconds), after_execute=after_execute)
        return self.add(fault, for_seconds=for_seconds)

    def inject_delay(
        self,
        method: str,
        seconds: float,
        *,
        count: int | None = None,
        for_seconds: float | None = None,
        after_execute: bool = False,
    ) -> Fault:
        """Answer `method` calls `seconds` late (every call unless count or for_seconds limits it).

        With after_execute the method runs at once (the message is in the chat) and only the answer is late.
        """
        fault = Fault("delay", method, count, seconds=seconds, after_execute=after_execute)
        return self.add(fault, for_seconds=for_seconds)

    def inject_hang(
        self,
        method: str = ANY_METHOD,
        *,
        count: Count = UNSET,
        for_seconds: float | None = None,
        after_execute: bool = True,
    ) -> Fault:
        """Never answer: the connection stays open until the client gives up (or the fake stops).

        With after_execute (the default) the method runs first, so the message exists although the client
        never learns it; counts and windows as in inject().
        """
        fault = Fault("hang", method, planned_count(count, for_seconds), after_execute=after_execute)
        return self.add(fault, for_seconds=for_seconds)

    def add(self, fault: Fault, *, for_seconds: float | None = None) -> Fault:
        """Plan a fault; with for_seconds it catches matching calls only for that long from now."""
        if for_seconds is not None:
            if for_seconds <= 0:
                raise ValueError("for_seconds must be positive")
            fault.until = self._clock() + for_seconds
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every planned fault."""
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults still planned (windows not yet over)."""
        self._prune()
        return list(self._faults)

    def take(self, method: str, kind: FaultKind, *, after_execute: bool = False) -> Fault | None:
        """Consume one call of the first matching fault of a kind, or return None."""
        taken = self._consume(method, kind, after_execute, first_only=True)
        return taken[0] if taken else None

    def take_all(self, method: str, kind: FaultKind, *, after_execute: bool = False) -> list[Fault]:
        """Consume one call of every matching fault of a kind (delays add up)."""
        return self._consume(method, kind, after_execute, first_only=False)

    def _consume(self, method: str, kind: FaultKind, after_execute: bool, *, first_only: bool) -> list[Fault]:
        self._prune()
        taken = [
            fault
            for fault in self._faults
            if fault.kind == kind and fault.after_execute == after_execute and fault.matches(method)
        ]
        taken = taken[:1] if first_only else taken
        for fault in taken:
            fault.hits += 1
            if fault.remaining is not None:
                fault.remaining -= 1
        self._prune()
        return taken

    def _prune(self) -> None:
        now = self._clock()
        self._faults = [fault for fault in self._faults if not fault.expired(now)]

    # -- outages ---------------------------------------------------------------------------------

    async def go_down(self, seconds: float | None) -> None:
        """The whole Bot API is unreachable for `seconds` (None: until come_up()); state is kept.

        Open connections are cut (pending long polls too) and new ones are refused on the same port.
        """
        await self._switch().go_down(seconds)

    async def come_up(self) -> None:
        """End an outage now."""
        await self._switch().come_up()

    @property
    def is_down(self) -> bool:
        """True during an outage."""
        return self._outage is not None and self._outage.is_down

    async def wait_up(self, timeout: float = 60.0) -> None:
        """Wait for the end of an outage."""
        await self._switch().wait_up(timeout)

    def _switch(self) -> Outage:
        if self._outage is None:
            raise RuntimeError("this fault plan has no listener to take down")
        return self._outage

    # -- slow and missing answers (the request pipeline) -----------------------------------------

    async def wait_delays(self, method: str, gone: asyncio.Event, *, after_execute: bool) -> bool:
        """Wait out the planned delays; False when the client hung up or the fake stopped meanwhile."""
        seconds = sum(fault.seconds for fault in self.take_all(method, "delay", after_execute=after_execute))
        if seconds <= 0:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._until_released(gone), seconds)
        return not (gone.is_set() or self._released.is_set())

    async def hold(self, gone: asyncio.Event) -> str:
        """Never answer: wait until the client gives up or the fake stops, and say which."""
        await self._until_released(gone)
        return "the client gave up" if gone.is_set() else "the fake stopped"

    def release(self) -> None:
        """The fake stops: every held or delayed request ends now."""
        self._released.set()

    async def _until_released(self, gone: asyncio.Event) -> None:
        """Return when the client hangs up or the fake stops."""
        waiters = [asyncio.ensure_future(gone.wait()), asyncio.ensure_future(self._released.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
