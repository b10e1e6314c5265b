"""Feeds one job's progress events into its status message (through the StatusBoard)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from typing import Protocol

from telegram import InlineKeyboardMarkup

from bot.gateway.events import Progress, VideoReady
from bot.i18n import Translator
from bot.progress import JobProgress, PhaseChanged, ProgressEvent, Tick, accumulate, render
from bot.status_board import StatusBoard


class ProgressSink(Protocol):
    """Anything that takes a job's progress events."""

    def apply(self, event: ProgressEvent) -> None:
        """Take one event."""


class JobReporter:
    """Accumulates a job's events into a snapshot and shows it in the job's status message."""

    def __init__(
        self,
        *,
        board: StatusBoard,
        texts: Translator,
        language: str,
        chat_id: int,
        progress: JobProgress,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._board = board
        self._wall_clock = wall_clock
        self._texts = texts
        self._language = language
        self._chat_id = chat_id
        self.progress = progress
        self.message_id: int | None = None
        self._announcement: asyncio.Task[None] | None = None

    def track_announcement(self, task: asyncio.Task[None]) -> None:
        """The task sending the status message; events before it lands only update the snapshot."""
        self._announcement = task

    async def announced(self) -> None:
        """Wait until the status message was sent (or its sending failed), so answers come after it."""
        if self._announcement is not None:
            await asyncio.wait([self._announcement])

    def render(self) -> str:
        """The status text for the current snapshot."""
        return render(self.progress, functools.partial(self._texts, self._language))

    def apply(self, event: ProgressEvent) -> None:
        """Fold an event into the snapshot (with the time, so the timer is real) and queue an edit."""
        self.progress = accumulate(accumulate(self.progress, event), Tick(self._wall_clock()))
        if self.message_id is not None:
            self._board.update(self._chat_id, self.message_id, self.render())

    @property
    def message_gone(self) -> bool:
        """True when there is no status message to write into (never sent, deleted, not editable)."""
        return self.message_id is None or self._board.is_gone(self._chat_id, self.message_id)

    async def finish(self, event: ProgressEvent, *, reply_markup: InlineKeyboardMarkup | None = None) -> bool:
        """Fold the final event in and write it for sure; False when the message is gone."""
        self.progress = accumulate(accumulate(self.progress, event), Tick(self._wall_clock()))
        if self.message_id is None:
            return False
        return await self._board.finish(
            self._chat_id, self.message_id, self.render(), reply_markup=reply_markup
        )


class ChainPartReporter:
    """Reports one clip of a chained video as a share of the whole chain's progress."""

    def __init__(self, whole: ProgressSink, *, index: int, segments: int) -> None:
        self._whole = whole
        self._index = index
        self._segments = segments

    def apply(self, event: ProgressEvent) -> None:
        """Scale percentages to the chain; keep the chain in its generating phase until the end."""
        if isinstance(event, Progress):
            self._whole.apply(Progress((self._index * 100 + event.percent) / self._segments))
        elif isinstance(event, PhaseChanged):
            if event.phase in ("submitting", "generating"):
                self._whole.apply(PhaseChanged("generating"))
        elif not isinstance(event, VideoReady):  # the chain counts finished clips itself
            self._whole.apply(event)
