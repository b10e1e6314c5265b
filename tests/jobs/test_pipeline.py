"""The pipeline's pure helpers: which failure text a refused delivery gets, and which kept
downloads can be delivered after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.jobs.pipeline import _kept_videos, _undeliverable_kind


@pytest.mark.parametrize(
    ("kind", "text_kind"),
    [("no_rights", "no_rights"), ("bot_blocked", "undeliverable"), ("chat_not_found", "undeliverable")],
)
def test_missing_rights_keep_their_own_advice(kind: str, text_kind: str) -> None:
    assert _undeliverable_kind(kind) == text_kind


# -- _kept_videos -----------------------------------------------------------------------------------


def test_only_whole_downloads_are_kept_for_delivery(tmp_path: Path) -> None:
    assert _kept_videos(tmp_path / "job-never-started") == []
    for name in ("video-2.mp4", "video-1.mp4", "video-1-fit.mp4", "video-3.part", "frame.jpg"):
        (tmp_path / name).write_bytes(b"\0")
    assert _kept_videos(tmp_path) == [tmp_path / "video-1.mp4", tmp_path / "video-2.mp4"]
