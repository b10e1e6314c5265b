"""`python -m bench.run`: run the benchmark once and print its markdown report (exit 1 if jobs were lost)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.control import ControlError
from bench.processes import ProcessFailed
from bench.report import render
from bench.scenario import BenchConfig, run_benchmark
from bench.warmup import WarmUpFailed

logger = logging.getLogger(__name__)

EXIT_MEASURED = 0
EXIT_JOBS_LOST = 1
EXIT_BROKEN = 2


def parse_config(argv: Sequence[str] | None = None) -> BenchConfig:
    """The command line as a BenchConfig."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--jobs", type=int, default=200, help="video requests to inject at once")
    parser.add_argument("--users", type=int, default=200, help="distinct users sending them")
    parser.add_argument("--chats", type=int, default=20, help="group chats the users write in")
    parser.add_argument("--generation-seconds", type=float, default=5.0, help="fake gateway time per video")
    parser.add_argument("--video-mb", type=float, default=5.0, help="size of each video (MB = 2**20 bytes)")
    parser.add_argument("--mode", choices=("sync", "async"), default="sync", help="GENERATION_MODE")
    parser.add_argument(
        "--max-concurrent", type=int, default=None, help="MAX_CONCURRENT_JOBS (default --jobs)"
    )
    parser.add_argument("--poll-interval", type=float, default=1.0, help="POLL_INTERVAL_SECONDS (async mode)")
    parser.add_argument("--timeout", type=float, default=480.0, help="seconds to wait for every video")
    parser.add_argument("--settle", type=float, default=5.0, help="quiet seconds after the last video")
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs, database and raw data here")
    parser.add_argument(
        "--bot-env", action="append", default=[], metavar="NAME=VALUE", help="extra variable for the bot"
    )
    args = parser.parse_args(argv)
    try:
        return BenchConfig(
            jobs=args.jobs,
            users=args.users,
            chats=args.chats,
            generation_seconds=args.generation_seconds,
            video_mb=args.video_mb,
            mode=args.mode,
            max_concurrent_jobs=args.max_concurrent,
            poll_interval=args.poll_interval,
            deliver_timeout=args.timeout,
            settle_seconds=args.settle,
            workdir=args.workdir,
            bot_env=tuple(_pair(item) for item in args.bot_env),
        )
    except ValueError as err:
        parser.error(str(err))


def _pair(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise ValueError(f"--bot-env wants NAME=VALUE, got {item!r}")
    return name, value


def main(argv: Sequence[str] | None = None) -> int:
    """Run once, print the report; 0 when measured (targets may be missed), 1 when jobs were lost."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = parse_config(argv)
    try:
        result = asyncio.run(run_benchmark(config))
    except (ProcessFailed, ControlError, WarmUpFailed, OSError) as err:
        print(f"The benchmark could not run: {err}", file=sys.stderr)
        return EXIT_BROKEN
    print(render(result))
    if config.workdir is not None:
        print(f"\nLogs and the bot's database are in {config.workdir}", file=sys.stderr)
    return EXIT_MEASURED if result.complete else EXIT_JOBS_LOST


if __name__ == "__main__":
    sys.exit(main())
