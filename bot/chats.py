"""The one answer to "is this a group": bot/ and handlers/ both ask here."""

from __future__ import annotations

from typing import Final

from telegram.constants import ChatType

_GROUP_CHAT_TYPES: Final = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def is_group_chat(chat_type: str) -> bool:
    """True in groups and supergroups (shared budgets, answers only when addressed); not in channels."""
    return chat_type in _GROUP_CHAT_TYPES
