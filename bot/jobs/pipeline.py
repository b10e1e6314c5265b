"""The steps of one job: generate (stream or task), download, upload, settle; each recorded first."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.admin_alerts import AdminAlerts
from bot.gateway.client import VideoGateway
from bot.gateway.errors import GatewayError
from bot.gateway.events import TaskStatus, VideoReady
from bot.gateway.request import ImageInput, VideoRequest
from bot.i18n import Translator
from bot.jobs.delivery import (
    Delivered,
    DeliveryWindowPassed,
    ReadyVideo,
    Undeliverable,
    VideoDelivery,
    caption_html,
    prepare_for_upload,
)
from bot.jobs.followups import continuation_model
from bot.jobs.job_run import JobRun, workdir_of
from bot.jobs.outcomes import Failure, Outcome, failure_from_gateway
from bot.jobs.reporter import ChainPartReporter, ProgressSink
from bot.jobs.telling import OutcomeTeller
from bot.media.errors import MediaError
from bot.metrics import PrometheusMetrics
from bot.pacing.pacer import VideoReservation
from bot.progress import PhaseChanged, TaskPolled, Tick
from storage import IllegalTransition, JobState, JobStore

logger = logging.getLogger(__name__)

# Uploads stream from disk, so this bounds sockets and CPU, not memory.
MAX_PARALLEL_UPLOADS = 8


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


class RetryLater(Exception):
    """A step failed for a local reason (a full disk, a database that stays locked): run the job again
    later from its recorded state; nothing is refunded and nothing paid for is thrown away."""


class JobPipeline:
    """Runs jobs from the ledger to the chat. Stateless between jobs; safe to run many at once."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        gateway: VideoGateway,
        teller: OutcomeTeller,
        texts: Translator,
        delivery: VideoDelivery,
        temp_dir: Path,
        metrics: PrometheusMetrics | None = None,
        alerts: AdminAlerts | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs = jobs
        self._gateway = gateway
        self._teller = teller
        self._texts = texts
        self._delivery = delivery
        self._temp_dir = temp_dir
        self._metrics = metrics
        self._alerts = alerts
        self._wall_clock = wall_clock
        self._uploads = asyncio.Semaphore(MAX_PARALLEL_UPLOADS)

    async def run(self, run: JobRun, reservation: VideoReservation | None = None) -> Outcome:
        """Take the job from its recorded state to delivered, or to failed and refunded.

        Returns what the user must still be told (`OutcomeTeller.tell`, once the job's slot is free).
        Raises RetryLater for local trouble: the job stays where it is, with its files.
        """
        job = run.job
        workdir = workdir_of(self._temp_dir, job.id)
        finished = True
        try:
            generated = await self._generate(run, workdir)
            return await self._deliver(run, generated, reservation)
        except IllegalTransition:
            _log_step(run, "cancelled before it was sent upstream")
            return Outcome()
        except JobFailed as failed:
            return Outcome(await self._record_failure(run, failed.failure))
        except GatewayError as err:
            return Outcome(await self._record_failure(run, failure_from_gateway(err)))
        except MediaError as err:
            # What the gateway sent is not a playable video (an HTML page, a damaged file).
            logger.warning("Job %s: the video could not be read: %s", job.id, err)
            return Outcome(await self._record_failure(run, Failure("bad_video", err.code)))
        except (OSError, sqlite3.Error) as err:
            finished = False
            logger.warning("Job %s: local trouble, will try again: %s: %s", job.id, type(err).__name__, err)
            raise RetryLater(str(err)) from err
        except asyncio.CancelledError:
            finished = False  # shutdown: the ledger (and the files) keep the job for the next start
            raise
        except Exception:
            logger.exception("Job %s failed unexpectedly", job.id)
            return Outcome(await self._record_failure(run, Failure("internal", "unexpected error")))
        finally:
            if reservation is not None:
                reservation.release()
            if finished:
                await asyncio.to_thread(shutil.rmtree, workdir, True)

    async def fail(self, run: JobRun, failure: Failure) -> None:
        """End a job that cannot run (e.g. its stream was cut): record the failure with its refund,
        then tell the user with a retry button."""
        recorded = await self._record_failure(run, failure)
        if recorded is not None:
            await self._teller.failed(run, recorded)

    async def _record_failure(self, run: JobRun, failure: Failure) -> Failure | None:
        """Record the failure with its refund; None when the job had finished elsewhere (and was told)."""
        if not await self._jobs.fail_job(run.job.id, failure.kind, failure.reason):
            return None
        if self._metrics is not None:
            self._metrics.job_finished(outcome="cancelled" if failure.kind == "cancelled" else "failed")
        if self._alerts is not None:
            await self._alerts.job_failed(failure.kind)
        _log_step(run, "failed", kind=failure.kind, reason=failure.reason)
        return failure

    # -- steps ----------------------------------------------------------------------------------

    async def _generate(self, run: JobRun, workdir: Path) -> Generated:
        job = run.job
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
        kept = await asyncio.to_thread(_kept_videos, workdir)
        if kept and job.state in (JobState.DOWNLOADING, JobState.UPLOADING) and not run.request.chained:
            expected = len(job.result_urls) if job.result_urls else 1
            if len(kept) >= expected:
                logger.info("Job %s: delivering the %d video(s) kept from before", job.id, len(kept))
                return Generated.one_per_file(kept)
        if job.result_urls:
            # The videos were made before a restart; their links are valid for 24 hours.
            urls = list(job.result_urls)
            return Generated.one_per_file(await self._download_urls(run, run.reporter, urls, workdir))
        request = run.request.with_images(await self._jobs.job_images(job.id))
        if run.request.chained:
            return await self._generate_chain(run, request, workdir)
        return Generated.one_per_file(await self._generate_clip(run, request, run.reporter, workdir))

    async def _generate_clip(
        self, run: JobRun, request: VideoRequest, reporter: ProgressSink, workdir: Path
    ) -> list[Path]:
        if run.job.mode == "sync":
            return await self._generate_sync(run, request, reporter, workdir)
        return await self._generate_async(run, request, reporter, workdir)

    async def _generate_chain(self, run: JobRun, request: VideoRequest, workdir: Path) -> Generated:
        """Clip after clip, each starting from the last frame of the one before, stitched into one video.

        When a later clip fails, the clips made so far are still delivered (and only they are charged).
        """
        from bot.media.frames import last_frame_jpeg
        from bot.media.stitch import stitch_videos

        clips: list[Path] = []
        follow_on = continuation_model(request.spec)
        segments = run.request.segments
        for index in range(segments):
            part = ChainPartReporter(run.reporter, index=index, segments=segments)
            try:
                [clip] = (await self._generate_clip(run, request, part, workdir / f"part-{index + 1}"))[:1]
            except GatewayError:
                if not clips:
                    raise
                logger.warning(
                    "Job %s: clip %d of %d failed; delivering %d", run.job.id, index + 1, segments, len(clips)
                )
                break
            clips.append(clip)
            run.reporter.apply(VideoReady(url="", index=index))
            if index + 1 < segments:
                frame = await asyncio.to_thread(last_frame_jpeg, clip)
                start = ImageInput(data=frame, mime_type="image/jpeg")
                request = request.model_copy(update={"model": follow_on.id, "images": (start,)})
        if len(clips) == 1:
            return Generated.one_per_file(clips)
        joined = await asyncio.to_thread(stitch_videos, clips, workdir / "extended.mp4")
        return Generated([joined], clips=len(clips))

    async def _generate_sync(
        self, run: JobRun, request: VideoRequest, reporter: ProgressSink, workdir: Path
    ) -> list[Path]:
        await self._jobs.advance(run.job.id, JobState.GENERATING)
        _log_step(run, "generating", mode="sync", n=run.job.n)
        reporter.apply(PhaseChanged("generating"))
        urls: list[str] = []
        # A stream without a video raises its typed GatewayError from inside the iteration.
        async for event in self._gateway.stream_video(request):
            reporter.apply(event)
            if isinstance(event, VideoReady):
                urls.append(event.url)
        return await self._download_urls(run, reporter, urls, workdir)

    async def _download_urls(
        self, run: JobRun, reporter: ProgressSink, urls: list[str], workdir: Path
    ) -> list[Path]:
        # The links are recorded with the step, so a restart downloads them instead of paying again.
        await self._jobs.advance(run.job.id, JobState.DOWNLOADING, result_urls=urls)
        _log_step(run, f"downloading {len(urls)} video(s)")
        reporter.apply(PhaseChanged("downloading"))
        files = []
        last_error: GatewayError | None = None
        for index, url in enumerate(urls):
            try:
                files.append(await self._gateway.download(url, workdir / f"video-{index + 1}.mp4"))
            except GatewayError as err:
                logger.warning("Job %s: video %d could not be downloaded: %s", run.job.id, index + 1, err)
                last_error = err
        if not files and last_error is not None:
            raise last_error
        return files

    async def _generate_async(
        self, run: JobRun, request: VideoRequest, reporter: ProgressSink, workdir: Path
    ) -> list[Path]:
        job_id = run.job.id
        task_id = run.job.upstream_task_id
        if task_id is None:
            # Recorded before the request goes out, so a /cancel cannot race a task the gateway already has.
            await self._jobs.advance(job_id, JobState.SUBMITTED)
            reporter.apply(PhaseChanged("submitting"))
            task_id = (await self._gateway.create_task(request)).task_id
            # Written before anything waits on it: after a restart the task is polled, never resubmitted.
            await self._jobs.advance(job_id, JobState.SUBMITTED, upstream_task_id=task_id)
            _log_step(run, "submitted", task=task_id)
        reporter.apply(PhaseChanged("generating"))

        generating = False

        async def on_status(status: TaskStatus) -> None:
            nonlocal generating
            if status.status == "processing" and not generating:
                generating = True
                await self._jobs.advance(job_id, JobState.GENERATING)
                _log_step(run, "generating", mode="async", task=task_id)
            reporter.apply(TaskPolled(status.status, status.progress, coarse=True))
            reporter.apply(Tick(self._wall_clock()))

        await self._gateway.wait_for_task(task_id, on_status=on_status, started_at=self._started_at(run))
        await self._jobs.advance(job_id, JobState.DOWNLOADING)
        _log_step(run, "downloading", task=task_id)
        reporter.apply(PhaseChanged("downloading"))
        path = await self._gateway.download_result(task_id, model=run.job.model, dest=workdir / "video-1.mp4")
        return [path]

    async def _deliver(
        self, run: JobRun, generated: Generated, reservation: VideoReservation | None
    ) -> Outcome:
        job = run.job
        generated_at = self._wall_clock()
        if self._metrics is not None and job.submitted_at is not None:
            self._metrics.observe_generation(max(0.0, generated_at - job.submitted_at.timestamp()))
        await run.reporter.announced()  # the video answers below the status message, never above it
        await self._jobs.advance(job.id, JobState.UPLOADING)
        _log_step(run, f"uploading {len(generated.files)} video(s)")
        run.reporter.apply(PhaseChanged("uploading"))
        ready: list[ReadyVideo] = []
        for path in generated.files:
            ready.append(await prepare_for_upload(path))
        footer = self._texts(run.language, "video-caption-footer", model=job.model)
        caption = caption_html(run.request.prompt, footer)
        buttons = await self._teller.followup_buttons(run)
        async with self._uploads:
            try:
                delivered = await self._delivery.deliver(
                    run.destination, ready, caption, buttons if len(ready) == 1 else None, job_id=job.id
                )
            except Undeliverable as err:
                raise JobFailed(
                    Failure(_undeliverable_kind(err.kind), err.description, retryable=True)
                ) from err
            except DeliveryWindowPassed as err:
                raise JobFailed(Failure("upload_failed", str(err))) from err
        if reservation is not None:
            reservation.release()  # the chat's room for this video is used: the final state may go now
        await self._settle(run, generated, delivered)
        if self._metrics is not None:
            self._metrics.observe_delivery(self._wall_clock() - generated_at)
        # An album cannot carry buttons, so its follow-ups go under the status message instead.
        return Outcome(delivered=True, final_markup=buttons if len(delivered.videos) > 1 else None)

    async def _settle(self, run: JobRun, generated: Generated, delivered: Delivered) -> None:
        """Charge the delivered clips and record the delivery, in one ledger step."""
        clips = generated.clips  # a chained video is one file made of several billed clips
        cents = clips * run.job.price_cents
        await self._jobs.settle_delivered(
            run.job.id,
            clips,
            file_ids=[video.file_id for video in delivered.videos],
            attempts=delivered.attempts,
            possible_duplicate=delivered.possibly_twice,
        )
        _log_step(
            run,
            "delivered",
            clips=clips,
            charged=cents,
            attempts=delivered.attempts,
            possible_duplicate=delivered.possibly_twice,
        )
        if self._metrics is not None:
            self._metrics.job_finished(outcome="delivered", clips=clips, cents=cents)
        if self._alerts is not None:
            self._alerts.job_delivered()

    def _started_at(self, run: JobRun) -> float | None:
        """The gateway clock's value at the job's submission, so a restart does not extend its deadline."""
        if run.job.submitted_at is None:
            return None
        elapsed = max(0.0, self._wall_clock() - run.job.submitted_at.timestamp())
        return time.monotonic() - elapsed


def _log_step(run: JobRun, step: str, **details: object) -> None:
    """One log line per step, always naming the job, its user and its model."""
    job = run.job
    extra = "".join(f" {key}={value}" for key, value in details.items())
    logger.info("Job %s %s: user=%s model=%s%s", job.id, step, job.user_id, job.model, extra)


def _kept_videos(workdir: Path) -> list[Path]:
    """Complete downloads kept in the job's folder (a download only gets its name once it is whole)."""
    if not workdir.is_dir():
        return []
    return sorted(path for path in workdir.glob("video-*.mp4") if not path.stem.endswith("-fit"))


def _undeliverable_kind(kind: str) -> str:
    """The failure text for a delivery Telegram refused: missing rights have their own advice."""
    return "no_rights" if kind == "no_rights" else "undeliverable"
