"""Webhook mode: the real bot process registers its webhook, answers updates, and refuses forged ones."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.e2e.bot_process import BotProcess, bot_environment, free_port
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.bot_api.methods import SECRET_HEADER
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


def webhook_environment(tmp_path: Path, api: FakeBotAPI, gateway: FakeGateway, port: int) -> dict[str, str]:
    """The bot's environment for webhook mode on 127.0.0.1:port with SECRET."""
    return bot_environment(
        tmp_path,
        api,
        gateway,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET_TOKEN=SECRET,
    )


async def test_webhook_mode_answers_help_and_rejects_requests_without_the_secret(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    port = free_port()
    env = webhook_environment(tmp_path, api, gateway, port)
    chat = api.users.private_chat(user_id=6001)
    bot = await BotProcess.start(tmp_path, env, "webhook.log")
    try:
        registered = await api.calls.wait_for(
            lambda call: call.method == "setWebhook" and call.ok, timeout=30
        )
        assert registered.params["url"] == f"http://127.0.0.1:{port}/telegram"
        assert registered.params["secret_token"] == SECRET
        await bot.wait_for_log("is up")

        message = api.users.send_text(chat, None, "/help")
        reply = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=15)
        assert "/video" in reply.params["text"]

        webhook = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient(timeout=10) as client:
            # Each forged request gets its answer (the bot reads a small refused body before closing, so
            # the connection is not reset under the sender).
            for attempt in range(10):
                missing = await client.post(webhook, json=forged_help_update(900001 + attempt))
                wrong = await client.post(
                    webhook, json=forged_help_update(900101 + attempt), headers={SECRET_HEADER: "guess"}
                )
                elsewhere = await client.post(
                    f"http://127.0.0.1:{port}/", json=forged_help_update(900201 + attempt)
                )
                assert (missing.status_code, wrong.status_code, elsewhere.status_code) == (403, 403, 404)

        # Telegram's own deliveries still work afterwards, and the forged updates were never handled.
        later = api.users.send_text(chat, None, "/start")
        await api.calls.wait_for(replying_to(later["message_id"], chat.id), timeout=15)
        code, _ = await bot.terminate(signal.SIGTERM)
    finally:
        await bot.kill()

    assert code == 0, bot.log()[-3000:]
    assert api.calls.to("getUpdates") == []
    assert not [call for call in api.calls if call.params.get("chat_id") == FORGER_ID]
    log = bot.log()
    assert "Starting in webhook mode" in log and "Traceback" not in log
    assert SECRET not in log and api.token not in log


def peak_resident_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM) in KB: a body read and freed still shows."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM line")


async def zeros(total: int, chunk: int = 1024 * 1024) -> AsyncIterator[bytes]:
    """A streamed body of `total` bytes, so the test itself never holds it."""
    block = b"0" * chunk
    sent = 0
    while sent < total:
        yield block[: min(chunk, total - sent)]
        sent += chunk


async def status_of_a_head_only_post(port: int, *, length: int | None, sent: int = 1024) -> int:
    """Post with the secret a head announcing `length` bytes (None: chunked), send `sent`; the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    head = (
        f"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{SECRET_HEADER}: {SECRET}\r\n{framing}\r\n\r\n"
    )
    if length is not None:
        body = b" " * sent
    else:
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        body = chunk * (sent // 0x10000)
    writer.write(head.encode() + body)
    with contextlib.suppress(ConnectionError):  # the bot may close before it has all of it
        await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    return int(status_line.split()[1])


async def listening(url: str) -> None:
    """Wait until the webhook server accepts connections (it listens after post_init)."""
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(200):
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never listened")


async def test_webhook_refuses_big_and_malformed_bodies_cheaply_and_still_handles_updates(
    api: FakeBotAPI, gateway: FakeGateway, tmp_path: Path
) -> None:
    port = free_port()
    env = webhook_environment(tmp_path, api, gateway, port)
    chat = api.users.private_chat(user_id=6002)
    bot = await BotProcess.start(tmp_path, env, "webhook.log")
    webhook = f"http://127.0.0.1:{port}/telegram"
    big = 95 * 1024 * 1024
    try:
        await bot.wait_for_log("is up")
        await listening(webhook)
        before = peak_resident_kb(bot.process.pid)
        async with httpx.AsyncClient(timeout=30) as client:
            statuses = []
            for _ in range(4):
                # The bot answers on the headers and closes the connection; the rest is never read.
                try:
                    refused = await client.post(
                        webhook, content=zeros(big), headers={"Content-Length": str(big)}
                    )
                    statuses.append(refused.status_code)
                except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
                    statuses.append(0)
            # 403, or the connection closed under the client while it was still sending (0).
            assert set(statuses) <= {403, 0}, statuses
            secret = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
            malformed = await client.post(webhook, content=b'{"update_id": 5, "message": ', headers=secret)
            not_utf8 = await client.post(
                webhook, content=b'{"update_id": 6, "x": "\xff\xfe"}', headers=secret
            )
            not_object = await client.post(webhook, content=b"[1, 2]", headers=secret)
        oversized = await status_of_a_head_only_post(port, length=2 * 1024 * 1024)
        chunked = await status_of_a_head_only_post(port, length=None, sent=3 * 1024 * 1024)
        after = peak_resident_kb(bot.process.pid)
        assert after - before < 8 * 1024, (before, after)
        assert (oversized, chunked) == (413, 413)
        assert (malformed.status_code, not_utf8.status_code, not_object.status_code) == (400, 400, 400)

        # Telegram's own deliveries still work afterwards.
        message = api.users.send_text(chat, None, "/help")
        reply = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=15)
        assert "/video" in reply.params["text"]
        code, _ = await bot.terminate(signal.SIGTERM)
    finally:
        await bot.kill()

    assert code == 0, bot.log()[-3000:]
    log = bot.log()
    assert log.count("Webhook refused a malformed update") == 3, log[-3000:]
    assert "Traceback" not in log and "\\xff" not in log and "update_id" not in log
    assert SECRET not in log
