from __future__ import annotations

from pathlib import Path

import pytest

from bot.media.errors import MediaError
from bot.media.probe import probe_video, read_clip_format
from tests.fakes.media import make_image, make_mp4


def test_probe_reports_size_length_and_no_audio(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "clip.mp4", width=72, height=128, seconds=2.0, fps=8)

    info = probe_video(clip)

    assert (info.width, info.height) == (72, 128)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert info.size_bytes == clip.stat().st_size
    assert info.has_audio is False
    assert info.rotation == 0


def test_probe_sees_the_audio_track(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "clip.mp4", seconds=1.5, audio=True)

    info = probe_video(clip)

    assert info.has_audio is True
    assert info.duration_seconds == pytest.approx(1.5, abs=0.05)


def test_padding_counts_in_size_but_not_in_length(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "clip.mp4", seconds=1.0, pad_to_bytes=200_000)

    info = probe_video(clip)

    assert info.size_bytes >= 200_000
    assert info.duration_seconds == pytest.approx(1.0, abs=0.05)


def test_rotation_side_data_swaps_the_displayed_size(rotated_clip: Path) -> None:
    info = probe_video(rotated_clip)

    assert (info.width, info.height) == (72, 128)
    assert info.rotation == 90
    assert read_clip_format(rotated_clip).coded_width == 128


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"hello, this is not a video at all\n" * 50,
        bytes(range(256)) * 64,
        b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500,  # an MP4 signature with nothing behind it
        make_image(fmt="PNG"),  # FFmpeg reads still images too; they are not videos
    ],
    ids=["empty", "text", "noise", "truncated-mp4", "png"],
)
def test_garbage_is_not_a_playable_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.mp4"
    path.write_bytes(content)

    with pytest.raises(MediaError) as caught:
        probe_video(path)

    assert caught.value.code == "not_a_video"
    assert str(caught.value) == "This file is not a playable video."


def test_a_missing_file_is_not_a_playable_video(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe_video(tmp_path / "absent.mp4")

    assert caught.value.code == "not_a_video"
