"""Fixtures: the fake Bot API, the fake gateway and the real bot wired to both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from tests.e2e.harness import API_KEY, BOT_TOKEN, TELEGRAM_TIME_SCALE, make_settings, running_bot
from tests.fakes.bot_api import FakeBotAPI, FloodLimits
from tests.fakes.gateway import FakeGateway


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API with Telegram's flood limits running 20x faster."""
    async with FakeBotAPI(token=BOT_TOKEN, flood=FloodLimits(time_scale=TELEGRAM_TIME_SCALE)) as fake:
        yield fake


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    """A fake gateway whose videos take 0.3 s."""
    async with FakeGateway(api_key=API_KEY, generation_seconds=0.3, content_delay_seconds=0.0) as fake:
        yield fake


@pytest.fixture
def settings_for(tmp_path: Path, api: FakeBotAPI, gateway: FakeGateway) -> Callable[..., Settings]:
    """Settings pointing at the fakes; keyword arguments override."""

    def build(**overrides: Any) -> Settings:
        return make_settings(tmp_path, api.root, gateway.base_url, **overrides)

    return build


@pytest.fixture
def bot_with(settings_for: Callable[..., Settings]) -> Callable[..., AbstractAsyncContextManager[Any]]:
    """`async with bot_with(GENERATION_MODE="async"):` runs the real bot with overrides."""

    def start(**overrides: Any) -> AbstractAsyncContextManager[Any]:
        return running_bot(settings_for(**overrides))

    return start
