"""Captions of videos sent again (/history) and stitched: cut to Telegram's 1024 UTF-16 units, valid HTML."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from storage.history import delivered_videos
from tests.e2e.harness import replying_to
from tests.fakes.bot_api import FakeBotAPI, FakeChat
from tests.fakes.bot_api.rules import utf16_length

BotStarter = Callable[..., AbstractAsyncContextManager[Any]]
#: sendVideo.caption: "0-1024 characters after entities parsing"; Telegram counts UTF-16 units.
CAPTION_LIMIT = 1024
EMOJI_PROMPT = "🦊" * 1000  # 2,000 UTF-16 units
MARKUP_PROMPT = "Tom & Jerry <3> " + "&<>" * 400  # escaped, a cut at 900 characters splits "&amp;"


def button(message: Any, action: str) -> str:
    return next(data for data in message.callback_data if data.startswith(f"fu:{action}:"))


async def new_video(api: FakeBotAPI, chat: FakeChat, press: Callable[[], Any]) -> Any:
    """Do `press` (send a command or press a button) and return the next video the bot sends."""
    start = len(api.calls)
    press()
    call = await api.calls.wait_for(lambda c: c.method == "sendVideo" and c.ok, timeout=30, start=start)
    message = api.state.message(chat, call.result["message_id"])
    assert message is not None
    return message


def assert_fits(message: Any, prompt: str, footer: str) -> None:
    """The caption arrived (its HTML parsed) within the limit: the prompt's start, cut, then the footer."""
    caption = message.caption
    assert caption is not None
    assert utf16_length(caption) <= CAPTION_LIMIT
    shown, _, last_line = caption.rpartition("\n")
    assert last_line.endswith(footer), last_line
    assert shown.endswith("…") and len(shown) > 100, shown[-40:]
    assert prompt.startswith(shown.removesuffix("…")), shown[-40:]  # no half-escaped "&am" at the cut


@pytest.mark.parametrize("prompt", [EMOJI_PROMPT, MARKUP_PROMPT], ids=["emoji", "markup"])
async def test_long_prompts_fit_in_history_and_stitch_captions(
    api: FakeBotAPI, bot_with: BotStarter, prompt: str
) -> None:
    chat = api.users.private_chat(user_id=9201)
    async with bot_with(user_budget_usd="5.00") as app:
        first = await new_video(api, chat, lambda: api.users.send_text(chat, None, f"/video {prompt}"))
        continued = await new_video(
            api, chat, lambda: api.users.press_button(chat, None, first.message_id, button(first, "continue"))
        )
        stitched = await new_video(
            api,
            chat,
            lambda: api.users.press_button(chat, None, continued.message_id, button(continued, "stitch")),
        )
        deadline = time.monotonic() + 20
        while len(await delivered_videos(app.bot_data.services.db, chat.id)) < 2:  # recorded after the upload
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        asked = api.users.send_text(chat, None, "/history")
        listing = await api.calls.wait_for(replying_to(asked["message_id"], chat.id), timeout=15)
        listed = api.state.message(chat, listing.result["message_id"])
        assert listed is not None and listed.text is not None
        again = await new_video(
            api, chat, lambda: api.users.press_button(chat, None, listed.message_id, listed.callback_data[-1])
        )

    assert_fits(first, prompt, "veo-3.1-fast")  # the delivery's own caption, for comparison
    assert_fits(again, prompt, "veo-3.1-fast")
    assert_fits(stitched, f"{prompt} → {prompt}", "2 clips stitched into one video")
    assert prompt[:8] in listed.text
