"""scripts/check_notebooks.py: a clean notebook passes, and each rule catches what it is for."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from scripts import check_notebooks

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(100)).decode()


def clean_notebook() -> nbformat.NotebookNode:
    """A small notebook that follows every rule: goals first, executed in order, a figure, an exercise with its
    collapsed solution, and "Try this next" last."""
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    solution = new_code_cell("print(sum(range(4)))", execution_count=3)
    solution.metadata = {"tags": ["solution"], "jupyter": {"source_hidden": True, "outputs_hidden": True}}
    solution.outputs = [new_output("stream", name="stdout", text="6\n")]
    exercise = new_markdown_cell("### Exercise 1: Add up\n\nAdd the numbers below 4.")
    exercise.metadata = {"tags": ["exercise"]}
    nb.cells = [
        new_markdown_cell(
            "# A notebook\n\nData in `data/mnist.npz`, the Keras cache in `~/.keras`.\n\n"
            "**You will learn to**\n- keep a notebook clean.\n\n**Time:** about 5 minutes."
        ),
        new_code_cell("print(x)", execution_count=1, outputs=[new_output("stream", name="stdout", text="1.55 MB\n")]),
        new_code_cell(
            "figure",
            execution_count=2,
            outputs=[
                new_output(
                    "execute_result",
                    {"image/png": PNG, "text/plain": "Ten bars, one per digit: all about 6,000 images."},
                    metadata={"image/png": {"alt": "Ten bars, one per digit: all about 6,000 images."}},
                    execution_count=2,
                )
            ],
        ),
        new_code_cell(""),
        new_markdown_cell("## Summary\n\nIt is clean.\n\n## Exercises"),
        exercise,
        solution,
        new_markdown_cell("## Try this next\n\n1. Break a rule.\n2. Fix it."),
    ]
    return nb


def solution_in_words() -> nbformat.NotebookNode:
    cell = new_markdown_cell("**Solution.** 6.")
    cell.metadata = {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    return cell


def rules_broken(tmp_path: Path, nb: dict, raw: str | None = None) -> set[str]:
    path = tmp_path / "01_test.ipynb"
    if raw is None:
        nbformat.write(nbformat.from_dict(nb), path)
    else:
        path.write_text(raw)
    return {problem.rule for problem in check_notebooks.check_notebook(path)}


def stream(nb: dict, text: str, name: str = "stdout") -> None:
    nb.cells[1].outputs = [new_output("stream", name=name, text=text)]


def figure(nb: dict, data: dict) -> None:
    """Replace the figure's output; an image/png keeps a text alternative, so that only the rule under test fails."""
    metadata = {"image/png": {"alt": "A figure."}} if "image/png" in data else {}
    nb.cells[2].outputs = [new_output("display_data", data, metadata=metadata)]


def alt(nb: dict, value: object) -> None:
    nb.cells[2].outputs[0].metadata["image/png"]["alt"] = value


MUTATIONS: list[tuple[str, str, Callable[[dict], None]]] = [
    ("valid", "a cell without source", lambda nb: nb.cells[1].pop("source")),
    ("kernel", "the course kernel's own name", lambda nb: nb.metadata.kernelspec.update(name="mnist-course")),
    ("metadata", "widget state", lambda nb: nb.metadata.update(widgets={"state": {}})),
    ("metadata", "a cell's run time", lambda nb: nb.cells[1].metadata.update(ExecuteTime={"end_time": "..."})),
    ("metadata", "scroll state", lambda nb: nb.cells[1].metadata.update(jupyter={"outputs_scrolled": True})),
    ("metadata", "output metadata", lambda nb: nb.cells[2].outputs[0].metadata.update(needs_background="light")),
    ("metadata", "a PNG's size", lambda nb: nb.cells[2].outputs[0].metadata["image/png"].update(width=300)),
    ("metadata", "an alt on an output without a PNG", lambda nb: nb.cells[2].outputs[0].data.pop("image/png")),
    ("figures", "a figure without a text alternative", lambda nb: nb.cells[2].outputs[0].update(metadata={})),
    ("figures", "an empty text alternative", lambda nb: alt(nb, "  ")),
    ("figures", "a text alternative that is not text", lambda nb: alt(nb, ["a", "list"])),
    ("execution", "out of order", lambda nb: nb.cells[1].update(execution_count=5)),
    ("execution", "never run", lambda nb: nb.cells[2].update(execution_count=None)),
    ("execution", "a result of another run", lambda nb: nb.cells[2].outputs[0].update(execution_count=7)),
    ("errors", "stderr", lambda nb: stream(nb, "I0000 oneDNN custom operations are on\n", name="stderr")),
    (
        "errors",
        "an error",
        lambda nb: nb.cells[1].update(outputs=[new_output("error", ename="ValueError", evalue="x", traceback=[])]),
    ),
    ("paths", "a home folder in an output", lambda nb: stream(nb, "saved /home/ada/course/models/m.keras\n")),
    ("paths", "a temporary folder in a source", lambda nb: nb.cells[1].update(source="open('/tmp/x.npz')")),
    ("paths", "a Windows profile", lambda nb: stream(nb, "C:\\Users\\ada\\mnist.npz\n")),
    ("paths", "a path in the metadata", lambda nb: nb.metadata.language_info.update(name="/root/venv/bin/python")),
    ("addresses", "an object's repr", lambda nb: stream(nb, "<keras.Sequential object at 0x7f3a2b1c9d00>\n")),
    (
        "addresses",
        "a repr in a multi-line result",
        lambda nb: figure(nb, {"text/plain": ["[<Dense at 0x7f3a2b1c9d00>,\n", " <Dense at 0x7f3a2b1c9e80>]"]}),
    ),
    ("durations", "seconds per epoch", lambda nb: stream(nb, "epoch 1/5 (2.1 s): accuracy 0.92\n")),
    ("durations", "a Keras progress line", lambda nb: stream(nb, "469/469 - 2s - 4ms/step - loss: 0.26\n")),
    ("durations", "minutes", lambda nb: stream(nb, "trained in 3.5 minutes\n")),
    ("images", "a JPEG", lambda nb: figure(nb, {"image/jpeg": PNG})),
    ("images", "an SVG", lambda nb: figure(nb, {"image/svg+xml": "<svg/>"})),
    ("images", "not a PNG", lambda nb: figure(nb, {"image/png": base64.b64encode(b"GIF89a").decode()})),
    (
        "images",
        "a PNG over the limit",
        lambda nb: figure(
            nb, {"image/png": base64.b64encode(b"\x89PNG" + bytes(check_notebooks.MAX_PNG_BYTES)).decode()}
        ),
    ),
    (
        "widgets",
        "a widget view",
        lambda nb: figure(nb, {"application/vnd.jupyter.widget-view+json": {"model_id": "5f1c", "version_major": 2}}),
    ),
    ("solutions", "an expanded solution", lambda nb: nb.cells[6].metadata.pop("jupyter")),
    ("opening", "no goals", lambda nb: nb.cells[0].update(source="# A notebook\n\n**Time:** 5 minutes.")),
    ("opening", "a title not on the first line", lambda nb: nb.cells[0].update(source="Hi\n" + nb.cells[0].source)),
    ("exercises", "no summary before the exercises", lambda nb: nb.cells[4].update(source="## Exercises")),
    ("exercises", "an exercise without its number", lambda nb: nb.cells[5].update(source="### Add up")),
    ("exercises", "an untagged cell among them", lambda nb: nb.cells[5].metadata.pop("tags")),
    ("exercises", "a solution without code", lambda nb: nb.cells.__setitem__(6, solution_in_words())),
    (
        "exercises",
        "a second '## Exercises'",
        lambda nb: nb.cells[0].update(source=nb.cells[0].source + "\n## Exercises"),
    ),
    ("try-next", "no 'Try this next' at the end", lambda nb: nb.cells[7].update(source="## Next steps\n\n1. Rest.")),
    ("try-next", "four ideas", lambda nb: nb.cells[7].update(source="## Try this next\n\n1. a\n2. b\n3. c\n4. d")),
    ("solutions", "a solution's output shown", lambda nb: nb.cells[6].metadata["jupyter"].pop("outputs_hidden")),
]


def test_a_clean_notebook_passes(tmp_path: Path) -> None:
    assert rules_broken(tmp_path, clean_notebook()) == set()


@pytest.mark.parametrize(("rule", "what", "mutate"), MUTATIONS, ids=[f"{r}: {w}" for r, w, _ in MUTATIONS])
def test_each_rule_catches_its_problem(tmp_path: Path, rule: str, what: str, mutate: Callable[[dict], None]) -> None:
    nb = clean_notebook()
    mutate(nb)
    assert rules_broken(tmp_path, nb) == {rule}


def duplicate_ids() -> str:
    nb = clean_notebook()
    nb.cells[1].id = nb.cells[0].id  # written as JSON: nbformat.write would quietly renumber it
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


# Notebooks broken as text, where nbformat.write would repair or refuse what is broken.
TEXTS: list[tuple[str, str, Callable[[], str]]] = [
    ("valid", "duplicate cell ids", duplicate_ids),
    ("valid", "not JSON", lambda: '{"cells": ['),
    ("layout", "a layout other than nbformat's", lambda: json.dumps(clean_notebook(), indent=2) + "\n"),
]


@pytest.mark.parametrize(("rule", "what", "text"), TEXTS, ids=[f"{r}: {w}" for r, w, _ in TEXTS])
def test_each_rule_catches_its_problem_in_text(tmp_path: Path, rule: str, what: str, text: Callable[[], str]) -> None:
    assert rules_broken(tmp_path, {}, raw=text()) == {rule}


def test_every_rule_has_a_failing_case() -> None:
    tested_here = {rule for rule, _, _ in MUTATIONS + TEXTS}
    assert tested_here == {"valid", *check_notebooks.TEXT_RULES, *check_notebooks.RULES}


def test_main_prints_each_problem_with_its_place_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    nb = clean_notebook()
    stream(nb, "saved /home/ada/m.keras\n", name="stderr")
    path = tmp_path / "01_test.ipynb"
    nbformat.write(nb, path)
    assert check_notebooks.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: cell 2 ({nb.cells[1].id}): stderr is stored" in out and "[paths]" in out
    nbformat.write(clean_notebook(), path)
    assert check_notebooks.main([str(path)]) == 0
