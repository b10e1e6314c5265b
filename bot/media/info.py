"""What the player needs to know about a video (kept apart from probing, so it loads without PyAV)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoInfo:
    """A video's displayed size (rotation applied), length in seconds, file size and audio presence."""

    width: int
    height: int
    duration_seconds: float
    size_bytes: int
    has_audio: bool
    #: Counter-clockwise degrees a player turns the stored picture by: 0, 90, 180 or -90.
    rotation: int = 0
