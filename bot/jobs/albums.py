"""Collects the photos of an album (a Telegram media group), which arrive as separate updates."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.constants import ALBUM_QUIET_SECONDS

Item = TypeVar("Item")


@dataclass
class _Album(Generic[Item]):
    items: list[Item] = field(default_factory=list)
    last_seen: float = 0.0


class AlbumCollector(Generic[Item]):
    """The first update of an album waits until the album is quiet, then gets all of it; the rest get None."""

    def __init__(self, quiet_seconds: float = ALBUM_QUIET_SECONDS) -> None:
        self._quiet_seconds = quiet_seconds
        self._albums: dict[tuple[int, str], _Album[Item]] = {}

    async def add(self, chat_id: int, media_group_id: str, item: Item) -> list[Item] | None:
        """Add one part; returns the whole album (in arrival order) to exactly one caller."""
        loop = asyncio.get_running_loop()
        key = (chat_id, media_group_id)
        album = self._albums.get(key)
        if album is not None:
            album.items.append(item)
            album.last_seen = loop.time()
            return None
        album = _Album([item], loop.time())
        self._albums[key] = album
        try:
            # Each new part pushes the deadline back; polling the deadline is simpler than an Event here.
            while (remaining := album.last_seen + self._quiet_seconds - loop.time()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(remaining)
        finally:
            del self._albums[key]
        return album.items
