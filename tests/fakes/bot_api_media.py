"""What Telegram's servers learn from uploaded media: video dimensions, photo sizes, sticker images."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import av
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

# Telegram keeps a photo in several sizes; these are the longest sides of the smaller ones.
_PHOTO_SIDES = (90, 320, 800, 1280)
_MAX_PHOTO_SIDE = 2560


@dataclass(frozen=True)
class VideoInfo:
    """Dimensions and duration read from a video file (zeros when it cannot be read)."""

    width: int = 0
    height: int = 0
    duration: int = 0


@dataclass(frozen=True)
class ImageVariant:
    """One stored size of a photo."""

    width: int
    height: int
    data: bytes


def probe_video(data: bytes) -> VideoInfo:
    """Read width, height and whole-second duration of a video, as Telegram does server-side."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                return VideoInfo()
            stream = container.streams.video[0]
            duration = round(container.duration / av.time_base) if container.duration else 0
            return VideoInfo(stream.codec_context.width, stream.codec_context.height, duration)
    except (av.FFmpegError, OSError, ValueError) as err:
        logger.debug("not a readable video: %s", err)
        return VideoInfo()


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image, or None when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        return None


def photo_variants(data: bytes) -> list[ImageVariant]:
    """The sizes Telegram would keep, smallest first; the largest keeps the original bytes."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        width, height = image.size
        longest = max(width, height)
        variants: list[ImageVariant] = []
        for side in (*_PHOTO_SIDES, _MAX_PHOTO_SIDE):
            if side >= longest:
                break
            variants.append(_resized(image, side))
        if longest > _MAX_PHOTO_SIDE:
            return variants
        variants.append(ImageVariant(width, height, data))
        return variants


def _resized(image: Image.Image, side: int) -> ImageVariant:
    copy = image.convert("RGB")
    copy.thumbnail((side, side))
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=85)
    return ImageVariant(copy.width, copy.height, buffer.getvalue())


def sticker_image(size: int = 512) -> bytes:
    """A plain WEBP square, the shape of a static sticker."""
    buffer = io.BytesIO()
    Image.new("RGBA", (size, size), (255, 200, 0, 255)).save(buffer, format="WEBP")
    return buffer.getvalue()
