"""The stored notebooks are what a reader should find: executed in order, clean, complete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_notebooks_are_numbered_in_order() -> None:
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)) and len(numbers) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed_and_clean(path: Path) -> None:
    raw = path.read_text()
    nb = json.loads(raw)
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), "run it top to bottom in a fresh kernel (make run)"
    outputs = [o for c in code_cells(nb) for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "stderr (e.g. TensorFlow logs) is stored"
    assert nb["metadata"]["kernelspec"]["name"] == "mnist-course"
    assert not re.search(r"/(root|home|Users|tmp|work)/", raw), "a machine path is stored in the notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_goals_and_ends_with_exercises(path: Path) -> None:
    cells = json.loads(path.read_text())["cells"]
    first, last = "".join(cells[0]["source"]), "".join(cells[-1]["source"])
    assert first.startswith("# ") and "**You will learn to**" in first and "**Time:**" in first
    assert "## Try this next" in last and re.search(r"^2\. ", last, re.MULTILINE)


def test_confusion_notebook_trains_its_own_model_when_none_is_saved(tmp_path: Path, monkeypatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MNIST_COURSE_MODELS", str(tmp_path))  # the kernel inherits it: no saved model there
    path = ROOT / "notebooks" / "04_confusion_matrix.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, kernel_name="mnist-course", timeout=600, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    said = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "stream")
    assert "no saved model at" in said and "run 03_training.ipynb to save one" in said
    assert "epoch 5/5" in said
    accuracy = float(re.search(r"test accuracy (\d+\.\d+)%", said)[1])
    assert accuracy >= 97.5
