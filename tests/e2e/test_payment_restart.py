"""The real bot process is SIGKILLed after a Stars payment arrived but before it answered: credited once."""

from __future__ import annotations

import signal
from pathlib import Path

from storage import Database, PaymentStore
from tests.e2e.bot_process import BotProcess, bot_environment
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway

BUYER = 5101


async def payments_in(database_path: Path) -> tuple[int, int]:
    """(payments recorded, the buyer's paid credit in cents), read from the database file."""
    db = await Database.open(database_path)
    try:
        async with db.snapshot() as conn, conn.execute("SELECT COUNT(*) FROM star_payments") as cursor:
            row = await cursor.fetchone()
        credit = await PaymentStore(db).credit(BUYER)
    finally:
        await db.close()
    return (int(row[0]) if row else 0), credit.available_cents


async def test_sigkill_between_payment_and_answer_credits_exactly_once(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    env = bot_environment(tmp_path, api, gateway, STARS_PACKS="50:0.50", USER_BUDGET_USD="0")
    database = tmp_path / "bot.sqlite3"
    chat = api.users.private_chat(user_id=BUYER)

    first = await BotProcess.start(tmp_path, env, "first.log")
    try:
        await api.calls.wait_for("getUpdates", timeout=60)
        api.users.send_text(chat, None, "/buy")
        menu = await api.calls.wait_for(lambda call: call.method == "sendMessage" and call.ok, timeout=30)
        api.users.press_button(chat, None, menu.result["message_id"], "buy:50")
        sent = await api.calls.wait_for(lambda call: call.method == "sendInvoice" and call.ok, timeout=30)
        query = api.payments.pay_invoice(chat, sent.result["message_id"])
        await api.calls.wait_for("answerPreCheckoutQuery", timeout=30)
        # The bot's answer to the payment hangs, so the kill lands after the payment reached the bot.
        api.faults.inject_delay("sendMessage", 120, count=1)
        update = api.payments.complete(query["id"])
        await first.wait_for_log("Payment stx", timeout=30)  # logged after the credit was committed
    finally:
        code, _ = await first.terminate(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert await payments_in(database) == (1, 50)
    assert not [m for m in api.state.bot_messages_in(chat) if m.text and "Thank you" in m.text]

    api.faults.clear()
    second = await BotProcess.start(tmp_path, env, "second.log")
    try:
        await api.calls.wait_for("getUpdates", timeout=60, start=len(api.calls))
        api.queue.redeliver(update)  # Telegram sends the payment again: the bot never confirmed it
        await second.wait_for_log("new=False", timeout=30)
    finally:
        code, _ = await second.terminate(signal.SIGTERM)
    assert code == 0
    assert await payments_in(database) == (1, 50)
    assert "new=True" not in second.log()
