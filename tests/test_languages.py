"""LanguageChoices (a real SQLite file) and the /language menu's texts and buttons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.languages import LanguageChoices
from handlers.language import (
    CHOICES,
    LANGUAGE_CALLBACK_PREFIX,
    confirmation_text,
    language_keyboard,
    menu_text,
)
from storage import Database, UserStore

MAX_CALLBACK_DATA_BYTES = 64


@pytest.fixture
async def users(tmp_path: Path) -> AsyncIterator[UserStore]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        yield UserStore(db)
    finally:
        await db.close()


@pytest.fixture
def texts() -> Translator:
    return Translator()


async def test_stored_choices_win_over_telegram_and_unsupported_ones_are_ignored(
    users: UserStore, texts: Translator
) -> None:
    await users.upsert_user(1, "ann", "en")
    await users.set_user_language(1, "zh")
    await users.set_user_language(2, "fr")  # stored by an older version that spoke French
    await users.upsert_user(3, "cai", "zh-hans")

    languages = await LanguageChoices.load(users, texts)

    assert languages.language_for(1, "en") == "zh"
    assert languages.override_of(1) == "zh"
    assert languages.language_for(2, "zh-hans") == "zh"
    assert languages.override_of(2) is None
    assert languages.language_for(3, "zh-TW") == "zh"
    assert languages.language_for(3, "de") == "en"
    assert languages.language_for(None, None) == "en"


async def test_a_choice_is_used_at_once_and_survives_a_reload(users: UserStore, texts: Translator) -> None:
    languages = await LanguageChoices.load(users, texts)
    await languages.choose(5, "zh")
    assert languages.language_for(5, "en") == "zh"
    assert (await LanguageChoices.load(users, texts)).language_for(5, "en") == "zh"

    await languages.choose(5, None)
    assert languages.language_for(5, "en") == "en"
    assert languages.override_of(5) is None
    assert await users.language_overrides() == {}
    assert (await LanguageChoices.load(users, texts)).language_for(5, "zh-CN") == "zh"


async def test_an_unsupported_choice_is_refused_and_not_stored(users: UserStore, texts: Translator) -> None:
    languages = await LanguageChoices.load(users, texts)
    with pytest.raises(ValueError, match="fr"):
        await languages.choose(6, "fr")
    assert languages.override_of(6) is None
    assert await users.language_overrides() == {}


async def test_quick_taps_leave_memory_and_database_agreeing(users: UserStore, texts: Translator) -> None:
    languages = await LanguageChoices.load(users, texts)
    await asyncio.gather(*(languages.choose(7, choice) for choice in ("zh", "en", None, "zh", "en")))
    stored = (await users.language_overrides()).get(7)
    assert stored == "en"
    assert languages.override_of(7) == stored


def _buttons(markup: InlineKeyboardMarkup) -> list[tuple[str, str]]:
    return [(button.text, str(button.callback_data)) for row in markup.inline_keyboard for button in row]


def test_the_menu_names_each_language_in_itself_and_marks_the_choice(texts: Translator) -> None:
    english = _buttons(language_keyboard(texts, "en", chosen=None))
    chinese = _buttons(language_keyboard(texts, "zh", chosen="zh"))

    assert english == [
        ("English", "lang:en"),
        ("简体中文", "lang:zh"),
        ("✓ 🔄 Automatic (Telegram's language)", "lang:auto"),
    ]
    assert chinese == [
        ("English", "lang:en"),
        ("✓ 简体中文", "lang:zh"),
        ("🔄 自动（跟随 Telegram 语言）", "lang:auto"),
    ]
    for _, data in english:
        assert len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
        assert data.removeprefix(LANGUAGE_CALLBACK_PREFIX) in CHOICES


def test_menu_and_confirmation_texts(texts: Translator) -> None:
    assert "English (automatic" in menu_text(texts, "en", chosen=None)
    assert "<b>语言</b>：简体中文\n" in menu_text(texts, "zh", chosen="zh")
    assert "自动" in menu_text(texts, "zh", chosen=None)
    assert confirmation_text(texts, "zh", chosen="zh") == "✅ 好的，以后我会用简体中文回复你。"
    assert confirmation_text(texts, "en", chosen="en") == "✅ From now on I'll answer you in English."
    assert confirmation_text(texts, "zh", chosen=None) == "✅ 我会跟随你的 Telegram 语言：简体中文。"
