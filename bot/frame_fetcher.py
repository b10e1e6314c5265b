"""Images sent on Telegram as video frames: the bots' download limit, fetching by file id, preparing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Bot
from telegram.constants import FileSizeLimit
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.jobs.build import FrameImage
from bot.media.errors import ImageError, MediaError
from bot.media.images import prepare_image
from bot.user_errors import UserFacingError

DOWNLOAD_LIMIT_BYTES = int(FileSizeLimit.FILESIZE_DOWNLOAD)
# Both channels accept JPEG and PNG; WEBP (Official only) is converted so any model can take it.
UPSTREAM_MIME_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class ImageRef:
    """An image attached to a message: its file id and what Telegram says about it."""

    file_id: str
    file_size: int | None


class ImageProblem(UserFacingError):
    """The attachment cannot be used as a frame (its arguments can quote the file's name or type)."""


def check_downloadable(ref: ImageRef) -> None:
    """Bots can download files up to 20 MB; say so before anything else happens."""
    if ref.file_size is not None and ref.file_size > DOWNLOAD_LIMIT_BYTES:
        raise ImageProblem(
            "file-too-large",
            size=f"{ref.file_size / 1_000_000:.0f}",
            limit=f"{DOWNLOAD_LIMIT_BYTES / 1_000_000:.0f}",
        )


class FrameFetcher:
    """Downloads an image by file id and makes it a frame the gateway takes."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def fetch(self, ref: ImageRef) -> FrameImage:
        """The prepared frame; its bytes are downloaded, never its URL sent on (it contains the bot token)."""
        check_downloadable(ref)
        try:
            telegram_file = await self._bot.get_file(ref.file_id)
            data = bytes(await telegram_file.download_as_bytearray())
        except (BadRequest, Forbidden) as err:  # (PTB makes these NetworkErrors too) e.g. an unknown file id
            raise ImageProblem("image-fetch-failed") from err
        except NetworkError as err:  # Telegram unreachable or answering 5xx: worth sending again later
            raise ImageProblem("image-telegram-unreachable") from err
        except TelegramError as err:
            raise ImageProblem("image-fetch-failed") from err
        try:
            prepared = await asyncio.to_thread(prepare_image, data, allowed_mime_types=UPSTREAM_MIME_TYPES)
        except ImageError as err:
            if err.format_name is not None:
                raise ImageProblem("image-error-unsupported_named", kind=err.format_name) from err
            raise ImageProblem(f"image-error-{err.code}") from err
        except MediaError as err:
            raise ImageProblem(f"image-error-{err.code}") from err
        return FrameImage(data=prepared.data, mime_type=prepared.mime_type, orientation=prepared.orientation)
