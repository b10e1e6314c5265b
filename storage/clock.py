"""UTC time for storage: the injectable clock and the one timestamp format written to the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

# Fixed width, so text order is time order and SQL can compare timestamps as strings.
_DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware datetime (e.g. datetime.now(UTC))")
    return moment.astimezone(UTC)


def to_db_time(moment: datetime) -> str:
    """The stored form of a moment: ISO-8601 UTC with microseconds and a `Z`."""
    return ensure_utc(moment).strftime(_DB_FORMAT)


def from_db_time(text: str) -> datetime:
    """Parse a stored timestamp back into an aware UTC datetime."""
    return datetime.strptime(text, _DB_FORMAT).replace(tzinfo=UTC)
