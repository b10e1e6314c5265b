"""Single frames of a video as JPEG: the first as a thumbnail, the last to continue a clip from."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import av.container
import av.error
import av.video.stream
from PIL import Image

from bot.media.errors import MediaError
from bot.media.probe import (
    NOT_A_VIDEO,
    READ_ERRORS,
    decoded_frames,
    first_video_stream,
    normalized_rotation,
    stream_seconds,
)

logger = logging.getLogger(__name__)

JPEG_QUALITY = 90
#: How far before the end to seek; the decoder then starts at the keyframe before that point.
TAIL_SECONDS = Fraction(2)

TRANSPOSE_FOR_ROTATION: Mapping[int, Image.Transpose] = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    -90: Image.Transpose.ROTATE_270,
}


def first_frame_jpeg(path: Path, *, max_side: int = 1280) -> bytes:
    """The first frame, upright and no longer than max_side on its longer side, as JPEG."""
    try:
        with av.open(str(path), "r") as container:
            stream = first_video_stream(container)
            frame = next(decoded_frames(container, stream), None)
            if frame is None:
                raise MediaError(NOT_A_VIDEO, code="not_a_video")
            return frame_to_jpeg(frame, max_side=max_side)
    except READ_ERRORS as err:
        raise MediaError(NOT_A_VIDEO, code="not_a_video") from err


def last_frame_jpeg(path: Path, *, max_side: int = 1280) -> bytes:
    """The last frame that decodes, upright and no longer than max_side, as JPEG."""
    try:
        with av.open(str(path), "r") as container:
            stream = first_video_stream(container)
            stream.thread_type = "AUTO"
            frame = _last_frame_near_end(container, stream)
            if frame is None:
                container.seek(0)
                frame = _last_frame(container, stream)
            if frame is None:
                raise MediaError(NOT_A_VIDEO, code="not_a_video")
            return frame_to_jpeg(frame, max_side=max_side)
    except READ_ERRORS as err:
        raise MediaError(NOT_A_VIDEO, code="not_a_video") from err


def frame_to_jpeg(frame: av.VideoFrame, *, max_side: int) -> bytes:
    """Scale a decoded frame inside max_side, turn it upright and encode it as JPEG."""
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width = max(1, round(frame.width * scale))
    height = max(1, round(frame.height * scale))
    image = frame_to_image(frame.reformat(width=width, height=height, format="rgb24"))
    transpose = TRANSPOSE_FOR_ROTATION.get(normalized_rotation(frame.rotation))
    if transpose is not None:
        image = image.transpose(transpose)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def frame_to_image(frame: av.VideoFrame) -> Image.Image:
    """A decoded frame as an RGB Pillow image (not yet turned upright)."""
    return cast(Image.Image, frame.to_image())  # type: ignore[no-untyped-call]


def _last_frame_near_end(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> av.VideoFrame | None:
    """Seek to a keyframe shortly before the end and decode from there; None if that finds nothing."""
    length = stream_seconds(stream)
    if length is None or length <= TAIL_SECONDS or stream.time_base is None:
        return None
    start = (stream.start_time or 0) + int((length - TAIL_SECONDS) / stream.time_base)
    try:
        container.seek(start, stream=stream, backward=True, any_frame=False)
    except av.error.FFmpegError as err:
        logger.debug("seek failed, decoding from the start: %s", err)
        container.seek(0)
        return None
    return _last_frame(container, stream)


def _last_frame(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> av.VideoFrame | None:
    """Decode to the end (or to the first unreadable packet), keeping only the latest frame."""
    last: av.VideoFrame | None = None
    try:
        for frame in decoded_frames(container, stream):
            last = frame
    except av.error.FFmpegError as err:
        logger.info("stopped at an unreadable part of the video: %s", err)
    return last
