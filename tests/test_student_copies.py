"""`make student`: the copies keep the lesson and the exercises, lose every solution, and still run."""

from __future__ import annotations

import ast
import builtins
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from scripts import make_student_copies as student
from scripts.course import KERNEL

ROOT = Path(__file__).resolve().parents[1]
STUDENT = ROOT / "student"  # where `make student` writes: the copies run from student/notebooks
NOTEBOOKS = student.course_notebooks()


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def output_text(cell: dict) -> str:
    """Everything a code cell printed or displayed as text."""
    return "".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])
    )


def parse(code: str) -> ast.Module | None:
    """A code cell as a syntax tree (IPython magics translated first), or None if it cannot be parsed."""
    try:
        return ast.parse(TransformerManager().transform_cell(code))
    except SyntaxError:
        return None


def root_name(node: ast.expr) -> str | None:
    """`x` for `x`, `x.a.b`, `x[0]` or `x.f(...)[1]`: the name whose object an expression reaches into."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def changed_by(tree: ast.Module) -> set[str]:
    """The names a cell binds (assignment, def, class, import) or reaches into (`x.sort()`, `x[0] = 1`, `x.a`).

    A name it only calls or passes on (`check(...)`, `f(answer)`) keeps its binding and its object.
    """
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute | ast.Subscript) and (name := root_name(node)):
            names.add(name)
    return names - set(dir(builtins))


def read_before_bound(tree: ast.Module) -> set[str]:
    """The names a cell reads before its own top-level statements bind them: the values it takes from earlier cells."""
    bound: set[str] = set()
    free: set[str] = set()
    for statement in tree.body:
        loads = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        free |= loads - bound
        bound |= changed_by(ast.Module(body=[statement], type_ignores=[])) - loads
    return free - set(dir(builtins))


def cells_after_solutions(nb: nbformat.NotebookNode) -> list[str]:
    """The code cells a student copy keeps that read a name a removed solution cell before them changed.

    Everything else a copy runs is the original's code in the original's order, and without the
    solutions' code in between it sees the same names and values: running the original (nbval)
    runs it. These cells may see other values, or none, in a copy: only they need the copy run.
    """
    from_solutions: set[str] = set()
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = parse(cell.source)
        if student.SOLUTION in tags(cell):
            from_solutions |= changed_by(tree) if tree is not None else {"*"}
            continue
        if not from_solutions:
            continue
        reads = read_before_bound(tree) if tree is not None else None
        if reads is None or "*" in from_solutions or reads & from_solutions:
            shared = "cannot be parsed" if reads is None else ", ".join(sorted(reads & from_solutions)) or "everything"
            found.append(f"cell {i + 1} ({cell.get('id')}): {shared}")
    return found


@pytest.fixture(scope="module")
def copies() -> dict[str, Path]:
    """The student copies, written by the code behind `make student`, by notebook name."""
    return {path.name: path for path in student.make_student_copies(STUDENT)}


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One models folder for all the copies (03's copy saves the network that 04's loads), not the course's."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_COURSE_MODELS", str(folder))  # the kernels inherit it
        yield folder


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_copy_has_the_lesson_and_exercises_and_no_solution(path: Path, copies: dict[str, Path]) -> None:
    original = nbformat.read(path, as_version=4)
    raw = copies[path.name].read_text()
    copy = nbformat.reads(raw, as_version=4)
    nbformat.validate(copy)

    solutions = [c for c in original.cells if "solution" in tags(c)]
    assert solutions, "the original has solutions to remove"
    assert not [c for c in copy.cells if "solution" in tags(c)]
    assert "**Solution.**" not in raw and '"solution"' not in raw
    assert not [c.id for c in solutions if c.source.strip() in raw]  # no solution's code or text survives
    shown = "".join(output_text(c) for c in copy.cells)
    printed = [line for c in solutions for line in output_text(c).splitlines() if len(line.split()) > 1]
    assert printed, "the worked solutions print their answers (and their checks)"
    assert not [line for line in printed if line in shown], "no solution's output survives either"

    kept = [c for c in original.cells if "solution" not in tags(c)]
    assert [c.id for c in copy.cells] == [c.id for c in kept]
    for before, after in zip(kept, copy.cells, strict=True):
        assert after.source == before.source
        if "exercise" in tags(before) and before.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
        elif before.cell_type == "code":
            assert after.outputs == before.outputs, f"{before.id}: the lesson's outputs stay"
    assert [c for c in copy.cells if "exercise" in tags(c)], "every exercise is there"


def test_student_folder_is_ignored_by_git_and_pytest(copies: dict[str, Path]) -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", str(STUDENT / "notebooks" / "01_x.ipynb")], cwd=ROOT)
    assert ignored.returncode == 0, "student/ is in .gitignore"
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--ignore=tests", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "notebooks/01_load_and_look.ipynb::" in collected.stdout
    assert "student/" not in collected.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_copy_runs_top_to_bottom(path: Path, copies: dict[str, Path], models_dir: Path) -> None:
    """A student's first run must not fail. A copy runs the original's code, in its order, without the solution
    cells (the test above); nbval has run all of it in the original. Only a kept cell that reads a name a
    removed solution changed can behave otherwise, so a copy is run (in student/notebooks, in the course
    kernel) only if it has one."""
    if not cells_after_solutions(nbformat.read(path, as_version=4)):
        return  # nothing in the copy can run differently from the original nbval ran
    copy = copies[path.name]
    nb = nbformat.read(copy, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=900, resources={"metadata": {"path": str(copy.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    stderr = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not stderr


def notebook_of(*cells: tuple[str, str]) -> nbformat.NotebookNode:
    """A notebook of code cells, each given as (tag or "", source)."""
    made = []
    for tag, source in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = [tag] if tag else []
        made.append(cell)
    return nbformat.v4.new_notebook(cells=made)


def test_cells_that_may_run_differently_in_a_copy_are_found() -> None:
    nb = notebook_of(
        ("", "%matplotlib inline\nimport numpy as np\nx = np.arange(3)"),
        ("exercise", "def f(a):\n    return a * 2"),  # before any solution: the same as in the original
        ("solution", "answer = f(x)\nx.sort()"),
        ("exercise", "import matplotlib.pyplot as plt"),  # mentions nothing a solution did
        ("exercise", "print(answer)"),  # fails in the copy: only the solution defined it
        ("exercise", "print(x.sum())"),  # the solution changed x in place
        ("exercise", "if x ("),  # cannot be read: run the copy to be sure
    )
    found = cells_after_solutions(nb)
    assert [line.split(":")[0] for line in found] == [f"cell {i + 1} ({nb.cells[i].id})" for i in (4, 5, 6)]
    assert found[0].endswith("answer") and found[1].endswith(": x") and found[2].endswith("cannot be parsed")
    assert cells_after_solutions(notebook_of(("", "x = 1"), ("solution", "print(x)"))) == []
    # an exercise's starter binds its own answer, and calling check changes nothing a later cell reads
    starters = notebook_of(
        ("solution", 'answer = 3\ncheck("01.1", answer)'), ("exercise", 'answer = None\ncheck("01.2", answer)')
    )
    assert cells_after_solutions(starters) == []
    assert cells_after_solutions(notebook_of(("solution", "model.fit(x)"), ("exercise", "model.predict(x)")))


def test_copies_bring_the_notebooks_files_and_drop_stale_copies(tmp_path: Path) -> None:
    source, folder = tmp_path / "notebooks", tmp_path / "student"
    (source / "examples").mkdir(parents=True)
    (source / "examples" / "7.png").write_bytes(b"\x89PNG seven")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "glossary.md").write_text("# Glossary")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "01_a-checkpoint.ipynb").write_text("{}")
    exercise = nbformat.v4.new_code_cell("answer = 42", execution_count=2)
    exercise.metadata["tags"] = ["exercise"]
    exercise.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    solution = nbformat.v4.new_markdown_cell("**Solution.** 42.")
    solution.metadata = {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    nbformat.write(nbformat.v4.new_notebook(cells=[exercise, solution]), source / "01_a.ipynb")
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "09_removed.ipynb").write_text("{}")

    assert student.make_student_copies(folder, source) == [folder / "notebooks" / "01_a.ipynb"]
    assert (folder / "notebooks" / "examples" / "7.png").read_bytes() == b"\x89PNG seven"
    assert (folder / "docs" / "glossary.md").read_text() == "# Glossary"  # where the notebooks link to it
    assert not (folder / "notebooks" / "09_removed.ipynb").exists()
    assert not (folder / "notebooks" / ".ipynb_checkpoints").exists()
    copy = nbformat.read(folder / "notebooks" / "01_a.ipynb", as_version=4)
    assert [(c.source, c.outputs, c.execution_count) for c in copy.cells] == [("answer = 42", [], None)]
