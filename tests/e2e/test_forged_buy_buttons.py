"""Forged /buy buttons: callback data no menu carries (Telegram forwards any 1-64 bytes) gets the
"pack is gone" alert and no invoice; only ASCII numbers name a pack (bot.video_options.is_ascii_number)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from tests.e2e.harness import replying_to
from tests.e2e.test_odd_inputs import answered, no_internal_failures
from tests.fakes.bot_api import FakeBotAPI

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]


async def test_forged_pack_buttons_get_an_alert_and_no_invoice(api: FakeBotAPI, bot_with: BotStarter) -> None:
    chat = api.users.private_chat(user_id=6201)
    async with bot_with(STARS_PACKS="50:0.50"):
        message = api.users.send_text(chat, None, "/buy")
        menu = await api.calls.wait_for(replying_to(message["message_id"], chat.id), timeout=15)
        # Arabic-Indic fifty first: today it is taken for 50 and answered at once, so the test fails fast.
        for data in ("buy:٥٠", "buy:49", "buy:", "buy:x", "buy:-50", "buy:²"):
            query = api.users.press_crafted_button(chat, None, menu.result["message_id"], data)
            answer = await answered(api, query["id"])
            assert answer.get("show_alert") is True, (data, answer)
            assert "no longer on sale" in str(answer.get("text")), data

    no_internal_failures(api)
    assert [call for call in api.calls if call.method.lower() == "sendinvoice"] == []
