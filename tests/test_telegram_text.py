"""Texts measured and cut the way Telegram counts them (UTF-16 code units)."""

from __future__ import annotations

from bot.telegram_text import truncate_utf16, utf16_units


def test_emoji_outside_the_basic_plane_count_twice() -> None:
    assert utf16_units("abc") == 3
    assert utf16_units("🦊") == 2
    assert utf16_units("é中") == 2
    assert utf16_units("👩‍💻") == 5  # two emoji joined by a zero-width joiner


def test_text_that_fits_is_kept_and_longer_text_is_cut_with_an_ellipsis() -> None:
    assert truncate_utf16("short", 10) == "short"
    cut = truncate_utf16("🦊" * 600, 1000)
    assert utf16_units(cut) <= 1000 and cut.endswith("…")
    assert cut == "🦊" * 499 + "…"  # 998 units of foxes, one for the ellipsis


def test_a_cut_never_splits_a_character_and_drops_trailing_spaces() -> None:
    assert truncate_utf16("a🦊b", 3) == "a…"
    assert truncate_utf16("word " * 10, 12) == "word word w…"
    assert truncate_utf16("word " * 10, 11) == "word word…"  # the space before the cut is dropped
    assert truncate_utf16("anything", 0) == ""
