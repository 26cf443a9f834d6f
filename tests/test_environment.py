"""environment.yml (conda) pins the same packages at the same versions as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*-\s*([A-Za-z0-9_.\-]+)==(\S+)\s*$")


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for group in project["optional-dependencies"].values() for s in group]
    return dict(spec.split("==") for spec in specs)


def environment_pins() -> dict[str, str]:
    return {m[1]: m[2] for line in (ROOT / "environment.yml").read_text().splitlines() if (m := PIN.match(line))}


def test_every_pyproject_dependency_is_pinned_exactly() -> None:
    pins = pyproject_pins()
    assert len(pins) >= 10 and all(re.fullmatch(r"\d+(\.\d+)+", v) for v in pins.values())


def test_environment_yml_matches_pyproject() -> None:
    assert environment_pins() == pyproject_pins()


def test_environment_yml_installs_the_helpers() -> None:
    assert re.search(r"^\s*-\s*-e \.\s*$", (ROOT / "environment.yml").read_text(), re.MULTILINE)
