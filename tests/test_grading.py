"""The grader's parts that need no sandbox: the channel's data, the static scan, the survey, the feedback page."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from selenium.webdriver.remote.webdriver import WebDriver

from grading import feedback, grade, hub, notebooks, run
from grading.runner import Unsupported, decode, encode
from helpers.checks import EXERCISES
from scripts.make_student_copies import student_exporter
from tests import test_site

COURSE = notebooks.course_exercises()
browser, axe = test_site.browser, test_site.axe  # the site's fixtures: one headless Chromium, axe-core


RIGHT = tuple(repr(EXERCISES[f"02.{k}"].expected) for k in (1, 2, 3))  # notebook 02's right answers, as code


def small_notebook(*sources: str, answers: tuple[str, ...] = RIGHT) -> nbformat.NotebookNode:
    """A notebook named like 02_the_network: the import, `sources`, then the three check cells of notebook 02."""
    cells = ["from helpers.checks import check", *sources]
    cells += [f'answer = {a}  # the answer\ncheck("02.{k}", answer);' for k, a in enumerate(answers, 1)]
    return new_notebook(cells=[new_code_cell(c) for c in cells])


def test_every_course_notebook_has_its_exercises_and_passes_the_scan_as_handed_out_and_solved() -> None:
    assert sorted(e for exercises in COURSE.values() for e in exercises) == sorted(EXERCISES), "every checked exercise"
    assert all(e.startswith(name[:2] + ".") for name, exercises in COURSE.items() for e in exercises)
    for name, exercises in COURSE.items():
        solved = nbformat.read(notebooks.NOTEBOOKS / name, as_version=4)
        handed_out = nbformat.reads(student_exporter().from_filename(str(notebooks.NOTEBOOKS / name))[0], as_version=4)
        for nb in (solved, handed_out):
            assert notebooks.static_verdict(nb, exercises) is None, name
            assert notebooks.is_course_notebook(nb, name) and notebooks.identify(nb) == name


@pytest.mark.parametrize(
    "value",
    [
        None,
        Ellipsis,
        True,
        3,
        2.5,
        float("nan"),
        "four",
        (5, 1),
        [1, (2.0, "x")],
        np.int64(7),
        np.float32(0.5),
        np.array([[1, 2], [3, 4]]),
        np.array([0.1, np.inf]),
        np.array([True, False]),
    ],
    ids=repr,
)
def test_answers_cross_the_channel_as_plain_data(value: object) -> None:
    back = decode(json.loads(json.dumps(encode(value))))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value and type(back) is type(value)


class Rigged:
    """What a student might send to fool a comparison: equal to everything."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


@pytest.mark.parametrize(
    "value",
    [Rigged(), (Rigged(), 1), {"a": 1}, np.array(["a"]), np.zeros(200_000)],
    ids=["rigged", "rigged in a tuple", "dict", "array of strings", "oversized array"],  # stable across processes
)
def test_objects_and_oversized_arrays_arrive_as_unsupported(value: object) -> None:
    back = decode(json.loads(json.dumps(encode(value))))
    inner = back[0] if isinstance(back, tuple) else back
    assert isinstance(inner, Unsupported) and inner != 1


@pytest.mark.parametrize(
    "data",
    [{"numpy": "|O", "data": [1]}, {"numpy": "<f8", "data": [[1], [2, 3]]}, {"__reduce__": "os.system"}, 10**400],
)
def test_decode_builds_only_builtin_types_and_numeric_arrays(data: object) -> None:
    assert isinstance(decode(data), Unsupported | int)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def check(exercise, answer):\n    return True", "defines its own check"),
        ("check = print", "replaces check"),
        ("from helpers.checks import EXERCISES", "imports EXERCISES from the checker"),
        ("from helpers.checks import check as c", "imports check under another name"),
        ("from builtins import print as check", "imports something else as check"),
        ("import helpers.checks\nhelpers.checks.EXERCISES.clear()", "reaches into the checker (EXERCISES)"),
        ("import numpy as np\nnp.allclose = lambda *a, **k: True", "patches np.allclose"),
        ("import numpy\nsetattr(numpy, 'isclose', None)", "patches with setattr(numpy, ...)"),
        ("from helpers import checks\nchecks.check = print", "patches checks.check"),
        ("import importlib, helpers\nimportlib.reload(helpers)", "patches with reload(helpers, ...)"),
        ("import sys\nsys.modules['helpers.checks'] = None", "patches sys.modules['helpers.checks']"),
        ("__builtins__.abs = max", "patches __builtins__.abs"),
    ],
)
def test_the_scan_flags_each_way_of_patching_the_checker_or_numpy(source: str, found: str) -> None:
    assert notebooks.static_verdict(small_notebook(source), COURSE["02_the_network.ipynb"]) == found


def test_the_scan_flags_a_check_cell_removed_or_edited_and_passes_honest_work() -> None:
    exercises = COURSE["02_the_network.ipynb"]
    edited = small_notebook()
    edited.cells[2].source = f'answer = {RIGHT[1]}\ncheck("02.2", {RIGHT[1]});'
    assert notebooks.static_verdict(edited, exercises) == "the check cell of exercise 02.2 was removed or edited"
    del edited.cells[2]
    assert "02.2 was removed" in notebooks.static_verdict(edited, exercises)
    honest = small_notebook("import numpy as np\nx = np.arange(3)\nx[0] = 5\nprint(np.allclose(x, x))")
    honest.cells[-1].source += "\nprint(answer)  # a line after the check is fine"
    assert notebooks.static_verdict(honest, exercises) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"hello", "not JSON"), (b'{"cells": 3}', "not a valid notebook"), (b"\xff\xfe", "not JSON")],
)
def test_a_file_that_is_not_a_notebook_is_invalid(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "02_the_network.ipynb"
    path.write_bytes(content)
    with pytest.raises(notebooks.InvalidNotebook, match=message):
        notebooks.read_submitted(path)


def test_a_link_or_an_oversized_file_is_invalid_and_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = tmp_path / "02_the_network.ipynb"
    link.symlink_to("/etc/shadow")
    with pytest.raises(notebooks.InvalidNotebook, match="cannot be opened"):
        notebooks.read_submitted(link)
    big = tmp_path / "01_load_and_look.ipynb"
    nbformat.write(small_notebook(), big)
    monkeypatch.setattr(notebooks, "MAX_BYTES", 100)
    with pytest.raises(notebooks.InvalidNotebook, match="clear its outputs"):
        notebooks.read_submitted(big)


def verdicts(rows: list[grade.Row], student: str, notebook: str) -> list[str]:
    return [r.verdict for r in rows if r.student == student and r.notebook == notebook]


def test_the_survey_gives_each_broken_submission_its_verdict_without_running_it(tmp_path: Path) -> None:
    for folder in ("empty", "renamed", "other", "notjson", "twice", "Twice", "tampered", "good"):
        (tmp_path / folder).mkdir()
    nbformat.write(small_notebook(), tmp_path / "renamed" / "my network.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell("print(1)")]), tmp_path / "other" / "02_the_network.ipynb")
    (tmp_path / "notjson" / "02_the_network.ipynb").write_text("not json")
    nbformat.write(small_notebook("np.isclose = None"), tmp_path / "tampered" / "02_the_network.ipynb")
    nbformat.write(small_notebook(), tmp_path / "good" / "02_the_network.ipynb")
    (tmp_path / "stray.txt").write_text("x")
    (tmp_path / "bad name!").mkdir()

    students, rows, jobs, warnings = grade.survey(tmp_path)
    assert "bad name!" not in students and len(warnings) == 2
    assert [(j.student, j.notebook) for j in jobs] == [("good", "02_the_network.ipynb")]
    net = "02_the_network.ipynb"
    assert set(verdicts(rows, "empty", net)) == {"not attempted"}
    assert set(verdicts(rows, "renamed", net)) == {"invalid"}
    assert set(verdicts(rows, "other", net)) == {"invalid"} and set(verdicts(rows, "notjson", net)) == {"invalid"}
    assert set(verdicts(rows, "twice", net)) == set(verdicts(rows, "Twice", net)) == {"invalid"}
    assert set(verdicts(rows, "tampered", net)) == {"tampered"}
    assert set(verdicts(rows, "good", "01_load_and_look.ipynb")) == {"not attempted"}
    assert len([r for r in rows if r.student == "empty"]) == sum(map(len, COURSE.values()))


FEEDBACK = [
    grade.Row("ada", "02_the_network.ipynb", "02.1", "right", "the course's check passes"),
    grade.Row("ada", "02_the_network.ipynb", "02.2", "not yet", "the course's check does not pass"),
    grade.Row("ada", "02_the_network.ipynb", "02.3", "error", "ZeroDivisionError in the exercise's cell (cell 4)"),
    grade.Row("ada", "<script>.ipynb", "", "invalid", "not one of the course's notebooks | ignored"),
]


def test_the_feedback_page_gives_verdicts_and_hints_but_no_answer() -> None:
    page = feedback.page("ada", FEEDBACK)
    assert "Feedback for ada" in page and "1 of 3 exercises right" in page
    assert "n_in × n_out weights" not in page  # 02.1 is right: no hint
    assert "the total number of parameters of the three-layer network" in page  # 02.2's hint
    assert "101770" not in page.replace(",", "").replace("_", "") and "535818" not in page.replace(",", "")
    assert "<script>.ipynb" not in page and "&lt;script&gt;" in page


def test_the_feedback_page_passes_the_sites_accessibility_audit(tmp_path: Path, browser: WebDriver, axe: str) -> None:
    page = tmp_path / "ada.html"
    page.write_text(feedback.page("ada", FEEDBACK), encoding="utf-8")
    browser.get(page.as_uri())
    assert test_site.axe_violations(browser, axe) == []
    assert test_site.heading_levels(browser) == [1, 2, 2]
    cells = [td.text for td in browser.find_elements("css selector", "td")]
    assert cells[:3] == ["02.1", "right", "the course's check passes"]
    assert [h.text.strip("¶ ") for h in browser.find_elements("css selector", "h2")] == [
        "02_the_network.ipynb",
        "<script>.ipynb",
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root (as the grader has)")
def test_collecting_from_the_hub_copies_each_students_own_notebooks_only(tmp_path: Path) -> None:
    homes, course = tmp_path / "home", "mnist-course/notebooks"
    for user in ("jupyter-ada", "jupyter-bob", "someone-else"):
        (homes / user / course).mkdir(parents=True)
    nbformat.write(small_notebook(), homes / "jupyter-ada" / course / "02_the_network.ipynb")
    (homes / "jupyter-ada" / course / "notes.txt").write_text("not a notebook")
    (homes / "jupyter-bob" / course / "02_the_network.ipynb").symlink_to(
        homes / "jupyter-ada" / course / "02_the_network.ipynb"
    )
    nbformat.write(small_notebook(), homes / "jupyter-bob" / course / "01_load_and_look.ipynb")
    os.chown(homes / "jupyter-bob" / course / "01_load_and_look.ipynb", 12345, 12345)  # a file bob does not own
    assert hub.collect(homes, course, tmp_path / "in") == ["ada", "bob"]
    assert sorted(p.name for p in (tmp_path / "in" / "ada").iterdir()) == ["02_the_network.ipynb"]
    assert list((tmp_path / "in" / "bob").iterdir()) == []


@pytest.mark.parametrize("answer", [10**400, (10**400, 1), float("nan"), Unsupported("x")], ids=repr)
def test_an_answer_the_checker_cannot_compare_is_not_yet_right_and_breaks_nothing(answer: object) -> None:
    message = {"check": "01.2", "answer": json.loads(json.dumps(encode(answer))), "cell": 3}
    assert run.judge("01.2", message, channel=None) == ("not yet", "the course's check does not pass")
