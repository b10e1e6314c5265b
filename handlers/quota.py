"""/quota: free budget spent and left (and when it resets), paid credit, and what that still buys."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.gateway.catalog import MODELS
from bot.jobs.intake import format_reset
from bot.jobs.money import format_usd
from handlers.common import own_account_only, reply


@own_account_only
async def quota_command(update: Update, context: BotContext) -> None:
    """Show the user's budget for the current period."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    settings = services.settings
    usage = await services.ledger.usage(
        user.id, period=settings.quota_period, budget_cents=settings.user_budget_cents
    )
    period = context.t(f"period-{settings.quota_period}")
    if user.id in settings.admin_user_ids:
        await reply(message, context.t("quota-unlimited", period=period, spent=format_usd(usage.spent_cents)))
        return
    lines = [
        context.t(
            "quota",
            period=period,
            spent=format_usd(usage.spent_cents),
            reserved=format_usd(usage.reserved_cents),
            left=format_usd(usage.left_cents),
            budget=format_usd(usage.budget_cents + usage.granted_cents),
            resets=format_reset(usage.resets_at),
        )
    ]
    paid = await services.payments.credit(user.id)
    if settings.payments_enabled or paid.available_cents or paid.reserved_cents:
        lines.append(
            context.t(
                "quota-paid",
                paid=format_usd(paid.available_cents),
                reserved=format_usd(paid.reserved_cents),
            )
        )
    spendable = usage.left_cents + paid.available_cents
    affordable = [(spendable // spec.price_cents, spec.id) for spec in MODELS.values()]
    affordable = [(clips, model) for clips, model in affordable if clips > 0]
    if affordable:
        lines.append("")
        lines.append(context.t("quota-buys-header"))
        lines.extend(
            context.t("quota-buys-line", clips=str(clips), model=model) for clips, model in affordable
        )
    if settings.payments_enabled:
        lines.append(context.t("quota-buy-more"))
    await reply(message, "\n".join(lines))
