from __future__ import annotations

import io
from array import array
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image

from bot.media.errors import MediaError
from bot.media.frames import first_frame_jpeg, last_frame_jpeg
from bot.media.probe import probe_video, read_clip_format
from bot.media.stitch import stitch_videos
from tests.fakes.media import make_mp4
from tests.media.clips import numbered_shade, write_clip


def _video_payloads(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(video=0) if packet.size]


def _picture_times(path: Path) -> list[Fraction]:
    with av.open(str(path)) as container:
        times = []
        for frame in container.decode(video=0):
            assert frame.pts is not None and frame.time_base is not None
            times.append(frame.pts * frame.time_base)
        return times


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return float(sum(frame.samples for frame in container.decode(stream)) / stream.rate)


def _peak_between(path: Path, start: float, end: float) -> float:
    """The loudest sample of the first audio track in audio frames lying wholly inside [start, end)."""
    peak = 0.0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            assert frame.format.name == "fltp" and frame.pts is not None and frame.time_base is not None
            begins = float(frame.pts * frame.time_base)
            if begins >= start and begins + frame.samples / frame.sample_rate <= end:
                samples = array("f", bytes(frame.planes[0])[: frame.samples * 4])
                peak = max(peak, *(abs(value) for value in samples))
    return peak


def _pixel(jpeg: bytes, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = Image.open(io.BytesIO(jpeg)).convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _clips(tmp_path: Path, *, audio: bool) -> list[Path]:
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    return [
        make_mp4(tmp_path / f"clip{index}.mp4", seconds=seconds, color=colour, audio=audio)
        for index, (seconds, colour) in enumerate(zip((1.0, 1.5, 2.0), colours, strict=True))
    ]


def test_matching_clips_are_joined_by_copying_packets(tmp_path: Path) -> None:
    clips = _clips(tmp_path, audio=False)
    dest = tmp_path / "joined.mp4"

    assert stitch_videos(clips, dest) == dest

    info = probe_video(dest)
    assert (info.width, info.height, info.has_audio) == (72, 128, False)
    assert info.duration_seconds == pytest.approx(4.5, abs=0.05)
    # Not re-encoded: the very same compressed pictures, in order.
    assert _video_payloads(dest) == [payload for clip in clips for payload in _video_payloads(clip)]
    # Continuous: one frame every 1/8 s from 0 to the end, no gap or overlap at the joins.
    assert _picture_times(dest) == [Fraction(index, 8) for index in range(36)]


def test_matching_clips_with_sound_keep_it_in_step(tmp_path: Path) -> None:
    clips = _clips(tmp_path, audio=True)
    dest = tmp_path / "joined.mp4"

    stitch_videos(clips, dest)

    info = probe_video(dest)
    assert info.has_audio
    assert info.duration_seconds == pytest.approx(4.5, abs=0.05)
    assert _video_payloads(dest) == [payload for clip in clips for payload in _video_payloads(clip)]
    assert _audio_seconds(dest) == pytest.approx(4.5, abs=0.08)
    assert _picture_times(dest) == [Fraction(index, 8) for index in range(36)]


def test_clips_of_different_sizes_are_reencoded_at_the_first_size(tmp_path: Path) -> None:
    clips = [
        make_mp4(tmp_path / "a.mp4", width=72, height=128, seconds=1.0, color=(200, 30, 30)),
        make_mp4(tmp_path / "b.mp4", width=128, height=128, seconds=1.0, color=(30, 200, 30)),
        make_mp4(tmp_path / "c.mp4", width=144, height=256, seconds=1.0, color=(30, 30, 200)),
    ]
    dest = tmp_path / "joined.mp4"

    stitch_videos(clips, dest)

    info = probe_video(dest)
    assert (info.width, info.height) == (72, 128)
    assert info.duration_seconds == pytest.approx(3.0, abs=0.15)
    assert len(_picture_times(dest)) == 24
    assert read_clip_format(dest).extradata != read_clip_format(clips[0]).extradata  # a fresh encode
    first, last = first_frame_jpeg(dest), last_frame_jpeg(dest)
    assert _pixel(first, (36, 64))[0] > 150  # red clip first
    assert _pixel(last, (36, 64))[2] > 150  # blue clip last, scaled down to 72x128


def test_a_clip_without_sound_gets_silence_when_others_have_it(tmp_path: Path) -> None:
    clips = [
        make_mp4(tmp_path / "a.mp4", seconds=1.0, audio=True),
        make_mp4(tmp_path / "b.mp4", seconds=1.0, audio=False),
        make_mp4(tmp_path / "c.mp4", seconds=1.0, audio=True),
    ]
    dest = tmp_path / "joined.mp4"

    stitch_videos(clips, dest)

    info = probe_video(dest)
    assert info.has_audio
    assert info.duration_seconds == pytest.approx(3.0, abs=0.15)
    assert _audio_seconds(dest) == pytest.approx(3.0, abs=0.1)
    assert _peak_between(dest, 0.0, 1.0) > 0.1
    assert _peak_between(dest, 1.0, 2.0) < 0.01  # the silent clip, in step with its picture
    assert _peak_between(dest, 2.0, 3.0) > 0.1


def test_sound_longer_than_its_picture_is_cut_so_the_next_clip_stays_in_step(tmp_path: Path) -> None:
    long_tone = write_clip(
        tmp_path / "long_tone.mp4", numbered_shade, width=72, height=128, frames=8, tone_seconds=1.6
    )
    silent_end = make_mp4(tmp_path / "b.mp4", seconds=1.0)
    dest = tmp_path / "joined.mp4"

    stitch_videos([long_tone, silent_end], dest)

    info = probe_video(dest)
    assert info.has_audio
    assert info.duration_seconds == pytest.approx(2.0, abs=0.15)
    assert _peak_between(dest, 0.0, 1.0) > 0.1
    assert _peak_between(dest, 1.03, 2.0) < 0.01  # the extra 0.6 s of tone was dropped, not shifted


def test_sound_that_starts_late_keeps_its_delay_when_reencoded(tmp_path: Path) -> None:
    late = write_clip(
        tmp_path / "late.mp4",
        numbered_shade,
        width=72,
        height=128,
        frames=8,
        tone_seconds=0.5,
        tone_start=0.5,
    )
    other_size = make_mp4(tmp_path / "b.mp4", width=144, height=256, seconds=1.0, audio=True)
    dest = tmp_path / "joined.mp4"

    stitch_videos([late, other_size], dest)

    assert probe_video(dest).duration_seconds == pytest.approx(2.0, abs=0.15)
    assert _peak_between(dest, 0.0, 0.45) < 0.01
    assert _peak_between(dest, 0.55, 1.0) > 0.1
    assert _peak_between(dest, 1.05, 2.0) > 0.1


def test_a_single_clip_is_copied(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "only.mp4", seconds=1.0, audio=True)
    dest = tmp_path / "joined.mp4"

    stitch_videos([clip], dest)

    assert probe_video(dest).duration_seconds == pytest.approx(1.0, abs=0.05)
    assert _video_payloads(dest) == _video_payloads(clip)


def test_rotated_and_upright_clips_are_joined_upright(rotated_clip: Path, tmp_path: Path) -> None:
    upright = make_mp4(tmp_path / "upright.mp4", width=72, height=128, seconds=1.0, color=(30, 200, 30))
    dest = tmp_path / "joined.mp4"

    stitch_videos([rotated_clip, upright], dest)

    info = probe_video(dest)
    assert (info.width, info.height) == (72, 128)
    assert info.duration_seconds == pytest.approx(2.0, abs=0.15)
    assert _pixel(first_frame_jpeg(dest), (36, 110))[0] > 150  # the rotated clip's red half, at the bottom
    assert _pixel(last_frame_jpeg(dest), (36, 64))[1] > 150


def test_an_unreadable_clip_is_refused(tmp_path: Path) -> None:
    good = make_mp4(tmp_path / "good.mp4", seconds=1.0)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"definitely not a video" * 20)

    with pytest.raises(MediaError) as caught:
        stitch_videos([good, bad], tmp_path / "joined.mp4")

    assert caught.value.code == "not_a_video"


def test_nothing_to_stitch_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        stitch_videos([], tmp_path / "joined.mp4")
