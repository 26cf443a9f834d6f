"""The stored notebooks are what a reader should find: clean, complete, with exercises and their solutions.

The rules themselves live in one rulebook, scripts/check_notebooks.py (tested in test_check_notebooks.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers import checks
from helpers.models import ModelFileError, load_model
from scripts.check_notebooks import EXERCISES, check_notebook, exercise_groups, source
from scripts.course import NOTEBOOKS, course_notebooks

NOTEBOOK_PATHS = course_notebooks()


def test_notebooks_are_numbered_in_order() -> None:
    numbers = [int(p.name[:2]) for p in NOTEBOOK_PATHS]
    assert numbers == list(range(1, len(NOTEBOOK_PATHS) + 1)) and len(numbers) >= 4


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_follows_the_rulebook(path: Path) -> None:
    """Executed in order, clean and diffable; opens with its goals, ends with exercises and "Try this next"."""
    assert [str(problem) for problem in check_notebook(path)] == []


def test_08_explains_a_missing_cnn_before_it_needs_it(tmp_path: Path) -> None:
    """The caution loads 07's CNN; without one it stops and says to run 07 (nbval always finds the CNN 07 saved)."""
    nb = nbformat.read(NOTEBOOKS / "08_your_own_digits.ipynb", as_version=4)
    [cell] = [c for c in nb.cells if "cnn_mnist.keras" in c.source]
    first = cell.source.split("\nfeatures = ")[0]  # the loading, up to where the CNN is first used
    namespace = {"load_model": load_model, "ModelFileError": ModelFileError, "models_dir": lambda: tmp_path}
    with pytest.raises(ModelFileError, match=r"run 07_cnn\.ipynb first"):
        exec(first, namespace)


def output_text(cell: dict) -> str:
    """Everything a code cell printed or displayed as text."""
    return "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
    )


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_exercise_checks_itself_and_its_worked_solution_passes(path: Path) -> None:
    """The starter cell calls check("NN.k", answer); a solution cell calls it with the worked answer, which passed."""
    cells = json.loads(path.read_text())["cells"]
    start = next(i for i, c in enumerate(cells) if EXERCISES.search(source(c)))
    groups = exercise_groups(list(enumerate(cells))[start + 1 : -1])
    number = path.name[:2]
    stored = [key for key in checks.EXERCISES if key.startswith(f"{number}.")]
    assert len(groups) == len(stored), "helpers.checks holds one check per exercise"
    for k, (exercise, solutions) in enumerate(groups, 1):
        call = f'check("{number}.{k}", answer)'
        starters = [c for _, c in exercise if c["cell_type"] == "code" and call in source(c)]
        assert starters, f"exercise {k}: a starter cell tagged exercise calls check({number}.{k!r}, answer)"
        worked = [c for _, c in solutions if c["cell_type"] == "code" and f'check("{number}.{k}", ' in source(c)]
        assert worked, f"exercise {k}: the worked solution checks its answer"
        assert any(f"Exercise {number}.{k}: right." in output_text(c) for c in worked), f"exercise {k}: not right"


def test_exercise_ids_follow_the_notebooks_numbers() -> None:
    """helpers.checks keys each exercise "NN.k" by a notebook's number: renumbering the course renames them."""
    assert {key.split(".")[0] for key in checks.EXERCISES} == {p.name[:2] for p in NOTEBOOK_PATHS}
