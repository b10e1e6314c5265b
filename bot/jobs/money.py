"""How amounts of money are shown to people."""

from __future__ import annotations

from bot.video_options import is_ascii_number


def format_usd(cents: int) -> str:
    """Cents as dollars, e.g. 15 -> "$0.15", 120 -> "$1.20"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}${cents // 100}.{cents % 100:02d}"


def parse_usd(text: str) -> int:
    """Dollars typed by an admin ("2.5", "$1.20") as cents; ValueError when not a positive amount."""
    cleaned = text.strip().lstrip("$").replace(",", ".")
    whole, _, fraction = cleaned.partition(".")
    if not is_ascii_number(whole) and not (whole == "" and is_ascii_number(fraction)):
        raise ValueError(text)
    if fraction and (not is_ascii_number(fraction) or len(fraction) > 2):
        raise ValueError(text)
    cents = int(whole or "0") * 100 + int((fraction or "0").ljust(2, "0"))
    if cents <= 0:
        raise ValueError(text)
    return cents
