"""The compatibility run's environments follow pyproject.toml (scripts/compat.py; the run: `make test-compat`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts import compat


def test_lowest_environment_pins_each_lower_bound_on_the_oldest_python_allowed(monkeypatch) -> None:
    project = {"dependencies": ["numpy>=2.0.2", "keras >= 3.8.0"], "requires-python": " >= 3.12"}
    monkeypatch.setattr(compat, "project", lambda: project)
    assert compat.lowest_requirements() == ["numpy==2.0.2", "keras==3.8.0", "ipykernel"]
    assert compat.oldest_python() == "3.12"
    project["requires-python"] = "~=3.11"
    with pytest.raises(ValueError, match="must read"):
        compat.oldest_python()


def test_an_upper_bound_or_a_missing_lower_bound_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(compat, "project", lambda: {"dependencies": ["numpy<3"], "requires-python": ">=3.11"})
    with pytest.raises(ValueError, match="lower bound"):
        compat.lowest_requirements()


def test_colab_environment_is_the_published_runtime_and_its_packages_are_watched() -> None:
    colab = compat.ENVIRONMENTS["colab"]()
    assert colab.python == "3.13" and {"tensorflow==2.20.0", "keras==3.13.2"} <= set(colab.requirements)
    assert {r.split("==")[0] for r in colab.requirements} == set(compat.WATCHED)


def test_an_environment_is_rebuilt_when_its_specification_changes() -> None:
    a = compat.Environment("x", "3.11", ["numpy==2.0.2"])
    assert a.key() == compat.Environment("x", "3.11", ["numpy==2.0.2"]).key()
    assert a.key() != compat.Environment("x", "3.11", ["numpy==2.1.0"]).key()
    assert a.key() != compat.Environment("x", "3.12", ["numpy==2.0.2"]).key()


def test_pyenv_is_found_from_path_when_home_is_elsewhere(tmp_path: Path, monkeypatch) -> None:
    """A CI run with an empty HOME still finds pyenv's Pythons, through its shims on PATH."""
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    (root / "versions").mkdir()
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "bin"), str(root / "shims")]))
    assert compat.pyenv_roots() == [tmp_path / "empty-home" / ".pyenv", root]


def test_each_environment_runs_in_a_process_of_its_own_and_any_failure_fails_the_run(monkeypatch) -> None:
    started = []

    class Run:  # subprocess.Popen, as main starts it: the environment fails or passes by its name
        def __init__(self, cmd: list[str], cwd: Path) -> None:
            started.append(cmd[3:])
            self.returncode = 1 if "lowest" in cmd else 0

        def wait(self) -> int:
            return self.returncode

    monkeypatch.setattr(compat.subprocess, "Popen", Run)
    assert compat.main(["03_training.ipynb"]) == 1
    assert started == [["colab", "03_training.ipynb"], ["lowest", "03_training.ipynb"]]
