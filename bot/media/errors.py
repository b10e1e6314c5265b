"""The one exception tree of the media helpers; every message is safe to show to a user."""

from __future__ import annotations

from typing import Literal

VideoErrorCode = Literal["not_a_video", "cannot_fit", "encode_failed"]
ImageErrorCode = Literal[
    "not_an_image",
    "damaged",
    "unsupported_format",
    "too_large",
    "too_many_pixels",
    "too_small",
    "extreme_aspect",
    "animated",
]


class MediaError(Exception):
    """A media file could not be read, converted or made to fit."""

    code: str

    def __init__(self, message: str, *, code: VideoErrorCode | ImageErrorCode) -> None:
        super().__init__(message)
        self.message = message
        #: A short stable reason the bot maps to a translated message.
        self.code = code


class ImageError(MediaError):
    """An uploaded image cannot be used as a video frame."""

    code: ImageErrorCode

    def __init__(self, message: str, *, code: ImageErrorCode, format_name: str | None = None) -> None:
        super().__init__(message, code=code)
        #: For "unsupported_format": the format's common name (HEIC, SVG, ...) when it is known.
        self.format_name = format_name
