"""Write the student copies of the course notebooks: the same notebooks without their solutions.

Each notebook in notebooks/ is copied to FOLDER/notebooks/ (FOLDER: student/ unless given) through
nbconvert's preprocessors: a TagRemovePreprocessor drops every cell tagged `solution`, and the outputs
of the cells tagged `exercise` are cleared; the lesson's outputs stay, so a student can read a notebook
before running it. The other files in notebooks/ (pictures a notebook opens) are copied as they are, so
a copy finds them at the same relative paths, and so is the glossary the notebooks link to (FOLDER/docs/);
data and models are found through the `helpers` package, as from notebooks/. Every file is written
atomically, and copies of notebooks that no longer exist are removed.
"""

from __future__ import annotations

import ast
import builtins
import sys
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor
from nbformat import NotebookNode

from helpers.paths import display_path
from scripts.course import NOTEBOOKS as SOURCE
from scripts.course import ROOT, argument_parser, course_notebooks, write_files

SOLUTION, EXERCISE = "solution", "exercise"


class ClearExerciseOutputs(ClearOutputPreprocessor):
    """ClearOutputPreprocessor for the cells tagged `exercise` only: their outputs would give answers away."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, dict]:
        if EXERCISE in cell.get("metadata", {}).get("tags", []):
            return super().preprocess_cell(cell, resources, index)
        return cell, resources


def student_exporter() -> NotebookExporter:
    """An nbconvert exporter to .ipynb that removes solution cells and clears the exercises' outputs."""
    exporter = NotebookExporter()
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={SOLUTION}), enabled=True)
    exporter.register_preprocessor(ClearExerciseOutputs(), enabled=True)
    return exporter


def assets(source: Path = SOURCE) -> list[Path]:
    """The other files in the notebooks folder (no notebooks, checkpoints or hidden files)."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and path.suffix != ".ipynb"
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(source).parts)
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


def cells_after_solutions(nb: NotebookNode) -> list[str]:
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
        if SOLUTION in cell.get("metadata", {}).get("tags", []):
            from_solutions |= changed_by(tree) if tree is not None else {"*"}
            continue
        if not from_solutions:
            continue
        reads = read_before_bound(tree) if tree is not None else None
        if reads is None or "*" in from_solutions or reads & from_solutions:
            shared = "cannot be parsed" if reads is None else ", ".join(sorted(reads & from_solutions)) or "everything"
            found.append(f"cell {i + 1} ({cell.get('id')}): {shared}")
    return found


def make_student_copies(folder: Path, source: Path = SOURCE) -> list[Path]:
    """Write the student copy of every course notebook, and the assets, to `folder`/notebooks; return the copies."""
    notebooks = course_notebooks(source)
    if not notebooks:
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) in {source}")
    target = folder / "notebooks"
    exporter = student_exporter()
    copies = write_files({target / path.name: exporter.from_filename(str(path))[0] for path in notebooks})
    assets_copied = {target / path.relative_to(source): path.read_bytes() for path in assets(source)}
    glossary = source.parent / "docs" / "glossary.md"  # each notebook links to it, at ../docs/glossary.md
    if glossary.exists():
        assets_copied[folder / "docs" / "glossary.md"] = glossary.read_bytes()
    write_files(assets_copied)
    for stale in set(course_notebooks(target)) - set(copies):
        stale.unlink()
    return copies


def main(args: list[str]) -> int:
    """Write the copies to the folder given (default student/) and say where they are."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "student", help="where to write them (student/)")
    folder = parser.parse_args(args).folder
    copies = make_student_copies(folder)
    shown = display_path(copies[0].parent)
    print(f"{len(copies)} student notebooks (solutions removed) in {shown}/")
    print(f"Open them with: .venv/bin/jupyter lab {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
