"""The course as students get it: the student copies committed to CLASS_ENV/course.git, which nbgitpuller pulls from.

`make class-env` ends with `python -m hub.course CLASS_ENV`: it makes the student copies afresh (as `make
student` does: solutions removed), and commits them on the branch `main` of the bare repository
CLASS_ENV/course.git when they differ from its last commit. After the instructor changes a notebook,
running it again commits the new version; each student gets it at their next log-in, when the spawner
runs nbgitpuller, whose merge never overwrites a file the student has edited.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.course import ROOT, argument_parser
from scripts.make_student_copies import make_student_copies

BRANCH = "main"
# Files a student's work makes beside the notebooks: never part of the course, so `git status` stays quiet.
IGNORED = "# Made while you work, never part of the course\nmodels/\n.experiments/\n.ipynb_checkpoints/\n__pycache__/\n"
AUTHOR = {"GIT_AUTHOR_NAME": "MNIST course", "GIT_AUTHOR_EMAIL": "course@localhost"}


def git(*args: str, env: dict[str, str] | None = None) -> str:
    """Run git with `args` (and extra environment variables); its output, stripped."""
    environment = {**os.environ, **AUTHOR, "GIT_COMMITTER_NAME": AUTHOR["GIT_AUTHOR_NAME"]}
    environment["GIT_COMMITTER_EMAIL"] = AUTHOR["GIT_AUTHOR_EMAIL"]
    result = subprocess.run(["git", *args], env={**environment, **(env or {})}, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def source_version() -> str:
    """The checkout's commit the copies are made from (`-dirty` when it has uncommitted changes)."""
    try:
        return git("-C", str(ROOT), "describe", "--always", "--dirty")
    except RuntimeError:
        return "a checkout without git"


def trust(repo: Path) -> Path:
    """Write the git configuration beside `repo` under which students pull from it; its path.

    git refuses a repository that another user owns ("dubious ownership") unless safe.directory names it,
    and for a local clone only a global or system configuration counts: the spawner runs nbgitpuller with
    GIT_CONFIG_GLOBAL set to this file, root's, which students can read and not change.
    """
    config = repo.with_name("gitconfig")
    tmp = config.with_name(f".{config.name}.tmp")
    tmp.write_text(
        f"# Written by make class-env (hub/course.py): students' nbgitpuller trusts root's course.git\n"
        f"[safe]\n\tdirectory = {repo}\n"
    )
    tmp.chmod(0o644)
    tmp.replace(config)
    return config


def publish(repo: Path) -> str | None:
    """Commit the current student copies to the bare repository `repo` (made if missing); the new commit, or None."""
    if not repo.exists():
        fresh = repo.with_name(f".{repo.name}.tmp")
        git("init", "--quiet", "--bare", f"--initial-branch={BRANCH}", str(fresh))
        fresh.rename(repo)
    with tempfile.TemporaryDirectory() as tree, tempfile.TemporaryDirectory() as scratch:
        make_student_copies(Path(tree))
        (Path(tree) / ".gitignore").write_text(IGNORED)
        env = {"GIT_DIR": str(repo), "GIT_WORK_TREE": tree, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git("add", "--all", env=env)
        written = git("write-tree", env=env)
        parent = subprocess.run(
            ["git", "--git-dir", str(repo), "rev-parse", "--quiet", "--verify", f"refs/heads/{BRANCH}^{{commit}}"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if parent and git("--git-dir", str(repo), "rev-parse", f"{parent}^{{tree}}") == written:
            return None
        message = f"The course's student copies, from {source_version()}"
        commit = git("commit-tree", written, *(["-p", parent] if parent else []), "-m", message, env=env)
        git("--git-dir", str(repo), "update-ref", f"refs/heads/{BRANCH}", commit, *([parent] if parent else []))
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(repo)], check=True)
    return commit


def main(args: list[str]) -> int:
    """Publish the student copies into CLASS_ENV/course.git and say whether anything changed."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("class_env", type=Path, help="the class's environment (make class-env)")
    repo = parser.parse_args(args).class_env / "course.git"
    commit = publish(repo)
    trust(repo)
    if commit is None:
        print(f"{repo}: the student copies are up to date")
    else:
        print(f"{repo}: committed the student copies as {commit[:12]}; students get them at their next log-in")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
