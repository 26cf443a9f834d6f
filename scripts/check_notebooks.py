"""Check that stored notebooks are clean, so that a re-run changes only what really changed.

Usage: python scripts/check_notebooks.py notebooks/*.ipynb   (run by `make lint`)

Each rule below is one function that returns the problems it finds in one notebook; the
policy they enforce, and why, is in CONTRIBUTING.md ("Notebook diffs"). Exit status 1 and one
line per problem (notebook, cell, what is wrong, what to do) when any rule fails.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

KERNEL_NAME = "mnist-course"
KERNEL_DISPLAY_NAME = "Python 3 (MNIST course)"
MAX_PNG_BYTES = 150_000
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
CELL_METADATA = {"tags", "jupyter"}
JUPYTER_CELL_METADATA = {"source_hidden", "outputs_hidden"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

MACHINE_PATH = re.compile(r"(?<![\w.~])(/(root|home|Users|tmp|work|mnt|private|var/folders)/|[A-Za-z]:\\\\?Users\\)")
MEMORY_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
DURATION = re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|us|s|sec|secs|seconds|min|mins|minutes)\b")


@dataclass(frozen=True)
class Problem:
    """One rule broken in one place of a notebook."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]"


def cell_name(index: int, cell: dict) -> str:
    """How a problem names a cell: its position (as JupyterLab counts, from 1) and its id."""
    return f"cell {index + 1} ({cell.get('id', 'no id')})"


def code_cells(nb: dict) -> Iterator[tuple[str, dict]]:
    """The code cells with their names."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            yield cell_name(i, cell), cell


def output_texts(output: dict) -> Iterator[str]:
    """Every text an output holds (stream text, traceback, text-like MIME data), images left out."""
    if output.get("text"):
        yield "".join(output["text"])
    yield from output.get("traceback", [])
    for mime, value in output.get("data", {}).items():
        if not mime.startswith("image/") or mime == "image/svg+xml":
            if isinstance(value, list):  # multi-line text is stored as a list of lines
                value = "".join(value)
            yield value if isinstance(value, str) else json.dumps(value)


def check_validity(nb: dict) -> list[Problem]:
    """nbformat's schema and unique cell ids: what JupyterLab, nbconvert and nbval open unchanged."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about, and repairs, a copy's duplicate ids: checked below
            nbformat.validate(nbformat.from_dict(nb))
    except nbformat.ValidationError as err:
        return [Problem("valid", "notebook", f"not a valid nbformat 4 notebook: {err.message}")]
    ids = [cell.get("id") for cell in nb["cells"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        return [Problem("valid", "notebook", f"cell ids {duplicates} are not unique; give each cell its own id")]
    return []


def check_layout(nb: dict, raw: str) -> list[Problem]:
    """The JSON layout JupyterLab, nbformat and ruff write, so that saving again changes no byte."""
    if raw != nbformat.writes(nbformat.from_dict(nb)) + "\n":
        return [Problem("layout", "notebook", "not in nbformat's JSON layout; save it in JupyterLab or run `make run`")]
    return []


def check_kernel(nb: dict, raw: str) -> list[Problem]:
    """Every notebook names the course's kernel, so that it opens and runs with the pinned packages."""
    spec = nb.get("metadata", {}).get("kernelspec", {})
    if spec.get("name") != KERNEL_NAME or spec.get("display_name") != KERNEL_DISPLAY_NAME:
        found = f"{spec.get('name')!r} ({spec.get('display_name')!r})"
        return [
            Problem("kernel", "metadata", f"kernel is {found}; pick {KERNEL_DISPLAY_NAME!r} ({KERNEL_NAME}) and save")
        ]
    return []


def check_metadata(nb: dict, raw: str) -> list[Problem]:
    """No volatile or personal metadata: widget state, timings, scroll state, editor settings."""
    problems = []
    extra = set(nb.get("metadata", {})) - NOTEBOOK_METADATA
    if extra:
        problems.append(Problem("metadata", "metadata", f"remove notebook metadata {sorted(extra)}"))
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {})
        jupyter = {f"jupyter.{key}" for key in set(meta.get("jupyter", {})) - JUPYTER_CELL_METADATA}
        extra = (set(meta) - CELL_METADATA) | jupyter
        if extra:
            problems.append(Problem("metadata", cell_name(i, cell), f"remove cell metadata {sorted(extra)}"))
        for output in cell.get("outputs", []):
            if output.get("metadata"):
                problems.append(
                    Problem("metadata", cell_name(i, cell), f"remove output metadata {sorted(output['metadata'])}")
                )
    return problems


def check_execution(nb: dict, raw: str) -> list[Problem]:
    """Executed top to bottom in one fresh kernel: counts 1, 2, 3 ... on the non-empty code cells."""
    cells = [(name, cell) for name, cell in code_cells(nb) if "".join(cell["source"]).strip()]
    counts = [cell.get("execution_count") for _, cell in cells]
    if counts != list(range(1, len(cells) + 1)):
        return [Problem("execution", "notebook", f"execution counts {counts}; run it top to bottom with `make run`")]
    problems = []
    for name, cell in cells:
        for output in cell["outputs"]:
            if output["output_type"] == "execute_result" and output.get("execution_count") != cell["execution_count"]:
                problems.append(Problem("execution", name, "a result from another run is stored; run `make run`"))
    return problems


def check_errors(nb: dict, raw: str) -> list[Problem]:
    """No error and no stderr stored (log lines and warnings belong in no notebook)."""
    problems = []
    for name, cell in code_cells(nb):
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                problems.append(Problem("errors", name, f"an error is stored ({output.get('ename')}); fix the cell"))
            elif output.get("name") == "stderr":
                text = "".join(output.get("text", "")).strip().splitlines()
                first = text[0][:80] if text else ""
                problems.append(Problem("errors", name, f"stderr is stored ({first!r}); silence or fix its source"))
    return problems


def check_paths(nb: dict, raw: str) -> list[Problem]:
    """No machine's absolute paths (they name a person's home and change between machines)."""
    problems = []
    if MACHINE_PATH.search(json.dumps(nb.get("metadata", {}))):
        problems.append(Problem("paths", "metadata", "an absolute machine path is stored in the metadata"))
    for i, cell in enumerate(nb["cells"]):
        texts = ["".join(cell["source"])] + [t for o in cell.get("outputs", []) for t in output_texts(o)]
        found = next((m[0] for t in texts if (m := MACHINE_PATH.search(t))), None)
        if found:
            problems.append(
                Problem("paths", cell_name(i, cell), f"absolute path {found!r}; show it with helpers.display_path")
            )
    return problems


def _outputs_matching(nb: dict, pattern: re.Pattern, rule: str, advice: str) -> list[Problem]:
    """One problem per code cell whose outputs match `pattern`, quoting the first match."""
    problems = []
    for name, cell in code_cells(nb):
        found = next((m[0] for o in cell["outputs"] for t in output_texts(o) if (m := pattern.search(t))), None)
        if found:
            problems.append(Problem(rule, name, advice.format(found=found)))
    return problems


def check_addresses(nb: dict, raw: str) -> list[Problem]:
    """No memory addresses (`<object at 0x7f...>`): they differ on every run."""
    advice = "memory address {found} in an output; end the line with `;` or print less"
    return _outputs_matching(nb, MEMORY_ADDRESS, "addresses", advice)


def check_durations(nb: dict, raw: str) -> list[Problem]:
    """No wall-clock times (`2.1 s`, `4ms/step`): they differ on every run; time things in a benchmark."""
    advice = "a duration ({found!r}) is stored; it changes on every run: print none"
    return _outputs_matching(nb, DURATION, "durations", advice)


def check_images(nb: dict, raw: str) -> list[Problem]:
    """Images are PNG (binary, so a diff shows only that it changed) and each under MAX_PNG_BYTES."""
    problems = []
    for name, cell in code_cells(nb):
        for output in cell["outputs"]:
            for mime, value in output.get("data", {}).items():
                if mime.startswith("image/") and mime != "image/png":
                    problems.append(Problem("images", name, f"{mime} output; show figures as PNG"))
                elif mime == "image/png":
                    png = base64.b64decode("".join(value))
                    if not png.startswith(b"\x89PNG"):
                        problems.append(Problem("images", name, "image/png output is not a PNG"))
                    elif len(png) > MAX_PNG_BYTES:
                        problems.append(
                            Problem(
                                "images",
                                name,
                                f"PNG of {len(png) / 1000:.0f} kB (limit {MAX_PNG_BYTES / 1000:.0f} kB); "
                                "make the figure smaller or show fewer images",
                            )
                        )
    return problems


def check_widgets(nb: dict, raw: str) -> list[Problem]:
    """No widget views: each stores a model id that changes on every run, and its state is not stored."""
    return [
        Problem("widgets", name, "a widget view is stored (its model id changes on every run); clear that output")
        for name, cell in code_cells(nb)
        if any(WIDGET_VIEW in output.get("data", {}) for output in cell["outputs"])
    ]


def check_solutions(nb: dict, raw: str) -> list[Problem]:
    """Solutions are collapsed in JupyterLab, so a reader tries first: the source of every solution cell
    (`jupyter.source_hidden`), and the outputs of every solution code cell (`jupyter.outputs_hidden`),
    which show the answer even under a collapsed source."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {})
        if "solution" not in meta.get("tags", []):
            continue
        hidden = meta.get("jupyter", {})
        needed = ["source_hidden"] + (["outputs_hidden"] if cell["cell_type"] == "code" else [])
        missing = [key for key in needed if hidden.get(key) is not True]
        if missing:
            wanted = ", ".join(f'"{key}": true' for key in needed)
            advice = f'a solution cell must have "jupyter": {{{wanted}}}'
            problems.append(Problem("solutions", cell_name(i, cell), advice))
    return problems


RULES: dict[str, Callable[[dict, str], list[Problem]]] = {
    "layout": check_layout,
    "kernel": check_kernel,
    "metadata": check_metadata,
    "execution": check_execution,
    "errors": check_errors,
    "paths": check_paths,
    "addresses": check_addresses,
    "durations": check_durations,
    "images": check_images,
    "widgets": check_widgets,
    "solutions": check_solutions,
}


def check_notebook(path: Path) -> list[Problem]:
    """Every rule's problems for the notebook at `path`; a file that is not JSON is one problem."""
    raw = path.read_text(encoding="utf-8")
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as err:
        return [Problem("valid", "notebook", f"not JSON ({err}); restore it with git")]
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return [Problem("valid", "notebook", "not a notebook (no list of cells)")]
    problems = check_validity(nb)
    if problems:
        return problems  # the other rules read the notebook's structure: fix this first
    return [problem for rule in RULES.values() for problem in rule(nb, raw)]


def main(paths: list[str]) -> int:
    """Check each notebook; print every problem; exit 1 if there was any."""
    if not paths:
        print(__doc__)
        return 2
    failed = 0
    for name in paths:
        for problem in check_notebook(Path(name)):
            print(f"{name}: {problem}")
            failed += 1
    if failed:
        print(f"{failed} problem(s) in the notebooks; see CONTRIBUTING.md, 'Notebook diffs'")
        return 1
    print(f"{len(paths)} notebooks clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
