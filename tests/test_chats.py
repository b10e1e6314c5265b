"""is_group_chat: the one answer to "is this a group"."""

from __future__ import annotations

import pytest
from telegram.constants import ChatType

from bot.chats import is_group_chat


@pytest.mark.parametrize(
    ("chat_type", "expected"),
    [
        (ChatType.GROUP, True),
        (ChatType.SUPERGROUP, True),
        ("supergroup", True),  # storage keeps the type as a plain string
        (ChatType.PRIVATE, False),
        (ChatType.CHANNEL, False),  # a channel has no members writing to the bot: not a group
        (ChatType.SENDER, False),
        ("", False),
    ],
)
def test_groups_and_supergroups_only(chat_type: str, expected: bool) -> None:
    assert is_group_chat(chat_type) is expected
