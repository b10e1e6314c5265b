"""Which Telegram errors mean a chat can never be told anything."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut

from bot.jobs.telling import _chat_unreachable

# -- _chat_unreachable: Telegram's own wording (PTB drops the "Bad Request: " prefix) ---------------


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), True),
        (Forbidden("Forbidden: bot was kicked from the group chat"), True),
        (Forbidden("Forbidden: user is deactivated"), True),
        (Forbidden("Forbidden: bot is not a member of the channel chat"), True),  # any Forbidden
        (BadRequest("Bad Request: chat not found"), True),
        (BadRequest("Bad Request: message is not modified"), False),
        (BadRequest("Bad Request: message to edit not found"), False),
        (NetworkError("chat not found"), False),  # no answer from Telegram proves nothing
        (TimedOut(), False),
    ],
)
def test_only_refusals_that_last_mean_the_chat_cannot_be_told(
    error: TelegramError, unreachable: bool
) -> None:
    assert _chat_unreachable(error) is unreachable
