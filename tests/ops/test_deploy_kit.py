"""The deployment kit: `.env.example` names every setting with its default; compose.yaml fits the image."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from tests.ops.test_dockerfile import image_env, parse_dockerfile, volumes

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"TELEGRAM_BOT_TOKEN", "APIYI_API_KEY", "WEBHOOK_SECRET_TOKEN"}
# `NAME=value` (to fill in) or `# NAME=value` (a default shown commented out).
SETTING = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def example_settings() -> dict[str, tuple[bool, str]]:
    """NAME -> (commented out, value), and every setting line is preceded by a comment."""
    found: dict[str, tuple[bool, str]] = {}
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        match = SETTING.match(line)
        if match is None:
            continue
        assert match["name"] not in found, f"{match['name']} appears twice"
        assert index and lines[index - 1].startswith("#"), f"{match['name']} has no comment above it"
        found[match["name"]] = (bool(match["commented"]), match["value"])
    return found


def test_env_example_names_exactly_the_settings() -> None:
    assert set(example_settings()) == {name.upper() for name in Settings.model_fields}


def test_secrets_are_empty_and_the_shown_defaults_are_the_real_ones() -> None:
    settings = example_settings()
    for name in SECRETS:
        assert settings[name][1] == "", f"{name} must be empty in the example"
    # Only the required secrets are active lines: the rest would override the image's /data paths.
    assert {name for name, (commented, _) in settings.items() if not commented} == {
        "TELEGRAM_BOT_TOKEN",
        "APIYI_API_KEY",
    }
    shown: dict[str, Any] = {
        name.lower(): value for name, (_, value) in settings.items() if name not in SECRETS
    }
    from_example = Settings(telegram_bot_token="t", apiyi_api_key="k", _env_file=None, **shown)
    defaults = Settings(telegram_bot_token="t", apiyi_api_key="k", _env_file=None)
    assert from_example == defaults


def test_compose_builds_the_image_keeps_data_on_the_volume_and_stops_gracefully() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    dockerfile = parse_dockerfile((ROOT / "Dockerfile").read_text())
    [mount] = volumes(dockerfile)
    env = image_env(dockerfile)

    assert re.search(r"^\s+build: \.$", compose, re.MULTILINE)
    assert re.search(r"^\s+env_file: \.env$", compose, re.MULTILINE)
    assert re.search(rf"^\s+- veo-data:{re.escape(str(mount))}$", compose, re.MULTILINE)
    for name in ("DATABASE_PATH", "TEMP_DIR"):
        assert f"{name}: {env[name]}" in compose
    assert "stop_grace_period: 30s" in compose


@pytest.mark.parametrize("name", ["compose.yaml", ".env.example"])
def test_readme_points_to_the_kit(name: str) -> None:
    assert f"`{name}`" in (ROOT / "README.md").read_text()
