"""uv.lock agrees with pyproject.toml, and CI installs from it and runs exactly the README's test command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def declared(pyproject: dict[str, Any]) -> set[tuple[str, str, frozenset[str], str]]:
    """(name, specifier, extras, marker) of every dependency, the dev extra's included."""
    project = pyproject["project"]
    found = set()
    for group, lines in [("", project["dependencies"]), *project["optional-dependencies"].items()]:
        for line in lines:
            requirement = Requirement(line)
            marker = f"extra == '{group}'" if group else ""
            found.add(
                (
                    canonicalize_name(requirement.name),
                    str(requirement.specifier),
                    frozenset(requirement.extras),
                    marker,
                )
            )
    return found


def locked(lock: dict[str, Any], name: str) -> set[tuple[str, str, frozenset[str], str]]:
    [package] = [package for package in lock["package"] if package["name"] == name]
    return {
        (
            canonicalize_name(entry["name"]),
            str(Requirement(f"x{entry.get('specifier', '')}").specifier),
            frozenset(entry.get("extras", [])),
            entry.get("marker", ""),
        )
        for entry in package["metadata"]["requires-dist"]
    }


def test_the_lock_was_made_from_the_current_requirements() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lock = tomllib.loads((ROOT / "uv.lock").read_text())

    assert locked(lock, pyproject["project"]["name"]) == declared(pyproject), "run `uv lock`"
    assert lock["requires-python"] == pyproject["project"]["requires-python"]


def test_every_dependency_has_a_floor_and_the_runtime_ones_a_cap() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    for line in project["dependencies"]:
        operators = {spec.operator for spec in Requirement(line).specifier}
        assert ">=" in operators and "<" in operators, line
    for line in project["optional-dependencies"]["dev"]:
        assert ">=" in {spec.operator for spec in Requirement(line).specifier}, line


def test_ci_installs_the_lock_and_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    [command] = re.findall(r"Run the tests[^\n]*\n\n```bash\n([^\n]+)\n```", readme)

    assert command in ci
    assert "uv lock --check" in ci and "--frozen" in ci
    assert "--resolution lowest-direct" in ci
