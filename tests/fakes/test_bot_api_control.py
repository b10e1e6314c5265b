"""What users do (control.py), seen by a real PTB Application; the fake as a process with its control API."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI
from tests.fakes.media import make_image

TOKEN = DEFAULT_TOKEN
REPO = Path(__file__).resolve().parents[2]
BUTTONS = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])


def build_app(api: FakeBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    return Application.builder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url).build()


async def start_polling(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)


async def stop_polling(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_application_command_handler_gets_updates(api: FakeBotAPI) -> None:
    chat = api.users.private_chat(first_name="Ann")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        await update.effective_message.reply_text(f"Hello {update.effective_user.first_name}: {context.args}")

    app = build_app(api)
    app.add_handler(CommandHandler("start", start))
    await start_polling(app)
    try:
        api.users.send_text(chat, None, "/start@veo_test_bot now")
        reply = await api.calls.wait_for(lambda call: call.method == "sendMessage" and call.ok, timeout=5)
    finally:
        await stop_polling(app)
    assert reply.params["text"] == "Hello Ann: ['now']"
    assert api.queue.pending_count == 0  # PTB confirmed the update through the offset


async def test_photos_and_callback_queries_reach_handlers(api: FakeBotAPI) -> None:
    chat = api.users.private_chat()
    photos: list[bytes] = []

    async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        file = await update.effective_message.photo[-1].get_file()
        photos.append(bytes(await file.download_as_bytearray()))
        await update.effective_message.reply_text("Got it", reply_markup=BUTTONS)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Starting again")
        await query.edit_message_text("Restarted")

    app = build_app(api)
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(CallbackQueryHandler(on_button))
    images = [make_image(color=(10, 20, 30)), make_image(color=(200, 100, 0))]
    await start_polling(app)
    try:
        for image in images:
            api.users.send_photo(chat, None, image, media_group_id="album-1")
        first = await api.calls.wait_for(lambda c: c.method == "sendMessage" and c.ok, timeout=5)
        reply = await api.calls.wait_for(
            lambda c: c.method == "sendMessage" and c.ok, timeout=5, start=first.index + 1
        )
        with pytest.raises(LookupError, match=r"(?i)no button"):
            api.users.press_button(chat, None, reply.result["message_id"], "missing")
        query = api.users.press_button(chat, None, reply.result["message_id"], "again")
        await api.calls.wait_for("editMessageText", timeout=5)
    finally:
        await stop_polling(app)
    assert sorted(photos) == sorted(images)
    assert api.state.callback_answer(query["id"]) is not None
    assert api.state.callback_answer(query["id"])["text"] == "Starting again"  # type: ignore[index]
    edited = api.state.message(chat, reply.result["message_id"])
    assert edited is not None and edited.text == "Restarted" and edited.inline_keyboard == []


async def test_group_privacy_mode(api: FakeBotAPI, bot: Bot) -> None:
    group = api.users.group(-1004, "Team")
    bob = api.users.user(8, "Bob")
    api.users.send_text(group, bob, "just chatting")
    api.users.send_text(group, bob, "/video@other_bot cats")
    api.users.send_text(group, bob, "/video@veo_test_bot cats")
    api.users.send_text(group, bob, "hey @veo_test_bot")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/video@veo_test_bot cats", "hey @veo_test_bot"]


async def test_runs_as_a_process_with_control_api() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.bot_api",
        "--port",
        "0",
        "--no-flood",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        root = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
        async with httpx.AsyncClient(base_url=root, timeout=5) as control:
            await control.post(
                "/_control/chats", json={"type": "private", "user_id": 42, "first_name": "Dee"}
            )
            await control.post("/_control/send_text", json={"chat_id": 42, "text": "/start"})
            async with Bot(TOKEN, base_url=f"{root}/bot") as bot:
                updates = await bot.get_updates()
                await bot.send_message(42, "hi")
            calls = (await control.get("/_control/calls")).json()["result"]
            stats = (await control.get("/_control/stats")).json()["result"]
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 10)
    assert root.startswith("http://127.0.0.1:")
    assert updates[0].message is not None and updates[0].message.text == "/start"
    assert [c["method"] for c in calls] == ["getMe", "getUpdates", "sendMessage"]
    assert stats["calls"]["sendMessage"] == 1
    assert code == 0
