from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.media.errors import MediaError
from bot.media.frames import first_frame_jpeg, last_frame_jpeg
from tests.fakes.media import make_mp4
from tests.media.clips import numbered_shade, write_clip


def _jpeg(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image.convert("RGB")


def _near(pixel: object, expected: tuple[int, int, int], tolerance: int = 10) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def test_first_frame_has_the_clip_size_and_colour(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "clip.mp4", width=72, height=128, seconds=1.0, color=(40, 120, 200))

    image = _jpeg(first_frame_jpeg(clip))

    assert image.size == (72, 128)
    assert _near(image.getpixel((36, 64)), (40, 120, 200))


def test_last_frame_of_a_long_clip_is_found_after_seeking(tmp_path: Path) -> None:
    # make_mp4 shifts blue by 7 per frame: 4 s at 8 fps ends on frame 31, blue (200 + 217) % 256 = 161.
    clip = make_mp4(tmp_path / "clip.mp4", width=72, height=128, seconds=4.0, color=(40, 120, 200))

    image = _jpeg(last_frame_jpeg(clip))

    assert image.size == (72, 128)
    assert _near(image.getpixel((36, 64)), (40, 120, 161))


def test_last_frame_of_a_short_clip(tmp_path: Path) -> None:
    # 1 s at 8 fps ends on frame 7: blue 200 + 49 = 249.
    clip = make_mp4(tmp_path / "clip.mp4", seconds=1.0, color=(40, 120, 200))

    assert _near(_jpeg(last_frame_jpeg(clip)).getpixel((36, 64)), (40, 120, 249))


def test_frames_are_scaled_inside_max_side(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "wide.mp4", width=320, height=180, seconds=1.0)

    assert _jpeg(first_frame_jpeg(clip, max_side=160)).size == (160, 90)
    assert _jpeg(last_frame_jpeg(clip, max_side=160)).size == (160, 90)


def test_rotated_clips_come_out_upright(rotated_clip: Path) -> None:
    for grab in (first_frame_jpeg, last_frame_jpeg):
        image = _jpeg(grab(rotated_clip))

        assert image.size == (72, 128)
        # Stored left half red; turned 90 degrees counter-clockwise, that half is at the bottom.
        assert _near(image.getpixel((36, 110)), (255, 0, 0), tolerance=30)
        assert _near(image.getpixel((36, 18)), (0, 0, 255), tolerance=30)


def test_a_cut_off_download_still_yields_its_last_whole_frame(tmp_path: Path) -> None:
    clip = write_clip(
        tmp_path / "stream.mp4", numbered_shade, width=64, height=64, frames=12, faststart=True, crf=0
    )
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) * 2 // 3])

    image = _jpeg(last_frame_jpeg(clip))

    green = image.getpixel((32, 32))[1]  # type: ignore[index]
    assert 20 <= green < 20 * 11  # a real frame, but not the lost last one


@pytest.mark.parametrize("grab", [first_frame_jpeg, last_frame_jpeg])
def test_garbage_is_not_a_video(tmp_path: Path, grab: object) -> None:
    path = tmp_path / "junk.mp4"
    path.write_bytes(b"not a video" * 100)

    with pytest.raises(MediaError) as caught:
        grab(path)  # type: ignore[operator]

    assert caught.value.code == "not_a_video"
