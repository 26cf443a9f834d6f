"""What the grader reads in a submitted notebook without running it: is it one of ours, and was it tampered with.

Everything here runs as root on a file a student wrote, so it reads at most MAX_BYTES, never follows a
link, and treats any failure to parse as an invalid file. The static scan finds the plain ways to take the
points without the work; the verdicts themselves never depend on it (they come from the course's checker
in the grader's process), so code that hides from it (exec, getattr with built strings) gains nothing.
"""

from __future__ import annotations

import ast
import json
import os
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbformat.reader import NotJSONError

from scripts.course import NOTEBOOKS, course_notebooks

MAX_BYTES = 50 * 2**20  # the course's largest notebook, with its outputs, is under 1 MB
CHECKER = {"helpers.checks", "helpers"}  # modules a notebook may take `check` from, and nothing else
GUARDED = {"numpy", "builtins", "sys", "importlib", "helpers", "helpers.checks"}  # modules nobody may patch
PATCHING_CALLS = {"setattr", "delattr", "reload"}


class InvalidNotebook(ValueError):
    """A file that cannot be graded as the notebook it claims to be; the message says what to do."""


@dataclass(frozen=True)
class CheckCell:
    """An exercise's check: a cell with the statement `check("NN.k", answer)`, whatever else the cell holds."""

    exercise: str
    index: int


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def check_call(statement: ast.stmt) -> str | None:
    """The exercise id of a statement that is exactly `check("NN.k", answer)`, else None."""
    if not (isinstance(statement, ast.Expr) and isinstance(call := statement.value, ast.Call)):
        return None
    args = call.args
    if not (isinstance(call.func, ast.Name) and call.func.id == "check" and len(args) == 2 and not call.keywords):
        return None
    if isinstance(args[0], ast.Constant) and isinstance(args[0].value, str) and ast.unparse(args[1]) == "answer":
        return args[0].value
    return None


def check_cells(nb: nbformat.NotebookNode) -> list[CheckCell]:
    """The check cells of a notebook, in order."""
    found = []
    for index, cell in enumerate(nb.cells):
        tree = parse(cell.source) if cell.cell_type == "code" else None
        for statement in tree.body if tree is not None else []:
            if exercise := check_call(statement):
                found.append(CheckCell(exercise, index))
    return found


@cache
def course_exercises() -> dict[str, tuple[str, ...]]:
    """Each course notebook's file name -> the exercises its student copy checks, from the course's own notebooks."""
    from scripts.make_student_copies import SOLUTION

    exercises = {}
    for path in course_notebooks(NOTEBOOKS):
        nb = nbformat.read(path, as_version=4)
        nb.cells = [c for c in nb.cells if SOLUTION not in c.metadata.get("tags", [])]
        exercises[path.name] = tuple(dict.fromkeys(c.exercise for c in check_cells(nb)))
    return exercises


def read_submitted(path: Path) -> nbformat.NotebookNode:
    """A submitted notebook, read safely (no links, bounded size); InvalidNotebook says what is wrong with it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as err:
        raise InvalidNotebook(f"cannot be opened ({err.strerror}): submit a plain file") from err
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidNotebook("not a plain file: submit the .ipynb file itself")
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidNotebook(
            f"larger than {MAX_BYTES // 2**20} MB: clear its outputs (Edit > Clear Outputs) and submit it again"
        )
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except (UnicodeDecodeError, json.JSONDecodeError, NotJSONError, RecursionError) as err:
        raise InvalidNotebook("not a notebook (the file is not JSON): submit the .ipynb file from JupyterLab") from err
    except Exception as err:
        raise InvalidNotebook(
            f"not a valid notebook ({type(err).__name__}): submit the .ipynb file from JupyterLab"
        ) from err
    return nb


def identify(nb: nbformat.NotebookNode) -> str | None:
    """The course notebook whose exercises this notebook checks (for a renamed file), if any."""
    checked = {c.exercise for c in check_cells(nb)}
    matches = [name for name, exercises in course_exercises().items() if checked and checked <= set(exercises)]
    return matches[0] if len(matches) == 1 else None


def guarded_aliases(tree: ast.Module) -> set[str]:
    """Names a notebook binds to a guarded module (`np` for numpy, `checks` for helpers.checks, ...)."""
    names = {"__builtins__", "np", "numpy"}  # np is numpy in every notebook of the course
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] in GUARDED | {"numpy"}
            }
        elif isinstance(node, ast.ImportFrom) and f"{node.module}" in GUARDED:
            names |= {a.asname or a.name for a in node.names if f"{node.module}.{a.name}" in GUARDED}
    return names


def root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def tampering(tree: ast.Module, modules: set[str]) -> str | None:
    """What a cell does to the checker or to NumPy, in a few words, or None. `modules`: the guarded aliases."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in CHECKER:
            others = [a.name for a in node.names if a.name != "check" and f"{node.module}.{a.name}" != "helpers.checks"]
            if node.module == "helpers.checks" and others:
                return f"imports {others[0]} from the checker"
            if any(a.name == "check" and a.asname not in (None, "check") for a in node.names):
                return "imports check under another name"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if any((a.asname or a.name) == "check" for a in node.names):
                return "imports something else as check"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == "check":
            return "defines its own check"
        elif isinstance(node, ast.Name) and node.id == "check" and isinstance(node.ctx, ast.Store | ast.Del):
            return "replaces check"
        elif isinstance(node, ast.Attribute) and node.attr in ("EXERCISES", "_is_right", "is_right", "Exercise"):
            return f"reaches into the checker ({node.attr})"
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            if root(node) in modules:
                return f"patches {ast.unparse(node)[:60]}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in PATCHING_CALLS and node.args and root(node.args[0]) in modules | {"check"}:
                return f"patches with {name}({ast.unparse(node.args[0])[:40]}, ...)"
        elif isinstance(node, ast.Constant) and node.value in ("helpers.checks", "EXERCISES"):
            return f"names the checker ({node.value!r})"
    return None


def static_verdict(nb: nbformat.NotebookNode, exercises: tuple[str, ...]) -> str | None:
    """Why the notebook is tampered with (a check cell removed or edited, a patch), or None."""
    present = {c.exercise for c in check_cells(nb)}
    missing = [e for e in exercises if e not in present]
    if missing:
        return f"the check cell of exercise {missing[0]} was removed or edited"
    trees = [t for c in nb.cells if c.cell_type == "code" and (t := parse(c.source)) is not None]
    modules = set().union(*(guarded_aliases(t) for t in trees)) if trees else set()
    for tree in trees:
        if found := tampering(tree, modules):
            return found
    return None


def is_course_notebook(nb: nbformat.NotebookNode, name: str) -> bool:
    """Whether a notebook named like one of ours is ours: it has one of its cells (by id) or one of its checks."""
    number = name[:2]
    ids = {c.get("id", "") for c in nb.cells}
    return any(i.startswith(f"nb{number}-") for i in ids) or bool({c.exercise for c in check_cells(nb)})
