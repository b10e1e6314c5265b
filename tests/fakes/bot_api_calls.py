"""The call log: every request the fake answered, with a way to wait for one and summary stats."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.bot_api_spec import Upload

DISCONNECTED = 0  # status recorded when the fake dropped the connection without answering


@dataclass(frozen=True)
class CallContext:
    """One decoded call as a method implementation sees it."""

    method: str
    params: dict[str, Any]
    uploads: Mapping[str, Upload]
    gone: asyncio.Event  # set when the client hung up


@dataclass(frozen=True)
class CallRecord:
    """One Bot API request: what was asked, when, and what the fake answered."""

    index: int
    method: str
    params: dict[str, Any]
    time: float
    status: int
    result: Any = None
    description: str | None = None
    uploads: tuple[Upload, ...] = ()
    retry_after: int | None = None  # parameters.retry_after of a 429 answer
    chat_id: int | None = None  # the chat the call concerned (an @username resolved), if any

    @property
    def ok(self) -> bool:
        """True when the fake answered 200."""
        return self.status == 200

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (uploads summarised, not their bytes)."""
        return {
            "index": self.index,
            "method": self.method,
            "params": _jsonable(self.params),
            "time": self.time,
            "status": self.status,
            "description": self.description,
            "uploads": [upload.summary() for upload in self.uploads],
            "retry_after": self.retry_after,
            "chat_id": self.chat_id,
        }


@dataclass(frozen=True)
class ApiStats:
    """Counts over the call log."""

    calls: dict[str, int]
    statuses: dict[int, int]
    too_many_requests: int
    not_implemented: dict[str, int]
    uploaded_bytes: int
    total: int = 0
    by_method_status: dict[str, dict[int, int]] = field(default_factory=dict)
    too_many_requests_by_chat: dict[int | None, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "calls": self.calls,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "too_many_requests": self.too_many_requests,
            "not_implemented": self.not_implemented,
            "uploaded_bytes": self.uploaded_bytes,
            "total": self.total,
            "by_method_status": {
                method: {str(k): v for k, v in codes.items()}
                for method, codes in self.by_method_status.items()
            },
            "too_many_requests_by_chat": {
                str(chat): count for chat, count in self.too_many_requests_by_chat.items()
            },
        }


CallMatch = str | Callable[[CallRecord], bool]


class CallLog:
    """Append-only list of CallRecord with waiters."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.records: list[CallRecord] = []
        self._changed = asyncio.Event()

    def add(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        *,
        result: Any = None,
        description: str | None = None,
        uploads: tuple[Upload, ...] = (),
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> CallRecord:
        """Append one record and wake waiters."""
        record = CallRecord(
            index=len(self.records),
            method=method,
            params=params,
            time=self._clock(),
            status=status,
            result=result,
            description=description,
            uploads=uploads,
            retry_after=retry_after,
            chat_id=chat_id,
        )
        self.records.append(record)
        self._changed.set()
        self._changed = asyncio.Event()
        return record

    def find(self, match: CallMatch, start: int = 0) -> CallRecord | None:
        """The first record from index `start` that matches a method name or predicate."""
        check = _matcher(match)
        return next((record for record in self.records[start:] if check(record)), None)

    async def wait_for(self, match: CallMatch, *, timeout: float = 10.0, start: int = 0) -> CallRecord:
        """Wait until a matching call exists (from index `start`) and return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := self.find(match, start)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(f"{r.method}->{r.status}" for r in self.records[-12:]) or "none"
                raise TimeoutError(f"no call matching {match!r} within {timeout}s; recent calls: {recent}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
        return found

    def stats(self) -> ApiStats:
        """Calls per method, statuses, 429s, unimplemented methods and uploaded bytes."""
        calls = Counter(record.method for record in self.records)
        statuses = Counter(record.status for record in self.records)
        not_implemented = Counter(record.method for record in self.records if record.status == 501)
        throttled = Counter(record.chat_id for record in self.records if record.status == 429)
        per_method: dict[str, Counter[int]] = {}
        uploaded = 0
        for record in self.records:
            per_method.setdefault(record.method, Counter())[record.status] += 1
            uploaded += sum(len(upload.data) for upload in record.uploads)
        return ApiStats(
            calls=dict(calls),
            statuses=dict(statuses),
            too_many_requests=statuses.get(429, 0),
            not_implemented=dict(not_implemented),
            uploaded_bytes=uploaded,
            total=len(self.records),
            by_method_status={method: dict(codes) for method, codes in per_method.items()},
            too_many_requests_by_chat=dict(throttled),
        )


def _matcher(match: CallMatch) -> Callable[[CallRecord], bool]:
    if isinstance(match, str):
        wanted = match.lower()
        return lambda record: record.method.lower() == wanted
    return match


def _jsonable(value: Any) -> Any:
    if isinstance(value, Upload):
        return value.summary()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value
