"""Wiring: builds the PTB Application, creates services on start-up and closes them on shutdown."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)

import handlers
from bot.constants import BOOTSTRAP_RETRIES, SHUTDOWN_GRACE_SECONDS
from bot.context import BotContext, BotData
from bot.i18n import SUPPORTED_LANGUAGES, Translator
from bot.logging_setup import configure_logging
from bot.pacing.pacer import TelegramPacer
from bot.pacing.window import TelegramLimits
from bot.services import Services
from bot.settings import Settings
from bot.webhook import WebhookUpdater
from storage import Database

logger = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]
COMMANDS = ("video", "extend", "settings", "models", "quota", "buy", "history", "cancel", "language", "help")
# Shown, after the others, only in the admins' private chats (BotCommandScopeChat).
ADMIN_COMMANDS = ("grant", "stats")
# setMyDescription and setMyShortDescription accept at most this many characters.
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120


def build_application(settings: Settings, *, telegram_limits: TelegramLimits | None = None) -> BotApplication:
    """Build the Application for these settings (nothing is contacted until it starts).

    `telegram_limits` replaces Telegram's flood limits (tests whose fake runs Telegram's clock faster).
    """
    token = settings.telegram_bot_token.get_secret_value()
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .context_types(context_types)
        .defaults(Defaults(parse_mode="HTML", allow_sending_without_reply=True))
        # Every call to Telegram is paced by this one component, per chat and bot-wide (bot/pacing).
        .rate_limiter(TelegramPacer(telegram_limits))
        # Updates are handled concurrently: one user's photo download never holds up another's command.
        .concurrent_updates(True)
        .connection_pool_size(64)
        .media_write_timeout(120)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.settings = settings
    handlers.register(application)
    return application


async def _post_init(application: BotApplication) -> None:
    """Create the services, publish the command menu and resume unfinished jobs."""
    data: BotData = application.bot_data
    assert data.settings is not None, "build_application stores the settings"
    services = await Services.create(application.bot, data.settings)
    data.services = services
    await _set_commands(application, services.texts, data.settings.admin_user_ids)
    await _set_descriptions(application, services.texts)
    await services.runner.resume()
    await services.metrics.start()
    # Alive while the update loop (polling or webhook) runs; the event loop itself writes the file.
    services.heartbeat.start(alive=lambda: application.updater is not None and application.updater.running)
    logger.info("Bot @%s is up", application.bot.username)


async def _post_stop(application: BotApplication) -> None:
    """Stop taking new work, leave long jobs in the ledger for the next start, write the last status edits."""
    data: BotData = application.bot_data
    if data.services is not None:
        await data.services.heartbeat.stop()
        # Stitches still being sent get the same grace as the jobs, at the same time.
        await asyncio.gather(
            data.services.runner.shutdown(grace_seconds=SHUTDOWN_GRACE_SECONDS),
            data.services.followups.stop(grace_seconds=SHUTDOWN_GRACE_SECONDS),
        )
        # Final status texts are written while the bot can still reach Telegram (application.shutdown()
        # closes the bot's connection right after this).
        await data.services.board.stop()


async def _post_shutdown(application: BotApplication) -> None:
    """Log the last metrics summary, then close connections and the database."""
    data: BotData = application.bot_data
    if data.services is not None:
        await data.services.metrics.stop()
        await data.services.close()
        data.services = None


async def _set_commands(application: BotApplication, texts: Translator, admins: frozenset[int]) -> None:
    for language in SUPPORTED_LANGUAGES:
        commands = [BotCommand(name, texts(language, f"command-{name}")[:256]) for name in COMMANDS]
        code = None if language == "en" else language
        await application.bot.set_my_commands(commands, language_code=code)
        admin_menu = commands + [
            BotCommand(name, texts(language, f"command-{name}")[:256]) for name in ADMIN_COMMANDS
        ]
        for admin in sorted(admins):
            try:
                await application.bot.set_my_commands(
                    admin_menu, scope=BotCommandScopeChat(admin), language_code=code
                )
            except TelegramError as err:
                # Telegram knows an admin's private chat only after they started the bot.
                logger.warning("Could not set the admin command menu for %d: %s", admin, err)


async def _set_descriptions(application: BotApplication, texts: Translator) -> None:
    """The profile texts per language (English is the default for the others), within Telegram's limits."""
    for language in SUPPORTED_LANGUAGES:
        code = None if language == "en" else language
        description = texts(language, "bot-description")[:MAX_DESCRIPTION]
        await application.bot.set_my_description(description, language_code=code)
        short = texts(language, "bot-short-description")[:MAX_SHORT_DESCRIPTION]
        await application.bot.set_my_short_description(short, language_code=code)


def run_bot(settings: Settings) -> None:
    """Configure logging and run until SIGINT/SIGTERM, by long polling or a webhook."""
    secrets = [settings.telegram_bot_token.get_secret_value(), settings.apiyi_api_key.get_secret_value()]
    secrets.append(settings.webhook_secret_token.get_secret_value())
    configure_logging(settings.log_level, secrets)
    for name, folder in (("DATABASE_PATH", settings.database_path.parent), ("TEMP_DIR", settings.temp_dir)):
        try:
            _try_folder(folder)
        except OSError as err:
            logger.error("Cannot start: %s folder %s is not usable: %s", name, folder, err.strerror or err)
            raise SystemExit(1) from None
    application = build_application(settings)
    if settings.webhook_url:
        logger.info("Starting in webhook mode on %s:%d", settings.webhook_listen, settings.webhook_port)
        secret = settings.webhook_secret_token.get_secret_value() or None
        if secret is None:
            logger.warning("WEBHOOK_SECRET_TOKEN is empty: anyone who knows the webhook URL can post updates")
        # PTB's own server reads 100 MB bodies before checking the secret (bot/webhook.py).
        application.updater = WebhookUpdater(application.bot, application.update_queue)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            bootstrap_retries=BOOTSTRAP_RETRIES,
        )
    else:
        logger.info("Starting with long polling")
        application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=BOOTSTRAP_RETRIES)


async def check_setup(settings: Settings) -> int:
    """Open (and migrate) the database and write in the temp folder; print one line; 0 when ready."""
    try:
        database = await Database.open(settings.database_path)
        await database.close()
    except Exception as err:
        print(f"Not ready: DATABASE_PATH {settings.database_path}: {type(err).__name__}: {err}")
        return 1
    try:
        await asyncio.to_thread(_try_folder, settings.temp_dir)
    except OSError as err:
        print(f"Not ready: TEMP_DIR {settings.temp_dir}: {type(err).__name__}: {err}")
        return 1
    print(f"Settings OK; database ready at {settings.database_path}")
    return 0


def _try_folder(folder: Path) -> None:
    """Create the folder if needed and write (and remove) a file in it."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
