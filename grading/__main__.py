"""`make grade`: python -m grading SUBMISSIONS OUT [--from-hub HOMES] [--env DIR] [--workers N] [--timeout S]
[--memory GB]; see the README's "Grade a class"."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grading import hub, sandbox
from grading.grade import grade


def main(args: list[str]) -> int:
    """Grade the class in SUBMISSIONS into OUT; say plainly what is missing if it cannot start."""
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__)
    parser.add_argument("submissions", type=Path, help="one folder per student, holding their notebooks")
    parser.add_argument("--from-hub", type=Path, metavar="HOMES", help="first collect from HOMES/jupyter-NAME/...")
    parser.add_argument("--hub-folder", default="mnist-course/notebooks", help="the course's folder in a home")
    parser.add_argument("out", type=Path, help="where gradebook.csv, summary.csv and feedback/ are written")
    parser.add_argument("--env", type=Path, default=Path("/opt/mnist-course"), help="`make class-env`")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="notebooks run at once")
    parser.add_argument("--timeout", type=float, default=sandbox.Limits.seconds, help="seconds per notebook")
    parser.add_argument("--memory", type=float, default=sandbox.Limits.memory / 2**30, help="GB per notebook")
    options = parser.parse_args(args)
    if os.geteuid() != 0:
        print("error: grading makes users, namespaces and cgroups: run it as root (sudo make grade ...)")
        return 1
    if options.from_hub:
        if options.submissions.exists():
            print(f"error: {options.submissions} exists: collecting from the hub needs a new folder for the copies")
            return 1
        students = hub.collect(options.from_hub, options.hub_folder, options.submissions)
        print(f"collected the notebooks of {len(students)} hub users into {options.submissions}")
    if not options.submissions.is_dir():
        print(f"error: {options.submissions} is not a folder: SUBMISSIONS must hold one folder per student")
        return 1
    limits = sandbox.Limits(seconds=options.timeout, memory=int(options.memory * 2**30))
    try:
        grade(options.submissions, options.out, options.env, limits, max(1, options.workers))
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
