"""UTC quota periods: bounds and keys, including week and year boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import period_bounds, period_key


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_day() -> None:
    now = utc(2026, 11, 23, 15, 30)
    assert period_bounds("day", now) == (utc(2026, 11, 23), utc(2026, 11, 24))
    assert period_key("day", now) == "2026-11-23"
    assert period_key("day", utc(2026, 11, 23, 23, 59, 59)) == "2026-11-23"
    assert period_key("day", utc(2026, 11, 24)) == "2026-11-24"


def test_week_starts_monday_midnight_utc() -> None:
    sunday_night = utc(2026, 11, 29, 23, 59, 59)
    monday = utc(2026, 11, 30)
    assert period_bounds("week", sunday_night) == (utc(2026, 11, 23), utc(2026, 11, 30))
    assert period_key("week", sunday_night) == "2026-W48"
    assert period_bounds("week", monday) == (utc(2026, 11, 30), utc(2026, 12, 7))
    assert period_key("week", monday) == "2026-W49"


def test_week_key_uses_the_iso_year() -> None:
    # 2026-12-31 is a Thursday in ISO week 53 of 2026; 2027-01-01 (Friday) is in the same week.
    assert period_key("week", utc(2026, 12, 31)) == "2026-W53"
    assert period_key("week", utc(2027, 1, 1)) == "2026-W53"
    assert period_key("week", utc(2027, 1, 4)) == "2027-W01"


def test_month_and_december_to_january() -> None:
    assert period_bounds("month", utc(2026, 11, 30, 23)) == (utc(2026, 11, 1), utc(2026, 12, 1))
    assert period_key("month", utc(2026, 11, 30, 23)) == "2026-11"
    assert period_bounds("month", utc(2026, 12, 31, 23, 59)) == (utc(2026, 12, 1), utc(2027, 1, 1))
    assert period_key("month", utc(2027, 1, 1)) == "2027-01"
    assert period_key("day", utc(2026, 12, 31, 23, 59)) == "2026-12-31"
    assert period_key("day", utc(2027, 1, 1)) == "2027-01-01"


def test_other_time_zones_are_converted_to_utc() -> None:
    # 01:00 on the 24th in UTC+3 is still the 23rd in UTC.
    plus_three = datetime(2026, 11, 24, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert period_key("day", plus_three) == "2026-11-23"
    start, end = period_bounds("day", plus_three)
    assert start.tzinfo is UTC and end - start == timedelta(days=1)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        period_key("day", datetime(2026, 11, 23))
