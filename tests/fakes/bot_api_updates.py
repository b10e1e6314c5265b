"""The bot's pending updates, with getUpdates semantics: offsets confirm, long polls wait."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.bot_api_spec import ApiError

# Update types Telegram leaves out unless they are asked for explicitly.
_OPT_IN_KINDS = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


def update_kind(update: dict[str, Any]) -> str:
    """The update's type: the one field besides update_id."""
    return next((key for key in update if key != "update_id"), "unknown")


class UpdateQueue:
    """Updates not yet confirmed by the bot, in update_id order."""

    def __init__(self, first_update_id: int = 100_001) -> None:
        self._pending: list[dict[str, Any]] = []
        self._next_id = first_update_id
        self._changed = asyncio.Event()
        self._generation = 0
        self.allowed: frozenset[str] | None = None
        self.closing = False

    @property
    def pending_count(self) -> int:
        """Updates waiting for the bot."""
        return len(self._pending)

    @property
    def polls_started(self) -> int:
        """How many getUpdates calls have begun (tests wait on this instead of sleeping)."""
        return self._generation

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, numbering it unless it already carries a higher update_id."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or update_id < self._next_id:
            update = {"update_id": self._next_id, **{k: v for k, v in update.items() if k != "update_id"}}
        self._next_id = update["update_id"] + 1
        self._pending.append(update)
        self._wake()
        return update

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Remember allowed_updates; an empty list means the default set."""
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset`; a negative offset keeps only the last -offset updates."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [update for update in self._pending if update["update_id"] >= offset]

    def clear(self) -> None:
        """Drop every pending update."""
        self._pending.clear()

    def close(self) -> None:
        """Release every waiting poll (the server is stopping)."""
        self.closing = True
        self._wake()

    def _deliverable(self, update: dict[str, Any]) -> bool:
        kind = update_kind(update)
        return kind in self.allowed if self.allowed is not None else kind not in _OPT_IN_KINDS

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` deliverable updates; updates of unwanted types are dropped."""
        self._pending = [update for update in self._pending if self._deliverable(update)]
        return self._pending[:limit]

    async def poll(
        self, *, offset: int | None, limit: int, timeout: float, gone: asyncio.Event
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm by offset, then wait up to `timeout` for something to return."""
        self._generation += 1
        mine = self._generation
        self._wake()
        if offset is not None:
            self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            batch = self.take(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing or gone.is_set():
                return batch
            changed = asyncio.ensure_future(self._changed.wait())
            left = asyncio.ensure_future(gone.wait())
            try:
                await asyncio.wait({changed, left}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()
                left.cancel()
            if self._generation != mine:
                raise ApiError(409, _CONFLICT)

    async def first(self) -> dict[str, Any]:
        """Wait for the next deliverable update without removing it (webhook delivery)."""
        while True:
            batch = self.take(1)
            if batch:
                return batch[0]
            await self._changed.wait()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
