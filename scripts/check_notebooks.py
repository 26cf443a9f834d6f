"""The notebooks' rulebook: stored clean, so that a re-run changes only what really changed, and built the course's way.

Each rule is a function returning the problems it finds in one notebook; the policy and its reasons are in
CONTRIBUTING.md ("Notebook conventions", "Notebook diffs"). nb-clean checks the cell metadata; our code checks
what it cannot express (notebook and output metadata, execution in order) and the course's structure. Exit
status 1 and one line per problem (notebook, cell, what is wrong, what to do) when any rule fails.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.paths import display_path
from scripts.course import STORED_KERNELSPEC, WIDGET_VIEW, argument_parser, course_notebooks

KERNEL_NAME, KERNEL_DISPLAY_NAME = STORED_KERNELSPEC["name"], STORED_KERNELSPEC["display_name"]

MAX_PNG_BYTES = 150_000
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
JUPYTER_CELL_METADATA = {"source_hidden", "outputs_hidden"}
# nb-clean keeps outputs, execution counts and notebook metadata (checked below), and of a cell's metadata only these.
NB_CLEAN = ["-o", "-c", "-n", "--preserve-cell-metadata-field", "tags", "--preserve-cell-metadata-field", "jupyter"]
ALT_TEXT = "alt"  # output metadata {"image/png": {"alt": ...}}: a figure's text alternative (helpers.plots)

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


def outputs(nb: dict) -> Iterator[tuple[str, dict]]:
    """Every output of the code cells, with its cell's name."""
    for name, cell in code_cells(nb):
        for output in cell["outputs"]:
            yield name, output


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


def check_layout(raw: str) -> list[Problem]:
    """The JSON layout JupyterLab, nbformat and ruff write, so that saving again changes no byte."""
    if raw != nbformat.writes(nbformat.from_dict(json.loads(raw))) + "\n":
        return [Problem("layout", "notebook", "not in nbformat's JSON layout; save it in JupyterLab or run `make run`")]
    return []


def check_kernel(nb: dict) -> list[Problem]:
    """Every notebook names `python3`: Colab opens it without a notice, `make lab` runs the course kernel."""
    spec = nb.get("metadata", {}).get("kernelspec", {})
    if spec.get("name") == KERNEL_NAME and spec.get("display_name") == KERNEL_DISPLAY_NAME:
        return []
    found, wanted = f"{spec.get('name')!r} ({spec.get('display_name')!r})", f"{KERNEL_DISPLAY_NAME!r} ({KERNEL_NAME})"
    return [Problem("kernel", "metadata", f"kernel is {found}; `make colab` stores {wanted}")]


def alt_text(output: dict) -> str | None:
    """A PNG output's text alternative, stored as nbconvert reads it (`alt` under the MIME type), or None."""
    alt = output.get("metadata", {}).get("image/png", {}).get(ALT_TEXT)
    return alt if isinstance(alt, str) else None


def extra_output_metadata(output: dict) -> list[str]:
    """An output's metadata beyond a PNG's text alternative, the only output metadata stored."""
    metadata = dict(output.get("metadata", {}))
    png = metadata.pop("image/png", {}) if "image/png" in output.get("data", {}) else {}
    if not isinstance(png, dict):
        return sorted([*metadata, "image/png"])
    return sorted([*metadata, *(f"image/png.{key}" for key in png if key != ALT_TEXT)])


def check_clean(raw: str) -> list[Problem]:
    """nb-clean finds no cell metadata but tags and `jupyter`, and no transient metadata (signature, trusted)."""
    nb_clean = Path(sys.executable).with_name("nb-clean")  # installed with the course's tools (`make setup`)
    try:
        run = subprocess.run([nb_clean, "check", *NB_CLEAN], input=raw, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return [Problem("metadata", "notebook", f"no {display_path(nb_clean)}: run `make setup`")]
    fix = f"`{display_path(nb_clean)} clean {' '.join(NB_CLEAN)} NOTEBOOK` removes it"
    problems = []
    for line in run.stdout.splitlines():  # "stdin cell 3: metadata ExecuteTime", cells counted from 0
        cell, what = re.fullmatch(r"stdin (?:cell (\d+): )?(.*)", line).groups()
        problems.append(Problem("metadata", f"cell {int(cell) + 1}" if cell else "notebook", f"{what}: {fix}"))
    if run.returncode > 1:
        problems.append(Problem("metadata", "notebook", f"nb-clean could not check it: {run.stderr.strip()}"))
    return problems


def check_metadata(nb: dict) -> list[Problem]:
    """No volatile or personal metadata: widget state, scroll state, output metadata but a figure's text alternative."""
    problems = []
    if extra := sorted(set(nb.get("metadata", {})) - NOTEBOOK_METADATA):
        problems.append(Problem("metadata", "metadata", f"remove notebook metadata {extra}"))
    for i, cell in enumerate(nb["cells"]):
        jupyter = cell.get("metadata", {}).get("jupyter", {})
        if extra := [f"jupyter.{key}" for key in sorted(jupyter) if key not in JUPYTER_CELL_METADATA]:
            problems.append(Problem("metadata", cell_name(i, cell), f"remove cell metadata {extra}"))
        for output in cell.get("outputs", []):
            if extra := extra_output_metadata(output):
                problems.append(Problem("metadata", cell_name(i, cell), f"remove output metadata {extra}"))
    return problems


def check_figures(nb: dict) -> list[Problem]:
    """Every stored figure has a text alternative, which the site shows as the image's `alt`."""
    advice = ("a figure without a text alternative; return it from a helpers.plots function, or show it with "
              "helpers.show_figure(fig, alt=...) saying what it shows and its point")  # fmt: skip
    return [
        Problem("figures", name, advice)
        for name, output in outputs(nb)
        if "image/png" in output.get("data", {}) and not (alt_text(output) or "").strip()
    ]


def check_execution(nb: dict) -> list[Problem]:
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


def check_errors(nb: dict) -> list[Problem]:
    """No error and no stderr stored (log lines and warnings belong in no notebook)."""
    problems = []
    for name, output in outputs(nb):
        if output["output_type"] == "error":
            problems.append(Problem("errors", name, f"an error is stored ({output.get('ename')}); fix the cell"))
        elif output.get("name") == "stderr":
            first = ("".join(output.get("text", "")).strip().splitlines() or [""])[0][:80]
            problems.append(Problem("errors", name, f"stderr is stored ({first!r}); silence or fix its source"))
    return problems


def check_paths(nb: dict) -> list[Problem]:
    """No machine's absolute paths (they name a person's home and change between machines)."""
    problems = []
    if MACHINE_PATH.search(json.dumps(nb.get("metadata", {}))):
        problems.append(Problem("paths", "metadata", "an absolute machine path is stored in the metadata"))
    for i, cell in enumerate(nb["cells"]):
        texts = ["".join(cell["source"])] + [t for o in cell.get("outputs", []) for t in output_texts(o)]
        found = next((m[0] for t in texts if (m := MACHINE_PATH.search(t))), None)
        if found:
            advice = f"absolute path {found!r}; show it with helpers.display_path"
            problems.append(Problem("paths", cell_name(i, cell), advice))
    return problems


def _outputs_matching(nb: dict, pattern: re.Pattern, rule: str, advice: str) -> list[Problem]:
    """One problem per code cell whose outputs match `pattern`, quoting the first match."""
    problems = []
    for name, cell in code_cells(nb):
        if found := next((m[0] for o in cell["outputs"] for t in output_texts(o) if (m := pattern.search(t))), None):
            problems.append(Problem(rule, name, advice.format(found=found)))
    return problems


def check_addresses(nb: dict) -> list[Problem]:
    """No memory addresses (`<object at 0x7f...>`): they differ on every run."""
    advice = "memory address {found} in an output; end the line with `;` or print less"
    return _outputs_matching(nb, MEMORY_ADDRESS, "addresses", advice)


def check_durations(nb: dict) -> list[Problem]:
    """No wall-clock times (`2.1 s`, `4ms/step`): they differ on every run; time things in a benchmark."""
    advice = "a duration ({found!r}) is stored; it changes on every run: print none"
    return _outputs_matching(nb, DURATION, "durations", advice)


def check_images(nb: dict) -> list[Problem]:
    """Images are PNG (binary, so a diff shows only that it changed) and each under MAX_PNG_BYTES."""
    problems = []
    for name, output in outputs(nb):
        for mime, value in output.get("data", {}).items():
            png = base64.b64decode("".join(value)) if mime == "image/png" else b""
            if mime.startswith("image/") and mime != "image/png":
                problems.append(Problem("images", name, f"{mime} output; show figures as PNG"))
            elif mime == "image/png" and not png.startswith(b"\x89PNG"):
                problems.append(Problem("images", name, "image/png output is not a PNG"))
            elif len(png) > MAX_PNG_BYTES:
                size = f"PNG of {len(png) / 1000:.0f} kB (limit {MAX_PNG_BYTES / 1000:.0f} kB)"
                problems.append(Problem("images", name, f"{size}; make the figure smaller or show less"))
    return problems


def check_widgets(nb: dict) -> list[Problem]:
    """No widget views: each stores a model id that changes on every run, and its state is not stored."""
    advice = "a widget view is stored (its model id changes on every run); clear that output"
    return [Problem("widgets", name, advice) for name, output in outputs(nb) if WIDGET_VIEW in output.get("data", {})]


def check_solutions(nb: dict) -> list[Problem]:
    """Solutions are collapsed in JupyterLab, so a reader tries first: the source of every solution cell, and the
    outputs of every solution code cell, which show the answer even under a collapsed source."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        needed = ["source_hidden"] + (["outputs_hidden"] if cell["cell_type"] == "code" else [])
        hidden = cell.get("metadata", {}).get("jupyter", {})
        if "solution" in tags(cell) and any(hidden.get(key) is not True for key in needed):
            advice = 'a solution cell must have "jupyter": {' + ", ".join(f'"{key}": true' for key in needed) + "}"
            problems.append(Problem("solutions", cell_name(i, cell), advice))
    return problems


def source(cell: dict) -> str:
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    return "".join(cell.get("source", ""))


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


TITLE = re.compile(r"\A# (.+)$", re.MULTILINE)
GOALS = re.compile(r"^\*\*You will learn to\*\*\s*\n(.+?)(?:\n\s*\n|\Z)", re.MULTILINE | re.DOTALL)
TIME = re.compile(r"\*\*Time:\*\*\s*(.+?)(?=\s*\*\*|\n\s*\n|\Z)", re.DOTALL)
EXERCISES, SUMMARY = re.compile(r"^## Exercises\s*$", re.MULTILINE), re.compile(r"^## Summary\s*$", re.MULTILINE)
TRY_NEXT = "## Try this next"
EXERCISE_TAGS = {"exercise", "solution"}


def read_opening(nb: dict) -> tuple[str, str, str]:
    """Title, "You will learn to" list and time from the first cell (the site's index shows them); else ValueError."""
    cells = nb["cells"]
    first = source(cells[0]) if cells and cells[0]["cell_type"] == "markdown" else ""
    title, goals, time = TITLE.search(first), GOALS.search(first), TIME.search(first)
    if not (title and goals and time):
        raise ValueError(
            "the first cell needs a '# Title' on its first line, a '**You will learn to**' list and a '**Time:**'"
        )
    return title[1].strip(), goals[1].strip(), " ".join(time[1].split())


def check_opening(nb: dict) -> list[Problem]:
    """A markdown cell opens the notebook with its title, what you will learn and how long it takes."""
    try:
        read_opening(nb)
    except ValueError as err:
        where = cell_name(0, nb["cells"][0]) if nb["cells"] else "notebook"
        return [Problem("opening", where, str(err))]
    return []


def exercise_groups(cells: list[tuple[int, dict]]) -> list[tuple[list[tuple[int, dict]], list[tuple[int, dict]]]]:
    """The (position, cell) pairs after '## Exercises' as (exercise cells, solution cells) groups, in order."""
    groups: list[tuple[list, list]] = []
    for i, cell in cells:
        if "exercise" in tags(cell):
            if not groups or groups[-1][1]:
                groups.append(([], []))
            groups[-1][0].append((i, cell))
        elif groups:
            groups[-1][1].append((i, cell))
    return groups


def check_exercises(nb: dict) -> list[Problem]:
    """After '## Summary' and '## Exercises': numbered exercises, each followed by its solution."""
    cells = nb["cells"]
    starts = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and EXERCISES.search(source(c))]
    if len(starts) != 1:
        return [Problem("exercises", "notebook", f"one markdown cell must be '## Exercises', not {len(starts)}")]
    start, problems = starts[0], []

    def problem(i: int, message: str) -> None:
        problems.append(Problem("exercises", cell_name(i, cells[i]), message))

    before = "\n".join([source(c) for c in cells[:start]] + [source(cells[start]).split("## Exercises")[0]])
    if not SUMMARY.search(before):
        problem(start, "put a '## Summary' before '## Exercises'")
    section = list(enumerate(cells))[start + 1 : -1]
    for i, cell in section:
        if len(tags(cell) & EXERCISE_TAGS) != 1:
            problem(i, "tag it either exercise or solution")
    for i in [*range(start + 1), len(cells) - 1]:
        if tags(cells[i]) & EXERCISE_TAGS:
            problem(i, "exercise and solution cells belong in '## Exercises'")
    groups = exercise_groups(section)
    if not groups or "exercise" not in tags(section[0][1]):
        problem(start, "an exercise must follow the heading")
        return problems
    for n, (exercise, solutions) in enumerate(groups, 1):
        i, first = exercise[0]
        if first["cell_type"] != "markdown" or not source(first).startswith(f"### Exercise {n}: "):
            problem(i, f"start it with '### Exercise {n}: <title>'")
        if not any(cell["cell_type"] == "code" for _, cell in solutions):
            problem(i, f"exercise {n} needs a solution with code after it")
        j, answer = solutions[0] if solutions else (i, {"cell_type": "code"})
        if answer["cell_type"] == "markdown" and not source(answer).startswith("**Solution.**"):
            problem(j, "start a markdown solution with '**Solution.**'")
    return problems


def check_try_next(nb: dict) -> list[Problem]:
    """The last cell, '## Try this next', offers one to three numbered ideas (no solutions)."""
    if not nb["cells"]:
        return [Problem("try-next", "notebook", f"end the notebook with a markdown cell '{TRY_NEXT}'")]
    i, last = len(nb["cells"]) - 1, nb["cells"][-1]
    if last["cell_type"] != "markdown" or not source(last).startswith(TRY_NEXT) or tags(last):
        return [Problem("try-next", cell_name(i, last), f"the last cell must be an untagged markdown '{TRY_NEXT}'")]
    items = [int(n) for n in re.findall(r"^(\d+)\. ", source(last), re.MULTILINE)]
    if items != list(range(1, len(items) + 1)) or not 1 <= len(items) <= 3:
        return [Problem("try-next", cell_name(i, last), f"number one to three ideas 1., 2., 3. (found {items})")]
    return []


# The rules that read the notebook as text, and those that read it parsed.
TEXT_RULES: dict[str, Callable[[str], list[Problem]]] = {"layout": check_layout, "metadata": check_clean}
RULES: dict[str, Callable[[dict], list[Problem]]] = {
    "kernel": check_kernel,
    "metadata": check_metadata,
    "execution": check_execution,
    "errors": check_errors,
    "paths": check_paths,
    "addresses": check_addresses,
    "durations": check_durations,
    "images": check_images,
    "figures": check_figures,
    "widgets": check_widgets,
    "solutions": check_solutions,
    "opening": check_opening,
    "exercises": check_exercises,
    "try-next": check_try_next,
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
    return [problem for rule in TEXT_RULES.values() for problem in rule(raw)] + [
        problem for rule in RULES.values() for problem in rule(nb)
    ]


def main(args: list[str]) -> int:
    """Check each notebook given (all the course's if none); print every problem; exit 1 if there was any."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("notebooks", nargs="*", help="notebooks to check (default: every course notebook)")
    paths = parser.parse_args(args).notebooks or [str(path) for path in course_notebooks()]
    failed = 0
    for name in paths:
        for problem in check_notebook(Path(name)):
            print(f"{display_path(name)}: {problem}")
            failed += 1
    if failed:
        print(f"{failed} problem(s) in the notebooks; see CONTRIBUTING.md, 'Notebook diffs'")
        return 1
    print(f"{len(paths)} notebooks clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
