"""`python -m bot.healthcheck FILE [MAX_AGE]`: exit 0 when the running bot wrote its heartbeat FILE lately.

The Docker HEALTHCHECK runs this every minute, so it imports nothing but the standard library (no settings,
no database, no Telegram): it only reads the file's modification time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.constants import DEFAULT_MAX_AGE_SECONDS


def heartbeat_age(path: Path, *, now: float | None = None) -> float | None:
    """Seconds since the heartbeat file was last written, or None when there is none."""
    try:
        written = path.stat().st_mtime
    except OSError:
        return None
    return (time.time() if now is None else now) - written


def main(argv: list[str]) -> int:
    """Print one line; 0 when alive, 1 when the heartbeat is missing or stale, 2 on bad arguments."""
    if not 1 <= len(argv) <= 2:
        print("usage: python -m bot.healthcheck FILE [MAX_AGE_SECONDS]")
        return 2
    path = Path(argv[0])
    max_age = float(argv[1]) if len(argv) == 2 else DEFAULT_MAX_AGE_SECONDS
    age = heartbeat_age(path)
    if age is None:
        print(f"Not alive: no heartbeat at {path}")
        return 1
    if age > max_age:
        print(f"Not alive: heartbeat {path} is {age:.0f} s old (limit {max_age:.0f} s)")
        return 1
    print(f"Alive: heartbeat {age:.0f} s old")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
