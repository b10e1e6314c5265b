"""The steps of one job: generate (stream or task), download, upload, settle; each recorded first."""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.admin_alerts import AdminAlerts
from bot.chats import is_group_chat
from bot.gateway.client import VideoGateway
from bot.gateway.errors import GatewayError
from bot.gateway.events import TaskStatus, VideoReady
from bot.gateway.request import ImageInput, VideoRequest
from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.jobs.delivery import (
    Delivered,
    DeliveryWindowPassed,
    Destination,
    ReadyVideo,
    Undeliverable,
    VideoDelivery,
    caption_html,
    prepare_for_upload,
)
from bot.jobs.followups import FollowUp, continuation_model, followup_keyboard
from bot.jobs.reporter import ChainPartReporter, JobReporter, ProgressSink
from bot.jobs.requests import restore_request, segments_of
from bot.media.errors import MediaError
from bot.metrics import PrometheusMetrics
from bot.pacing.pacer import VideoReservation
from bot.progress import Failed, JobProgress, PhaseChanged, TaskPolled, Tick
from bot.settings import Settings
from bot.status_board import StatusBoard
from storage import IllegalTransition, Job, JobState, JobStore

logger = logging.getLogger(__name__)

# Uploads stream from disk, so this bounds sockets and CPU, not memory.
MAX_PARALLEL_UPLOADS = 8
# Telegram errors that mean the chat can never be told anything (so waiting to tell it is pointless).
UNREACHABLE_CHAT = ("chat not found", "bot was blocked", "bot was kicked", "user is deactivated")


@dataclass(frozen=True)
class Failure:
    """Why a job failed, as a text key for the user and a kind for the ledger and logs."""

    kind: str
    reason: str
    retryable: bool = True


@dataclass(frozen=True)
class Generated:
    """The video files a job made, and how many billed clips they hold (a chained video is one file)."""

    files: list[Path]
    clips: int

    @classmethod
    def one_per_file(cls, files: list[Path]) -> Generated:
        """Ordinary videos: every file is one clip."""
        return cls(files, clips=len(files))


class JobFailed(Exception):
    """Raised inside the pipeline to end a job with a failure."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


@dataclass(frozen=True)
class Outcome:
    """How a run ended, for the runner to tell the user once the job's slot is free."""

    failure: Failure | None = None
    delivered: bool = False
    final_markup: InlineKeyboardMarkup | None = None


class RetryLater(Exception):
    """A step failed for a local reason (a full disk, a database that stays locked): run the job again
    later from its recorded state; nothing is refunded and nothing paid for is thrown away."""


class JobPipeline:
    """Runs jobs from the ledger to the chat. Stateless between jobs; safe to run many at once."""

    def __init__(
        self,
        *,
        bot: Bot,
        jobs: JobStore,
        gateway: VideoGateway,
        board: StatusBoard,
        texts: Translator,
        settings: Settings,
        delivery: VideoDelivery,
        metrics: PrometheusMetrics | None = None,
        alerts: AdminAlerts | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._bot = bot
        self._delivery = delivery
        self._metrics = metrics
        self._alerts = alerts
        self._jobs = jobs
        self._gateway = gateway
        self._board = board
        self._texts = texts
        self._settings = settings
        self._wall_clock = wall_clock
        self._uploads = asyncio.Semaphore(MAX_PARALLEL_UPLOADS)

    @property
    def temp_dir(self) -> Path:
        """Where jobs keep their downloads while they run."""
        return self._settings.temp_dir

    # -- entry points -------------------------------------------------------------------------

    def reporter_for(self, job: Job, *, queue_position: int | None = None) -> JobReporter:
        """A reporter for this job's status message, starting from what the ledger knows."""
        request = restore_request(job.request_json, ())
        progress = JobProgress.begin(
            prompt=request.prompt,
            model=job.model,
            at=job.created_at.timestamp(),
            videos_total=job.n,
            queue_position=queue_position,
        )
        reporter = JobReporter(
            board=self._board,
            texts=self._texts,
            language=job.language or DEFAULT_LANGUAGE,
            chat_id=job.chat_id,
            chat_is_group=is_group_chat(job.chat_type),
            progress=progress,
        )
        reporter.message_id = job.status_message_id
        return reporter

    def workdir_of(self, job: Job) -> Path:
        """Where the job keeps its videos until Telegram has them (it outlives a restart)."""
        return self._settings.temp_dir / f"job-{job.id}"

    async def run(
        self, job: Job, reporter: JobReporter, reservation: VideoReservation | None = None
    ) -> Outcome:
        """Take the job from its recorded state to delivered, or to failed and refunded.

        Returns what the user must still be told (`tell`, once the job's slot is free). Raises
        RetryLater for local trouble: the job stays where it is, with its files.
        """
        workdir = self.workdir_of(job)
        finished = True
        try:
            generated = await self._generate(job, reporter, workdir)
            return await self._deliver(job, reporter, generated, reservation)
        except IllegalTransition:
            logger.info(
                "Job %s cancelled before it was sent upstream: user=%s model=%s",
                job.id,
                job.user_id,
                job.model,
            )
            return Outcome()
        except JobFailed as failed:
            return Outcome(await self.record_failure(job, failed.failure))
        except GatewayError as err:
            return Outcome(await self.record_failure(job, failure_from_gateway(err)))
        except MediaError as err:
            # What the gateway sent is not a playable video (an HTML page, a damaged file).
            logger.warning("Job %s: the video could not be read: %s", job.id, err)
            return Outcome(await self.record_failure(job, Failure("bad_video", err.code)))
        except (OSError, sqlite3.Error) as err:
            finished = False
            logger.warning("Job %s: local trouble, will try again: %s: %s", job.id, type(err).__name__, err)
            raise RetryLater(str(err)) from err
        except asyncio.CancelledError:
            finished = False  # shutdown: the ledger (and the files) keep the job for the next start
            raise
        except Exception:
            logger.exception("Job %s failed unexpectedly", job.id)
            return Outcome(await self.record_failure(job, Failure("internal", "unexpected error")))
        finally:
            if reservation is not None:
                reservation.release()
            if finished:
                await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def fail(self, job: Job, reporter: JobReporter, failure: Failure) -> None:
        """Record the failure with its refund, then tell the user with a retry button."""
        recorded = await self.record_failure(job, failure)
        if recorded is not None:
            await self.notify_failure(job, reporter, recorded)

    async def record_failure(self, job: Job, failure: Failure) -> Failure | None:
        """Record the failure with its refund; None when the job had finished elsewhere (and was told)."""
        if not await self._jobs.fail_job(job.id, failure.kind, failure.reason):
            return None
        if self._metrics is not None:
            self._metrics.job_finished(outcome="cancelled" if failure.kind == "cancelled" else "failed")
        if self._alerts is not None:
            await self._alerts.job_failed(failure.kind)
        logger.info(
            "Job %s failed: user=%s model=%s kind=%s reason=%s",
            job.id,
            job.user_id,
            job.model,
            failure.kind,
            failure.reason,
        )
        return failure

    async def notify_failure(self, job: Job, reporter: JobReporter, failure: Failure) -> bool:
        """Write the failure into the status message (or a new message); mark the user told once they
        were (or once the chat can never be told). False when Telegram could not be reached: the
        runner tries again later."""
        await reporter.announced()
        markup = None
        if failure.retryable:
            button = InlineKeyboardButton(
                self._texts(job.language or DEFAULT_LANGUAGE, "try-again-button"),
                callback_data=FollowUp("again", job.id).encode(),
            )
            markup = InlineKeyboardMarkup([[button]])
        args = {"reason": failure.reason or "none"}
        written = await reporter.finish(Failed(f"failure-{failure.kind}", args), reply_markup=markup)
        if not written:
            try:
                await self._send(job, reporter.render(), markup)
            except TelegramError as err:
                if not _chat_unreachable(err):
                    logger.warning("Job %s: the user could not be told yet: %s", job.id, err)
                    return False
                logger.info("Job %s: the chat cannot be told any more: %s", job.id, err)
        await self._jobs.mark_notified(job.id)
        return True

    async def tell(self, job: Job, reporter: JobReporter, outcome: Outcome) -> bool:
        """Show how the run ended; False when Telegram could not be reached (tried again later)."""
        if outcome.failure is not None:
            return await self.notify_failure(job, reporter, outcome.failure)
        if outcome.delivered:
            return await self.notify_delivered(job, reporter, outcome.final_markup)
        return True

    async def notify_delivered(
        self, job: Job, reporter: JobReporter, markup: InlineKeyboardMarkup | None = None
    ) -> bool:
        """Show the final "ready" state of a delivered job, then mark the user told."""
        await reporter.announced()
        if job.delivered_count > 1 and markup is None:
            markup = await self._followup_buttons(job)  # an album's buttons live under the status message
        if (
            not await reporter.finish(PhaseChanged("delivered"), reply_markup=markup)
            and not reporter.message_gone
        ):
            return False
        await self._jobs.mark_notified(job.id)
        return True

    # -- steps ----------------------------------------------------------------------------------

    async def announce(self, job: Job, reporter: JobReporter) -> None:
        """Make sure the job has a status message (sent once, remembered in the ledger)."""
        if reporter.message_id is not None:
            return
        try:
            message_id = await self._send(job, reporter.render(), None)
        except TelegramError as err:
            logger.warning("Job %s: the status message could not be sent: %s", job.id, err)
            return
        reporter.message_id = message_id
        await self._jobs.update_job(job.id, status_message_id=message_id)

    async def _advance(self, job: Job, state: JobState, *, upstream_task_id: str | None = None) -> Job:
        """Record that the job reached `state` (a no-op when a resumed job is already there or past it).

        Raises IllegalTransition when the job was cancelled meanwhile, which ends the run quietly.
        """
        return await self._jobs.advance(job.id, state, upstream_task_id=upstream_task_id)

    async def _generate(self, job: Job, reporter: JobReporter, workdir: Path) -> Generated:
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
        kept = await asyncio.to_thread(_kept_videos, workdir)
        if (
            kept
            and job.state in (JobState.DOWNLOADING, JobState.UPLOADING)
            and segments_of(job.request_json) == 1
        ):
            expected = len(job.result_urls) if job.result_urls else 1
            if len(kept) >= expected:
                logger.info("Job %s: delivering the %d video(s) kept from before", job.id, len(kept))
                return Generated.one_per_file(kept)
        if job.result_urls:
            # The videos were made before a restart; their links are valid for 24 hours.
            return Generated.one_per_file(
                await self._download_urls(job, reporter, list(job.result_urls), workdir)
            )
        images = await self._jobs.job_images(job.id)
        request = restore_request(job.request_json, images)
        segments = segments_of(job.request_json)
        if segments > 1:
            return await self._generate_chain(job, request, reporter, workdir, segments)
        return Generated.one_per_file(await self._generate_clip(job, request, reporter, workdir))

    async def _generate_clip(
        self, job: Job, request: VideoRequest, reporter: ProgressSink, workdir: Path
    ) -> list[Path]:
        if job.mode == "sync":
            return await self._generate_sync(job, request, reporter, workdir)
        return await self._generate_async(job, request, reporter, workdir)

    async def _generate_chain(
        self, job: Job, request: VideoRequest, reporter: JobReporter, workdir: Path, segments: int
    ) -> Generated:
        """Clip after clip, each starting from the last frame of the one before, stitched into one video.

        When a later clip fails, the clips made so far are still delivered (and only they are charged).
        """
        from bot.media.frames import last_frame_jpeg
        from bot.media.stitch import stitch_videos

        clips: list[Path] = []
        follow_on = continuation_model(request.spec)
        for index in range(segments):
            part = ChainPartReporter(reporter, index=index, segments=segments)
            try:
                [clip] = (await self._generate_clip(job, request, part, workdir / f"part-{index + 1}"))[:1]
            except GatewayError:
                if not clips:
                    raise
                logger.warning(
                    "Job %s: clip %d of %d failed; delivering %d", job.id, index + 1, segments, len(clips)
                )
                break
            clips.append(clip)
            reporter.apply(VideoReady(url="", index=index))
            if index + 1 < segments:
                frame = await asyncio.to_thread(last_frame_jpeg, clip)
                start = ImageInput(data=frame, mime_type="image/jpeg")
                request = request.model_copy(update={"model": follow_on.id, "images": (start,)})
        if len(clips) == 1:
            return Generated.one_per_file(clips)
        joined = await asyncio.to_thread(stitch_videos, clips, workdir / "extended.mp4")
        return Generated([joined], clips=len(clips))

    async def _generate_sync(
        self, job: Job, request: VideoRequest, reporter: ProgressSink, workdir: Path
    ) -> list[Path]:
        await self._advance(job, JobState.GENERATING)
        logger.info(
            "Job %s generating: user=%s model=%s mode=sync n=%d", job.id, job.user_id, job.model, job.n
        )
        reporter.apply(PhaseChanged("generating"))
        urls: list[str] = []
        # A stream without a video raises its typed GatewayError from inside the iteration.
        async for event in self._gateway.stream_video(request):
            reporter.apply(event)
            if isinstance(event, VideoReady):
                urls.append(event.url)
        await self._jobs.set_result_urls(job.id, urls)
        return await self._download_urls(job, reporter, urls, workdir)

    async def _download_urls(
        self, job: Job, reporter: ProgressSink, urls: list[str], workdir: Path
    ) -> list[Path]:
        await self._advance(job, JobState.DOWNLOADING)
        logger.info(
            "Job %s downloading %d video(s): user=%s model=%s", job.id, len(urls), job.user_id, job.model
        )
        reporter.apply(PhaseChanged("downloading"))
        files = []
        last_error: GatewayError | None = None
        for index, url in enumerate(urls):
            try:
                files.append(await self._gateway.download(url, workdir / f"video-{index + 1}.mp4"))
            except GatewayError as err:
                logger.warning("Job %s: video %d could not be downloaded: %s", job.id, index + 1, err)
                last_error = err
        if not files and last_error is not None:
            raise last_error
        return files

    async def _generate_async(
        self, job: Job, request: VideoRequest, reporter: ProgressSink, workdir: Path
    ) -> list[Path]:
        task_id = job.upstream_task_id
        if task_id is None:
            # Recorded before the request goes out, so a /cancel cannot race a task the gateway already has.
            await self._advance(job, JobState.SUBMITTED)
            reporter.apply(PhaseChanged("submitting"))
            created = await self._gateway.create_task(request)
            task_id = created.task_id
            # Written before anything waits on it: after a restart the task is polled, never resubmitted.
            job = await self._jobs.update_job(job.id, upstream_task_id=task_id)
            logger.info("Job %s submitted: user=%s model=%s task=%s", job.id, job.user_id, job.model, task_id)
        reporter.apply(PhaseChanged("generating"))

        generating = False

        async def on_status(status: TaskStatus) -> None:
            nonlocal generating
            if status.status == "processing" and not generating:
                generating = True
                await self._advance(job, JobState.GENERATING)
                logger.info(
                    "Job %s generating: user=%s model=%s mode=async task=%s",
                    job.id,
                    job.user_id,
                    job.model,
                    task_id,
                )
            reporter.apply(TaskPolled(status.status, status.progress, coarse=True))
            reporter.apply(Tick(self._wall_clock()))

        await self._gateway.wait_for_task(task_id, on_status=on_status, started_at=self._started_at(job))
        await self._advance(job, JobState.DOWNLOADING)
        logger.info("Job %s downloading: user=%s model=%s task=%s", job.id, job.user_id, job.model, task_id)
        reporter.apply(PhaseChanged("downloading"))
        path = await self._gateway.download_result(task_id, model=job.model, dest=workdir / "video-1.mp4")
        return [path]

    def cancelled(self, _job: Job) -> None:
        """A queued job was cancelled (and refunded) by its user."""
        if self._metrics is not None:
            self._metrics.job_finished(outcome="cancelled")

    def started(self, job: Job) -> None:
        """The job got its slot: how long it waited in the queue."""
        if self._metrics is not None:
            self._metrics.observe_queue_wait(max(0.0, self._wall_clock() - job.created_at.timestamp()))

    async def _deliver(
        self, job: Job, reporter: JobReporter, generated: Generated, reservation: VideoReservation | None
    ) -> Outcome:
        generated_at = self._wall_clock()
        if self._metrics is not None and job.submitted_at is not None:
            self._metrics.observe_generation(max(0.0, generated_at - job.submitted_at.timestamp()))
        await reporter.announced()  # the video answers below the status message, never above it
        await self._advance(job, JobState.UPLOADING)
        logger.info(
            "Job %s uploading %d video(s): user=%s model=%s",
            job.id,
            len(generated.files),
            job.user_id,
            job.model,
        )
        reporter.apply(PhaseChanged("uploading"))
        ready: list[ReadyVideo] = []
        for path in generated.files:
            ready.append(await prepare_for_upload(path))
        request = restore_request(job.request_json, ())
        caption = caption_html(
            request.prompt,
            self._texts(job.language or DEFAULT_LANGUAGE, "video-caption-footer", model=job.model),
        )
        buttons = await self._followup_buttons(job)
        async with self._uploads:
            try:
                delivered = await self._delivery.deliver(
                    destination_of(job), ready, caption, buttons if len(ready) == 1 else None, job_id=job.id
                )
            except Undeliverable as err:
                raise JobFailed(
                    Failure(_undeliverable_kind(err.kind), err.description, retryable=True)
                ) from err
            except DeliveryWindowPassed as err:
                raise JobFailed(Failure("upload_failed", str(err))) from err
        if reservation is not None:
            reservation.release()  # the chat's room for this video is used: the final state may go now
        await self._settle(job, generated, delivered)
        if self._metrics is not None:
            self._metrics.observe_delivery(self._wall_clock() - generated_at)
        # An album cannot carry buttons, so its follow-ups go under the status message instead.
        return Outcome(delivered=True, final_markup=buttons if len(delivered.videos) > 1 else None)

    async def _settle(self, job: Job, generated: Generated, delivered: Delivered) -> None:
        """Charge the delivered clips and record the delivery, in one ledger step."""
        clips = generated.clips  # a chained video is one file made of several billed clips
        await self._jobs.settle_delivered(
            job.id,
            clips,
            file_ids=[video.file_id for video in delivered.videos],
            attempts=delivered.attempts,
            possible_duplicate=delivered.possibly_twice,
        )
        logger.info(
            "Job %s delivered: user=%s model=%s clips=%d charged=%d attempts=%d%s",
            job.id,
            job.user_id,
            job.model,
            clips,
            clips * job.price_cents,
            delivered.attempts,
            " (an earlier attempt may have arrived too)" if delivered.possibly_twice else "",
        )
        if self._metrics is not None:
            self._metrics.job_finished(outcome="delivered", clips=clips, cents=clips * job.price_cents)
        if self._alerts is not None:
            self._alerts.job_delivered()

    def _started_at(self, job: Job) -> float | None:
        """The gateway clock's value at the job's submission, so a restart does not extend its deadline."""
        if job.submitted_at is None:
            return None
        elapsed = max(0.0, self._wall_clock() - job.submitted_at.timestamp())
        return time.monotonic() - elapsed

    async def _followup_buttons(self, job: Job) -> InlineKeyboardMarkup:
        chain = await self._jobs.chain(job.id)
        return followup_keyboard(
            job_id=job.id,
            model=job.model,
            mode=job.mode,
            n=job.n,
            chain_length=len(chain),
            chained=segments_of(job.request_json) > 1,
            translate=functools.partial(self._texts, job.language or DEFAULT_LANGUAGE),
        )

    async def _send(self, job: Job, text: str, markup: InlineKeyboardMarkup | None) -> int:
        """Send a new message into the job's chat (when there is no status message to edit)."""
        destination = destination_of(job)
        message = await self._bot.send_message(
            job.chat_id,
            text,
            message_thread_id=job.thread_id,
            reply_parameters=destination.reply_parameters,
            reply_markup=markup,
        )
        return message.message_id


def destination_of(job: Job) -> Destination:
    """Where the job's answers go."""
    return Destination(job.chat_id, job.thread_id, job.user_message_id, is_group_chat(job.chat_type))


def _kept_videos(workdir: Path) -> list[Path]:
    """Complete downloads kept in the job's folder (a download only gets its name once it is whole)."""
    if not workdir.is_dir():
        return []
    return sorted(path for path in workdir.glob("video-*.mp4") if not path.stem.endswith("-fit"))


def _chat_unreachable(err: TelegramError) -> bool:
    message = err.message.lower()
    return isinstance(err, Forbidden) or (
        isinstance(err, BadRequest) and any(m in message for m in UNREACHABLE_CHAT)
    )


def _undeliverable_kind(kind: str) -> str:
    """The failure text for a delivery Telegram refused: missing rights have their own advice."""
    return "no_rights" if kind == "no_rights" else "undeliverable"


def failure_from_gateway(err: GatewayError) -> Failure:
    """Map a gateway exception to what the user is told."""
    reason = getattr(err, "reason", None) or getattr(err, "code", None) or ""
    retryable = err.kind not in ("authentication", "bad_request", "invalid_request")
    return Failure(err.kind, str(reason), retryable=retryable)
