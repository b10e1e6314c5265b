"""Telegram Stars end to end: buy, credited once, spend, failures give back, checkout refusals, refunds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any

from bot.payments import InvoicePayload, encode_payload
from bot.settings import StarsPack
from storage.history import delivered_videos
from tests.e2e.bot_process import until
from tests.e2e.harness import BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI, FakeChat

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
ADMIN = 9001
PAY_ONLY = {"STARS_PACKS": "50:0.50,250:3.00", "user_budget_usd": "0", "ADMIN_USER_IDS": str(ADMIN)}


@contextmanager
def payment_log() -> Iterator[list[str]]:
    """Lines the bot logs about payments (`Payment <charge>: ... new=...`)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    logger = logging.getLogger("bot.payments")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def sent_text(part: str, chat_id: int) -> Callable[[Any], bool]:
    return lambda call: (
        call.method == "sendMessage"
        and call.ok
        and call.params.get("chat_id") == chat_id
        and part in call.params["text"]
    )


async def buy(api: FakeBotAPI, chat: FakeChat, stars: int) -> dict[str, Any]:
    """/buy, choose the pack, pay the invoice; returns the successful_payment update."""
    start = len(api.calls)
    menu_message = api.users.send_text(chat, None, "/buy")
    menu = await api.calls.wait_for(
        lambda call: call.method == "sendMessage" and call.ok and "reply_markup" in call.params, start=start
    )
    assert menu.params["reply_parameters"]["message_id"] == menu_message["message_id"]
    api.users.press_button(chat, None, menu.result["message_id"], f"buy:{stars}")
    invoice_call = await api.calls.wait_for(
        lambda call: call.method == "sendInvoice" and call.ok, start=start
    )
    assert invoice_call.params["currency"] == "XTR" and invoice_call.params.get("provider_token", "") == ""
    assert [price["amount"] for price in invoice_call.params["prices"]] == [stars]
    assert BOT_TOKEN.split(":")[1] not in invoice_call.params["payload"]
    query = api.payments.pay_invoice(chat, invoice_call.result["message_id"])
    await api.calls.wait_for(lambda call: call.method == "answerPreCheckoutQuery", start=start)
    assert api.payments.checkout_state(query["id"]).approved
    return api.payments.complete(query["id"])


async def test_buy_is_credited_once_spent_given_back_on_failure(
    api: FakeBotAPI, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=6001)
    async with bot_with(**PAY_ONLY) as app:
        payments = app.bot_data.services.payments
        api.users.send_text(chat, None, "/video a fox in snow")  # pay-only and nothing bought yet
        refused = await api.calls.wait_for(sent_text("This video costs $0.15", chat.id))
        assert "/buy adds credit" in refused.params["text"]
        with payment_log() as log:
            update = await buy(api, chat, 50)
            thanks = await api.calls.wait_for(sent_text("Thank you", chat.id))
            assert "$0.50" in thanks.params["text"]
            api.queue.redeliver(update)  # the same payment update again
            await until(lambda: sum("new=False" in line for line in log) == 1, timeout=10)
        assert (await payments.credit(6001)).available_cents == 50
        assert (
            len(
                [
                    call
                    for call in api.calls.to("sendMessage")
                    if call.ok and "Thank you" in call.params["text"]
                ]
            )
            == 1
        )

        start = len(api.calls)
        api.users.send_text(chat, None, "/video a fox in snow")
        await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, start=start)
        await until(lambda: len(api.state.videos_sent(chat)) == 1)
        await _settled(payments, 6001, 35)

        start = len(api.calls)
        api.users.send_text(chat, None, "/video a famous actor on stage #policy")
        await api.calls.wait_for(
            lambda call: call.method == "editMessageText" and "Nothing was charged" in call.params["text"],
            start=start,
        )
        await _settled(payments, 6001, 35)  # the failed job's 15 cents came back to paid credit

        start = len(api.calls)
        api.users.send_text(chat, None, "/quota")
        quota = await api.calls.wait_for(sent_text("Paid credit", chat.id), start=start)
        assert "$0.35" in quota.params["text"] and "/buy" in quota.params["text"]


async def _settled(payments: Any, user_id: int, cents: int) -> None:
    async def check() -> bool:
        credit = await payments.credit(user_id)
        return bool(credit.available_cents == cents and credit.reserved_cents == 0)

    deadline = time.monotonic() + 15
    while not await check():
        assert time.monotonic() < deadline, await payments.credit(user_id)
        await asyncio.sleep(0.05)


async def test_forged_stale_and_foreign_payloads_are_refused_at_checkout(
    api: FakeBotAPI, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=6002)
    user = chat.user
    assert user is not None
    now = int(time.time())
    good = encode_payload(BOT_TOKEN, InvoicePayload(6002, StarsPack(50, 50), now))
    cases = {
        "forged": (good.replace(":50:50:", ":50:500:"), 50),  # credit edited, signature kept
        "not issued": (encode_payload("999:OTHER-BOT", InvoicePayload(6002, StarsPack(50, 50), now)), 50),
        "amount": (good, 49),
        "someone else's": (encode_payload(BOT_TOKEN, InvoicePayload(7777, StarsPack(50, 50), now)), 50),
        "old price": (encode_payload(BOT_TOKEN, InvoicePayload(6002, StarsPack(50, 40), now)), 50),
        "expired": (encode_payload(BOT_TOKEN, InvoicePayload(6002, StarsPack(50, 50), now - 2 * 86400)), 50),
    }
    async with bot_with(**PAY_ONLY):
        queries = {
            name: api.payments.checkout(user, payload=payload, total_amount=amount)["id"]
            for name, (payload, amount) in cases.items()
        }
        accepted = api.payments.checkout(user, payload=good, total_amount=50)["id"]
        await until(
            lambda: all(
                api.payments.checkout_state(q).answer is not None for q in [*queries.values(), accepted]
            )
        )
    for name, query_id in queries.items():
        answer = api.payments.checkout_state(query_id).answer
        assert answer is not None and answer["ok"] is False and answer["error_message"], name
    assert "/buy" in (api.payments.checkout_state(queries["expired"]).answer or {})["error_message"]
    assert api.payments.checkout_state(accepted).approved


async def test_checkout_is_refused_when_payments_are_off_or_the_user_is_not_allowed(
    api: FakeBotAPI, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=6003)
    assert chat.user is not None
    payload = encode_payload(BOT_TOKEN, InvoicePayload(6003, StarsPack(50, 50), int(time.time())))
    async with bot_with(ALLOWED_USER_IDS="1"):
        off = api.payments.checkout(chat.user, payload=payload, total_amount=50)["id"]
        await until(lambda: api.payments.checkout_state(off).answer is not None)
    async with bot_with(STARS_PACKS="50:0.50", ALLOWED_USER_IDS="1"):
        start = len(api.calls)
        denied = api.payments.checkout(chat.user, payload=payload, total_amount=50)["id"]
        await until(lambda: api.payments.checkout_state(denied).answer is not None)
        assert not [call for call in api.calls[start:] if call.method == "sendMessage"]
    for query_id in (off, denied):
        assert (api.payments.checkout_state(query_id).answer or {})["ok"] is False


async def test_refund_removes_the_credit_once_and_only_while_unspent(
    api: FakeBotAPI, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=6004)
    admin = api.users.private_chat(user_id=ADMIN, first_name="Admin")
    async with bot_with(**PAY_ONLY) as app:
        payments = app.bot_data.services.payments
        small = (await buy(api, chat, 50))["message"]["successful_payment"]["telegram_payment_charge_id"]
        await api.calls.wait_for(sent_text("Thank you", chat.id))
        large = (await buy(api, chat, 250))["message"]["successful_payment"]["telegram_payment_charge_id"]
        await until(
            lambda: (
                len([c for c in api.calls.to("sendMessage") if c.ok and "Thank you" in c.params["text"]]) == 2
            )
        )
        assert (await payments.credit(6004)).available_cents == 350

        start = len(api.calls)
        api.users.send_text(chat, None, "/refund " + large)
        await api.calls.wait_for(sent_text("for the bot's admins", chat.id), start=start)

        api.users.send_text(admin, None, "/refund " + large)
        done = await api.calls.wait_for(sent_text("Refunded 250 Stars", ADMIN), start=start)
        assert "$3.00" in done.params["text"]
        assert api.payments.charge(large).refunded
        assert (await payments.credit(6004)).available_cents == 50

        start = len(api.calls)
        api.users.send_text(admin, None, "/refund " + large)
        await api.calls.wait_for(sent_text("already refunded", ADMIN), start=start)
        assert not [c for c in api.calls[start:] if c.method == "refundStarPayment"]

        api.users.send_text(chat, None, "/video a fox in snow")
        await until(lambda: len(api.state.videos_sent(chat)) == 1)
        await _settled(payments, 6004, 35)
        start = len(api.calls)
        api.users.send_text(admin, None, "/refund " + small)
        await api.calls.wait_for(sent_text("cannot be refunded", ADMIN), start=start)
        assert not api.payments.charge(small).refunded
        assert (await payments.credit(6004)).available_cents == 35

        start = len(api.calls)
        api.users.send_text(admin, None, "/stats")
        stats = await api.calls.wait_for(sent_text("Purchases", ADMIN), start=start)
        assert "today 2 (300 Stars, $3.50)" in stats.params["text"]
        assert "Refunds: today 1 (250 Stars, $3.00)" in stats.params["text"]


async def test_history_lists_videos_and_sends_one_again_by_file_id(
    api: FakeBotAPI, bot_with: BotStarter
) -> None:
    chat = api.users.private_chat(user_id=6005)
    async with bot_with() as app:
        api.users.send_text(chat, None, "/history")
        await api.calls.wait_for(sent_text("no delivered videos", chat.id))
        api.users.send_text(chat, None, "/video a lighthouse at dusk")
        await until(lambda: len(api.state.videos_sent(chat)) == 1)
        db = app.bot_data.services.db
        deadline = time.monotonic() + 20
        while not await delivered_videos(db, 6005):  # recorded just after the upload
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        [first] = api.state.videos_sent(chat)
        start = len(api.calls)
        api.users.send_text(chat, None, "/history")
        listing = await api.calls.wait_for(sent_text("Your last 1 videos", chat.id), start=start)
        assert "a lighthouse at dusk" in listing.params["text"]
        message = api.state.message(chat, listing.result["message_id"])
        [button] = message.callback_data
        api.users.press_button(chat, None, message.message_id, button)
        again = await api.calls.wait_for(lambda call: call.method == "sendVideo" and call.ok, start=start)
    assert first.file is not None and again.params["video"] == first.file.file_id
    assert not again.uploads  # sent by file id: nothing uploaded
    assert len(api.state.videos_sent(chat)) == 2
