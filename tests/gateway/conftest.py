"""Fixtures for the gateway tests: a fake gateway on loopback and a client wired to a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.gateway.client import VideoGateway
from bot.gateway.request import ImageInput
from tests.fakes.gateway import FakeGateway, ManualClock
from tests.fakes.media import make_image

API_KEY = "sk-test-key"


def jpeg(color: tuple[int, int, int] = (200, 80, 40)) -> ImageInput:
    """A small real JPEG as a request image."""
    return ImageInput(data=make_image(color=color), mime_type="image/jpeg")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def gateway(clock: ManualClock) -> AsyncIterator[FakeGateway]:
    async with FakeGateway(api_key=API_KEY, generation_seconds=0.08, progress_steps=4, clock=clock) as fake:
        yield fake


@pytest.fixture
async def client(gateway: FakeGateway, clock: ManualClock) -> AsyncIterator[VideoGateway]:
    async with VideoGateway(
        base_url=gateway.base_url, api_key=API_KEY, sleep=clock.sleep, clock=clock, random=lambda: 0.0
    ) as video_gateway:
        yield video_gateway
