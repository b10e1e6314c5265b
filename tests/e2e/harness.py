"""Runs the real bot (a PTB Application built by bot.app) against the fake Bot API and fake gateway."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.logging_setup import configure_logging
from bot.pacing.window import TelegramLimits
from bot.settings import Settings

BOT_TOKEN = "123456:TEST-TOKEN-not-a-real-one"
# The e2e fake runs Telegram's flood clock 20 times faster (FloodLimits(time_scale=0.05)); so does the bot.
TELEGRAM_TIME_SCALE = 0.05
API_KEY = "sk-test-key-not-a-real-one"


def make_settings(tmp_path: Path, api_root: str, gateway_url: str, **overrides: Any) -> Settings:
    """Settings pointing at the fakes, with a fresh database and temp folder."""
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "telegram_api_url": api_root,
        "apiyi_api_key": API_KEY,
        "apiyi_base_url": gateway_url,
        "database_path": tmp_path / "bot.sqlite3",
        "temp_dir": tmp_path / "tmp",
        "heartbeat_file": tmp_path / "heartbeat",
        "poll_interval_seconds": 0.05,
        "user_budget_usd": "1.00",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Any]:
    """Start the Application the way run_polling does (post_init included) and stop it cleanly."""
    configure_logging(
        "INFO", [settings.telegram_bot_token.get_secret_value(), settings.apiyi_api_key.get_secret_value()]
    )
    application = build_application(settings, telegram_limits=TelegramLimits().scaled(TELEGRAM_TIME_SCALE))
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


def replying_to(message_id: int, chat_id: int | None = None) -> Callable[[Any], bool]:
    """Matches the bot's successful sendMessage quoting that message (in that chat, when given)."""

    def match(call: Any) -> bool:
        reply = call.params.get("reply_parameters") or {}
        if isinstance(reply, str):
            reply = json.loads(reply)
        in_chat = chat_id is None or call.params.get("chat_id") == chat_id
        return call.method == "sendMessage" and call.ok and in_chat and reply.get("message_id") == message_id

    return match
