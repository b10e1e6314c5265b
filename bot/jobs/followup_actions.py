"""Follow-ups that need the delivered clips: continue from a clip's last frame, stitch a chain."""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.gateway.catalog import Orientation
from bot.jobs.build import FrameImage
from bot.jobs.delivery import (
    Delivered,
    DeliveryWindowPassed,
    Destination,
    ReadyVideo,
    Undeliverable,
    VideoDelivery,
    prepare_for_upload,
)
from bot.media.errors import MediaError
from bot.user_errors import UserFacingError
from storage import Job, JobStore

logger = logging.getLogger(__name__)

# Undeliverable kinds (bot/jobs/delivery.py) after which the chat takes no message from the bot either.
_NO_ONE_TO_TELL = frozenset({"bot_blocked", "bot_kicked", "user_deactivated", "chat_not_found", "forbidden"})


class FollowUpProblem(UserFacingError):
    """A follow-up cannot be done; `key` names the text that tells the user why."""


class ChatGone(Exception):
    """The chat takes nothing from the bot any more (blocked, removed, deleted): there is no one to tell."""


@dataclass(frozen=True)
class Chain:
    """The clips of a continued video, oldest first."""

    jobs: Sequence[Job]

    @property
    def file_ids(self) -> list[str]:
        """The first delivered clip of every job in the chain."""
        return [job.delivered_file_ids[0] for job in self.jobs if job.delivered_file_ids]


class FollowUpActions:
    """Fetches delivered clips back from Telegram (by file id) to build on them, and owns the follow-ups
    that outlive their button press (a stitch's delivery may retry for minutes)."""

    def __init__(self, *, bot: Bot, jobs: JobStore, temp_dir: Path, delivery: VideoDelivery) -> None:
        self._bot = bot
        self._jobs = jobs
        self._temp_dir = temp_dir
        self._delivery = delivery
        self._running: dict[str, asyncio.Task[None]] = {}

    def start(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, unless work under the same key is still running (a double tap)."""
        if key in self._running:
            work.close()
            return
        task = asyncio.create_task(work, name=f"followup-{key}")
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))

    async def stop(self, *, grace_seconds: float) -> None:
        """At shutdown: let running follow-ups finish within the grace time, then cancel the rest."""
        tasks = list(self._running.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
            logger.info("Stopped %d follow-up(s) still running (the buttons can be tapped again)", len(late))

    async def last_frame(self, job: Job) -> FrameImage:
        """The last frame of the job's (first) video, as the start frame of the next clip."""
        if not job.delivered_file_ids:
            raise FollowUpProblem("followup-no-video")
        with self._workdir() as name:
            folder = Path(name)
            path = await self._fetch(job.delivered_file_ids[0], folder / "clip.mp4")
            try:
                from bot.media.frames import last_frame_jpeg

                data = await asyncio.to_thread(last_frame_jpeg, path)
            except MediaError as err:
                raise FollowUpProblem("followup-no-video") from err
        with Image.open(io.BytesIO(data)) as image:
            orientation = Orientation.of(image.width, image.height)
        return FrameImage(data=data, mime_type="image/jpeg", orientation=orientation)

    async def chain(self, job: Job) -> Chain:
        """The job and the clips it continues, oldest first."""
        return Chain(await self._jobs.chain(job.id))

    async def stitch_and_send(self, chain: Chain, destination: Destination, caption: str) -> Delivered:
        """Join the chain's clips into one MP4 (no re-encode when they match) and send it until Telegram
        has it; FollowUpProblem when it cannot be made or sent, ChatGone when the chat can't be told."""
        file_ids = chain.file_ids
        if len(file_ids) < 2:
            raise FollowUpProblem("followup-nothing-to-stitch")
        with self._workdir() as name:
            folder = Path(name)
            clips = [await self._fetch(file_id, folder / f"{n}.mp4") for n, file_id in enumerate(file_ids)]
            try:
                from bot.media.stitch import stitch_videos

                joined = await asyncio.to_thread(stitch_videos, clips, folder / "stitched.mp4")
                ready: ReadyVideo = await prepare_for_upload(joined)
            except MediaError as err:
                raise FollowUpProblem("followup-stitch-failed") from err
            try:
                return await self._delivery.deliver(
                    destination, [ready], caption, None, job_id=f"{chain.jobs[-1].id} (stitch)"
                )
            except Undeliverable as err:
                if err.kind in _NO_ONE_TO_TELL:
                    raise ChatGone(err.description) from err
                if err.kind == "no_rights":
                    raise FollowUpProblem("followup-stitch-no-rights") from err
                raise FollowUpProblem("failure-undeliverable", reason=err.description) from err
            except DeliveryWindowPassed as err:
                raise FollowUpProblem("followup-stitch-not-sent") from err

    async def _fetch(self, file_id: str, dest: Path) -> Path:
        try:
            telegram_file = await self._bot.get_file(file_id)
            await telegram_file.download_to_drive(dest)
        except (BadRequest, Forbidden) as err:  # (PTB makes these NetworkErrors too) e.g. "file is too big"
            raise FollowUpProblem("followup-fetch-failed") from err
        except NetworkError as err:  # Telegram unreachable or answering 5xx: worth a later tap
            raise FollowUpProblem("followup-telegram-unreachable") from err
        except TelegramError as err:
            raise FollowUpProblem("followup-fetch-failed") from err
        return dest

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled() and (error := task.exception()) is not None:
            # The work handles its own errors; this is only a last record of a bug.
            logger.error("Follow-up %s failed", key, exc_info=error)

    def _workdir(self) -> tempfile.TemporaryDirectory[str]:
        self._temp_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix="followup-", dir=self._temp_dir)
