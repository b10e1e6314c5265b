"""Entry point: `python -m bot` runs the bot; `--check` validates settings and the database;
`--backup PATH` copies the database.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from bot.settings import SettingsError, load_settings


async def backup(database: Path, target: Path) -> int:
    """Copy the database with SQLite's backup API; print one line; 0 when the copy is written."""
    from storage.backup import backup_database
    from storage.errors import StorageError

    try:
        result = await backup_database(database, target)
    except (OSError, sqlite3.Error, StorageError) as err:
        print(f"Backup failed: {type(err).__name__}: {err}")
        return 1
    print(f"Backup written to {result.path}: {result.size_bytes} bytes, {result.ledger_rows} ledger rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, load settings and run (or check) the bot."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="validate settings and the database, then exit (0 = ready)"
    )
    parser.add_argument(
        "--backup",
        metavar="PATH",
        type=Path,
        help="write a consistent copy of the database to PATH (safe while the bot runs), then exit",
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
    if args.backup is not None:
        return asyncio.run(backup(settings.database_path, args.backup))
    run_bot(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
