"""The error handler: log first, then tell the user something went wrong (never a traceback)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext

logger = logging.getLogger(__name__)


async def error_handler(update: object, context: BotContext) -> None:
    """Log the exception, tell the admins; answer the user briefly when there is a message to answer."""
    logger.error("Error while handling an update", exc_info=context.error)
    if context.bot_data.services is None:
        return
    await context.services.alerts.notify_unexpected(context.error, where="handling an update")
    if not isinstance(update, Update) or update.effective_message is None:
        return
    text = context.t("failure-internal")
    try:
        await update.effective_message.reply_text(text, do_quote=True)
    except TelegramError:
        logger.warning("Could not tell the user about the error")
