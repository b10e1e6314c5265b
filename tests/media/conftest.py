"""Fixtures for the media tests: clips written fresh into each test's tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media.clips import noise, red_left_half, write_clip


@pytest.fixture
def noisy_clip(tmp_path: Path) -> Path:
    """Three seconds of 160x96 noise at 12 fps, stored near-losslessly (several hundred KB)."""
    return write_clip(tmp_path / "noisy.mp4", noise, width=160, height=96, frames=36, fps=12, crf=10)


@pytest.fixture
def rotated_clip(tmp_path: Path) -> Path:
    """Stored 128x72, shown 72x128 after a 90-degree counter-clockwise turn; left half red when stored."""
    return write_clip(tmp_path / "rotated.mp4", red_left_half, width=128, height=72, frames=8, rotation=90)
