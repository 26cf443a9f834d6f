"""`make hub-experiments`: notebook 06's experiments, trained once by the instructor, for the whole class to share.

Runs the student copy of 06 (from CLASS_ENV/course.git: exactly what students run, so the cache keys match)
top to bottom in the class environment's own kernel, as root, with MNIST_COURSE_EXPERIMENTS pointing at
CLASS_ENV/experiments. The spawner gives every student's server MNIST_COURSE_SHARED_EXPERIMENTS (that
folder, read-only to them), which the helpers look up before the student's own cache: a student who runs
06 unchanged trains nothing, and a changed configuration trains into the student's own cache.
Run it again after changing 06 or the locked versions (its keys hold the code and the versions).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.course import argument_parser

NOTEBOOK = "06_experiments.ipynb"


def run(class_env: Path) -> int:
    """Execute the course's 06 in the class env's kernel into CLASS_ENV/experiments; how many results it holds."""
    results = class_env / "experiments"
    results.mkdir(mode=0o755, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        course = Path(scratch) / "course"
        subprocess.run(
            ["git", "clone", "--quiet", "--depth", "1", f"file://{class_env / 'course.git'}", str(course)], check=True
        )
        env = {
            **os.environ,
            "MNIST_COURSE_DATA": str(class_env / "data"),
            "MNIST_COURSE_EXPERIMENTS": str(results),
            "MNIST_COURSE_MODELS": str(Path(scratch) / "models"),
            "MPLBACKEND": "Agg",
        }
        for name in (
            "MNIST_COURSE_SHARED_EXPERIMENTS",
            "OMP_NUM_THREADS",
            "TF_NUM_INTRAOP_THREADS",
            "TF_NUM_INTEROP_THREADS",
        ):
            env.pop(name, None)  # the instructor's run uses every core and trusts no other cache
        command = [
            str(class_env / "venv" / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
            "--ExecutePreprocessor.timeout=-1", "--ExecutePreprocessor.kernel_name=python3",
            "--output-dir", scratch, str(course / "notebooks" / NOTEBOOK),
        ]  # fmt: skip
        subprocess.run(command, cwd=course / "notebooks", env=env, check=True)
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(results)], check=True)
    return sum(1 for path in results.rglob("*.json"))


def main(args: list[str]) -> int:
    """Compute the shared results and say where they are, or say what to do first."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("class_env", type=Path, help="the class's environment (make class-env)")
    class_env = parser.parse_args(args).class_env
    if os.geteuid() != 0:
        print("error: the class's environment is root's: run sudo make hub-experiments")
        return 1
    if not (class_env / "course.git").is_dir():
        print(f"error: no course in {class_env}: run make class-env first")
        return 1
    started = time.monotonic()
    found = run(class_env)
    if not found:
        print(f"error: 06 ran but left no results in {class_env / 'experiments'}: the class env's helpers do not")
        print("read MNIST_COURSE_EXPERIMENTS; update them (make class-env) and run this again")
        return 1
    print(
        f"{found} results of 06 in {class_env / 'experiments'} ({time.monotonic() - started:.0f} s), shared read-only"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
