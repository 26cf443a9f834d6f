"""The hub's parts that need no root: the course committed for nbgitpuller, and the kernel's out-of-memory notice."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers import kernel
from hub import course, limits


def log(repo: Path) -> list[str]:
    result = subprocess.run(["git", "--git-dir", str(repo), "log", "--format=%s"], capture_output=True, text=True)
    return result.stdout.splitlines()


def test_the_course_is_committed_once_and_again_only_when_it_changes(tmp_path: Path) -> None:
    repo = tmp_path / "course.git"
    first = course.publish(repo)
    assert first is not None and course.publish(repo) is None, "an unchanged course makes no new commit"
    files = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "-r", "--name-only", "main"], capture_output=True, text=True
    ).stdout.split()
    assert ".gitignore" in files and "docs/glossary.md" in files and "notebooks/01_load_and_look.ipynb" in files
    shown = subprocess.run(
        ["git", "--git-dir", str(repo), "show", "main:notebooks/02_the_network.ipynb"], capture_output=True, text=True
    ).stdout
    assert "solution" not in json.dumps([cell["metadata"].get("tags", []) for cell in json.loads(shown)["cells"]])
    assert len(log(repo)) == 1
    config = course.trust(repo).read_text()
    assert f"directory = {repo}" in config


@pytest.fixture
def memory_cgroup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for a student's memory cgroup folder, named in the kernel's environment as the spawner does."""
    folder = tmp_path / "jupyter-ann"
    folder.mkdir()
    (folder / "memory.limit_in_bytes").write_text(f"{limits.MEMORY}\n")
    (folder / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    monkeypatch.setenv(kernel.CGROUP_ENV, str(folder))
    return folder


def test_a_kernel_says_why_the_previous_one_died_once(memory_cgroup: Path, tmp_path: Path) -> None:
    state = tmp_path / "state" / "oom-kills"
    assert kernel.oom_notice(state) is None, "the first kernel of a server has nothing to say"
    (memory_cgroup / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
    notice = kernel.oom_notice(state)
    assert notice is not None and "memory limit of 2.0 GB" in notice and "Shut Down Kernel" in notice
    assert kernel.oom_notice(state) is None, "the next kernel says nothing more"


def test_outside_the_hub_the_kernel_says_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(kernel.CGROUP_ENV, raising=False)
    assert kernel.oom_notice(tmp_path / "oom-kills") is None
    assert not (tmp_path / "oom-kills").exists()


def test_the_notice_is_printed_in_the_next_cell_only(capsys: pytest.CaptureFixture[str]) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    kernel.tell_at_next_cell(shell, "the notice")
    assert shell.run_cell("1", store_history=False).success and shell.run_cell("2", store_history=False).success
    assert capsys.readouterr().err.count("the notice") == 1
