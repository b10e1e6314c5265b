"""Telegram measures text in UTF-16 code units after entity parsing; these helpers measure the same way."""

from __future__ import annotations

ELLIPSIS = "…"


def utf16_units(text: str) -> int:
    """The length Telegram counts: characters outside the BMP (most emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def truncate_utf16(text: str, limit: int) -> str:
    """`text` if it fits in `limit` units, else its longest start that fits with an ellipsis after it."""
    if utf16_units(text) <= limit:
        return text
    room = limit - utf16_units(ELLIPSIS)
    if room <= 0:
        return ""
    used = 0
    end = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            break
        end = index + 1
    return text[:end].rstrip() + ELLIPSIS
