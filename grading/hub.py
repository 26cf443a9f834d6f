"""`make grade FROM_HUB=1`: collect the submissions from every student's home on the course's JupyterHub.

The Littlest JupyterHub gives each student a Unix user `jupyter-NAME` with the home /home/jupyter-NAME, and
nbgitpuller puts the course in a folder of that home (`mnist-course/` by default). Each student's course
notebooks are copied, as root, into a root-only folder, one folder per student named NAME; the copy reads
only plain files the student owns, no link, and at most a notebook's size limit, so a home cannot point
the grader at another file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grading.notebooks import MAX_BYTES, course_exercises

PREFIX = "jupyter-"  # The Littlest JupyterHub's user names


def copy_own_file(source: Path, owner: int, target: Path) -> bool:
    """Copy `source` if it is a plain file (not a link) owned by `owner`, up to MAX_BYTES + 1 bytes; whether it was.

    The owner check stops a student from handing in a classmate's notebook through a link higher up the path.
    """
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_uid != owner:
            return False
        target.write_bytes(file.read(MAX_BYTES + 1))  # one byte more: the grader then says it is too large
    return True


def collect(homes: Path, folder: str, submissions: Path) -> list[str]:
    """Copy each hub user's course notebooks (HOME/`folder`/NN_name.ipynb) into `submissions`/NAME; the names."""
    submissions.mkdir(mode=0o700, parents=True, exist_ok=True)
    students = []
    for home in sorted(homes.glob(f"{PREFIX}*")):
        if home.is_symlink() or not home.is_dir():
            continue
        student = home.name.removeprefix(PREFIX)
        (submissions / student).mkdir(mode=0o700)
        for name in course_exercises():
            copy_own_file(home / folder / name, home.stat().st_uid, submissions / student / name)
        students.append(student)
    return students
