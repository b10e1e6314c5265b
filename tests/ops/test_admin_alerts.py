"""bot/admin_alerts.py: one notice for a burst of identical errors; upstream failures in a row reported."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from telegram import Bot, Update

import handlers
from bot.admin_alerts import AdminAlerts
from bot.context import BotContext
from tests.e2e.harness import BOT_TOKEN
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.gateway import FakeGateway

ADMIN = 7001


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(BOT_TOKEN, base_url=f"{api.root}/bot") as client:
        yield client


def admin_texts(api: FakeBotAPI) -> list[str]:
    return [message.text or "" for message in api.state.messages(ADMIN) if message.sender.is_bot]


async def test_a_burst_of_identical_errors_gives_the_admin_one_notice(
    api: FakeBotAPI,
    gateway: FakeGateway,
    bot_with: Callable[..., AbstractAsyncContextManager[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_help(update: Update, context: BotContext) -> None:
        raise RuntimeError("the help text is broken")

    monkeypatch.setattr(handlers, "help_command", broken_help)
    api.users.private_chat(user_id=ADMIN)
    user = api.users.private_chat(user_id=7002)
    async with bot_with(ADMIN_USER_IDS=str(ADMIN)):
        for _ in range(5):
            api.users.send_text(user, None, "/help")
        for _ in range(200):  # every user is answered
            if len([m for m in api.state.messages(user) if m.sender.is_bot]) == 5:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)

    assert len([m for m in api.state.messages(user) if m.sender.is_bot]) == 5
    [notice] = admin_texts(api)
    assert "RuntimeError: the help text is broken" in notice
    assert BOT_TOKEN not in notice


async def test_repeats_after_the_cooldown_are_counted(api: FakeBotAPI, bot: Bot) -> None:
    api.users.private_chat(user_id=ADMIN)
    clock = Clock()
    alerts = AdminAlerts(bot=bot, admin_ids=[ADMIN], clock=clock, cooldown_seconds=600, secrets=[BOT_TOKEN])
    for _ in range(3):
        await alerts.notify_unexpected(ValueError(f"bad url {BOT_TOKEN}"), where="testing")
    clock.now += 601
    await alerts.notify_unexpected(ValueError(f"bad url {BOT_TOKEN}"), where="testing")
    await alerts.notify_unexpected(KeyError("other"), where="testing")

    first, second, other = admin_texts(api)
    assert "ValueError" in first and BOT_TOKEN not in first and "[REDACTED]" in first
    assert "2 more times" in second
    assert "KeyError" in other


async def test_upstream_failures_in_a_row_say_what_to_check(api: FakeBotAPI, bot: Bot) -> None:
    api.users.private_chat(user_id=ADMIN)
    alerts = AdminAlerts(bot=bot, admin_ids=[ADMIN], clock=Clock(), failures_in_a_row=3)
    await alerts.job_failed("authentication")
    await alerts.job_failed("authentication")
    alerts.job_delivered()  # a success breaks the run
    await alerts.job_failed("authentication")
    await alerts.job_failed("content_policy")  # the user's prompt, not the service
    await alerts.job_failed("authentication")
    await alerts.job_failed("authentication")
    assert admin_texts(api) == []

    for _ in range(3):
        await alerts.job_failed("rate_limited")

    [notice] = admin_texts(api)
    assert "3 jobs in a row failed (rate_limited)" in notice and "balance" in notice
