"""`make grade` on hostile and broken submissions, in real sandboxes (`make test-grading`: root, a few minutes).

Skipped unless MNIST_COURSE_GRADING_TEST=1 (make test-grading sets it; CI runs it as root). The tests make
their own sandbox users (mnisttest0, mnisttest1) and delete them afterwards. Each hostile notebook is small:
the hostile cell, then notebook 02's three check cells; an exercise it answers right only if every attack
failed proves, through the gradebook, that the sandbox held.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from grading import sandbox
from grading.grade import Row, grade
from helpers.checks import EXERCISES
from hub.cgroups import CGROUPS
from scripts.course import NOTEBOOKS, ROOT
from scripts.make_student_copies import student_exporter
from tests.test_grading import RIGHT, small_notebook

ENV = Path(os.environ.get("CLASS_ENV", "/opt/mnist-course"))
PREFIX, WORKERS = "mnisttest", 2
LIMITS = sandbox.Limits(seconds=90, memory=2**30, disk="256m")
pytestmark = pytest.mark.skipif(
    os.environ.get("MNIST_COURSE_GRADING_TEST") != "1", reason="make test-grading runs the sandbox tests (root)"
)

FAILS = """import os


def fails(action, *args):
    try:
        action(*args)
    except OSError:
        return True
    return False
"""


def all_fail(*calls: str) -> str:
    """Cells whose exercise 02.1 is right only if every one of `calls` (e.g. `open, "/etc/shadow"`) raised OSError."""
    return FAILS + f"blocked = [{', '.join(f'fails({c})' for c in calls)}]"


def functions(by_hand: str, threshold: str = "return 0.5") -> nbformat.NotebookNode:
    """A notebook named like 04: 04.1 answered right, and the two function answers given as their bodies."""
    cells = [
        "from helpers.checks import check\nimport numpy as np",
        f"def by_hand(cm, d):\n    {by_hand}\n\n\ndef lowest_threshold(confidence, correct):\n    {threshold}",
        f'answer = {EXERCISES["04.1"].expected!r}\ncheck("04.1", answer);',
        'answer = by_hand\ncheck("04.2", answer);',
        'answer = lowest_threshold\ncheck("04.3", answer);',
    ]
    return nbformat.v4.new_notebook(cells=[new_code_cell(c) for c in cells])


RIGHT_BY_HAND = "r = cm[d, d] / cm[d].sum(); p = cm[d, d] / cm[:, d].sum(); return r, p, 2 * r * p / (r + p)"
RIGHT_THRESHOLD = """for t in np.arange(500, 1000) / 1000:
        kept = confidence >= t
        if kept.any() and 1 - correct[kept].mean() <= 0.01:
            return t
    return 1.0"""


def class_of(folder: Path, out: Path, port: int) -> dict[str, nbformat.NotebookNode]:
    """The hostile class: student -> their notebook (02, or 04 for the function answers)."""
    other = folder / "good" / "02_the_network.ipynb"
    huge = small_notebook()
    huge.cells[0].outputs = [new_output("stream", name="stdout", text="x" * 30 * 2**20)]
    last_check = small_notebook()
    last_check.cells.append(new_code_cell('check("02.1", 5)  # checked again, wrong: the last check decides'))
    flood = "import os\nfor fd in range(3, 12):\n    try:\n        os.write(fd, b'not json\\n')\n"
    flood += "    except OSError:\n        pass"
    return {
        "good": small_notebook(),
        "printer": small_notebook('print("Exercise 02.1: right.")', answers=("101_771", "None", "...")),
        "last_check": last_check,
        "error": small_notebook(answers=("1 / 0", *RIGHT[1:])),
        "loop": small_notebook("while True:\n    pass"),
        "memory": small_notebook("import numpy as np\nhog = [np.ones(2**27) for _ in range(400)]  # 50 GB"),
        "forkbomb": small_notebook(
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
        ),
        "reader": small_notebook(
            all_fail(
                *(
                    f'open, "{p}"'
                    for p in ("/etc/shadow", other, NOTEBOOKS / "02_the_network.ipynb", out / "gradebook.csv")
                )
            )
            + "\nblocked.append(not fails(open, 'notebook.ipynb'))",
            answers=(f"{RIGHT[0]} if all(blocked) else 0", *RIGHT[1:]),
        ),
        "deleter": small_notebook(
            "import shutil\n"
            + all_fail(
                *(f'os.remove, "{p}"' for p in (other, ROOT / "pyproject.toml", ENV / "venv" / "pyvenv.cfg")),
                f'shutil.rmtree, "{ENV}"',
            ),
            answers=(f"{RIGHT[0]} if all(blocked) else 0", *RIGHT[1:]),
        ),
        "writer": small_notebook(
            "import sys\nfor _ in range(10 * 1024):\n    sys.stdout.write('x' * 2**20)  # 10 GB of output\n"
            "def fill(path):\n    with open(path, 'wb') as f:\n"
            "        for _ in range(10 * 1024):\n            f.write(bytes(2**20))\n"
            + all_fail('fill, "big.bin"', *(f'open, "{p}", "w"' for p in ("/usr/x", "/etc/x", f"{ENV}/x", "/x"))),
            answers=(f"{RIGHT[0]} if all(blocked) else 0", *RIGHT[1:]),
        ),
        "huge_output": huge,
        "network": small_notebook(
            "import socket\n"
            + all_fail(
                f'socket.create_connection, ("127.0.0.1", {port}), 3',
                'socket.create_connection, ("1.1.1.1", 53), 3',
                'socket.getaddrinfo, "pypi.org", 443',
            ),
            answers=(f"{RIGHT[0]} if all(blocked) else 0", *RIGHT[1:]),
        ),
        "flood": small_notebook(flood),
        "tamper_runtime": small_notebook('vars(__import__("num" + "py"))["allclose"] = lambda *a, **k: True'),
        "functions": functions(RIGHT_BY_HAND, "return 0.5"),
        "function_loop": functions("while True:\n        pass", RIGHT_THRESHOLD),
    }


EXPECTED = {  # student -> the verdicts of their notebook's three exercises, and a word of the first one's detail
    "good": (["right", "right", "right"], "passes"),
    "printer": (["not yet", "not attempted", "not attempted"], "does not pass"),
    "last_check": (["not yet", "right", "right"], "does not pass"),
    "error": (["error", "right", "right"], "ZeroDivisionError"),
    "loop": (["timeout"] * 3, "ran over its 90 s"),
    "memory": (["killed"] * 3, "memory"),
    "forkbomb": (["killed"] * 3, "new processes refused"),  # its copies fill the memory, else it runs out of time
    "reader": (["right", "right", "right"], "passes"),
    "deleter": (["right", "right", "right"], "passes"),
    "writer": (["right", "right", "right"], "passes"),
    "huge_output": (["right", "right", "right"], "passes"),
    "network": (["right", "right", "right"], "passes"),
    "flood": (["tampered"] * 3, "grader's channel"),
    "tamper_runtime": (["tampered"] * 3, "numpy.allclose"),
    "functions": (["right", "right", "not yet"], "passes"),
    "function_loop": (["right", "timeout", "timeout"], "passes"),
}


def digest(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def users() -> Iterator[set[int]]:
    """The tests' sandbox users, deleted afterwards."""
    if os.geteuid() != 0 or not (ENV / "venv" / "bin" / "python").is_file():
        pytest.fail(f"the sandbox tests need root and the students' environment in {ENV} (make class-env)")
    uids = {sandbox.ensure_user(f"{PREFIX}{i}")[0] for i in range(WORKERS)}
    yield uids
    for i in range(WORKERS):
        sandbox.remove_user(f"{PREFIX}{i}")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, users: set[int]) -> tuple[list[Row], dict, dict, set[int]]:
    """The hostile class graded once: its rows, and the files of the submissions and the environment before."""
    folder, out = tmp_path_factory.mktemp("submissions"), tmp_path_factory.mktemp("graded")
    (out / "gradebook.csv").write_text("a previous gradebook\n")
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        for student, nb in class_of(folder, out, listener.getsockname()[1]).items():
            name = "04_confusion_matrix.ipynb" if student.startswith("function") else "02_the_network.ipynb"
            (folder / student).mkdir()
            nbformat.write(nb, folder / student / name)
        before = digest(folder), digest(ENV / "venv" / "bin")
        rows = grade(folder, out, ENV, LIMITS, WORKERS, user_prefix=PREFIX, say=lambda line: None)
    return rows, before, {"folder": folder, "out": out}, users


@pytest.mark.parametrize("student", EXPECTED)
def test_each_hostile_submission_gets_a_clear_verdict(graded: tuple, student: str) -> None:
    notebook = "04_confusion_matrix.ipynb" if student.startswith("function") else "02_the_network.ipynb"
    rows = [r for r in graded[0] if r.student == student and r.notebook == notebook]
    verdicts, word = EXPECTED[student]
    if student == "forkbomb" and rows[0].verdict == "timeout":
        verdicts = ["timeout"] * 3
    assert [r.verdict for r in rows] == verdicts, [r.detail for r in rows]
    assert word in rows[0].detail


def test_nothing_outside_the_sandboxes_is_touched_and_nothing_is_left_running(graded: tuple) -> None:
    _, (submissions, environment), where, uids = graded
    assert digest(where["folder"]) == submissions, "the submissions are as they were"
    assert digest(ENV / "venv" / "bin") == environment and (ROOT / "pyproject.toml").is_file()
    assert [p for uid in uids for p in sandbox.processes_of(uid)] == [], "no sandbox process left running"
    assert not list((CGROUPS / "memory" / sandbox.GROUP).glob(f"{PREFIX}*")), "every cgroup removed"
    assert (where["out"] / "gradebook.csv").read_text().startswith("student,notebook,exercise,verdict,detail\n")
    assert len((where["out"] / "summary.csv").read_text().splitlines()) == len(EXPECTED) + 1


def test_a_course_notebook_solved_and_as_handed_out(tmp_path: Path, users: set[int]) -> None:
    """End to end with a real notebook: the course's own copy (solutions run last) and the student copy."""
    name = "02_the_network.ipynb"
    for student in ("solved", "handed_out"):
        (tmp_path / "in" / student).mkdir(parents=True)
    (tmp_path / "in" / "solved" / name).write_bytes((NOTEBOOKS / name).read_bytes())
    (tmp_path / "in" / "handed_out" / name).write_text(student_exporter().from_filename(str(NOTEBOOKS / name))[0])
    limits = sandbox.Limits(seconds=900)  # a student's memory on the hub (hub/limits.py)
    rows = grade(tmp_path / "in", tmp_path / "out", ENV, limits, WORKERS, user_prefix=PREFIX, say=lambda line: None)
    assert [r.verdict for r in rows if r.notebook == name and r.student == "solved"] == ["right"] * 3
    assert [r.verdict for r in rows if r.notebook == name and r.student == "handed_out"] == ["not attempted"] * 3
