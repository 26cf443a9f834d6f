"""Grade a class: find each student's notebooks, run each in a sandbox in parallel, write the gradebook.

`survey` reads the submissions folder (one folder per student) and turns each file into a run or into a
verdict given without running (invalid, tampered, not attempted); `grade` runs the notebooks, one sandbox
user per worker, the longest first, and writes gradebook.csv, summary.csv and one feedback page per student.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grading import feedback, notebooks, sandbox
from grading.run import Outcome, run_notebook
from helpers.paths import write_atomically

VERDICTS = ("right", "not yet", "not attempted", "error", "timeout", "killed", "tampered", "invalid")
STUDENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
LONGEST_FIRST = ("03", "04", "02", "01")  # how long each notebook runs, the longest first; the others after


@dataclass(frozen=True)
class Row:
    student: str
    notebook: str
    exercise: str
    verdict: str
    detail: str


@dataclass
class Job:
    """One notebook to run: whose, which, and its exercises."""

    student: str
    notebook: str
    nb: nbformat.NotebookNode
    exercises: tuple[str, ...]


def rows_for(student: str, notebook: str, verdict: str, detail: str) -> list[Row]:
    """The same verdict for every exercise of a course notebook."""
    return [Row(student, notebook, e, verdict, detail) for e in notebooks.course_exercises()[notebook]]


def survey_student(student: str, folder: Path) -> tuple[list[Row], list[Job]]:
    """One student's folder: the runs it needs, and the verdicts it gets without running anything."""
    course = notebooks.course_exercises()
    rows, jobs, found = [], [], {}
    renamed: dict[str, str] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.name.endswith(".ipynb"):
            continue
        try:
            nb = notebooks.read_submitted(Path(entry.path))
        except notebooks.InvalidNotebook as err:
            if entry.name in course:
                rows += rows_for(student, entry.name, "invalid", str(err))
                found[entry.name] = None
            else:
                rows.append(Row(student, entry.name, "", "invalid", f"not a course notebook, ignored: {err}"))
            continue
        if entry.name not in course:
            named = notebooks.identify(nb)
            if named:
                renamed.setdefault(named, entry.name)
            else:
                rows.append(Row(student, entry.name, "", "invalid", "not one of the course's notebooks: ignored"))
            continue
        found[entry.name] = nb
    for name, exercises in course.items():
        if name in found:
            nb = found[name]
            if nb is None:
                continue
            if not notebooks.is_course_notebook(nb, name):
                rows += rows_for(student, name, "invalid", "not this course's notebook: submit the course's own copy")
            elif reason := notebooks.static_verdict(nb, exercises):
                rows += rows_for(student, name, "tampered", reason)
            else:
                jobs.append(Job(student, name, nb, exercises))
        elif name in renamed:
            rows += rows_for(
                student, name, "invalid", f"submitted as {renamed[name]!r}: name it {name} and submit again"
            )
        else:
            rows += rows_for(student, name, "not attempted", "notebook not submitted")
    return rows, jobs


def survey(submissions: Path) -> tuple[list[str], list[Row], list[Job], list[str]]:
    """The students, the verdicts given without running, the runs to do, and warnings about skipped entries."""
    students, rows, jobs, warnings = [], [], [], []
    folders = sorted((e for e in os.scandir(submissions) if e.is_dir(follow_symlinks=False)), key=lambda e: e.name)
    for entry in os.scandir(submissions):
        if not entry.is_dir(follow_symlinks=False):
            warnings.append(f"{entry.name}: not a student's folder, skipped")
    seen = Counter(e.name.casefold() for e in folders)
    for entry in folders:
        if not STUDENT_NAME.fullmatch(entry.name):
            warnings.append(f"{entry.name!r}: not a usable student name (letters, digits, . _ @ + -), skipped")
            continue
        students.append(entry.name)
        if seen[entry.name.casefold()] > 1:
            twins = ", ".join(e.name for e in folders if e.name.casefold() == entry.name.casefold())
            for name in notebooks.course_exercises():
                rows += rows_for(
                    entry.name, name, "invalid", f"one student, two folders ({twins}): keep one, grade again"
                )
            continue
        student_rows, student_jobs = survey_student(entry.name, Path(entry.path))
        rows += student_rows
        jobs += student_jobs
    return students, rows, jobs, warnings


def rows_of(job: Job, outcome: Outcome, limits: sandbox.Limits) -> list[Row]:
    """Each exercise's row from a run: its last check, or why it has none."""
    last_cell = {c.exercise: c.index for c in notebooks.check_cells(job.nb)}
    where = f"cell {outcome.cell + 1}"
    rows = []
    for exercise in job.exercises:
        if outcome.ended == "tampered":
            verdict, detail = "tampered", outcome.detail
        elif exercise in outcome.verdicts:
            verdict, detail = outcome.verdicts[exercise]
        elif outcome.ended == "timeout":
            verdict, detail = (
                "timeout",
                f"the notebook ran over its {limits.seconds:.0f} s in {where}, before this check",
            )
        elif outcome.ended == "killed":
            verdict, detail = "killed", f"the notebook was stopped in {where}: {outcome.detail}"
        elif (cell := last_cell[exercise]) in outcome.errors:
            verdict, detail = "error", f"{outcome.errors[cell]} in the exercise's cell (cell {cell + 1})"
        else:
            verdict, detail = "not attempted", "its check never ran"
        if outcome.forks_refused and verdict != "right":
            detail += f"; {outcome.forks_refused} new processes refused at the limit"
        rows.append(Row(job.student, job.notebook, exercise, verdict, detail))
    return rows


def csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_outputs(out: Path, students: list[str], rows: list[Row]) -> None:
    """gradebook.csv, summary.csv and feedback/STUDENT.html, each written atomically, in a folder only root reads."""
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    table = [[r.student, r.notebook, r.exercise, r.verdict, r.detail] for r in rows]
    gradebook = csv_text(["student", "notebook", "exercise", "verdict", "detail"], table)
    write_atomically(out / "gradebook.csv", lambda tmp: tmp.write_text(gradebook, encoding="utf-8"))
    counted = [
        [
            s,
            sum(r.verdict == "right" for r in rows if r.student == s and r.exercise),
            sum(1 for r in rows if r.student == s and r.exercise),
        ]
        for s in students
    ]
    summary = csv_text(["student", "right", "exercises"], counted)
    write_atomically(out / "summary.csv", lambda tmp: tmp.write_text(summary, encoding="utf-8"))
    for student in students:
        page = feedback.page(student, [r for r in rows if r.student == student])
        write_atomically(
            out / "feedback" / f"{student}.html", lambda tmp, page=page: tmp.write_text(page, encoding="utf-8")
        )


def order(job: Job) -> int:
    number = job.notebook[:2]
    return LONGEST_FIRST.index(number) if number in LONGEST_FIRST else len(LONGEST_FIRST)


def grade(
    submissions: Path,
    out: Path,
    env_dir: Path,
    limits: sandbox.Limits,
    workers: int,
    user_prefix: str = "mnistgrade",
    say=print,
) -> list[Row]:
    """Grade every student in `submissions` into `out`; return the gradebook's rows."""
    if not (env_dir / "venv" / "bin" / "python").is_file():
        raise FileNotFoundError(f"no students' environment in {env_dir}: run `make class-env` first")
    if out.resolve().is_relative_to(submissions.resolve()):
        raise ValueError(f"{out} is inside {submissions}: write the gradebook where no student's folder is")
    students, rows, jobs, warnings = survey(submissions)
    for warning in warnings:
        say(f"warning: {warning}")
    users: queue.Queue[str] = queue.Queue()
    for i in range(workers):
        sandbox.ensure_user(f"{user_prefix}{i}")
        users.put(f"{user_prefix}{i}")
    jobs.sort(key=order)
    done = Counter()
    started = time.monotonic()

    def work(job: Job) -> list[Row]:
        user = users.get()
        began = time.monotonic()
        try:
            outcome = run_notebook(job.nb, job.exercises, env_dir, user, limits, f"{user}-{os.getpid()}")
            job_rows = rows_of(job, outcome, limits)
        except Exception as err:  # noqa: BLE001 - one notebook the grader fails on must not stop the class
            job_rows = [
                Row(job.student, job.notebook, e, "error", f"the grader failed ({err!r:.80})") for e in job.exercises
            ]
        finally:
            users.put(user)
        done["jobs"] += 1
        verdicts = ", ".join(f"{n} {v}" for v, n in Counter(r.verdict for r in job_rows).items())
        say(f"[{done['jobs']}/{len(jobs)}] {job.student} {job.notebook}: {verdicts} ({time.monotonic() - began:.0f} s)")
        return job_rows

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for job_rows in pool.map(work, jobs):
            rows += job_rows
    rows.sort(key=lambda r: (r.student, r.notebook, r.exercise))
    write_outputs(out, students, rows)
    elapsed = time.monotonic() - started
    say(f"{len(students)} students, {len(jobs)} notebooks run in {elapsed:.0f} s: {out}/gradebook.csv")
    return rows
