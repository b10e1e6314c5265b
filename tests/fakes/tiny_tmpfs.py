"""A small tmpfs for full-disk tests: mount it, fill it up, free it (needs root; skips otherwise).

The `tiny_tmpfs` fixture (tests/conftest.py) yields a mounted TinyTmpfs of 4 MB, or of the size
given with `@pytest.mark.tiny_tmpfs(size=2 * MB)`, and unmounts it at teardown even when the test fails.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

MB = 1024 * 1024
_CHUNK = 64 * 1024
_FILLER_PREFIX = ".filler-"


class TinyTmpfs:
    """A mounted tmpfs of a few megabytes on `path`."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size
        self._fillers = 0

    @classmethod
    def mount(cls, path: Path, size: int = 4 * MB) -> TinyTmpfs:
        """Mount a tmpfs of `size` bytes on an existing directory; pytest.skip when that is impossible."""
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        try:
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(path)],
                check=True,
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError) as err:
            pytest.skip(f"cannot mount a tmpfs here: {err}")
        return cls(path, size)

    @property
    def free_bytes(self) -> int:
        """Bytes an unprivileged write can still use."""
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave_bytes: int = 0) -> int:
        """Fill the filesystem until at most `leave_bytes` are free; returns the bytes written."""
        self._fillers += 1
        target = self.free_bytes - leave_bytes
        written = 0
        chunk = b"\0" * _CHUNK
        with open(self.path / f"{_FILLER_PREFIX}{self._fillers}", "wb", buffering=0) as filler:
            while written < target:
                try:
                    written += filler.write(chunk[: min(_CHUNK, target - written)])
                except OSError as err:
                    if err.errno != errno.ENOSPC:
                        raise
                    break
        return written

    def free(self) -> None:
        """Delete what fill() wrote."""
        for filler in self.path.glob(f"{_FILLER_PREFIX}*"):
            filler.unlink()

    def unmount(self) -> None:
        """Unmount (lazily if files are still open)."""
        result = subprocess.run(["umount", str(self.path)], capture_output=True, timeout=30, check=False)
        if result.returncode != 0:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, timeout=30, check=False)
