"""Feeds one job's progress events into its status message (through the StatusBoard)."""

from __future__ import annotations

import functools

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.progress import JobProgress, ProgressEvent, accumulate, render
from bot.status_board import StatusBoard


class JobReporter:
    """Accumulates a job's events into a snapshot and shows it in the job's status message."""

    def __init__(
        self,
        *,
        board: StatusBoard,
        texts: Translator,
        language: str,
        chat_id: int,
        chat_is_group: bool,
        progress: JobProgress,
    ) -> None:
        self._board = board
        self._texts = texts
        self._language = language
        self._chat_id = chat_id
        self._chat_is_group = chat_is_group
        self.progress = progress
        self.message_id: int | None = None

    def render(self) -> str:
        """The status text for the current snapshot."""
        return render(self.progress, functools.partial(self._texts, self._language))

    def apply(self, event: ProgressEvent) -> None:
        """Fold an event into the snapshot and queue a (throttled) edit."""
        self.progress = accumulate(self.progress, event)
        if self.message_id is not None:
            self._board.update(
                self._chat_id, self.message_id, self.render(), chat_is_group=self._chat_is_group
            )

    async def finish(self, event: ProgressEvent, *, reply_markup: InlineKeyboardMarkup | None = None) -> bool:
        """Fold the final event in and write it for sure; False when the message is gone."""
        self.progress = accumulate(self.progress, event)
        if self.message_id is None:
            return False
        return await self._board.finish(
            self._chat_id,
            self.message_id,
            self.render(),
            chat_is_group=self._chat_is_group,
            reply_markup=reply_markup,
        )
