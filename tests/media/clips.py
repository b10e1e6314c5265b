"""Clips the shared fake cannot make: noisy (hard to compress), rotated, faststart, with offset sound."""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

TONE_RATE = 48_000

Painter = Callable[[int, int, int], Image.Image]


def write_clip(
    path: Path,
    painter: Painter,
    *,
    width: int,
    height: int,
    frames: int,
    fps: int = 8,
    rotation: int = 0,
    faststart: bool = False,
    crf: int = 23,
    tone_seconds: float = 0.0,
    tone_start: float = 0.0,
) -> Path:
    """Encode frames painted by painter(index, width, height) into an H.264 MP4, with an optional AAC tone."""
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": str(crf), "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        audio = container.add_stream("aac", rate=TONE_RATE) if tone_seconds else None
        for index in range(frames):
            frame = av.VideoFrame.from_image(painter(index, width, height))  # type: ignore[no-untyped-call]
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if audio is not None:
            container.mux(audio.encode(_tone(tone_seconds, start=tone_start)))
            container.mux(audio.encode())
    return path


def _tone(seconds: float, *, start: float) -> av.AudioFrame:
    """A 440 Hz stereo sine of the given length as one frame, to be played from `start` seconds."""
    count = round(seconds * TONE_RATE)
    wave = array("h")
    for n in range(count):
        sample = round(8000 * math.sin(2 * math.pi * 440 * n / TONE_RATE))
        wave.extend((sample, sample))
    frame = av.AudioFrame(format="s16", layout="stereo", samples=count)
    frame.planes[0].update(wave.tobytes())
    frame.sample_rate, frame.pts, frame.time_base = (
        TONE_RATE,
        round(start * TONE_RATE),
        Fraction(1, TONE_RATE),
    )
    return frame


def noise(index: int, width: int, height: int) -> Image.Image:
    """Random RGB pixels: about the worst case for a video encoder."""
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def red_left_half(index: int, width: int, height: int) -> Image.Image:
    """Blue with the left half red, so a rotation shows where that half ends up."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def numbered_shade(index: int, width: int, height: int) -> Image.Image:
    """A flat colour whose green channel encodes the frame number (20 steps per frame)."""
    return Image.new("RGB", (width, height), (30, min(255, 20 * index), 90))
