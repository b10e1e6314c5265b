"""Child processes of the benchmark: started with a log file, stopped (and killed if need be) at the end."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT = 20.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
KILL_TIMEOUT = 5.0


class ProcessFailed(Exception):
    """A child process did not start, or died; the message carries the end of its log."""


@dataclass
class Child:
    """A running child process and the file its output goes to."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    @property
    def alive(self) -> bool:
        """True until the process has exited."""
        return self.process.returncode is None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the process's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def failure(self, what: str) -> ProcessFailed:
        """An exception naming the process, with the end of its log."""
        tail = self.log_tail()
        return ProcessFailed(f"{self.name}: {what}" + (f"\n--- {self.log_path} ---\n{tail}" if tail else ""))


def _dies_with_parent(signum: int) -> Callable[[], None]:
    """Run in the child before exec: get `signum` when the benchmark dies, however it dies."""

    def arrange() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)

    return arrange


def python_environment(extra: Mapping[str, str], *, drop: Sequence[str] = ()) -> dict[str, str]:
    """This process's environment without the `drop` variables, the repository on PYTHONPATH, plus `extra`."""
    dropped = {name.upper() for name in drop}
    env = {key: value for key, value in os.environ.items() if key.upper() not in dropped}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


async def start_python(
    name: str,
    args: Sequence[str],
    *,
    log_path: Path,
    cwd: Path,
    env: Mapping[str, str],
    capture_stdout: bool = False,
    death_signal: int = signal.SIGTERM,
) -> Child:
    """Run `python <args>` with stderr (and stdout unless captured) going to `log_path`.

    If the benchmark itself dies without stopping its children, they get `death_signal`.
    """
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if capture_stdout else log,
            stderr=log,
            preexec_fn=_dies_with_parent(death_signal),
        )
    logger.debug("started %s (pid %d)", name, process.pid)
    return Child(name, process, log_path)


async def first_line(child: Child, *, within: float) -> str:
    """The first stdout line of a child started with capture_stdout (a fake prints its URL there)."""
    assert child.process.stdout is not None, "start the child with capture_stdout=True"
    try:
        line = await asyncio.wait_for(child.process.stdout.readline(), within)
    except TimeoutError as err:
        raise child.failure(f"printed nothing within {within:.0f} s") from err
    text = line.decode(errors="replace").strip()
    if not text:
        await asyncio.sleep(0.2)  # let the log catch the traceback
        raise child.failure("exited before printing its address")
    return text


async def stop(child: Child, *, grace: float = STOP_TIMEOUT) -> int | None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; the exit code (None if never reaped)."""
    process = child.process
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            logger.warning("%s did not stop within %.0f s; killing it", child.name, grace)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), KILL_TIMEOUT)
    return process.returncode


@contextlib.asynccontextmanager
async def stopped_at_exit(child: Child) -> AsyncIterator[Child]:
    """Yield the child; stop it on the way out, whatever happened."""
    try:
        yield child
    finally:
        await stop(child)
