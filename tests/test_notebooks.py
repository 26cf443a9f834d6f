"""The stored notebooks are what a reader should find: clean, complete, with exercises and their solutions."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from helpers import checks

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from check_notebooks import check_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def heading(level: int, title: str) -> re.Pattern:
    return re.compile(rf"^{'#' * level} {title}\s*$", re.MULTILINE)


def exercise_groups(section: list[dict]) -> list[tuple[list[dict], list[dict]]]:
    """The cells after '## Exercises' as (exercise cells, solution cells) pairs, in order."""
    groups: list[tuple[list[dict], list[dict]]] = []
    for cell in section:
        if "exercise" in tags(cell):
            if not groups or groups[-1][1]:
                groups.append(([], []))
            groups[-1][0].append(cell)
        elif groups:
            groups[-1][1].append(cell)
    return groups


def test_notebooks_are_numbered_in_order() -> None:
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)) and len(numbers) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_passes_the_hygiene_checks(path: Path) -> None:
    """The rules of scripts/check_notebooks.py (also run by `make lint`): executed in order, clean, diffable."""
    assert [str(problem) for problem in check_notebook(path)] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_goals_and_ends_with_exercises(path: Path) -> None:
    cells = json.loads(path.read_text())["cells"]
    first = source(cells[0])
    assert first.startswith("# ") and "**You will learn to**" in first and "**Time:**" in first

    exercises = heading(2, "Exercises")
    starts = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and exercises.search(source(c))]
    assert len(starts) == 1, "one markdown cell has the heading '## Exercises'"
    start = starts[0]
    before = "\n".join([source(c) for c in cells[:start]] + [source(cells[start]).split("## Exercises")[0]])
    assert heading(2, "Summary").search(before), "'## Summary' comes before '## Exercises'"

    section = cells[start + 1 : -1]
    assert all(len(tags(c) & {"exercise", "solution"}) == 1 for c in section), (
        "every cell between '## Exercises' and '## Try this next' is tagged either exercise or solution"
    )
    assert not [c for c in cells[: start + 1] + cells[-1:] if tags(c) & {"exercise", "solution"}]
    groups = exercise_groups(section)
    assert groups and "exercise" in tags(section[0])
    for n, (exercise, solutions) in enumerate(groups, 1):
        assert exercise[0]["cell_type"] == "markdown" and source(exercise[0]).startswith(f"### Exercise {n}: ")
        assert solutions, f"exercise {n} is followed by its solution"
        if solutions[0]["cell_type"] == "markdown":
            assert source(solutions[0]).startswith("**Solution.**")
        collapsed = [c.get("metadata", {}).get("jupyter", {}).get("source_hidden") for c in solutions]
        assert collapsed == [True] * len(solutions), f"exercise {n}: solution cells are collapsed"
        assert any(c["cell_type"] == "code" for c in solutions), f"exercise {n}: a solution that runs"

    last = cells[-1]
    assert last["cell_type"] == "markdown" and source(last).startswith("## Try this next") and not tags(last)
    assert len(groups) == len(checks.exercises_of(path.stem[3:])), "helpers.checks holds one check per exercise"
    items = [int(n) for n in re.findall(r"^(\d+)\. ", source(last), re.MULTILINE)]
    assert items == list(range(1, len(items) + 1)) and 1 <= len(items) <= 3


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("04_confusion_matrix.ipynb", r"test accuracy (\d+\.\d+)%"),
        ("07_your_own_digits.ipynb", r"preprocessed the MNIST way: (\d+) of 10 right"),
    ],
)
def test_notebook_trains_its_own_model_when_none_is_saved(name: str, result: str, tmp_path: Path, monkeypatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MNIST_COURSE_MODELS", str(tmp_path))  # the kernel inherits it: no saved model there
    path = ROOT / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, kernel_name="mnist-course", timeout=600, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    said = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "stream")
    assert "no saved model at" in said and "run 03_training.ipynb to save one" in said
    assert "epoch 5/5" in said
    if name.startswith("04"):
        assert float(re.search(result, said)[1]) >= 97.5
    else:
        assert int(re.search(result, said)[1]) >= 9
        assert "run 06_cnn.ipynb first" in said  # exercise 1 explains the missing CNN instead of failing


def output_text(cell: dict) -> str:
    """Everything a code cell printed or displayed as text."""
    return "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_checks_itself_and_its_worked_solution_passes(path: Path) -> None:
    """The starter cell calls check("NN.k", answer); a solution cell calls it with the worked answer, which passed."""
    cells = json.loads(path.read_text())["cells"]
    start = next(i for i, c in enumerate(cells) if heading(2, "Exercises").search(source(c)))
    number = path.name[:2]
    for k, (exercise, solutions) in enumerate(exercise_groups(cells[start + 1 : -1]), 1):
        starters = [c for c in exercise if c["cell_type"] == "code" and f'check("{number}.{k}", answer)' in source(c)]
        assert starters, f"exercise {k}: a starter cell tagged exercise calls check({number}.{k!r}, answer)"
        worked = [c for c in solutions if c["cell_type"] == "code" and f'check("{number}.{k}", ' in source(c)]
        assert worked, f"exercise {k}: the worked solution checks its answer"
        assert any(f"Exercise {number}.{k}: right." in output_text(c) for c in worked), f"exercise {k}: not right"


def test_exercise_ids_follow_the_notebooks_numbers() -> None:
    """helpers.checks.NUMBERS maps each notebook's number to its name: renumbering the course updates it."""
    assert {p.name[:2]: p.stem[3:] for p in NOTEBOOKS} == checks.NUMBERS
