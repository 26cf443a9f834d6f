"""`make nbgrader`: the course as an nbgrader source course, and nbgrader 0.9.6 agreeing with `make grade`.

The conversion tests are fast. The interop test (`make test-nbgrader`: root, about 2 minutes) runs nbgrader's
own command-line tools from their own environment on notebook 02: generate_assignment, then autograde on a
solved copy (the source) and an unsolved one (the release), then export; `make grade` grades the same files.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from grading import notebooks, sandbox
from grading.grade import grade
from grading.nbgrader_course import answers_instead_of_checks, write_course
from scripts.course import ROOT

NBGRADER_ENV = Path(os.environ.get("NBGRADER_ENV", "/opt/nbgrader-0.9.6"))
CLASS_ENV = Path(os.environ.get("CLASS_ENV", "/opt/mnist-course"))
NAME = "02_the_network"


def test_a_solutions_checks_become_its_answer() -> None:
    source = 'x = 2\ncheck("02.1", (x,\n    x + 1))\nprint(x)'
    assert answers_instead_of_checks(source) == "x = 2\nanswer = (x,\n    x + 1)\nprint(x)"


def test_every_exercise_becomes_an_answer_cell_and_a_one_point_check_that_make_grade_reads(tmp_path: Path) -> None:
    written = write_course(tmp_path)
    assert len(written) == len(notebooks.course_exercises())
    for path in written:
        nb = nbformat.read(path, as_version=4)
        exercises = notebooks.course_exercises()[path.name]
        cells = [c for c in nb.cells if "nbgrader" in c.metadata]
        assert [c.metadata.nbgrader["grade_id"] for c in cells] == [
            f"{kind}_{e.replace('.', '_')}" for e in exercises for kind in ("answer", "check")
        ]
        assert sum(c.metadata.nbgrader.get("points", 0) for c in cells) == len(exercises)
        assert all("### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in cells[::2])
        assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])], "no solution cell left over"
        assert notebooks.static_verdict(nb, exercises) is None, "make grade accepts it: not tampered"


def nbgrader(course: Path, *args: str) -> None:
    environment = os.environ | {
        "PATH": f"{NBGRADER_ENV / 'bin'}:{os.environ['PATH']}",  # nbgrader runs alembic from its own environment
        "JUPYTER_PATH": str(ROOT / ".venv" / "share" / "jupyter"),  # the kernel `python3` is the course's kernel
    }
    subprocess.run(
        [NBGRADER_ENV / "bin" / "nbgrader", *args], cwd=course, env=environment, check=True, capture_output=True
    )


@pytest.mark.skipif(os.environ.get("MNIST_COURSE_NBGRADER_TEST") != "1", reason="make test-nbgrader runs it")
def test_nbgrader_autograde_agrees_with_make_grade_on_a_solved_and_an_unsolved_copy(tmp_path: Path) -> None:
    course = tmp_path / "course"
    write_course(course)
    nbgrader(course, "generate_assignment", NAME, "--force")
    copies = {"solved": course / "source", "unsolved": course / "release"}
    for student, folder in copies.items():
        for target in (course / "submitted" / student / NAME, tmp_path / "submissions" / student):
            target.mkdir(parents=True)
            shutil.copy(folder / NAME / f"{NAME}.ipynb", target)
    nbgrader(course, "autograde", NAME, "--force")
    nbgrader(course, "export")
    with open(course / "grades.csv") as file:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(file)}

    limits = sandbox.Limits(seconds=900)
    try:
        rows = grade(tmp_path / "submissions", tmp_path / "graded", CLASS_ENV, limits, 2, "mnisttest", lambda _: None)
    finally:
        for i in range(2):
            sandbox.remove_user(f"mnisttest{i}")
    right = {s: sum(r.verdict == "right" for r in rows if r.student == s) for s in copies}
    assert scores == {"solved": 3.0, "unsolved": 0.0}
    assert right == {"solved": 3, "unsolved": 0}
    assert {r.verdict for r in rows if r.student == "unsolved" and r.notebook == f"{NAME}.ipynb"} == {"error"}
