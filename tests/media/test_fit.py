from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from bot.media import fit
from bot.media.errors import MediaError
from bot.media.fit import FitPlan, fit_video, plan_fit
from bot.media.probe import AudioFormat, ClipFormat, probe_video
from bot.media.transcode import AudioTarget, VideoTarget
from bot.media.transcode import reencode as real_reencode
from tests.fakes.media import make_mp4


def _moov_before_mdat(path: Path) -> bool:
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def test_a_file_that_fits_is_returned_untouched(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "clip.mp4", seconds=1.0)
    before = clip.read_bytes()
    dest = tmp_path / "out.mp4"

    result = fit_video(clip, dest, max_bytes=len(before))

    assert result == clip
    assert clip.read_bytes() == before
    assert not dest.exists()


def test_a_noisy_clip_is_reencoded_under_a_small_cap(noisy_clip: Path, tmp_path: Path) -> None:
    source = probe_video(noisy_clip)
    assert source.size_bytes > 300_000
    dest = tmp_path / "fitted.mp4"

    result = fit_video(noisy_clip, dest, max_bytes=60_000)

    assert result == dest
    fitted = probe_video(dest)
    assert fitted.size_bytes <= 60_000
    assert (fitted.width, fitted.height) == (source.width, source.height)
    assert fitted.duration_seconds == pytest.approx(source.duration_seconds, abs=0.15)
    assert _moov_before_mdat(dest)  # faststart: playable while it downloads
    assert list(tmp_path.glob("*.part")) == []


def test_a_padded_clip_with_sound_keeps_its_sound(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "padded.mp4", seconds=2.0, audio=True, pad_to_bytes=300_000)
    dest = tmp_path / "fitted.mp4"

    fit_video(clip, dest, max_bytes=60_000)

    fitted = probe_video(dest)
    assert fitted.size_bytes <= 60_000
    assert fitted.has_audio
    assert (fitted.width, fitted.height) == (72, 128)
    assert fitted.duration_seconds == pytest.approx(2.0, abs=0.15)


def test_rotation_is_kept(rotated_clip: Path, tmp_path: Path) -> None:
    with rotated_clip.open("ab") as handle:  # a trailing `free` box makes it too big without changing it
        handle.write((100_000).to_bytes(4, "big") + b"free" + bytes(100_000 - 8))
    dest = tmp_path / "fitted.mp4"

    fit_video(rotated_clip, dest, max_bytes=50_000)

    fitted = probe_video(dest)
    assert (fitted.width, fitted.height, fitted.rotation) == (72, 128, 90)


def test_an_impossible_cap_raises_and_leaves_nothing_behind(noisy_clip: Path, tmp_path: Path) -> None:
    dest = tmp_path / "fitted.mp4"

    with pytest.raises(MediaError) as caught:
        fit_video(noisy_clip, dest, max_bytes=3_000)

    assert caught.value.code == "cannot_fit"
    assert not dest.exists()
    assert list(tmp_path.glob("*.part")) == []


def test_an_overshoot_is_corrected_by_one_retry(
    noisy_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def greedy_plan(clip: ClipFormat, *, max_bytes: int) -> FitPlan:
        plan = plan_fit(clip, max_bytes=max_bytes)
        return replace(plan, video=replace(plan.video, bit_rate=(plan.video.bit_rate or 0) * 3))

    bit_rates: list[int | None] = []

    def recording_reencode(
        clips: Sequence[Path], dest: Path, *, video: VideoTarget, audio: AudioTarget | None
    ) -> None:
        bit_rates.append(video.bit_rate)
        real_reencode(clips, dest, video=video, audio=audio)

    monkeypatch.setattr(fit, "plan_fit", greedy_plan)
    monkeypatch.setattr(fit, "reencode", recording_reencode)
    dest = tmp_path / "fitted.mp4"

    fit_video(noisy_clip, dest, max_bytes=60_000)

    assert dest.stat().st_size <= 60_000
    assert len(bit_rates) == 2
    assert bit_rates[1] is not None and bit_rates[0] is not None
    assert bit_rates[1] < bit_rates[0] / 2


def test_two_misses_raise_cannot_fit(
    noisy_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[Path] = []

    def bloated_reencode(
        clips: Sequence[Path], dest: Path, *, video: VideoTarget, audio: AudioTarget | None
    ) -> None:
        attempts.append(dest)
        dest.write_bytes(bytes(70_000))

    monkeypatch.setattr(fit, "reencode", bloated_reencode)
    dest = tmp_path / "fitted.mp4"

    with pytest.raises(MediaError) as caught:
        fit_video(noisy_clip, dest, max_bytes=60_000)

    assert caught.value.code == "cannot_fit"
    assert len(attempts) == 2
    assert not dest.exists()
    assert not attempts[0].exists()


def test_garbage_over_the_cap_is_not_a_video(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"junk" * 10_000)

    with pytest.raises(MediaError) as caught:
        fit_video(junk, tmp_path / "out.mp4", max_bytes=1_000)

    assert caught.value.code == "not_a_video"


def _clip_format(width: int, height: int, seconds: int, *, audio: bool) -> ClipFormat:
    sound = AudioFormat("aac", 48_000, 2, "stereo", None, Fraction(seconds)) if audio else None
    return ClipFormat(
        codec="h264",
        coded_width=width,
        coded_height=height,
        pix_fmt="yuv420p",
        extradata=None,
        rotation=0,
        frame_rate=Fraction(24),
        duration=Fraction(seconds),
        video_duration=Fraction(seconds),
        audio=sound,
        size_bytes=100_000_000,
    )


def test_plan_keeps_the_size_when_the_budget_is_generous() -> None:
    plan = plan_fit(_clip_format(1280, 720, 8, audio=True), max_bytes=20_000_000)

    assert (plan.video.width, plan.video.height) == (1280, 720)
    assert plan.audio is not None
    assert plan.audio.bit_rate == 96_000
    total_bits = ((plan.video.bit_rate or 0) + plan.audio.bit_rate) * 8
    assert 0.9 * 20_000_000 * 8 < total_bits <= 20_000_000 * 8


def test_plan_shrinks_the_picture_only_when_the_bit_rate_would_be_absurd() -> None:
    plan = plan_fit(_clip_format(1920, 1080, 8, audio=False), max_bytes=600_000)

    assert plan.audio is None
    assert plan.video.width < 1920
    assert plan.video.width % 2 == 0 and plan.video.height % 2 == 0
    assert plan.video.width / plan.video.height == pytest.approx(16 / 9, rel=0.02)
