"""The fake Bot API's flood control (limits.py), seen by a real PTB Bot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI, FloodLimits

# PTB 22 warns from inside RetryAfter itself; nothing in these tests reads the deprecated int form
pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)

TOKEN = DEFAULT_TOKEN


class ManualClock:
    """A clock the test moves by hand, so flood windows pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_flood_control_private_and_group(bot_factory: Any) -> None:
    clock = ManualClock()
    async with FakeBotAPI(TOKEN, clock=clock) as api, bot_factory(api) as bot:
        chat = api.users.private_chat()
        group = api.users.group(-1003, "Busy")
        for _ in range(3):
            await bot.send_message(chat.id, "burst")
        with pytest.raises(RetryAfter):
            await bot.send_message(chat.id, "one too many")
        for _ in range(5):
            await bot.send_chat_action(chat.id, "typing")  # chat actions are not limited
        clock.now += 1.0
        await bot.send_message(chat.id, "after a second")
        for index in range(20):
            await bot.send_message(group.id, f"group {index}")
        with pytest.raises(RetryAfter):
            await bot.edit_message_text("edits count too", group.id, 1)
        assert api.calls.stats().too_many_requests == 2
        assert api.calls.to("editMessageText")[-1].description == "Too Many Requests: retry after 3"


async def test_flood_time_scale_and_disable(bot_factory: Any) -> None:
    fast = FloodLimits(private_burst=1, time_scale=0.2)  # one Telegram second is 200 ms
    async with FakeBotAPI(TOKEN, flood=fast) as api, bot_factory(api) as bot:
        chat = api.users.private_chat()
        await bot.send_message(chat.id, "1")
        with pytest.raises(RetryAfter):
            await bot.send_message(chat.id, "2")
        await asyncio.sleep(0.25)
        await bot.send_message(chat.id, "3")
        api.flood.configure(FloodLimits.off())
        for index in range(10):
            await bot.send_message(chat.id, str(index))
        assert len(api.state.bot_messages_in(chat)) == 12
