"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.tiny_tmpfs import MB, TinyTmpfs


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers used by the shared fixtures."""
    config.addinivalue_line("markers", "tiny_tmpfs(size): size in bytes of the tiny_tmpfs fixture's tmpfs")


@pytest.fixture
def tiny_tmpfs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TinyTmpfs]:
    """A tmpfs of 4 MB (or @pytest.mark.tiny_tmpfs(size=...)) on a temporary directory; needs root."""
    marker = request.node.get_closest_marker("tiny_tmpfs")
    size = int(marker.kwargs.get("size", 4 * MB)) if marker is not None else 4 * MB
    mount_point = tmp_path / "tiny_tmpfs"
    mount_point.mkdir()
    disk = TinyTmpfs.mount(mount_point, size)
    try:
        yield disk
    finally:
        disk.unmount()
