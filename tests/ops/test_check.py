"""`python -m bot --check`: 0 and one line when ready, 2 and one line naming a bad setting; no secrets."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage import Database
from tests.e2e.bot_process import clean_environment
from tests.e2e.harness import API_KEY, BOT_TOKEN

WEBHOOK_SECRET = "not-a-valid secret!"


@dataclass(frozen=True)
class CheckResult:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return (self.stdout + self.stderr).splitlines()


async def run_check(tmp_path: Path, **settings: str | None) -> CheckResult:
    """Run `python -m bot --check` in tmp_path with good settings, changed by `settings` (None removes)."""
    env = clean_environment()
    env.update(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        APIYI_API_KEY=API_KEY,
        DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"),
        TEMP_DIR=str(tmp_path / "data" / "tmp"),
    )
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--check",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return CheckResult(process.returncode, stdout.decode(), stderr.decode())


def assert_safe(result: CheckResult) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for secret in (BOT_TOKEN, BOT_TOKEN.split(":")[1], API_KEY, WEBHOOK_SECRET):
        assert secret not in output
    assert len(result.lines) == 1, output


async def test_good_settings_create_the_database_and_print_one_line(tmp_path: Path) -> None:
    result = await run_check(tmp_path)

    assert result.code == 0, result
    assert_safe(result)
    assert "OK" in result.stdout and str(tmp_path / "data" / "bot.sqlite3") in result.stdout
    assert (tmp_path / "data" / "tmp").is_dir()
    db = await Database.open(tmp_path / "data" / "bot.sqlite3")  # migrated and usable
    await db.close()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"TELEGRAM_BOT_TOKEN": None}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "   "}, "TELEGRAM_BOT_TOKEN"),
        ({"POLL_INTERVAL_SECONDS": "five"}, "POLL_INTERVAL_SECONDS"),
        ({"POLL_INTERVAL_SECONDS": "0"}, "POLL_INTERVAL_SECONDS"),
        ({"WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET}, "WEBHOOK_SECRET_TOKEN"),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT"),
    ],
)
async def test_a_missing_or_malformed_setting_exits_2_naming_it(
    tmp_path: Path, settings: dict[str, str | None], named: str
) -> None:
    result = await run_check(tmp_path, **settings)

    assert result.code == 2, result
    assert_safe(result)
    assert named in result.lines[0]
    assert not (tmp_path / "data").exists()  # nothing was created


async def test_an_unusable_temp_dir_is_not_ready(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")

    result = await run_check(tmp_path, TEMP_DIR=str(tmp_path / "a-file" / "tmp"))

    assert result.code == 1, result
    assert_safe(result)
    assert result.lines[0].startswith("Not ready: TEMP_DIR")
