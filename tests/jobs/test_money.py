"""Amounts of money: cents shown as dollars, and dollars an admin types read back as cents."""

from __future__ import annotations

import pytest

from bot.jobs.money import format_usd, parse_usd


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (0, "$0.00"),
        (1, "$0.01"),
        (15, "$0.15"),
        (120, "$1.20"),
        (100_000, "$1000.00"),
        (-5, "-$0.05"),
        (-250, "-$2.50"),
    ],
)
def test_cents_are_shown_as_dollars_with_two_decimals(cents: int, shown: str) -> None:
    assert format_usd(cents) == shown


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("2.5", 250),
        ("$1.20", 120),
        ("1,5", 150),  # a decimal comma, as many keyboards type it
        (".5", 50),
        ("$.05", 5),
        ("  3 ", 300),
        ("0.01", 1),
        ("10", 1000),
        ("7.", 700),
    ],
)
def test_typed_dollars_are_read_as_cents(typed: str, cents: int) -> None:
    assert parse_usd(typed) == cents


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "$",
        ".",
        "0",
        "0.00",
        "-1",
        "+1",
        "1.234",  # a fraction of a cent
        "1.2.3",
        "1 000",
        "abc",
        "1e3",
        "1.x",
    ],
)
def test_anything_but_a_positive_amount_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_usd(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "٣",  # ARABIC-INDIC DIGIT THREE: str.isdigit() and int() both accept it
        "1.٥",  # an Arabic-Indic digit after the point
        "１",  # FULLWIDTH DIGIT ONE
        "²",  # SUPERSCRIPT TWO: isdigit() is True, int() is not
        "1.²",
    ],
)
def test_only_ascii_digits_are_amounts(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_usd(typed)


@pytest.mark.parametrize("cents", [1, 9, 10, 99, 100, 101, 250, 123_456])
def test_a_shown_amount_reads_back_as_the_same_cents(cents: int) -> None:
    assert parse_usd(format_usd(cents)) == cents
