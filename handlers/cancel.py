"""/cancel: stop the user's jobs that have not been sent upstream yet, and refund them."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from handlers.common import own_account_only, reply


@own_account_only
async def cancel_command(update: Update, context: BotContext) -> None:
    """Cancel queued jobs (the gateway has no cancel, so jobs already generating run to the end)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    cancelled = await context.services.runner.cancel_queued(user.id)
    if cancelled:
        await reply(message, context.t("cancel-done", count=cancelled))
        return
    running = len(await context.services.jobs.active_jobs(user.id))
    await reply(message, context.t("cancel-nothing-running" if running else "cancel-nothing"))
