"""Memory and CPU of a process (and its descendants) read from /proc, polled while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_KIB = 1024


def status_field_bytes(pid: int, name: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM) in bytes, or None when the process is gone."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * _KIB
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    # Fields after the command name start at field 3 (state); utime and stime are fields 14 and 15.
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The machine's 1-minute load average (other work on the machine skews every timing)."""
    try:
        return float((PROC / "loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (children, grandchildren, ...)."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


@dataclass(frozen=True)
class MemoryPeak:
    """The highest memory seen for a process tree."""

    peak_bytes: int  # max of the process's VmHWM and the highest polled RSS sum of the tree
    high_water_mark_bytes: int  # the kernel's VmHWM of the main process
    polled_peak_bytes: int  # highest VmRSS sum of the main process and its descendants seen by polling
    descendants_seen: int
    samples: int
    timeline: tuple[tuple[float, int], ...] = ()  # (time.monotonic(), RSS sum) per sample


class MemoryWatch:
    """Polls VmRSS of a process tree until stopped; `finish` also reads the kernel's VmHWM."""

    def __init__(self, pid: int, *, interval: float = 0.2) -> None:
        self._pid = pid
        self._interval = interval
        self._polled_peak = 0
        self._descendants: set[int] = set()
        self._samples = 0
        self._timeline: list[tuple[float, int]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin polling in the background."""
        self._task = asyncio.create_task(self._poll(), name="memory-watch")

    def sample(self) -> None:
        """Take one sample of the tree's resident memory."""
        children = descendants(self._pid)
        self._descendants.update(children)
        total = 0
        for pid in [self._pid, *children]:
            total += status_field_bytes(pid, "VmRSS") or 0
        self._polled_peak = max(self._polled_peak, total)
        self._samples += 1
        self._timeline.append((time.monotonic(), total))

    async def finish(self) -> MemoryPeak:
        """Stop polling (the process must still be alive) and return the peak."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.to_thread(self.sample)
        high_water = await asyncio.to_thread(status_field_bytes, self._pid, "VmHWM") or 0
        return MemoryPeak(
            peak_bytes=max(high_water, self._polled_peak),
            high_water_mark_bytes=high_water,
            polled_peak_bytes=self._polled_peak,
            descendants_seen=len(self._descendants),
            samples=self._samples,
            timeline=tuple(self._timeline),
        )

    async def _poll(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self._interval)
