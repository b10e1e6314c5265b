"""Selling video credit for Telegram Stars: signed invoice payloads, checkout decisions, credit, refunds.

An invoice payload is `s1:<user>:<stars>:<cents>:<issued>:<mac>`, where mac is an HMAC-SHA256 (truncated to
16 bytes, base64url) of the rest under a key derived from the bot token: the bot can tell its own
payloads from forged or edited ones without storing them, and the token itself never leaves the bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Literal

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.constants import INVOICE_VALID_SECONDS
from bot.settings import Settings, StarsPack
from storage import PaymentStore
from storage.payments import Credited, RefundReady, RefundStart

logger = logging.getLogger(__name__)

STARS_CURRENCY = "XTR"
PAYLOAD_VERSION = "s1"
_MAC_BYTES = 16
_KEY_LABEL = b"veo-bot/stars-invoice-payload/v1"

CheckoutRefusal = Literal["off", "not_allowed", "forged", "not_yours", "stale", "changed"]


@dataclass(frozen=True)
class InvoicePayload:
    """What an invoice the bot issued says: who may pay, which pack, when it was issued."""

    user_id: int
    pack: StarsPack
    issued_at: int


def _signing_key(token: str) -> bytes:
    return hmac.new(token.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def encode_payload(token: str, payload: InvoicePayload) -> str:
    """The signed payload string (well under Telegram's 128 bytes)."""
    body = (
        f"{PAYLOAD_VERSION}:{payload.user_id}:{payload.pack.stars}:{payload.pack.cents}:{payload.issued_at}"
    )
    return f"{body}:{_mac(_signing_key(token), body)}"


def decode_payload(token: str, text: str) -> InvoicePayload | None:
    """The payload if the bot issued it unchanged, else None."""
    body, _, mac = text.rpartition(":")
    if not hmac.compare_digest(_mac(_signing_key(token), body), mac):
        return None
    parts = body.split(":")
    if len(parts) != 5 or parts[0] != PAYLOAD_VERSION:
        return None
    try:
        user_id, stars, cents, issued = (int(part) for part in parts[1:])
    except ValueError:
        return None
    return InvoicePayload(user_id=user_id, pack=StarsPack(stars, cents), issued_at=issued)


@dataclass(frozen=True)
class RefundOutcome:
    """What /refund did: the storage outcome, and whether Telegram refunded it now."""

    start: RefundStart
    refunded_now: bool = False
    telegram_error: str | None = None


class StarsShop:
    """The packs on sale and every money step of a Stars payment."""

    def __init__(self, *, settings: Settings, payments: PaymentStore) -> None:
        self._settings = settings
        self._payments = payments
        self._token = settings.telegram_bot_token.get_secret_value()

    @property
    def packs(self) -> tuple[StarsPack, ...]:
        """Packs on sale (empty when payments are off)."""
        return self._settings.stars_packs

    def pack(self, stars: int) -> StarsPack | None:
        """The pack of that many Stars, if it is on sale."""
        return next((pack for pack in self.packs if pack.stars == stars), None)

    def payload_for(self, user_id: int, pack: StarsPack) -> str:
        """A signed payload for an invoice to this user."""
        return encode_payload(self._token, InvoicePayload(user_id, pack, int(time.time())))

    def check_checkout(
        self, *, user_id: int, currency: str, total_amount: int, payload: str, allowed: bool
    ) -> CheckoutRefusal | None:
        """Why a pre-checkout query must be refused, or None to approve it."""
        if not self._settings.payments_enabled:
            return "off"
        if not allowed:
            return "not_allowed"
        decoded = decode_payload(self._token, payload)
        if decoded is None or currency != STARS_CURRENCY or total_amount != decoded.pack.stars:
            return "forged"
        if decoded.user_id != user_id:
            return "not_yours"
        if time.time() - decoded.issued_at > INVOICE_VALID_SECONDS:
            return "stale"
        if self.pack(decoded.pack.stars) != decoded.pack:
            return "changed"
        return None

    async def credit(
        self,
        *,
        user_id: int,
        charge_id: str,
        provider_charge_id: str | None,
        total_amount: int,
        payload: str,
    ) -> Credited:
        """Record a successful payment once; the credit is what the (approved) invoice promised."""
        decoded = decode_payload(self._token, payload)
        if decoded is None or decoded.pack.stars != total_amount:
            # Telegram took the Stars, so the payment is kept (with no credit) for an admin to /refund.
            logger.error("Payment %s by user %d has a payload the bot did not issue", charge_id, user_id)
            credit_cents = 0
        else:
            credit_cents = decoded.pack.cents
        credited = await self._payments.record_payment(
            charge_id=charge_id,
            user_id=user_id,
            stars=total_amount,
            credit_cents=credit_cents,
            payload=payload,
            provider_charge_id=provider_charge_id,
        )
        logger.info(
            "Payment %s: user=%d stars=%d credit=%d new=%s",
            charge_id,
            user_id,
            total_amount,
            credit_cents,
            credited.new,
        )
        return credited

    async def refund(self, bot: Bot, charge_id: str, *, actor_id: int) -> RefundOutcome:
        """Hold the purchase's credit, ask Telegram to refund the Stars, then settle it either way."""
        start = await self._payments.begin_refund(charge_id, actor_id=actor_id)
        if not isinstance(start, RefundReady):
            return RefundOutcome(start)
        payment = start.payment
        try:
            await bot.refund_star_payment(user_id=payment.user_id, telegram_payment_charge_id=charge_id)
        except BadRequest as err:
            if "CHARGE_ALREADY_REFUNDED" not in err.message:
                await self._payments.abort_refund(charge_id)
                logger.warning("Refund of %s refused by Telegram: %s", charge_id, err.message)
                return RefundOutcome(start, telegram_error=err.message)
        except TelegramError as err:
            # Telegram may or may not have refunded: the credit stays held and /refund can be repeated.
            logger.warning("Refund of %s not confirmed by Telegram: %s", charge_id, err)
            return RefundOutcome(start, telegram_error=str(err))
        done = await self._payments.complete_refund(charge_id)
        logger.info("Refund %s: user=%d stars=%d by admin %d", charge_id, done.user_id, done.stars, actor_id)
        return RefundOutcome(RefundReady(done), refunded_now=True)
