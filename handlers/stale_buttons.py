"""Buttons no other handler knows (forged or stale data): say so and stop the spinner."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from handlers.common import answer_alert


async def unknown_button(update: Update, context: BotContext) -> None:
    """Answer every callback query nobody else took, so the user's button never keeps spinning."""
    query = update.callback_query
    if query is None:
        return
    await answer_alert(query, context.t("button-unknown"))
