"""Turn an uploaded image into one the gateway accepts: a real JPEG/PNG/WEBP, upright, small enough."""

from __future__ import annotations

import io
import logging
import math
import struct
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from PIL import ExifTags, Image, ImageCms, ImageOps, features

from bot.gateway.catalog import Orientation
from bot.media.errors import ImageError

__all__ = [
    "MAX_ASPECT_RATIO",
    "MAX_INPUT_BYTES",
    "MIN_SIDE",
    "ImageError",
    "MimeType",
    "PreparedImage",
    "prepare_image",
]

logger = logging.getLogger(__name__)

MimeType = Literal["image/jpeg", "image/png", "image/webp"]

#: Telegram lets bots download files up to 20 MB, so nothing larger can reach us anyway.
MAX_INPUT_BYTES = 20 * 1024 * 1024
#: Smaller than this on either side is useless as a video's first frame.
MIN_SIDE = 64
#: Decoded pixels we are willing to hold (about 120 MB as RGB); Pillow's own bomb limit is higher.
MAX_PIXELS = 40_000_000
#: The video is 16:9 or 9:16; a picture longer and thinner than 4:1 would become a sliver in it.
MAX_ASPECT_RATIO = 4
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_SIDE = 2048

_MIME_BY_FORMAT: Mapping[str, MimeType] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_FORMAT_BY_MIME: Mapping[str, str] = {mime: fmt for fmt, mime in _MIME_BY_FORMAT.items()}
#: Formats Pillow reads that are converted to JPEG/PNG (the gateway takes only those).
_CONVERTED_FORMATS = frozenset({"GIF", "BMP", "TIFF", "AVIF", "MPO"})
#: Multi-frame formats whose first frame is the picture (camera MPO pairs, multi-page TIFF).
_FIRST_FRAME_FORMATS = frozenset({"MPO", "TIFF"})
_SRGB = ImageCms.createProfile("sRGB")
_FIRST_QUALITIES: tuple[int, ...] = (90, 80, 70)
_LATER_QUALITIES: tuple[int, ...] = (70,)
_MAX_SHRINKS = 6
#: What Pillow's parsers raise for damaged or hostile input.
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)


@dataclass(frozen=True)
class PreparedImage:
    """Image bytes ready to upload, with their real type and displayed size."""

    data: bytes = field(repr=False)
    mime_type: MimeType
    width: int
    height: int

    @property
    def orientation(self) -> Orientation:
        """Landscape when wider than tall, otherwise portrait."""
        return Orientation.of(self.width, self.height)


def prepare_image(
    data: bytes,
    *,
    allowed_mime_types: Sequence[str] = ("image/jpeg", "image/png"),
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_side: int = DEFAULT_MAX_SIDE,
) -> PreparedImage:
    """Check the bytes are a usable still image and return them as is, or upright, smaller and re-encoded.

    The original bytes come back untouched when their real format is allowed, they need no EXIF rotation
    and already fit max_bytes and max_side. Otherwise the image is re-encoded as JPEG (PNG or WEBP only if
    JPEG is not allowed), transparency flattened onto white, quality and then size stepped down until it fits.
    GIF, BMP, TIFF, AVIF and camera multi-picture JPEGs (MPO, first picture) are always re-encoded.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ImageError("The image is larger than 20 MB.", code="too_large")
    output_format = _output_format(allowed_mime_types)
    source_format = _identify(data)
    with _open(data, source_format) as image:
        source_format = image.format or source_format  # a JPEG with more pictures in it opens as MPO
        if getattr(image, "is_animated", False) and source_format not in _FIRST_FRAME_FORMATS:
            raise ImageError("Animated images cannot be used; send a still photo.", code="animated")
        orientation = _exif_orientation(image)
        width, height = image.size
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        _check_shape(width, height, max_side)
        mime_type = _MIME_BY_FORMAT.get(source_format)
        if (
            mime_type in allowed_mime_types
            and orientation == 1
            and len(data) <= max_bytes
            and max(width, height) <= max_side
        ):
            _load(image)
            assert mime_type is not None
            return PreparedImage(data=data, mime_type=mime_type, width=width, height=height)
        if source_format in ("JPEG", "MPO"):
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the image is far larger than needed.
            image.draft(None, (max_side, max_side))
        _load(image)
        return _reencode(image, output_format, max_bytes=max_bytes, max_side=max_side)


def _check_shape(width: int, height: int, max_side: int) -> None:
    """Refuse images with too many pixels, too thin to fill a 16:9 frame, or too small once fitted."""
    if width * height > MAX_PIXELS:
        raise ImageError("The image has too many pixels.", code="too_many_pixels")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise ImageError(
            f"The image is too long and thin; at most {MAX_ASPECT_RATIO:g}:1 works.", code="extreme_aspect"
        )
    scale = min(1.0, max_side / max(width, height))
    if min(width, height) * scale < MIN_SIDE:
        raise ImageError(
            f"The image is too small; it must be at least {MIN_SIDE} px on each side.", code="too_small"
        )


def _exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 when none); PNGs may decode their pixels to find it, so damage shows here."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except _PILLOW_ERRORS as err:
        raise ImageError("The image is damaged and cannot be read.", code="damaged") from err
    return value if isinstance(value, int) else 1


def _output_format(allowed_mime_types: Sequence[str]) -> str:
    """JPEG when allowed (smallest for photos), else the first allowed format we can write."""
    if "image/jpeg" in allowed_mime_types:
        return "JPEG"
    for mime in allowed_mime_types:
        if mime in _FORMAT_BY_MIME:
            return _FORMAT_BY_MIME[mime]
    raise ValueError(f"none of {list(allowed_mime_types)} is a format prepare_image can write")


def _identify(data: bytes) -> str:
    """The real format from the leading bytes (one Pillow decoder name), or an ImageError saying why not."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":  # ISO media files: AVIF Pillow reads, HEIC it does not
        brand = data[8:12]
        if brand in (b"avif", b"avis") and features.check("avif"):
            return "AVIF"
        name = "AVIF" if brand in (b"avif", b"avis") else "HEIC"
        raise _unsupported(name)
    if _looks_like_svg(data):
        raise _unsupported("SVG")
    try:
        with Image.open(io.BytesIO(data)) as image:
            found = image.format or "unknown"
    except Image.DecompressionBombError as err:
        raise ImageError("The image has too many pixels.", code="too_many_pixels") from err
    except _PILLOW_ERRORS as err:
        raise ImageError("This file is not an image.", code="not_an_image") from err
    if found in _CONVERTED_FORMATS:
        return found
    raise _unsupported(found)


def _unsupported(name: str) -> ImageError:
    return ImageError(
        f"{name} images are not supported; send a JPEG, PNG or WEBP.",
        code="unsupported_format",
        format_name=name,
    )


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in head


@contextmanager
def _open(data: bytes, source_format: str) -> Iterator[Image.Image]:
    """Open the bytes with exactly the identified decoder, mapping parse failures to ImageError."""
    try:
        image = Image.open(io.BytesIO(data), formats=[source_format])
    except Image.DecompressionBombError as err:
        raise ImageError("The image has too many pixels.", code="too_many_pixels") from err
    except _PILLOW_ERRORS as err:
        raise ImageError("This file is not an image.", code="not_an_image") from err
    with image:
        yield image


def _load(image: Image.Image) -> None:
    """Decode the pixels, so damaged files fail here rather than at the gateway."""
    try:
        image.load()
    except _PILLOW_ERRORS as err:
        raise ImageError("The image is damaged and cannot be read.", code="damaged") from err


def _reencode(image: Image.Image, output_format: str, *, max_bytes: int, max_side: int) -> PreparedImage:
    """Apply EXIF rotation, fit inside max_side, then lower quality and size until it fits max_bytes."""
    image = _to_srgb(image)
    # Only RGB pixels keep their profile: a grayscale or CMYK profile on converted RGB data is wrong.
    icc_profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
    if image.mode.startswith("I") or image.mode == "F":
        image = _to_eight_bit(image)
    ImageOps.exif_transpose(image, in_place=True)
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    image = _convert_for(image, output_format)
    qualities = _FIRST_QUALITIES
    for _ in range(_MAX_SHRINKS):
        encoded = b""
        for quality in qualities:
            encoded = _encode(image, output_format, quality=quality, icc_profile=icc_profile)
            if len(encoded) <= max_bytes:
                return PreparedImage(
                    data=encoded,
                    mime_type=_MIME_BY_FORMAT[output_format],
                    width=image.width,
                    height=image.height,
                )
        scale = min(0.9, max(0.5, math.sqrt(max_bytes / len(encoded)) * 0.95))
        size = (round(image.width * scale), round(image.height * scale))
        if min(size) < MIN_SIDE:
            break
        logger.debug("image still %d bytes at %s; shrinking to %s", len(encoded), image.size, size)
        image = image.resize(size, Image.Resampling.LANCZOS)
        qualities = _LATER_QUALITIES
    raise ImageError("The image cannot be made small enough.", code="too_large")


def _to_srgb(image: Image.Image) -> Image.Image:
    """CMYK with a colour profile goes through the profile to sRGB; other images are returned as they are."""
    profile = image.info.get("icc_profile")
    if image.mode != "CMYK" or not profile:
        return image
    try:
        converted = ImageCms.profileToProfile(
            image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), _SRGB, outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        logger.debug("CMYK colour profile unusable; converting without it")
        return image
    assert converted is not None
    return converted


def _to_eight_bit(image: Image.Image) -> Image.Image:
    """16-bit (and 32-bit) grayscale scaled down to 8 bits; a plain convert("L") clips it all to white."""
    if image.mode.startswith("I;16"):
        scale = 255 / 65535
    else:
        high = image.getextrema()[1]
        scale = 255 / float(high) if isinstance(high, int | float) and high > 255 else 1.0
    return image.convert("I").point(lambda value: value * scale).convert("L")


def _convert_for(image: Image.Image, output_format: str) -> Image.Image:
    """Bring the pixels into a mode the output format can store; JPEG gets transparency flattened on white."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if output_format == "JPEG":
        if has_alpha:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return image if image.mode == "RGB" else image.convert("RGB")
    if output_format == "PNG" and image.mode in ("RGB", "RGBA", "L", "LA", "P"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def _encode(image: Image.Image, output_format: str, *, quality: int, icc_profile: bytes | None) -> bytes:
    """Encode once; quality is ignored by PNG."""
    buffer = io.BytesIO()
    options: dict[str, object] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if output_format != "PNG":
        options["quality"] = quality
    image.save(buffer, format=output_format, **options)
    return buffer.getvalue()
