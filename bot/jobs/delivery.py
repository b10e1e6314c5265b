"""Sends finished videos into the chat: probed, shrunk to Telegram's limit, streamed from disk, and
sent again until Telegram has them (or can never have them)."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import httpx
from telegram import Bot, InlineKeyboardMarkup, InputFile, InputMediaVideo, Message, ReplyParameters
from telegram.constants import ChatAction, FileSizeLimit, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.constants import MAX_DELIVERY_BACKOFF
from bot.media.info import VideoInfo
from bot.pacing.pacer import Priority, TelegramPacer, Turn
from bot.telegram_text import truncate_utf16, utf16_units

logger = logging.getLogger(__name__)

UPLOAD_LIMIT_BYTES = int(FileSizeLimit.FILESIZE_UPLOAD)
# Headroom under the limit for the multipart envelope.
FIT_TARGET_BYTES = UPLOAD_LIMIT_BYTES - 512 * 1024
# Units kept free under Telegram's caption limit, in case its count differs from ours by a little.
CAPTION_MARGIN = 24

# Substrings of Telegram's error descriptions, compared in lower case.
_CAPTION_TOO_LONG = "caption is too long"
_THREAD_GONE = ("message thread not found", "topic_deleted", "topic_closed")
_NEVER = {
    "chat not found": "chat_not_found",
    "bot was blocked by the user": "bot_blocked",
    "bot was kicked": "bot_kicked",
    "user is deactivated": "user_deactivated",
    "not enough rights": "no_rights",
    "have no rights": "no_rights",
    "chat_write_forbidden": "no_rights",
}


@dataclass(frozen=True)
class Destination:
    """Where a job's answers go: the chat, the topic, and the user's message to quote."""

    chat_id: int
    thread_id: int | None
    reply_to_message_id: int | None
    chat_is_group: bool = False

    @property
    def reply_parameters(self) -> ReplyParameters | None:
        """Quote the user's message; still send if it was deleted meanwhile."""
        if self.reply_to_message_id is None:
            return None
        return ReplyParameters(self.reply_to_message_id, allow_sending_without_reply=True)


@dataclass(frozen=True)
class SentVideo:
    """A video message in the chat, with the file id Telegram gave the upload (reusable later)."""

    message_id: int
    file_id: str


@dataclass(frozen=True)
class ReadyVideo:
    """A video file that fits Telegram's upload limit, with what the player needs to know."""

    path: Path
    info: VideoInfo


@dataclass(frozen=True)
class UploadTimeouts:
    """Seconds for one upload: sending the file, then waiting for Telegram's answer."""

    write: float = 300.0
    read: float = 300.0


@dataclass(frozen=True)
class Delivered:
    """Telegram has the videos; `possibly_twice` when an earlier attempt may have reached the chat too."""

    videos: list[SentVideo]
    attempts: int
    possibly_twice: bool
    chat_id: int  # a group that became a supergroup has a new id


class Undeliverable(Exception):
    """Telegram can never take this delivery (bot blocked, chat gone, no rights, a refused file)."""

    def __init__(self, kind: str, description: str) -> None:
        super().__init__(description)
        self.kind = kind
        self.description = description


class DeliveryWindowPassed(Exception):
    """Telegram could not be reached, or kept failing, for the whole delivery window."""


def caption_html(prompt: str, footer: str) -> str:
    """The prompt (cut by Telegram's own measure, after HTML parsing) above a footer line."""
    room = int(MessageLimit.CAPTION_LENGTH) - CAPTION_MARGIN - utf16_units(footer) - 1
    visible = truncate_utf16(" ".join(prompt.split()), max(room, 0))
    if not visible:
        return html.escape(footer)
    return f"<i>{html.escape(visible)}</i>\n{html.escape(footer)}"


async def prepare_for_upload(path: Path) -> ReadyVideo:
    """Probe the file and re-encode it to fit the upload limit when it is too large."""
    from bot.media.fit import fit_video
    from bot.media.probe import probe_video

    fitted = await asyncio.to_thread(
        fit_video, path, path.with_name(path.stem + "-fit.mp4"), max_bytes=FIT_TARGET_BYTES
    )
    info = await asyncio.to_thread(probe_video, fitted)
    return ReadyVideo(path=fitted, info=info)


async def send_videos(
    bot: Bot,
    destination: Destination,
    videos: Sequence[ReadyVideo],
    caption: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    turn: Turn | None = None,
    timeouts: UploadTimeouts | None = None,
) -> list[SentVideo]:
    """Send one video (with the buttons), or an album for several (albums carry no buttons), streaming
    each file from disk."""
    limits = timeouts or UploadTimeouts()
    pacing: dict[str, Any] = {"rate_limit_args": turn} if turn is not None else {}
    common: dict[str, Any] = {
        "message_thread_id": destination.thread_id,
        "reply_parameters": destination.reply_parameters,
        "read_timeout": limits.read,
        "write_timeout": limits.write,
        **pacing,
    }
    with _opened(videos) as handles:
        if len(videos) == 1:
            video = videos[0]
            message = await bot.send_video(
                destination.chat_id,
                video=InputFile(handles[0], filename="video.mp4", read_file_handle=False),
                width=video.info.width,
                height=video.info.height,
                duration=round(video.info.duration_seconds),
                supports_streaming=True,
                caption=caption,
                reply_markup=reply_markup,
                **common,
            )
            return [_sent(message)]
        media = [
            InputMediaVideo(
                InputFile(handle, filename=f"video-{index + 1}.mp4", attach=True, read_file_handle=False),
                width=video.info.width,
                height=video.info.height,
                duration=round(video.info.duration_seconds),
                supports_streaming=True,
                caption=caption if index == 0 else None,
            )
            for index, (video, handle) in enumerate(zip(videos, handles, strict=True))
        ]
        messages = await bot.send_media_group(destination.chat_id, media, **common)
    return [_sent(message) for message in messages]


class VideoDelivery:
    """Sends a job's videos until Telegram has them, within a window; see `deliver`."""

    def __init__(
        self,
        *,
        bot: Bot,
        pacer: TelegramPacer,
        window_seconds: float,
        timeouts: UploadTimeouts,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._pacer = pacer
        self._window = window_seconds
        self._timeouts = timeouts
        self._clock = clock
        self._sleep = sleep

    async def deliver(
        self,
        destination: Destination,
        videos: Sequence[ReadyVideo],
        caption: str,
        reply_markup: InlineKeyboardMarkup | None,
        *,
        job_id: str,
    ) -> Delivered:
        """Send until Telegram answers with the message.

        Flood control: wait exactly as long as Telegram says (the pacer holds the chat). 5xx answers,
        connection errors and timeouts: back off and send again, keeping the file. A timeout or a
        connection cut after the upload may mean Telegram has the video already: sending again then
        risks a second copy, which is better than none, and the result says so. Errors that can never
        succeed raise Undeliverable; a window without success raises DeliveryWindowPassed.
        """
        deadline = self._clock() + self._window
        attempts = 0
        failures = 0
        possibly_twice = False
        if not destination.chat_is_group:
            await self._show_uploading(destination)
        while True:
            attempts += 1
            try:
                async with self._pacer.turn(destination.chat_id, Priority.VIDEO, cost=len(videos)) as turn:
                    sent = await send_videos(
                        self._bot,
                        destination,
                        videos,
                        caption,
                        reply_markup,
                        turn=turn,
                        timeouts=self._timeouts,
                    )
                return Delivered(sent, attempts, possibly_twice, destination.chat_id)
            except RetryAfter:
                continue  # the pacer now holds the chat until Telegram's deadline
            except ChatMigrated as err:
                destination = replace(destination, chat_id=int(err.new_chat_id))
                continue
            except BadRequest as err:
                destination, caption = self._adapt(err, destination, caption, job_id)
                continue
            except Forbidden as err:
                raise Undeliverable(_never_kind(err.message) or "forbidden", err.message) from err
            except NetworkError as err:  # includes TimedOut and Telegram's 5xx answers
                failures += 1
                possibly_twice = possibly_twice or _may_have_arrived(err)
                logger.warning("Job %s: sending the video failed (attempt %d): %s", job_id, attempts, err)
            if self._clock() >= deadline:
                raise DeliveryWindowPassed(f"Telegram did not take the video within {self._window:.0f} s")
            await self._sleep(min(self._backoff(failures), max(0.0, deadline - self._clock())))

    def _adapt(
        self, err: BadRequest, destination: Destination, caption: str, job_id: str
    ) -> tuple[Destination, str]:
        """What to change so the next attempt can succeed; Undeliverable when nothing can."""
        message = err.message.lower()
        kind = _never_kind(message)
        if kind is not None:
            raise Undeliverable(kind, err.message) from err
        if _CAPTION_TOO_LONG in message and caption:
            logger.warning("Job %s: Telegram refused the caption; sending a shorter one", job_id)
            short = caption.rsplit("\n", 1)[-1] if "\n" in caption else ""
            return destination, short if short != caption else ""
        if destination.thread_id is not None and any(marker in message for marker in _THREAD_GONE):
            logger.warning("Job %s: the topic is gone; sending into the chat", job_id)
            return replace(destination, thread_id=None), caption
        if destination.reply_to_message_id is not None and "message to be replied not found" in message:
            return replace(destination, reply_to_message_id=None), caption
        raise Undeliverable("refused", err.message) from err

    async def _show_uploading(self, destination: Destination) -> None:
        # Only in private chats: in groups the messages a minute are few and the video needs them.
        with contextlib.suppress(TelegramError):
            await self._bot.send_chat_action(
                destination.chat_id, ChatAction.UPLOAD_VIDEO, message_thread_id=destination.thread_id
            )

    @staticmethod
    def _backoff(failures: int) -> float:
        """1 s, 2 s, 4 s ... capped at a minute, with jitter so many deliveries spread out."""
        return min(2.0 ** (failures - 1), MAX_DELIVERY_BACKOFF) * random.uniform(0.8, 1.2)


def _never_kind(message: str) -> str | None:
    lowered = message.lower()
    return next((kind for marker, kind in _NEVER.items() if marker in lowered), None)


def _may_have_arrived(err: NetworkError) -> bool:
    """False only when Telegram answered (5xx) or the connection never opened; True otherwise."""
    cause = err.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    return isinstance(err, TimedOut) or isinstance(cause, httpx.HTTPError)


@contextlib.contextmanager
def _opened(videos: Sequence[ReadyVideo]) -> Iterator[list[IO[bytes]]]:
    """Fresh handles for one attempt (a retry must start reading from the beginning again)."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(video.path.open("rb")) for video in videos]


def _sent(message: Message) -> SentVideo:
    file_id = message.video.file_id if message.video else ""
    return SentVideo(message.message_id, file_id)
