"""The stored notebooks are what a reader should find: clean, complete, with exercises and their solutions.

The rules themselves live in one rulebook, scripts/check_notebooks.py (tested in test_check_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from helpers.models import ModelFileError, load_model
from scripts.check_notebooks import check_notebook
from scripts.course import NOTEBOOKS, course_notebooks

NOTEBOOK_PATHS = course_notebooks()


def test_notebooks_are_numbered_in_order() -> None:
    numbers = [int(p.name[:2]) for p in NOTEBOOK_PATHS]
    assert numbers == list(range(1, len(NOTEBOOK_PATHS) + 1)) and len(numbers) >= 4


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_follows_the_rulebook(path: Path) -> None:
    """Executed in order, clean and diffable; opens with its goals, ends with exercises and "Try this next"."""
    assert [str(problem) for problem in check_notebook(path)] == []


def test_07_exercise_1_explains_a_missing_cnn_instead_of_failing(tmp_path: Path, capsys) -> None:
    """Its solution loads 07's CNN; without one it says to run 07 (nbval always finds the CNN that 07 saved)."""
    nb = nbformat.read(NOTEBOOKS / "08_your_own_digits.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if "solution" in c.metadata.get("tags", []) and "cnn_mnist.keras" in c.source]
    namespace = {"load_model": load_model, "ModelFileError": ModelFileError, "models_dir": lambda: tmp_path}
    exec(cell.source, namespace)
    assert namespace["cnn"] is None and "run 07_cnn.ipynb first" in capsys.readouterr().out
