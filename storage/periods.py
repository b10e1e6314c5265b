"""Quota periods in UTC: where a day, an ISO week (from Monday) or a month starts, ends and is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, assert_never

from storage.clock import ensure_utc

Period = Literal["day", "week", "month"]


def period_bounds(period: Period, now: datetime) -> tuple[datetime, datetime]:
    """The half-open UTC interval [start, end) of the period that contains `now`."""
    moment = ensure_utc(now)
    midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    match period:
        case "day":
            return midnight, midnight + timedelta(days=1)
        case "week":
            monday = midnight - timedelta(days=midnight.weekday())
            return monday, monday + timedelta(days=7)
        case "month":
            first = midnight.replace(day=1)
            if first.month == 12:
                return first, first.replace(year=first.year + 1, month=1)
            return first, first.replace(month=first.month + 1)
        case _:
            assert_never(period)


def period_key(period: Period, now: datetime) -> str:
    """A stable name for the period containing `now`: '2026-11-23', '2026-W48' or '2026-11'."""
    start, _ = period_bounds(period, now)
    match period:
        case "day":
            return start.strftime("%Y-%m-%d")
        case "week":
            iso = start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        case "month":
            return start.strftime("%Y-%m")
        case _:
            assert_never(period)
