"""Sends finished videos into the chat: probed, shrunk to Telegram's limit when needed, as a reply."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, InlineKeyboardMarkup, InputMediaVideo, Message, ReplyParameters
from telegram.constants import ChatAction, FileSizeLimit, MessageLimit
from telegram.error import TelegramError

from bot.media.fit import fit_video
from bot.media.probe import VideoInfo, probe_video

logger = logging.getLogger(__name__)

UPLOAD_LIMIT_BYTES = int(FileSizeLimit.FILESIZE_UPLOAD)
# Headroom under the limit for the multipart envelope.
FIT_TARGET_BYTES = UPLOAD_LIMIT_BYTES - 512 * 1024


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


def caption_html(prompt: str, footer: str) -> str:
    """The prompt (escaped, cut so the visible caption fits Telegram's limit) above a footer line."""
    room = int(MessageLimit.CAPTION_LENGTH) - len(footer) - 1
    visible = prompt if len(prompt) <= room else prompt[: max(room - 1, 0)].rstrip() + "…"
    return f"<i>{html.escape(visible)}</i>\n{html.escape(footer)}"


async def prepare_for_upload(path: Path) -> ReadyVideo:
    """Probe the file and re-encode it to fit the upload limit when it is too large."""
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
) -> list[SentVideo]:
    """Send one video (with the buttons), or an album for several (albums carry no buttons)."""
    if not destination.chat_is_group:
        # Only in private chats: in groups the rate limiter counts chat actions against the 20 messages a
        # minute a group allows, and there the videos themselves need that room.
        with contextlib.suppress(TelegramError):
            await bot.send_chat_action(
                destination.chat_id, ChatAction.UPLOAD_VIDEO, message_thread_id=destination.thread_id
            )
    if len(videos) == 1:
        video = videos[0]
        with video.path.open("rb") as handle:
            message = await bot.send_video(
                destination.chat_id,
                video=handle,
                width=video.info.width,
                height=video.info.height,
                duration=round(video.info.duration_seconds),
                supports_streaming=True,
                caption=caption,
                message_thread_id=destination.thread_id,
                reply_parameters=destination.reply_parameters,
                reply_markup=reply_markup,
                filename="video.mp4",
            )
        return [_sent(message)]
    media = []
    handles = [video.path.open("rb") for video in videos]
    try:
        for index, (video, handle) in enumerate(zip(videos, handles, strict=True)):
            media.append(
                InputMediaVideo(
                    handle,
                    width=video.info.width,
                    height=video.info.height,
                    duration=round(video.info.duration_seconds),
                    supports_streaming=True,
                    caption=caption if index == 0 else None,
                    filename=f"video-{index + 1}.mp4",
                )
            )
        messages = await bot.send_media_group(
            destination.chat_id,
            media,
            message_thread_id=destination.thread_id,
            reply_parameters=destination.reply_parameters,
        )
    finally:
        for handle in handles:
            handle.close()
    return [_sent(message) for message in messages]


def _sent(message: Message) -> SentVideo:
    file_id = message.video.file_id if message.video else ""
    return SentVideo(message.message_id, file_id)
