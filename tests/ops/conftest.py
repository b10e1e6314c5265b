"""Fixtures for the operations tests: the e2e fakes, and gateway timeouts short enough to hit."""

from __future__ import annotations

from typing import Any

import pytest

from bot.gateway.client import GatewayTimeouts, VideoGateway
from tests.e2e.conftest import api, bot_with, gateway, settings_for

__all__ = ["api", "bot_with", "gateway", "settings_for"]

SHORT_TIMEOUTS = GatewayTimeouts(connect=2.0, submit=1.0, poll=1.0, stream_idle=1.0, total=30.0, download=1.0)


@pytest.fixture
def short_gateway_timeouts(monkeypatch: pytest.MonkeyPatch) -> GatewayTimeouts:
    """The bot's gateway client gives up on a silent answer after a second."""

    def short(**options: Any) -> VideoGateway:
        return VideoGateway(**{**options, "timeouts": SHORT_TIMEOUTS})

    monkeypatch.setattr("bot.services.VideoGateway", short)
    return SHORT_TIMEOUTS
