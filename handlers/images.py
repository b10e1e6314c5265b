"""Finding and fetching the image(s) a message carries, as bytes ready for the gateway."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass

from telegram import Bot, Message
from telegram.constants import FileSizeLimit

from bot.gateway.catalog import Orientation
from bot.jobs.build import FrameImage
from bot.media.errors import ImageError, MediaError
from bot.media.images import prepare_image

DOWNLOAD_LIMIT_BYTES = int(FileSizeLimit.FILESIZE_DOWNLOAD)
# Both channels accept JPEG and PNG; WEBP (Official only) is converted so any model can take it.
UPSTREAM_MIME_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class ImageRef:
    """An image attached to a message: its file id and what Telegram says about it."""

    file_id: str
    file_size: int | None


class ImageProblem(Exception):
    """The attachment cannot be used; `key` and `args` form the message for the user."""

    def __init__(self, key: str, **args: object) -> None:
        super().__init__(key)
        self.key = key
        # The values can quote the user's file name or type, and the answer is HTML: escape them here.
        self.args_for_text = {name: html.escape(str(value)) for name, value in args.items()}


def image_ref(message: Message) -> ImageRef | None:
    """The image a message carries (largest photo size, or an image document); None if it has none.

    Raises ImageProblem for attachments that are not usable images (a PDF, a sticker, a huge file).
    """
    if message.photo:
        largest = message.photo[-1]
        return ImageRef(largest.file_id, largest.file_size)
    document = message.document
    if document is not None:
        # Any image/* file is read by prepare_image, which converts what it can and names what it cannot.
        if not (document.mime_type or "").startswith("image/"):
            kind = document.mime_type or (document.file_name or "unknown")
            raise ImageProblem("file-not-image", kind=kind)
        return ImageRef(document.file_id, document.file_size)
    if message.sticker is not None:
        raise ImageProblem("sticker-not-supported")
    return None


def check_downloadable(ref: ImageRef) -> None:
    """Bots can download files up to 20 MB; say so before anything else happens."""
    if ref.file_size is not None and ref.file_size > DOWNLOAD_LIMIT_BYTES:
        raise ImageProblem(
            "file-too-large",
            size=f"{ref.file_size / 1_000_000:.0f}",
            limit=f"{DOWNLOAD_LIMIT_BYTES / 1_000_000:.0f}",
        )


async def fetch_frame(bot: Bot, ref: ImageRef) -> FrameImage:
    """Download the image's bytes (never its URL: it contains the bot token) and prepare it."""
    check_downloadable(ref)
    telegram_file = await bot.get_file(ref.file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        prepared = await asyncio.to_thread(prepare_image, data, allowed_mime_types=UPSTREAM_MIME_TYPES)
    except ImageError as err:
        if err.format_name is not None:
            raise ImageProblem("image-error-unsupported_named", kind=err.format_name) from err
        raise ImageProblem(f"image-error-{err.code}") from err
    except MediaError as err:
        raise ImageProblem(f"image-error-{err.code}") from err
    orientation = Orientation.LANDSCAPE if prepared.width > prepared.height else Orientation.PORTRAIT
    return FrameImage(data=prepared.data, mime_type=prepared.mime_type, orientation=orientation)
