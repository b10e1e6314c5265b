"""Tells a job's chat how the job is going and how it ended: the status message, then the outcome."""

from __future__ import annotations

import functools
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import Translator
from bot.jobs.followups import FollowUp, followup_keyboard
from bot.jobs.job_run import JobRun
from bot.jobs.outcomes import Failure, Outcome
from bot.progress import Failed, PhaseChanged
from storage import JobStore

logger = logging.getLogger(__name__)

# Telegram errors that mean the chat can never be told anything (so waiting to tell it is pointless).
UNREACHABLE_CHAT = ("chat not found", "bot was blocked", "bot was kicked", "user is deactivated")


class OutcomeTeller:
    """Sends each job's status message once and writes its outcome into it (or into a new message).

    A job counts as told (`mark_notified`) only once the user was, or once the chat can never be told;
    every method that tells returns False when Telegram could not be reached, so it is tried again.
    """

    def __init__(self, *, bot: Bot, jobs: JobStore, texts: Translator) -> None:
        self._bot = bot
        self._jobs = jobs
        self._texts = texts

    async def announce(self, run: JobRun) -> None:
        """Make sure the job has a status message (sent once, remembered in the ledger)."""
        reporter = run.reporter
        if reporter.message_id is not None:
            return
        try:
            message_id = await self._send(run, reporter.render(), None)
        except TelegramError as err:
            logger.warning("Job %s: the status message could not be sent: %s", run.job.id, err)
            return
        reporter.message_id = message_id
        await self._jobs.update_job(run.job.id, status_message_id=message_id)

    async def tell(self, run: JobRun, outcome: Outcome) -> bool:
        """Show how the run ended."""
        if outcome.failure is not None:
            return await self.failed(run, outcome.failure)
        if outcome.delivered:
            return await self.delivered(run, outcome.final_markup)
        return True

    async def failed(self, run: JobRun, failure: Failure) -> bool:
        """Write the failure into the status message (or a new message), with a retry button."""
        reporter = run.reporter
        await reporter.announced()
        markup = None
        if failure.retryable:
            button = InlineKeyboardButton(
                self._texts(run.language, "try-again-button"),
                callback_data=FollowUp("again", run.job.id).encode(),
            )
            markup = InlineKeyboardMarkup([[button]])
        args = {"reason": failure.reason or "none"}
        written = await reporter.finish(Failed(f"failure-{failure.kind}", args), reply_markup=markup)
        if not written:
            try:
                await self._send(run, reporter.render(), markup)
            except TelegramError as err:
                if not _chat_unreachable(err):
                    logger.warning("Job %s: the user could not be told yet: %s", run.job.id, err)
                    return False
                logger.info("Job %s: the chat cannot be told any more: %s", run.job.id, err)
        await self._jobs.mark_notified(run.job.id)
        return True

    async def delivered(self, run: JobRun, markup: InlineKeyboardMarkup | None = None) -> bool:
        """Show the final "ready" state of a delivered job."""
        reporter = run.reporter
        await reporter.announced()
        if run.job.delivered_count > 1 and markup is None:
            markup = await self.followup_buttons(run)  # an album's buttons live under the status message
        if (
            not await reporter.finish(PhaseChanged("delivered"), reply_markup=markup)
            and not reporter.message_gone
        ):
            return False
        await self._jobs.mark_notified(run.job.id)
        return True

    async def followup_buttons(self, run: JobRun) -> InlineKeyboardMarkup:
        """The buttons under a delivered video: again, variations, continue, stitch."""
        job = run.job
        chain = await self._jobs.chain(job.id)
        return followup_keyboard(
            job_id=job.id,
            model=job.model,
            mode=job.mode,
            n=job.n,
            chain_length=len(chain),
            chained=run.request.chained,
            translate=functools.partial(self._texts, run.language),
        )

    async def _send(self, run: JobRun, text: str, markup: InlineKeyboardMarkup | None) -> int:
        """Send a new message into the job's chat (when there is no status message to edit)."""
        destination = run.destination
        message = await self._bot.send_message(
            destination.chat_id,
            text,
            message_thread_id=destination.thread_id,
            reply_parameters=destination.reply_parameters,
            reply_markup=markup,
        )
        return message.message_id


def _chat_unreachable(err: TelegramError) -> bool:
    message = err.message.lower()
    return isinstance(err, Forbidden) or (
        isinstance(err, BadRequest) and any(m in message for m in UNREACHABLE_CHAT)
    )
