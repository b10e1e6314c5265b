"""`python -m bench.run`: run one shape, every shape or a custom run of the benchmark; print markdown.

Exits 0 when measured (targets may be missed), 1 when a job was lost or duplicated, 2 when a run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.control import ControlError
from bench.processes import ProcessFailed
from bench.report import render, shapes_table
from bench.scenario import BenchConfig, BenchResult, run_benchmark
from bench.shapes import SHAPES
from bench.targets import Targets
from bench.warmup import WarmUpFailed

logger = logging.getLogger(__name__)

EXIT_MEASURED = 0
EXIT_JOBS_LOST = 1
EXIT_BROKEN = 2
CUSTOM = "custom"

# Command-line options and the BenchConfig field each one sets.
_FIELDS = {
    "jobs": "jobs",
    "users": "users",
    "chats": "chats",
    "chat_kind": "chat_kind",
    "rounds": "rounds",
    "generation_seconds": "generation_seconds",
    "video_mb": "video_mb",
    "mode": "mode",
    "max_concurrent": "max_concurrent_jobs",
    "poll_interval": "poll_interval",
    "timeout": "deliver_timeout",
    "settle": "settle_seconds",
}


@dataclass(frozen=True)
class Run:
    """One run to make: a shape's name (or "custom"), what to run and its targets."""

    name: str
    config: BenchConfig
    targets: Targets


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--shape", choices=sorted(SHAPES), help="run one named shape (with its targets)")
    which.add_argument("--all", action="store_true", help="run every named shape and print one table")
    custom = parser.add_argument_group("runs", "without --shape/--all: a custom run; with them: overrides")
    custom.add_argument("--jobs", type=int, help="video requests to inject at once, per round (200)")
    custom.add_argument("--users", type=int, help="distinct users sending them (200)")
    custom.add_argument("--chats", type=int, help="group chats the users write in (20)")
    custom.add_argument("--chat-kind", choices=("group", "private"), help="groups, or each user privately")
    custom.add_argument("--rounds", type=int, help="send the jobs again once every video arrived (1)")
    custom.add_argument("--generation-seconds", type=float, help="fake gateway time per video (5)")
    custom.add_argument("--video-mb", type=float, help="size of each video, MB = 2**20 bytes (5)")
    custom.add_argument("--mode", choices=("sync", "async"), help="GENERATION_MODE (sync)")
    custom.add_argument("--max-concurrent", type=int, help="MAX_CONCURRENT_JOBS (default --jobs)")
    custom.add_argument("--poll-interval", type=float, help="POLL_INTERVAL_SECONDS in async mode (1)")
    custom.add_argument("--timeout", type=float, help="seconds to wait for every video (480)")
    custom.add_argument("--settle", type=float, help="quiet seconds after the last video (5)")
    parser.add_argument("--workdir", type=Path, help="keep logs, database, raw data here (per shape)")
    parser.add_argument(
        "--bot-env", action="append", default=[], metavar="NAME=VALUE", help="extra variable for the bot"
    )
    return parser


def parse_runs(argv: Sequence[str] | None = None) -> list[Run]:
    """The command line as the runs to make, in order."""
    parser = _parser()
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {
        field: getattr(args, option) for option, field in _FIELDS.items() if getattr(args, option) is not None
    }
    try:
        extra_env = tuple(_pair(item) for item in args.bot_env)
        if not (args.all or args.shape):
            return [Run(CUSTOM, BenchConfig(**overrides, workdir=args.workdir, bot_env=extra_env), Targets())]
        runs = []
        for name in list(SHAPES) if args.all else [args.shape]:
            shape = SHAPES[name]
            workdir = args.workdir
            if workdir is not None and args.all:
                workdir = workdir / name
            env = shape.config.bot_env + extra_env
            config = dataclasses.replace(shape.config, **overrides, workdir=workdir, bot_env=env)
            runs.append(Run(name, config, shape.targets))
    except ValueError as err:
        parser.error(str(err))
    return runs


def _pair(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise ValueError(f"--bot-env wants NAME=VALUE, got {item!r}")
    return name, value


def main(argv: Sequence[str] | None = None) -> int:
    """Make each run, print its report (and, for several, one table first); the worst exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    measured: list[tuple[str, BenchResult | None, Targets]] = []
    exit_code = EXIT_MEASURED
    for name, config, targets in ((run.name, run.config, run.targets) for run in parse_runs(argv)):
        logger.info("shape %s: %s", name, config.describe())
        try:
            result = asyncio.run(run_benchmark(config))
        except (ProcessFailed, ControlError, WarmUpFailed, OSError) as err:
            print(f"The benchmark ({name}) could not run: {err}", file=sys.stderr)
            measured.append((name, None, targets))
            exit_code = EXIT_BROKEN
            continue
        measured.append((name, result, targets))
        if not result.complete:
            exit_code = max(exit_code, EXIT_JOBS_LOST)
        if config.workdir is not None:
            print(f"Logs and the bot's database ({name}) are in {config.workdir}", file=sys.stderr)
    if len(measured) > 1:
        print(shapes_table(measured) + "\n")
    for name, shown, targets in measured:
        if shown is not None:
            print(render(shown, targets, name=name) + "\n")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
