"""Admin commands: /grant adds credit for the current period, /stats shows jobs and spend."""

from __future__ import annotations

from telegram import Message, Update, User

from bot.context import BotContext
from bot.jobs.money import format_usd, parse_usd
from bot.video_options import is_ascii_number
from handlers.common import reply
from storage import collect_stats

#: SQLite stores integers as 64-bit signed numbers; a larger id cannot be a user.
MAX_USER_ID = 2**63 - 1


async def admin_asking(update: Update, context: BotContext) -> tuple[Message, User] | None:
    """The message and its sender when the sender is listed in ADMIN_USER_IDS; anyone else is told no."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return None
    if user is None or user.id not in context.services.settings.admin_user_ids:
        await reply(message, context.t("admin-only"))
        return None
    return message, user


async def grant_command(update: Update, context: BotContext) -> None:
    """`/grant <user_id> <usd>`: extra budget for this period, recorded in the ledger."""
    asking = await admin_asking(update, context)
    if asking is None:
        return
    message, user = asking
    args = context.args or []
    if args and is_ascii_number(args[0]) and int(args[0]) > MAX_USER_ID:
        await reply(message, context.t("grant-user-too-large", max=str(MAX_USER_ID)))
        return
    services = context.services
    try:
        if not is_ascii_number(args[0]):
            raise ValueError
        target = int(args[0])
        cents = parse_usd(args[1])
        if len(args) != 2 or target <= 0:
            raise ValueError
        await services.ledger.grant(
            target, cents, actor_id=user.id, period=services.settings.quota_period, note="/grant"
        )
    except (IndexError, ValueError, OverflowError):  # OverflowError: an amount SQLite cannot store
        await reply(message, context.t("grant-usage"))
        return
    usage = await services.ledger.usage(
        target, period=services.settings.quota_period, budget_cents=services.settings.user_budget_cents
    )
    await reply(
        message,
        context.t(
            "grant-done",
            amount=format_usd(cents),
            user=str(target),
            period=context.t(f"period-{services.settings.quota_period}"),
            left=format_usd(usage.left_cents),
        ),
    )


async def stats_command(update: Update, context: BotContext) -> None:
    """Jobs by state, clips and spend for today and the period, errors, queue."""
    asking = await admin_asking(update, context)
    if asking is None:
        return
    message, _ = asking
    services = context.services
    period_name = services.settings.quota_period
    stats = await collect_stats(services.db, period=period_name)
    period = context.t(f"period-{period_name}")
    lines = [
        context.t(
            "stats",
            period=period,
            today_jobs=str(sum(stats.jobs_today.values())),
            today_clips=str(stats.clips_delivered_today),
            today_spend=format_usd(stats.spent_today_cents),
            period_jobs=str(sum(stats.jobs_period.values())),
            period_clips=str(stats.clips_delivered_period),
            period_spend=format_usd(stats.spent_period_cents),
            active=str(stats.active_jobs),
            queued=str(services.runner.waiting_count),
        )
    ]
    states = ", ".join(f"{state}: {count}" for state, count in stats.jobs_period.items() if count)
    lines.append(context.t("stats-states", period=period, states=states or context.t("stats-none")))
    errors = ", ".join(f"{kind}: {count}" for kind, count in sorted(stats.errors_by_kind.items()))
    lines.append(context.t("stats-errors", period=period, errors=errors or context.t("stats-none")))
    for key, today, this_period in (
        ("stats-purchases", stats.purchases_today, stats.purchases_period),
        ("stats-refunds", stats.refunds_today, stats.refunds_period),
    ):
        lines.append(
            context.t(
                key,
                period=period,
                today_count=str(today.count),
                today_stars=str(today.stars),
                today_usd=format_usd(today.cents),
                period_count=str(this_period.count),
                period_stars=str(this_period.stars),
                period_usd=format_usd(this_period.cents),
            )
        )
    await reply(message, "\n".join(lines))
