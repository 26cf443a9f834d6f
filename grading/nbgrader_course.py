"""`make nbgrader`: the course as an nbgrader source course, for courses that already run nbgrader.

Usage: python -m grading.nbgrader_course [FOLDER]   (default nbgrader/: FOLDER/source/NN_name/NN_name.ipynb)

Each exercise's starter cell and its solution's code cells become one autograded answer cell: the
solution's code between `### BEGIN SOLUTION` and `### END SOLUTION` (each `check("NN.k", X)` in it
becoming `answer = X`), then the starter's own `check("NN.k", answer)` line, so that `make grade` reads
the same files. After it comes a locked test cell worth one point that asks the course's checker,
`assert check("NN.k", answer)` (make grade counts that check too: the same answer, the same verdict).
The solutions' prose is left out, as in the student copies.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from grading.notebooks import check_call, parse
from helpers.paths import write_atomically
from scripts.course import NOTEBOOKS, ROOT, course_notebooks
from scripts.make_student_copies import SOLUTION

SCHEMA = 3  # nbgrader's cell metadata schema


def answers_instead_of_checks(source: str) -> str:
    """A solution's code with each `check("NN.k", X)` statement replaced by `answer = X`."""
    tree = parse(source)
    if tree is None:
        return source
    lines = source.splitlines()
    for node in reversed(tree.body):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", "") == "check"
        ):
            expression = ast.get_source_segment(source, node.value.args[1])
            lines[node.lineno - 1 : node.end_lineno] = [f"answer = {expression}"]
    return "\n".join(lines)


def nbgrader(grade_id: str, solution: bool = False, points: int = 0) -> dict:
    """nbgrader's metadata of an autograded answer cell (`solution`) or of a locked test cell worth `points`."""
    fields = {"grade": bool(points), "solution": solution, "locked": not solution, "grade_id": grade_id}
    return {"nbgrader": fields | ({"points": points} if points else {}) | {"schema_version": SCHEMA}}


def nbgrader_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The course notebook `nb` with each exercise as an nbgrader answer cell and a one-point test cell."""
    cells, pending = [], None  # pending: [exercise, starter cell, solution sources]

    def flush() -> None:
        if pending is None:
            return
        exercise, starter, solutions = pending
        check_line = f'check("{exercise}", answer)'
        kept = [line for line in starter.source.splitlines() if not line.startswith(("answer =", "check("))]
        answer = "\n".join([*kept, "### BEGIN SOLUTION", *solutions, "### END SOLUTION", check_line])
        number = exercise.replace(".", "_")
        answer_cell = new_code_cell(answer, metadata=nbgrader(f"answer_{number}", solution=True))
        test = f'assert check("{exercise}", answer), "not yet: see the hint above"'
        test_cell = new_code_cell(test, metadata=nbgrader(f"check_{number}", points=1))
        cells.extend([answer_cell, test_cell])

    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        tree = parse(cell.source) if cell.cell_type == "code" else None
        checked = [e for s in (tree.body if tree else []) if (e := check_call(s))]
        if checked and SOLUTION not in tags:
            flush()
            pending = [checked[0], cell, []]
        elif SOLUTION in tags and pending is not None:
            if cell.cell_type == "code":
                pending[2].append(answers_instead_of_checks(cell.source))
        else:
            flush()
            pending = None
            cells.append(cell)
    flush()
    result = nbformat.from_dict(nb)
    result.cells = cells
    return result


def write_course(folder: Path) -> list[Path]:
    """Write FOLDER/source/NN_name/NN_name.ipynb for every course notebook, and an nbgrader_config.py."""
    written = []
    for path in course_notebooks(NOTEBOOKS):
        converted = nbgrader_notebook(nbformat.read(path, as_version=4))
        target = folder / "source" / path.stem / path.name
        write_atomically(target, lambda tmp, nb=converted: nbformat.write(nb, tmp))
        written.append(target)
    config = 'c = get_config()  # noqa: F821\nc.CourseDirectory.root = "."\n'
    write_atomically(folder / "nbgrader_config.py", lambda tmp: tmp.write_text(config))
    return written


def main(args: list[str]) -> int:
    folder = Path(args[0]) if args else ROOT / "nbgrader"
    written = write_course(folder)
    print(f"{len(written)} notebooks as an nbgrader source course in {folder}/source/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
