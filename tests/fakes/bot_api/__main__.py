"""`python -m tests.fakes.bot_api`: the fake Bot API as a process, for a benchmark.

Run from the repository root; the first stdout line is the root URL, SIGTERM stops it. Drive it with
POST /_control/{chats,send_text,send_photo,press_button,updates,flood,faults} and read
GET /_control/{calls,stats,messages,health} (see control.py)::

    python -m tests.fakes.bot_api --port 0 [--no-flood] [--time-scale 0.1] [--no-privacy]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.fakes.bot_api import DEFAULT_TOKEN, FakeBotAPI, FloodLimits
from tests.fakes.bot_api.state import MB


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the fake Telegram Bot API server.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default="veo_test_bot")
    parser.add_argument("--spec", type=Path, default=None, help="path to telegram-bot-api api.json")
    parser.add_argument("--no-flood", action="store_true", help="disable flood control")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="flood windows x this (0.1 = 10x faster)"
    )
    parser.add_argument("--upload-limit-mb", type=float, default=50.0)
    parser.add_argument("--no-privacy", action="store_true", help="bot sees every group message")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    flood = FloodLimits(enabled=not args.no_flood, time_scale=args.time_scale)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with FakeBotAPI(
        args.token,
        bot_username=args.bot_username,
        port=args.port,
        spec_path=args.spec,
        flood=flood,
        upload_limit=int(args.upload_limit_mb * MB),
        privacy_mode=not args.no_privacy,
    ) as api:
        sys.stdout.write(api.root + "\n")
        sys.stdout.flush()
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `python -m tests.fakes.bot_api`."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
