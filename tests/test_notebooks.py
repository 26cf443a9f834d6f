"""The stored notebooks are what a reader should find: clean, complete, with exercises and their solutions."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

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
    items = [int(n) for n in re.findall(r"^(\d+)\. ", source(last), re.MULTILINE)]
    assert items == list(range(1, len(items) + 1)) and 1 <= len(items) <= 3


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("05_confusion_matrix.ipynb", r"test accuracy (\d+\.\d+)%"),
        ("08_your_own_digits.ipynb", r"preprocessed the MNIST way: (\d+) of 10 right"),
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
    assert "no saved model at" in said and "run 04_training.ipynb to save one" in said
    assert "epoch 5/5" in said
    if name.startswith("05"):
        assert float(re.search(result, said)[1]) >= 97.5
    else:
        assert int(re.search(result, said)[1]) >= 9
        assert "run 07_cnn.ipynb first" in said  # exercise 1 explains the missing CNN instead of failing
