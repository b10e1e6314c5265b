"""The fake's Telegram Stars methods follow the reference: XTR, one price, no provider, 10 s, one refund."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, LabeledPrice
from telegram.error import BadRequest

from tests.fakes.bot_api import FakeBotAPI, FloodLimits

TOKEN = "123456:TEST-TOKEN"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN, flood=FloodLimits.off(), clock=clock) as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as client:
        yield client


async def invoice(bot: Bot, chat_id: int, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "title": "Credit",
        "description": "Video credit",
        "payload": "p-1",
        "currency": "XTR",
        "prices": [LabeledPrice("Credit", 50)],
    }
    values.update(overrides)
    return await bot.send_invoice(**values)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),
        ({"provider_token": "284685063:TEST:abc"}, "PAYMENT_PROVIDER_INVALID"),
        ({"prices": [LabeledPrice("a", 20), LabeledPrice("b", 30)]}, "STARS_INVOICE_INVALID"),
        ({"prices": [LabeledPrice("a", 0)]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
        ({"payload": "x" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"payload": "é" * 65}, "INVOICE_PAYLOAD_INVALID"),  # 130 bytes
        ({"title": "t" * 33}, "INVOICE_TITLE_INVALID"),
    ],
)
async def test_invoices_that_are_not_plain_stars_invoices_are_refused(
    api: FakeBotAPI, bot: Bot, overrides: dict[str, Any], error: str
) -> None:
    chat = api.users.private_chat(user_id=42)
    with pytest.raises(BadRequest, match=error.capitalize()):
        await invoice(bot, chat.id, **overrides)
    assert api.payments.invoices(chat) == []


async def test_a_paid_invoice_becomes_a_successful_payment_refundable_once(api: FakeBotAPI, bot: Bot) -> None:
    chat = api.users.private_chat(user_id=42)
    sent = await invoice(bot, chat.id, payload="x" * 128)
    assert sent.invoice is not None and sent.invoice.total_amount == 50 and sent.invoice.currency == "XTR"
    query = api.payments.pay_invoice(chat, sent.message_id)
    assert query["invoice_payload"] == "x" * 128 and query["total_amount"] == 50
    with pytest.raises(RuntimeError):
        api.payments.complete(query["id"])  # not approved yet
    assert await bot.answer_pre_checkout_query(query["id"], ok=True)
    with pytest.raises(BadRequest):
        await bot.answer_pre_checkout_query(query["id"], ok=True)  # answered once
    update = api.payments.complete(query["id"])
    paid = update["message"]["successful_payment"]
    again = api.queue.redeliver(update)
    assert again["update_id"] > update["update_id"] and again["message"] == update["message"]
    charge = paid["telegram_payment_charge_id"]
    with pytest.raises(BadRequest, match="Charge_not_found"):
        await bot.refund_star_payment(43, charge)
    assert await bot.refund_star_payment(42, charge)
    with pytest.raises(BadRequest, match="Charge_already_refunded"):
        await bot.refund_star_payment(42, charge)
    assert api.payments.charge(charge).refunded


async def test_a_pre_checkout_answer_after_ten_seconds_is_too_late(
    api: FakeBotAPI, bot: Bot, clock: ManualClock
) -> None:
    chat = api.users.private_chat(user_id=42)
    assert chat.user is not None
    query = api.payments.checkout(chat.user, payload="p", total_amount=50)
    with pytest.raises(BadRequest):
        await bot.answer_pre_checkout_query(query["id"], ok=False)  # ok=False needs a reason
    clock.now += 10.5
    with pytest.raises(BadRequest, match="too old"):
        await bot.answer_pre_checkout_query(query["id"], ok=True)
    assert not api.payments.checkout_state(query["id"]).approved
