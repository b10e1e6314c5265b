"""What a video file holds: its displayed size, length, sound, and the stream details other helpers need."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.audio.stream
import av.container
import av.error
import av.video.stream

from bot.media.errors import MediaError
from bot.media.info import VideoInfo

logger = logging.getLogger(__name__)

NOT_A_VIDEO = "This file is not a playable video."
#: What a container or decoder raises for a file it cannot read.
READ_ERRORS = (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError)
DEFAULT_FRAME_RATE = Fraction(24)


@dataclass(frozen=True)
class AudioFormat:
    """The first audio stream's codec parameters and header length."""

    codec: str
    sample_rate: int
    channels: int
    layout: str
    extradata: bytes | None
    duration: Fraction | None


@dataclass(frozen=True)
class ClipFormat:
    """The first video stream's codec parameters (stored size, not displayed) and the audio beside it."""

    codec: str
    coded_width: int
    coded_height: int
    pix_fmt: str | None
    extradata: bytes | None
    rotation: int
    frame_rate: Fraction
    duration: Fraction
    #: The video stream's own header length, when the container records one.
    video_duration: Fraction | None
    audio: AudioFormat | None
    size_bytes: int

    @property
    def displayed_size(self) -> tuple[int, int]:
        """Width and height as a player shows them."""
        if self.rotation in (90, -90):
            return self.coded_height, self.coded_width
        return self.coded_width, self.coded_height


def probe_video(path: Path) -> VideoInfo:
    """Read the headers and decode the first frame; raise MediaError("not_a_video") for anything else."""
    clip = read_clip_format(path)
    width, height = clip.displayed_size
    return VideoInfo(
        width=width,
        height=height,
        duration_seconds=float(clip.duration),
        size_bytes=clip.size_bytes,
        has_audio=clip.audio is not None,
        rotation=clip.rotation,
    )


def read_clip_format(path: Path) -> ClipFormat:
    """Everything fit and stitch need to know about a clip; MediaError("not_a_video") if it is not one."""
    try:
        with av.open(str(path), "r") as container:
            stream = first_video_stream(container)
            first = next(decoded_frames(container, stream), None)
            if first is None:
                raise MediaError(NOT_A_VIDEO, code="not_a_video")
            audio = _audio_format(container)
            context = stream.codec_context
            return ClipFormat(
                codec=context.name,
                coded_width=first.width,
                coded_height=first.height,
                pix_fmt=context.pix_fmt,
                extradata=context.extradata,
                rotation=normalized_rotation(first.rotation),
                frame_rate=stream.average_rate or stream.guessed_rate or DEFAULT_FRAME_RATE,
                duration=_duration(container, stream),
                video_duration=stream_seconds(stream),
                audio=audio,
                size_bytes=path.stat().st_size,
            )
    except READ_ERRORS as err:
        logger.info("cannot read %s as a video: %s", path.name, err)
        raise MediaError(NOT_A_VIDEO, code="not_a_video") from err


def first_video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The container's first video stream with a real picture size, or MediaError (also for still images)."""
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        raise MediaError(NOT_A_VIDEO, code="not_a_video")
    for stream in container.streams.video:
        if stream.codec_context.width > 0 and stream.codec_context.height > 0:
            return stream
    raise MediaError(NOT_A_VIDEO, code="not_a_video")


def decoded_frames(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Iterator[av.VideoFrame]:
    """Decode a video stream packet by packet, skipping packets the decoder rejects."""
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as err:
            logger.debug("skipping an undecodable packet: %s", err)
            continue
        yield from frames


def normalized_rotation(degrees: float) -> int:
    """Round a display rotation to the nearest quarter turn: 0, 90, 180 or -90."""
    return (0, 90, 180, -90)[round(degrees / 90) % 4]


def stream_seconds(stream: av.video.stream.VideoStream | av.audio.stream.AudioStream) -> Fraction | None:
    """A stream's length from its header, when the container records it."""
    if stream.duration is None or stream.time_base is None or stream.duration <= 0:
        return None
    return stream.duration * stream.time_base


def _audio_format(container: av.container.InputContainer) -> AudioFormat | None:
    """The first audio stream's parameters, or None for a silent file."""
    if not container.streams.audio:
        return None
    stream = container.streams.audio[0]
    context = stream.codec_context
    return AudioFormat(
        codec=context.name,
        sample_rate=context.sample_rate,
        channels=context.channels,
        layout=context.layout.name,
        extradata=context.extradata,
        duration=stream_seconds(stream),
    )


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Fraction:
    """The video's length: from the stream header, the container header, or by reading every packet."""
    seconds = stream_seconds(stream)
    if seconds is not None:
        return seconds
    if container.duration is not None and container.duration > 0:
        return Fraction(container.duration, av.time_base)
    container.seek(0)
    start: Fraction | None = None
    end = Fraction(0)
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        begin = packet.pts * packet.time_base
        start = begin if start is None else min(start, begin)
        end = max(end, (packet.pts + (packet.duration or 0)) * packet.time_base)
    return end - (start or 0)
