"""Planned failures: error answers, dropped connections and slow answers for chosen methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.fakes.bot_api_spec import ApiError

FaultKind = Literal["error", "disconnect", "delay"]
ANY_METHOD = "*"

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


@dataclass
class Fault:
    """One planned failure; `remaining` None means every matching call."""

    kind: FaultKind
    method: str
    remaining: int | None = 1
    error: ApiError | None = None
    seconds: float = 0.0
    after_execute: bool = False

    def matches(self, method: str) -> bool:
        """True for calls of this fault's method (any method for "*")."""
        return self.method == ANY_METHOD or self.method.lower() == method.lower()


class FaultPlan:
    """The pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Plan a fault."""
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every planned fault."""
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults still planned."""
        return list(self._faults)

    def take(self, method: str, kind: FaultKind, *, after_execute: bool = False) -> Fault | None:
        """Consume the first matching fault of a kind, or return None."""
        for fault in self._faults:
            if fault.kind == kind and fault.after_execute == after_execute and fault.matches(method):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
