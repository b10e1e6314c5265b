"""Fixtures for the fake Bot API's own tests: the fake without flood control and a PTB Bot talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI, FloodLimits


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API on 127.0.0.1 with flood control off."""
    async with FakeBotAPI(DEFAULT_TOKEN, flood=FloodLimits.off()) as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    """A PTB Bot pointed at the fake."""
    async with Bot(DEFAULT_TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


@pytest.fixture
def bot_factory() -> Callable[[FakeBotAPI], Bot]:
    """Makes a PTB Bot for a fake the test starts itself."""

    def make(api: FakeBotAPI) -> Bot:
        return Bot(DEFAULT_TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)

    return make
