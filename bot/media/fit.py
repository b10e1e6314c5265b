"""Make a video small enough to upload by re-encoding it at a bit rate computed from its length."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from bot.media.errors import MediaError
from bot.media.probe import NOT_A_VIDEO, ClipFormat, read_clip_format
from bot.media.transcode import AudioTarget, VideoTarget, reencode

logger = logging.getLogger(__name__)

MAX_AUDIO_BIT_RATE = 96_000
MIN_AUDIO_BIT_RATE = 32_000
#: Share of the budget given to sound, between the two limits above.
AUDIO_SHARE = 0.1
#: Below this the picture is mush at any size, so the video cannot be made to fit.
MIN_VIDEO_BIT_RATE = 24_000
#: Below this many bits per pixel per frame, a smaller picture looks better than a blocky one.
MIN_BITS_PER_PIXEL = 0.02
#: Never shrink the shorter side below this (or below the source's own shorter side if smaller).
MIN_SHORT_SIDE = 64
#: MP4 boxes and indexes: a share of the file plus a fixed allowance.
CONTAINER_SHARE = 0.03
CONTAINER_BYTES = 4096
#: On a retry the bit rate drops by the overshoot and this much more.
RETRY_HEADROOM = 0.9

CANNOT_FIT = "The video is too large to send, even at reduced quality."


@dataclass(frozen=True)
class FitPlan:
    """The encoder settings chosen to land under a byte budget."""

    video: VideoTarget
    audio: AudioTarget | None


def fit_video(src: Path, dest: Path, *, max_bytes: int) -> Path:
    """Return src when it is at most max_bytes; otherwise re-encode it into dest so it is, or MediaError."""
    try:
        size = src.stat().st_size
    except OSError as err:
        raise MediaError(NOT_A_VIDEO, code="not_a_video") from err
    if size <= max_bytes:
        return src
    plan = plan_fit(read_clip_format(src), max_bytes=max_bytes)
    partial = dest.with_name(dest.name + ".part")
    try:
        for attempt in (1, 2):
            reencode([src], partial, video=plan.video, audio=plan.audio)
            produced = partial.stat().st_size
            if produced <= max_bytes:
                partial.replace(dest)
                return dest
            logger.info("attempt %d produced %d bytes for a cap of %d", attempt, produced, max_bytes)
            bit_rate = int((plan.video.bit_rate or 0) * max_bytes / produced * RETRY_HEADROOM)
            if bit_rate < MIN_VIDEO_BIT_RATE:
                break
            plan = replace(plan, video=replace(plan.video, bit_rate=bit_rate))
    finally:
        partial.unlink(missing_ok=True)
    raise MediaError(CANNOT_FIT, code="cannot_fit")


def plan_fit(clip: ClipFormat, *, max_bytes: int) -> FitPlan:
    """Split the byte budget between sound and picture; shrink the picture only if its share is tiny."""
    seconds = max(clip.duration, Fraction(1, 10))
    usable_bits = (max_bytes * (1 - CONTAINER_SHARE) - CONTAINER_BYTES) * 8
    total_rate = usable_bits / float(seconds)
    audio: AudioTarget | None = None
    audio_rate = 0
    if clip.audio is not None:
        audio_rate = int(min(MAX_AUDIO_BIT_RATE, max(MIN_AUDIO_BIT_RATE, total_rate * AUDIO_SHARE)))
        audio = AudioTarget(
            sample_rate=clip.audio.sample_rate,
            layout="stereo" if clip.audio.channels >= 2 else "mono",
            bit_rate=audio_rate,
        )
    video_rate = int(total_rate - audio_rate)
    if video_rate < MIN_VIDEO_BIT_RATE:
        raise MediaError(CANNOT_FIT, code="cannot_fit")
    width, height = clip.coded_width, clip.coded_height
    bits_per_pixel = video_rate / (width * height * float(clip.frame_rate))
    if bits_per_pixel < MIN_BITS_PER_PIXEL:
        scale = math.sqrt(bits_per_pixel / MIN_BITS_PER_PIXEL)
        width, height = round(width * scale), round(height * scale)
        if min(width, height) < min(MIN_SHORT_SIDE, clip.coded_width, clip.coded_height):
            raise MediaError(CANNOT_FIT, code="cannot_fit")
        logger.info("shrinking to %dx%d to keep %d bit/s watchable", width, height, video_rate)
    video = VideoTarget(
        width=_even(width),
        height=_even(height),
        frame_rate=clip.frame_rate,
        rotation=clip.rotation,
        bit_rate=video_rate,
    )
    return FitPlan(video=video, audio=audio)


def _even(value: int) -> int:
    """H.264 in yuv420p needs even sides."""
    return max(2, value - value % 2)
