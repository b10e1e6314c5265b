"""Planned failures: error answers, dropped connections, slow and missing answers for chosen methods.

A fault lasts for a number of calls (`remaining`), for a wall-time window (`until`), or both (whichever
ends first); `remaining` None and no window means every matching call from now on.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from tests.fakes.bot_api_spec import ApiError

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


class FaultPlan:
    """The pending faults, consumed in the order they were added; windows run on wall time."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._faults: list[Fault] = []

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
