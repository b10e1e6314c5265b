"""Follow-ups that need the delivered clips: continue from a clip's last frame, stitch a chain."""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from telegram import Bot
from telegram.error import TelegramError

from bot.gateway.catalog import Orientation
from bot.jobs.build import FrameImage
from bot.jobs.delivery import (
    Destination,
    ReadyVideo,
    SentVideo,
    UploadTimeouts,
    prepare_for_upload,
    send_videos,
)
from bot.media.errors import MediaError
from bot.user_errors import UserFacingError
from storage import Job, JobStore


class FollowUpProblem(UserFacingError):
    """A follow-up cannot be done; `key` names the text that tells the user why."""


@dataclass(frozen=True)
class Chain:
    """The clips of a continued video, oldest first."""

    jobs: Sequence[Job]

    @property
    def file_ids(self) -> list[str]:
        """The first delivered clip of every job in the chain."""
        return [job.delivered_file_ids[0] for job in self.jobs if job.delivered_file_ids]


class FollowUpActions:
    """Fetches delivered clips back from Telegram (by file id) to build on them."""

    def __init__(
        self, *, bot: Bot, jobs: JobStore, temp_dir: Path, upload_timeouts: UploadTimeouts | None = None
    ) -> None:
        self._bot = bot
        self._upload_timeouts = upload_timeouts
        self._jobs = jobs
        self._temp_dir = temp_dir

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
            landscape = image.width > image.height
        orientation = Orientation.LANDSCAPE if landscape else Orientation.PORTRAIT
        return FrameImage(data=data, mime_type="image/jpeg", orientation=orientation)

    async def chain(self, job: Job) -> Chain:
        """The job and the clips it continues, oldest first."""
        return Chain(await self._jobs.chain(job.id))

    async def stitch_and_send(self, chain: Chain, destination: Destination, caption: str) -> list[SentVideo]:
        """Join the chain's clips into one MP4 (no re-encode when they match) and send it."""
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
            return await send_videos(self._bot, destination, [ready], caption, timeouts=self._upload_timeouts)

    async def _fetch(self, file_id: str, dest: Path) -> Path:
        try:
            telegram_file = await self._bot.get_file(file_id)
            await telegram_file.download_to_drive(dest)
        except TelegramError as err:
            raise FollowUpProblem("followup-fetch-failed") from err
        return dest

    def _workdir(self) -> tempfile.TemporaryDirectory[str]:
        self._temp_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix="followup-", dir=self._temp_dir)
