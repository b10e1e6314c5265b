"""Owns the asyncio tasks that run jobs: bounded concurrency, a visible queue, resume and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.i18n import Translator
from bot.jobs.job_run import JobRun, job_id_of_workdir
from bot.jobs.outcomes import Failure, Outcome
from bot.jobs.pipeline import JobPipeline, RetryLater
from bot.jobs.stored_request import StoredRequest
from bot.jobs.telling import OutcomeTeller
from bot.metrics import PrometheusMetrics
from bot.pacing.pacer import TelegramPacer
from bot.progress import PhaseChanged
from bot.status_board import StatusBoard
from storage import Job, JobState, JobStore

logger = logging.getLogger(__name__)

MAINTENANCE_INTERVAL_SECONDS = 3600.0
# How often users who could not be told an outcome yet (Telegram unreachable) are tried again.
NOTIFY_RETRY_SECONDS = 15.0
# A job held up by local trouble (full disk, locked database) runs again after this pause, doubling.
LOCAL_RETRY_FIRST_SECONDS = 5.0
LOCAL_RETRY_MAX_SECONDS = 300.0
# Input photos of finished jobs are kept this long so "Try again" can reuse them.
IMAGE_RETENTION = timedelta(days=1)
# Phases that end within seconds (the last two only write the final status); shutdown waits for them.
# A typical generation (fast models 30-60 s, standard 1-2 min), for the wait shown to queued jobs.
TYPICAL_GENERATION_SECONDS = 75.0
# Recorded states whose step ends within seconds: shutdown lets them finish.
SHORT_STEPS = (JobState.DOWNLOADING, JobState.UPLOADING)


def stream_was_cut(job: Job) -> bool:
    """A job that cannot be picked up again once started: a sync stream without video URLs yet, or a
    chain of clips (its finished clips lived only in the temporary folder)."""
    if job.state is JobState.QUEUED:
        return False
    return StoredRequest.from_job(job).chained or (job.mode == "sync" and not job.result_urls)


class JobRunner:
    """Runs each job in its own task, at most `max_concurrent` at a time, oldest first.

    It owns every job's run (`JobRun`, with its status message), from the queue until the user is told.
    """

    def __init__(
        self,
        *,
        jobs: JobStore,
        pipeline: JobPipeline,
        teller: OutcomeTeller,
        board: StatusBoard,
        texts: Translator,
        pacer: TelegramPacer,
        max_concurrent: int,
        retention: timedelta,
        temp_dir: Path,
        metrics: PrometheusMetrics | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs = jobs
        self._pipeline = pipeline
        self._teller = teller
        self._board = board
        self._texts = texts
        self._pacer = pacer
        self._temp_dir = temp_dir
        self._metrics = metrics
        self._max_concurrent = max_concurrent
        self._slots = asyncio.Semaphore(max_concurrent)
        self._retention = retention
        self._wall_clock = wall_clock
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting: list[str] = []
        self._runs: dict[str, JobRun] = {}
        self._maintenance: asyncio.Task[None] | None = None
        self._notifier: asyncio.Task[None] | None = None
        self._telling: set[str] = set()  # jobs whose outcome is being told right now
        self._closing = False

    @property
    def running_count(self) -> int:
        """Jobs holding a slot right now."""
        return len(self._tasks) - len(self._waiting)

    @property
    def waiting_count(self) -> int:
        """Jobs waiting for a slot."""
        return len(self._waiting)

    def start(self, job: Job) -> None:
        """Queue the job; it runs as soon as a slot is free. Never blocks the caller."""
        if self._closing or job.id in self._tasks:
            return
        ahead = self._jobs_ahead(len(self._waiting))
        self._waiting.append(job.id)
        run = self._open(job, queue_position=ahead)
        if ahead is not None:
            run.reporter.apply(
                PhaseChanged("queued", queue_position=ahead, queue_wait=self._expected_wait(ahead))
            )
        self._runs[job.id] = run
        task = asyncio.create_task(self._run(run), name=f"job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(functools.partial(self._forget, job.id))

    async def cancel_queued(self, user_id: int) -> int:
        """Cancel and refund the user's jobs that were not sent upstream yet; returns how many."""
        cancelled = await self._jobs.cancel_queued_jobs(user_id)
        for job in cancelled:
            run = self._runs.get(job.id) or self._open(job)
            self._stop_cancelled(job)
            await self._teller.failed(run, Failure("cancelled", "cancelled by the user", retryable=True))
        return len(cancelled)

    async def cancel_queued_in_chat(self, chat_id: int) -> int:
        """Cancel and refund the chat's queued jobs, saying nothing (the bot left it); returns how many."""
        cancelled = await self._jobs.cancel_queued_chat_jobs(chat_id)
        for job in cancelled:
            self._stop_cancelled(job)
        return len(cancelled)

    def _stop_cancelled(self, job: Job) -> None:
        """Stop the task of a job cancelled in the ledger while it waited for a slot."""
        task = self._tasks.get(job.id)
        if task is not None and job.id in self._waiting:
            task.cancel()
        logger.info("Job %s cancelled: user=%s chat=%s model=%s", job.id, job.user_id, job.chat_id, job.model)
        if self._metrics is not None:
            self._metrics.job_finished(outcome="cancelled")

    def _open(self, job: Job, *, queue_position: int | None = None) -> JobRun:
        return JobRun.open(job, board=self._board, texts=self._texts, queue_position=queue_position)

    async def _run(self, run: JobRun) -> None:
        # The status message goes out at once, while the job waits for a slot and generates: under
        # Telegram's rate limits it can take seconds, and the generation need not wait for it.
        announcement = asyncio.create_task(self._teller.announce(run))
        run.reporter.track_announcement(announcement)
        try:
            outcome = await self._run_until_finished(run)
            if outcome is not None:
                # Told after the slot is free: in a busy chat the final state may wait for its turn.
                with self._telling_now(run.job.id):
                    await self._teller.tell(run, outcome)
        finally:
            announcement.cancel()  # a no-op once it is done; on shutdown it must not outlive the job

    async def _run_until_finished(self, run: JobRun) -> Outcome | None:
        """Run the job in a slot; after local trouble, again from its recorded state after a pause."""
        pause = LOCAL_RETRY_FIRST_SECONDS
        while True:
            async with self._slots:
                self._leave_queue(run.job.id)
                if self._metrics is not None:
                    waited = self._wall_clock() - run.job.created_at.timestamp()
                    self._metrics.observe_queue_wait(max(0.0, waited))
                reservation = self._pacer.reserve_video(run.job.chat_id)
                try:
                    return await self._pipeline.run(run, reservation)
                except RetryLater:
                    pass
            await asyncio.sleep(pause)
            pause = min(pause * 2, LOCAL_RETRY_MAX_SECONDS)
            current = await self._jobs.get_job(run.job.id)
            if current is None or current.is_terminal:
                return None
            run = run.with_job(current)

    @contextlib.contextmanager
    def _telling_now(self, job_id: str) -> Iterator[None]:
        """Mark the job as being told, so the background sweep does not tell it at the same time."""
        self._telling.add(job_id)
        try:
            yield
        finally:
            self._telling.discard(job_id)

    def _expected_wait(self, ahead: int) -> float:
        """Seconds until a job with `ahead` jobs before it starts: rounds of typical generations."""
        rounds = ahead // self._max_concurrent + 1
        return rounds * TYPICAL_GENERATION_SECONDS

    def _jobs_ahead(self, index: int) -> int | None:
        """How many waiting jobs are ahead of the one at `index` once free slots are used; None if it fits."""
        free = self._max_concurrent - self.running_count
        ahead = index - free
        return ahead if ahead >= 0 else None

    def _leave_queue(self, job_id: str) -> None:
        if job_id in self._waiting:
            self._waiting.remove(job_id)
        for index, waiting_id in enumerate(self._waiting):
            ahead = self._jobs_ahead(index)
            if ahead is not None:
                wait = self._expected_wait(ahead)
                self._runs[waiting_id].reporter.apply(
                    PhaseChanged("queued", queue_position=ahead, queue_wait=wait)
                )

    def _forget(self, job_id: str, _task: object = None) -> None:
        self._tasks.pop(job_id, None)
        self._runs.pop(job_id, None)
        if job_id in self._waiting:
            self._leave_queue(job_id)

    async def resume(self) -> None:
        """After a start: finish what the ledger says is unfinished, tell users what they missed."""
        for job in await self._jobs.jobs_to_resume():
            if stream_was_cut(job):
                await self._fail_interrupted(job, "stream cut by a restart")
                continue
            logger.info(
                "Job %s resuming in state %s: user=%s model=%s", job.id, job.state, job.user_id, job.model
            )
            self.start(job)
        if self._maintenance is None:
            self._maintenance = asyncio.create_task(self._maintain(), name="maintenance")
        if self._notifier is None:
            self._notifier = asyncio.create_task(self._keep_telling(), name="notifier")

    async def _keep_telling(self) -> None:
        """Tell users the outcomes they missed (a restart, Telegram down), now and every few seconds."""
        while True:
            try:
                for job in await self._jobs.unnotified_finished_jobs():
                    if job.id not in self._tasks and job.id not in self._telling:
                        await self._notify_finished(job)
            except Exception:
                logger.exception("Telling users their outcomes failed")
            await asyncio.sleep(NOTIFY_RETRY_SECONDS)

    async def _notify_finished(self, job: Job) -> None:
        run = self._open(job)
        with self._telling_now(job.id):
            if job.state is JobState.DELIVERED:
                await self._teller.delivered(run)
                return
            failure = Failure(job.error_kind or "internal", job.error_message or "", retryable=True)
            await self._teller.failed(run, failure)

    async def shutdown(self, *, grace_seconds: float) -> None:
        """Stop: cancel running jobs (the ledger keeps them for the next start) within `grace_seconds`."""
        self._closing = True
        for background in (self._maintenance, self._notifier):
            if background is not None:
                background.cancel()
        deadline = asyncio.get_running_loop().time() + grace_seconds
        job_ids = list(self._tasks)
        # Jobs already downloading or uploading (as the ledger says) are let finish within the grace
        # time, so a video on its way is delivered and settled rather than sent again after the restart.
        finishing = []
        for job_id, task in list(self._tasks.items()):
            recorded = await self._jobs.get_job(job_id)
            if recorded is not None and recorded.state in SHORT_STEPS:
                finishing.append(task)
        for task in self._tasks.values():
            if task not in finishing:
                task.cancel()
        if finishing:
            await asyncio.wait(finishing, timeout=grace_seconds)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        # Streams cut by the shutdown cannot be resumed: refund now and tell the users while we still can.
        left = 0
        for job_id in job_ids:
            job = await self._jobs.get_job(job_id)
            if job is None or job.is_terminal:
                continue
            remaining = deadline - asyncio.get_running_loop().time()
            if stream_was_cut(job) and remaining > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._fail_interrupted(job, "stream cut by a shutdown"), remaining)
            else:
                left += 1
        logger.info("Job runner stopped; %d job(s) left for the next start", left)

    async def _fail_interrupted(self, job: Job, reason: str) -> None:
        """Refund a job whose stream was cut and offer the user a retry."""
        await self._pipeline.fail(self._open(job), Failure("interrupted", reason))

    async def _maintain(self) -> None:
        """Delete old finished jobs and stray temporary files, once now and then every hour."""
        while True:
            try:
                now = datetime.fromtimestamp(self._wall_clock(), UTC)
                removed = await self._jobs.cleanup(
                    older_than=now - self._retention, images_older_than=now - IMAGE_RETENTION
                )
                strays = await asyncio.to_thread(self._remove_stray_workdirs)
                logger.info("Maintenance: removed %d old job(s), %d stray folder(s)", removed, strays)
            except Exception:
                logger.exception("Maintenance failed")
            await asyncio.sleep(MAINTENANCE_INTERVAL_SECONDS)

    def _remove_stray_workdirs(self) -> int:
        if not self._temp_dir.is_dir():
            return 0
        removed = 0
        for folder in self._temp_dir.iterdir():
            job_id = job_id_of_workdir(folder)
            if job_id is not None and job_id not in self._tasks:
                with contextlib.suppress(OSError):
                    shutil.rmtree(folder)
                    removed += 1
        return removed
