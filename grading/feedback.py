"""A student's feedback page: each exercise's verdict and, when not yet right, the exercise's hint; never an answer.

Made like the course site's index (scripts/build_site.py): a notebook of markdown cells exported by the same
nbconvert template, so it has the site's look and passes the same accessibility audit. The hints are the
checker's own, which by the course's rule name the method and never the value; the page shows nothing the
student's notebook computed.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from nbformat.v4 import new_markdown_cell, new_notebook

from helpers.checks import EXERCISES
from scripts.build_site import COURSE_TITLE, exporter

if TYPE_CHECKING:
    from grading.grade import Row


def text(value: str) -> str:
    """Plain text inside markdown: every ASCII punctuation character backslash-escaped, so none is markup or HTML."""
    return "".join(f"\\{c}" if c in string.punctuation else c for c in value.replace("\n", " "))


def advice(row: Row) -> str:
    """What the student reads beside a verdict: why, and for a wrong answer the exercise's hint."""
    if row.verdict == "not yet":
        return f"{row.detail}. Hint: {EXERCISES[row.exercise].hint}"
    return row.detail


def page(student: str, rows: list[Row]) -> str:
    """The HTML page of one student's rows."""
    right = sum(r.verdict == "right" for r in rows if r.exercise)
    total = sum(1 for r in rows if r.exercise)
    cells = [
        new_markdown_cell(
            f"# Feedback for {text(student)}\n\n{right} of {total} exercises right. Each exercise of {COURSE_TITLE}"
            " was checked again by running your notebook from the top; what a notebook printed did not count."
        )
    ]
    for notebook in dict.fromkeys(r.notebook for r in rows):
        lines = [f"## {text(notebook)}", "", "| exercise | verdict | what to do |", "| --- | --- | --- |"]
        for row in (r for r in rows if r.notebook == notebook):
            lines.append(f"| {text(row.exercise or 'file')} | {text(row.verdict)} | {text(advice(row))} |")
        cells.append(new_markdown_cell("\n".join(lines)))
    nb = new_notebook(cells=cells)
    nb.metadata["title"] = f"Feedback for {student}"
    course = {"index": "", "is_index": True, "previous": None, "next": None}
    body, _ = exporter().from_notebook_node(nb, resources={"course": course})
    return body
