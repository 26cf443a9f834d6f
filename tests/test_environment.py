"""The two kinds of version: the helpers' ranges (pyproject.toml) and the course's lock (requirements.lock), which
the class's lock (hub/requirements.lock) extends with the hub's packages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest

from scripts.course import pyproject

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
HUB_LOCK = ROOT / "hub" / "requirements.lock"
HUB_EXTRA = "hub"  # the class's server: locked in HUB_LOCK only
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)(?: ; (.+?))? \\$")
# What Colab, a JupyterHub image or a conda env already has; installing the helpers must keep it.
PREINSTALLED = {"tensorflow", "keras", "numpy", "pandas", "matplotlib", "seaborn", "pillow", "ipywidgets"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project() -> dict:
    return pyproject()["project"]


def locked(lock: Path = LOCK) -> dict[str, list[str]]:
    """{package: [version, ...]} in the lock (a package may have a version per Python, with a marker)."""
    found: dict[str, list[str]] = {}
    for line in lock.read_text().splitlines():
        if m := REQUIREMENT.match(line):
            found.setdefault(normalise(m[1]), []).append(m[2])
    return found


def test_helpers_declare_ranges_with_lower_bounds_and_no_pins() -> None:
    specs = project()["dependencies"]
    assert {normalise(re.split(r"[<>=!~ ]", s)[0]) for s in specs} >= PREINSTALLED
    for spec in specs:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+>=[\d.]+", spec), f"{spec}: a lower bound only (make test-compat)"


def test_course_tools_are_extras_not_requirements_of_the_helpers() -> None:
    names = {normalise(re.split(r"[<>=!~ ]", s)[0]) for s in project()["dependencies"]}
    assert not names & {"jupyterlab", "nbval", "ruff", "selenium", "pytest", "nbclient", "ipykernel"}


def test_lock_has_every_package_exact_and_hashed() -> None:
    text = LOCK.read_text()
    entries = re.findall(r"^[A-Za-z0-9_.\-]+==.*?(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    assert len(entries) > 100  # the whole transitive set, not just the packages pyproject.toml names
    for entry in entries:
        assert "--hash=sha256:" in entry, f"no hash for {entry.splitlines()[0]}"
    wanted = {normalise(re.split(r"[<>=!~ \[]", s)[0]) for s in project()["dependencies"]}
    extras = {name: group for name, group in project()["optional-dependencies"].items() if name != HUB_EXTRA}
    wanted |= {normalise(re.split(r"[<>=!~ ]", s)[0]) for g in extras.values() for s in g}
    assert wanted <= set(locked())


def test_the_class_lock_is_the_course_lock_and_the_hubs_packages() -> None:
    """hub/requirements.lock (make class-env) keeps every version of the course's lock and adds the hub, hashed."""
    course, hub = locked(), locked(HUB_LOCK)
    assert {name: versions for name, versions in hub.items() if name in course} == course
    for spec in project()["optional-dependencies"][HUB_EXTRA]:
        name, version = spec.split("==")
        assert hub[normalise(name)] == [version]
    entries = re.findall(r"^[A-Za-z0-9_.\-]+==.*?(?=^\S|\Z)", HUB_LOCK.read_text(), re.MULTILINE | re.DOTALL)
    assert all("--hash=sha256:" in entry for entry in entries) and len(entries) == sum(map(len, hub.values()))


def test_lock_versions_are_within_the_helpers_ranges() -> None:
    lock = locked()
    for spec in project()["dependencies"]:
        name, low = spec.split(">=")
        for version in lock[normalise(name)]:
            assert tuple(map(int, re.findall(r"\d+", version)[:3])) >= tuple(map(int, low.split(".")))


def test_this_environment_is_the_lock() -> None:
    """`make setup` installed exactly the lock (where a package has one version for every Python)."""
    installed = {normalise(d.metadata["Name"]): d.version for d in distributions()}
    for name, versions in locked().items():
        if len(versions) == 1 and name in installed:
            assert installed[name] == versions[0], f"{name}: {installed[name]} installed, {versions[0]} locked"
    for name in PREINSTALLED:
        assert name in installed


def test_environment_yml_installs_the_lock_not_a_copy_of_it() -> None:
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*-r requirements\.lock\s*$", text, re.MULTILINE)
    assert "==" not in text, "environment.yml must not repeat pins: they are in requirements.lock"
    python = re.search(r"^\s*-\s*python=(3\.\d+)\s*$", text, re.MULTILINE)
    assert python and f"--python-version {python[1]}" in (ROOT / "Makefile").read_text()


def test_installing_the_helpers_keeps_the_preinstalled_packages(tmp_path: Path) -> None:
    """pip, asked to install the helpers here (which has them all), plans to change nothing that is installed."""
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-index", "--no-build-isolation",
         "--report", str(report), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"pip could not plan the install: {done.stderr[-500:]}")
    planned = {normalise(i["metadata"]["name"]) for i in json.loads(report.read_text())["install"]}
    assert planned == {"mnist-course-helpers"}
