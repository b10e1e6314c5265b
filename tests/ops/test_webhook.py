"""Webhook mode: the real bot process registers its webhook, answers updates, and refuses forged ones."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.e2e.bot_process import BotProcess, bot_environment, free_port
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api_webhook import SECRET_HEADER
from tests.fakes.gateway import FakeGateway

SECRET = "webhook-secret_0123456789"
FORGER_ID = 7777


def forged_help_update(update_id: int) -> dict[str, object]:
    """A well-formed /help update from someone who is not Telegram."""
    sender = {"id": FORGER_ID, "is_bot": False, "first_name": "Mallory"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": FORGER_ID, "type": "private", "first_name": "Mallory"},
            "from": sender,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }


async def test_webhook_mode_answers_help_and_rejects_requests_without_the_secret(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_environment(
        tmp_path,
        api,
        gateway,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET_TOKEN=SECRET,
    )
    chat = api.private_chat(user_id=6001)
    bot = await BotProcess.start(tmp_path, env, "webhook.log")
    try:
        registered = await api.wait_for(lambda call: call.method == "setWebhook" and call.ok, timeout=30)
        assert registered.params["url"] == f"http://127.0.0.1:{port}/telegram"
        assert registered.params["secret_token"] == SECRET
        await bot.wait_for_log("is up")

        message = api.send_text(chat, None, "/help")
        reply = await api.wait_for(replying_to(message["message_id"], chat.id), timeout=15)
        assert "/video" in reply.params["text"]

        webhook = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient(timeout=10) as client:
            missing = await client.post(webhook, json=forged_help_update(900001))
            wrong = await client.post(
                webhook, json=forged_help_update(900002), headers={SECRET_HEADER: "guess"}
            )
            elsewhere = await client.post(f"http://127.0.0.1:{port}/", json=forged_help_update(900003))
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert elsewhere.status_code == 404

        # Telegram's own deliveries still work afterwards, and the forged updates were never handled.
        later = api.send_text(chat, None, "/start")
        await api.wait_for(replying_to(later["message_id"], chat.id), timeout=15)
        code, _ = await bot.terminate(signal.SIGTERM)
    finally:
        await bot.kill()

    assert code == 0, bot.log()[-3000:]
    assert api.calls_to("getUpdates") == []
    assert not [call for call in api.calls if call.params.get("chat_id") == FORGER_ID]
    log = bot.log()
    assert "Starting in webhook mode" in log and "Traceback" not in log
    assert SECRET not in log and api.token not in log
