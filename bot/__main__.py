"""Entry point: `python -m bot` runs the bot; `python -m bot --check` validates settings and the database."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load settings and run (or check) the bot."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="validate settings and the database, then exit (0 = ready)"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2

    # Imported late so that a settings error is reported without loading the whole bot.
    from bot.app import check_setup, run_bot

    if args.check:
        return asyncio.run(check_setup(settings))
    run_bot(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
