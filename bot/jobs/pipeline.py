"""The steps of one job: generate (stream or task), download, upload, settle; each recorded first."""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.gateway.client import VideoGateway
from bot.gateway.errors import GatewayError
from bot.gateway.events import TaskStatus, VideoReady
from bot.gateway.request import ImageInput, VideoRequest
from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.jobs.delivery import Destination, ReadyVideo, caption_html, prepare_for_upload, send_videos
from bot.jobs.followups import FollowUp, continuation_model, followup_keyboard
from bot.jobs.reporter import ChainPartReporter, JobReporter, ProgressSink
from bot.jobs.requests import restore_request, segments_of
from bot.media.errors import MediaError
from bot.media.frames import last_frame_jpeg
from bot.media.stitch import stitch_videos
from bot.progress import Failed, JobProgress, PhaseChanged, TaskPolled, Tick
from bot.settings import Settings
from bot.status_board import StatusBoard
from storage import IllegalTransition, Job, JobState, JobStore

logger = logging.getLogger(__name__)

# The order of the steps a job goes through; a resumed job never steps back.
STEP_ORDER = {
    JobState.QUEUED: 0,
    JobState.SUBMITTED: 1,
    JobState.GENERATING: 2,
    JobState.DOWNLOADING: 3,
    JobState.UPLOADING: 4,
}
MAX_PARALLEL_UPLOADS = 4


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
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._bot = bot
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
            chat_is_group=job.chat_type != "private",
            progress=progress,
        )
        reporter.message_id = job.status_message_id
        return reporter

    async def run(self, job: Job, reporter: JobReporter) -> None:
        """Take the job from its recorded state to delivered or failed (and refunded)."""
        workdir = self._settings.temp_dir / f"job-{job.id}"
        try:
            generated = await self._generate(job, reporter, workdir)
            await self._deliver(job, reporter, generated)
        except IllegalTransition:
            logger.info(
                "Job %s cancelled before it was sent upstream: user=%s model=%s",
                job.id,
                job.user_id,
                job.model,
            )
        except JobFailed as failed:
            await self.fail(job, reporter, failed.failure)
        except GatewayError as err:
            await self.fail(job, reporter, failure_from_gateway(err))
        except MediaError as err:
            logger.warning("Job %s: media problem: %s", job.id, err)
            await self.fail(job, reporter, Failure("upload_failed", err.code))
        except Exception:
            logger.exception("Job %s failed unexpectedly", job.id)
            await self.fail(job, reporter, Failure("internal", "unexpected error"))
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def fail(self, job: Job, reporter: JobReporter, failure: Failure) -> None:
        """Record the failure with its refund, then tell the user with a retry button."""
        if not await self._jobs.fail_job(job.id, failure.kind, failure.reason):
            return  # already finished elsewhere (e.g. cancelled), and the user was told there
        logger.info(
            "Job %s failed: user=%s model=%s kind=%s reason=%s",
            job.id,
            job.user_id,
            job.model,
            failure.kind,
            failure.reason,
        )
        await self.notify_failure(job, reporter, failure)

    async def notify_failure(self, job: Job, reporter: JobReporter, failure: Failure) -> None:
        """Write the failure into the status message (or a new message) and mark the user told."""
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
            await self._send_fresh(job, reporter.render(), markup)
        await self._jobs.mark_notified(job.id)

    # -- steps ----------------------------------------------------------------------------------

    async def announce(self, job: Job, reporter: JobReporter) -> None:
        """Make sure the job has a status message (sent once, remembered in the ledger)."""
        if reporter.message_id is not None:
            return
        message_id = await self._send_fresh(job, reporter.render(), None)
        if message_id is not None:
            reporter.message_id = message_id
            await self._jobs.update_job(job.id, status_message_id=message_id)

    async def _advance(self, job: Job, state: JobState, **fields: Any) -> None:
        """Record that the job reached `state` (a no-op when a resumed job is already there or past it).

        Raises IllegalTransition when the job was cancelled meanwhile, which ends the run quietly.
        """
        current = await self._jobs.get_job(job.id)
        if current is not None and STEP_ORDER.get(current.state, 0) >= STEP_ORDER[state]:
            if fields:
                await self._jobs.update_job(job.id, **fields)
            return
        await self._jobs.set_state(job.id, state, **fields)

    async def _generate(self, job: Job, reporter: JobReporter, workdir: Path) -> Generated:
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
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
            await self._jobs.update_job(job.id, upstream_task_id=task_id)
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

        await self._gateway.wait_for_task(task_id, on_status=on_status)
        await self._advance(job, JobState.DOWNLOADING)
        logger.info("Job %s downloading: user=%s model=%s task=%s", job.id, job.user_id, job.model, task_id)
        reporter.apply(PhaseChanged("downloading"))
        path = await self._gateway.download_result(task_id, model=job.model, dest=workdir / "video-1.mp4")
        return [path]

    async def _deliver(self, job: Job, reporter: JobReporter, generated: Generated) -> None:
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
        destination = Destination(job.chat_id, job.thread_id, job.user_message_id, job.chat_type != "private")
        buttons = await self._followup_buttons(job)
        async with self._uploads:
            try:
                sent = await send_videos(
                    self._bot, destination, ready, caption, buttons if len(ready) == 1 else None
                )
            except (BadRequest, Forbidden) as err:
                raise JobFailed(Failure("upload_failed", err.message, retryable=False)) from err
            except TelegramError as err:
                raise JobFailed(Failure("upload_failed", str(err))) from err
        # A chained video is one file made of several billed clips.
        delivered = generated.clips
        await self._jobs.settle_delivered(job.id, delivered)
        await self._jobs.set_delivered_files(job.id, [video.file_id for video in sent])
        logger.info(
            "Job %s delivered: user=%s model=%s clips=%d charged=%d",
            job.id,
            job.user_id,
            job.model,
            delivered,
            delivered * job.price_cents,
        )
        # An album cannot carry buttons, so its follow-ups go under the status message instead.
        await reporter.finish(PhaseChanged("delivered"), reply_markup=buttons if delivered > 1 else None)
        await self._jobs.mark_notified(job.id)

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

    async def _send_fresh(self, job: Job, text: str, markup: InlineKeyboardMarkup | None) -> int | None:
        """Send a new message into the job's chat (when there is no status message to edit)."""
        destination = Destination(job.chat_id, job.thread_id, job.user_message_id, job.chat_type != "private")
        try:
            message = await self._bot.send_message(
                job.chat_id,
                text,
                message_thread_id=job.thread_id,
                reply_parameters=destination.reply_parameters,
                reply_markup=markup,
            )
        except TelegramError as err:
            logger.warning("Job %s: could not message chat: %s", job.id, err)
            return None
        return message.message_id


def failure_from_gateway(err: GatewayError) -> Failure:
    """Map a gateway exception to what the user is told."""
    reason = getattr(err, "reason", None) or getattr(err, "code", None) or ""
    retryable = err.kind not in ("authentication", "bad_request", "invalid_request")
    return Failure(err.kind, str(reason), retryable=retryable)
