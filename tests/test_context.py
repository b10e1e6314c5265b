"""BotContext: PTB builds it for each update; it keeps the sender and answers in their language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.context import BotContext, BotData
from bot.i18n import Translator
from bot.languages import LanguageChoices
from bot.services import Services
from bot.user_errors import UserFacingError
from storage import Database, UserStore

BotApp = Application[Any, BotContext, Any, Any, BotData, Any]


@pytest.fixture
async def languages(tmp_path: Path) -> AsyncIterator[LanguageChoices]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        yield await LanguageChoices.load(UserStore(db), Translator())
    finally:
        await db.close()


@pytest.fixture
def application(languages: LanguageChoices) -> BotApp:
    """An Application built like bot/app.py's (never started), with the two services the context reads."""
    app: BotApp = (
        ApplicationBuilder()
        .token("123456:TEST")
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .build()
    )
    app.bot_data.services = cast(Services, SimpleNamespace(texts=Translator(), languages=languages))
    return app


def _update(application: BotApp, *, user_id: int = 7, language_code: str | None = "en") -> Update:
    sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Dana"}
    if language_code is not None:
        sender["language_code"] = language_code
    message = {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": user_id, "type": "private"},
        "from": sender,
        "text": "/help",
    }
    update = Update.de_json({"update_id": 1, "message": message}, application.bot)
    assert update is not None
    return update


def _channel_post(application: BotApp) -> Update:
    post = {"message_id": 1, "date": 1_700_000_000, "chat": {"id": -100, "type": "channel"}, "text": "hi"}
    update = Update.de_json({"update_id": 2, "channel_post": post}, application.bot)
    assert update is not None
    return update


async def test_the_telegram_language_is_used_when_the_bot_speaks_it(application: BotApp) -> None:
    chinese = BotContext.from_update(_update(application, language_code="zh-hans"), application)
    german = BotContext.from_update(_update(application, language_code="de"), application)
    unknown = BotContext.from_update(_update(application, language_code=None), application)

    assert chinese.language == "zh"
    assert german.language == "en"
    assert unknown.language == "en"
    assert chinese.t("try-again-button") == "🔁 重试"
    assert german.t("try-again-button") == "🔁 Try again"


async def test_a_language_choice_wins_and_is_read_at_each_call(
    application: BotApp, languages: LanguageChoices
) -> None:
    context = BotContext.from_update(_update(application, user_id=8, language_code="en"), application)
    assert context.language == "en"

    await languages.choose(8, "zh")  # what /language does while the same update is being handled
    assert context.language == "zh"
    assert context.t("try-again-button") == "🔁 重试"

    await languages.choose(8, None)
    assert context.language == "en"


async def test_updates_without_a_sender_and_errors_without_an_update_get_english(
    application: BotApp, languages: LanguageChoices
) -> None:
    await languages.choose(-100, "zh")  # a choice stored under the channel's id must not apply
    assert BotContext.from_update(_channel_post(application), application).language == "en"
    assert BotContext.from_update(None, application).language == "en"
    assert BotContext.from_error(None, RuntimeError("boom"), application).language == "en"


async def test_the_error_handler_context_keeps_the_sender(application: BotApp) -> None:
    update = _update(application, language_code="zh-CN")
    context = BotContext.from_error(update, RuntimeError("boom"), application)
    assert context.language == "zh"
    assert context.error is not None


async def test_explain_renders_a_problem_in_the_sender_language_with_its_values_escaped(
    application: BotApp,
) -> None:
    context = BotContext.from_update(_update(application, language_code="zh"), application)
    problem = UserFacingError("file-not-image", kind="<script>")
    text = context.explain(problem)
    assert text == problem.text(Translator(), "zh")
    assert "&lt;script&gt;" in text
    assert "<script>" not in text
    assert text != problem.text(Translator(), "en")


async def test_services_before_post_init_is_a_clear_error(application: BotApp) -> None:
    application.bot_data.services = None
    context = BotContext.from_update(_update(application), application)
    with pytest.raises(RuntimeError, match="services are not started"):
        _ = context.language
