"""Admin commands: /grant adds credit for the current period, /stats shows jobs and spend."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.jobs.money import format_usd, parse_usd
from bot.video_options import is_ascii_number
from handlers.common import language_of, reply
from storage import collect_stats

#: SQLite stores integers as 64-bit signed numbers; a larger id cannot be a user.
MAX_USER_ID = 2**63 - 1


def is_admin(update: Update, context: BotContext) -> bool:
    """True when the sender is listed in ADMIN_USER_IDS."""
    user = update.effective_user
    return user is not None and user.id in context.services.settings.admin_user_ids


async def grant_command(update: Update, context: BotContext) -> None:
    """`/grant <user_id> <usd>`: extra budget for this period, recorded in the ledger."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = context.services
    language = language_of(update, context)
    texts = services.texts
    if not is_admin(update, context):
        await reply(message, texts(language, "admin-only"))
        return
    args = context.args or []
    if args and is_ascii_number(args[0]) and int(args[0]) > MAX_USER_ID:
        await reply(message, texts(language, "grant-user-too-large", max=str(MAX_USER_ID)))
        return
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
        await reply(message, texts(language, "grant-usage"))
        return
    usage = await services.ledger.usage(
        target, period=services.settings.quota_period, budget_cents=services.settings.user_budget_cents
    )
    await reply(
        message,
        texts(
            language,
            "grant-done",
            amount=format_usd(cents),
            user=str(target),
            period=texts(language, f"period-{services.settings.quota_period}"),
            left=format_usd(usage.left_cents),
        ),
    )


async def stats_command(update: Update, context: BotContext) -> None:
    """Jobs by state, clips and spend for today and the period, errors, queue."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    language = language_of(update, context)
    texts = services.texts
    if not is_admin(update, context):
        await reply(message, texts(language, "admin-only"))
        return
    period_name = services.settings.quota_period
    stats = await collect_stats(services.db, period=period_name)
    period = texts(language, f"period-{period_name}")
    lines = [
        texts(
            language,
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
    lines.append(
        texts(language, "stats-states", period=period, states=states or texts(language, "stats-none"))
    )
    errors = ", ".join(f"{kind}: {count}" for kind, count in sorted(stats.errors_by_kind.items()))
    lines.append(
        texts(language, "stats-errors", period=period, errors=errors or texts(language, "stats-none"))
    )
    for key, today, this_period in (
        ("stats-purchases", stats.purchases_today, stats.purchases_period),
        ("stats-refunds", stats.refunds_today, stats.refunds_period),
    ):
        lines.append(
            texts(
                language,
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
