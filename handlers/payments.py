"""Telegram Stars: /buy and its invoices, pre-checkout, crediting, /paysupport, /terms, admin /refund."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Message, Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.jobs.money import format_usd
from bot.payments import STARS_CURRENCY, RefundOutcome
from bot.video_options import is_ascii_number
from handlers.access import is_allowed
from handlers.admin import admin_asking
from handlers.common import own_account_only, reply
from storage.payments import AlreadyRefunded, CreditSpent, RefundReady, UnknownCharge

logger = logging.getLogger(__name__)

BUY_CALLBACK_PREFIX = "buy:"


@own_account_only
async def buy_command(update: Update, context: BotContext) -> None:
    """Offer the Stars packs (private chats only)."""
    message = update.effective_message
    if message is None:
        return
    services = context.services
    if not services.settings.payments_enabled:
        await reply(message, context.t("buy-off"))
        return
    if message.chat.type != ChatType.PRIVATE:
        await reply(message, context.t("buy-private-only", bot=context.bot.username))
        return
    buttons = [
        [
            InlineKeyboardButton(
                context.t("buy-button", stars=str(pack.stars), credit=format_usd(pack.cents)),
                callback_data=f"{BUY_CALLBACK_PREFIX}{pack.stars}",
            )
        ]
        for pack in services.shop.packs
    ]
    await message.reply_text(context.t("buy-menu"), do_quote=True, reply_markup=InlineKeyboardMarkup(buttons))


async def buy_button(update: Update, context: BotContext) -> None:
    """A pack was chosen: send its invoice."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    services = context.services
    stars_text = query.data.removeprefix(BUY_CALLBACK_PREFIX)
    pack = services.shop.pack(int(stars_text)) if is_ascii_number(stars_text) else None
    if pack is None or not services.settings.payments_enabled:
        await query.answer(context.t("buy-pack-gone"), show_alert=True)
        return
    credit = format_usd(pack.cents)
    # A plain API request, because PTB's send_invoice adds the bot's default parse_mode, which sendInvoice
    # does not take. Method names are case-insensitive; the lower-case one keeps PTB from suggesting
    # send_invoice. No provider_token: Telegram Stars have no payment provider.
    await context.bot.do_api_request(
        "sendinvoice",
        api_kwargs={
            "chat_id": query.message.chat.id,
            "title": context.t("invoice-title", credit=credit)[:32],
            "description": context.t("invoice-description", credit=credit, stars=str(pack.stars))[:255],
            "payload": services.shop.payload_for(query.from_user.id, pack),
            "currency": STARS_CURRENCY,
            "prices": [LabeledPrice(context.t("invoice-label", credit=credit), pack.stars)],
        },
        return_type=Message,
    )
    await query.answer()


async def pre_checkout(update: Update, context: BotContext) -> None:
    """Approve only invoices the bot issued to this user, for a pack still on sale at that price."""
    query = update.pre_checkout_query
    if query is None:
        return
    services = context.services
    user_id = query.from_user.id
    refusal = services.shop.check_checkout(
        user_id=user_id,
        currency=query.currency,
        total_amount=query.total_amount,
        payload=query.invoice_payload,
        allowed=is_allowed(services.settings, user_id=user_id, chat_id=user_id),
    )
    if refusal is None:
        await query.answer(ok=True)
        return
    logger.info("Pre-checkout refused for user %d: %s", user_id, refusal)
    await query.answer(ok=False, error_message=context.t(f"checkout-refused-{refusal}"))


async def successful_payment(update: Update, context: BotContext) -> None:
    """Credit the payment (once per charge) and tell the buyer their new balance (once)."""
    message = update.effective_message
    if message is None or message.successful_payment is None or message.from_user is None:
        return
    paid = message.successful_payment
    services = context.services
    credited = await services.shop.credit(
        user_id=message.from_user.id,
        charge_id=paid.telegram_payment_charge_id,
        provider_charge_id=paid.provider_payment_charge_id,
        total_amount=paid.total_amount,
        payload=paid.invoice_payload,
    )
    # Claimed before sending, so the same update handled twice at once thanks the buyer once.
    if not await services.payments.mark_notified(paid.telegram_payment_charge_id):
        return
    key = "payment-credited" if credited.payment.credit_cents > 0 else "payment-not-credited"
    await reply(
        message,
        context.t(
            key,
            credit=format_usd(credited.payment.credit_cents),
            balance=format_usd(credited.balance_cents),
        ),
    )


async def paysupport_command(update: Update, context: BotContext) -> None:
    """How to get help with a payment (Telegram requires this for Stars)."""
    message = update.effective_message
    if message is None:
        return
    custom = context.services.settings.payment_support_text.strip()
    text = html.escape(custom) if custom else context.t("paysupport")
    await reply(message, text)


async def terms_command(update: Update, context: BotContext) -> None:
    """The terms of sale of video credit."""
    message = update.effective_message
    if message is None:
        return
    await reply(message, context.t("terms"))


async def refund_command(update: Update, context: BotContext) -> None:
    """`/refund <telegram_payment_charge_id>`: admins give the Stars back and remove that credit."""
    asking = await admin_asking(update, context)
    if asking is None:
        return
    message, user = asking
    args = context.args or []
    if len(args) != 1:
        await reply(message, context.t("refund-usage"))
        return
    outcome = await context.services.shop.refund(context.bot, args[0], actor_id=user.id)
    await reply(message, _describe_refund(context, args[0], outcome))


def _describe_refund(context: BotContext, charge_id: str, outcome: RefundOutcome) -> str:
    start = outcome.start
    charge = html.escape(charge_id)
    if isinstance(start, UnknownCharge):
        return context.t("refund-unknown", charge=charge)
    payment = start.payment
    details = {
        "charge": charge,
        "user": str(payment.user_id),
        "stars": str(payment.stars),
        "credit": format_usd(payment.credit_cents),
    }
    if isinstance(start, AlreadyRefunded):
        return context.t("refund-already", **details)
    if isinstance(start, CreditSpent):
        return context.t("refund-spent", left=format_usd(start.available_cents), **details)
    assert isinstance(start, RefundReady)
    if outcome.telegram_error is not None:
        return context.t("refund-failed", reason=html.escape(outcome.telegram_error), **details)
    return context.t("refund-done", **details)
