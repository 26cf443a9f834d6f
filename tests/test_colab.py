"""Every notebook is ready for Colab, from the one repository address (scripts/sync_colab.py, `make colab`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scripts import build_site, sync_colab
from scripts.course import course_notebooks

REPO = "https://github.com/mnist-course/mnist-course"


def test_notebooks_and_readme_are_in_step_with_the_address(capsys: pytest.CaptureFixture) -> None:
    assert sync_colab.main(["--check"]) == 0, capsys.readouterr().out


def test_each_notebook_has_its_own_badge_the_python3_kernel_and_the_setup_first() -> None:
    repo = sync_colab.repository()
    for path in course_notebooks():
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.kernelspec.name == "python3"
        assert sync_colab.badge(repo, f"notebooks/{path.name}") in nb.cells[0].source
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code.source.startswith(sync_colab.SETUP_FIRST_LINE)
        assert f'"{repo}"' in first_code.source


def test_colab_address_of_a_notebook() -> None:
    url = sync_colab.colab_url(REPO + ".git", "notebooks/01_a.ipynb")
    assert url == "https://colab.research.google.com/github/mnist-course/mnist-course/blob/main/notebooks/01_a.ipynb"
    with pytest.raises(ValueError, match="GitHub"):
        sync_colab.colab_url("https://gitlab.com/a/b", "notebooks/01_a.ipynb")


def test_sync_is_idempotent_and_follows_a_new_address() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title\n\nText."), nbformat.v4.new_code_cell("import numpy as np")]
    )
    once = sync_colab.sync_notebook(nb, REPO, "notebooks/01_a.ipynb")
    twice = sync_colab.sync_notebook(nbformat.from_dict(once), REPO, "notebooks/01_a.ipynb")
    assert nbformat.writes(once) == nbformat.writes(twice)
    assert once.cells[1].source.endswith("# End of the course set-up.\n\nimport numpy as np")
    moved = sync_colab.sync_notebook(nbformat.from_dict(once), "https://github.com/fork/course", "notebooks/01_a.ipynb")
    assert REPO not in nbformat.writes(moved) and moved.cells[1].source.count("import numpy as np") == 1
    assert moved.cells[0].source.count("Open in Colab") == 1 and moved.cells[0].source.startswith("# Title\n\n[![")
    assert "enable_custom_widget_manager" not in moved.cells[1].source  # only where the drawing pad is used


def run_setup_block(monkeypatch, found: bool, repo: str) -> list[list[str]]:
    """Execute the set-up block with `helpers` importable or not; return the commands it ran."""
    commands: list[list[str]] = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return (object() if found else None) if name == "helpers" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: commands.append(cmd))
    monkeypatch.setenv(sync_colab.REPO_ENV, repo)
    exec(sync_colab.setup_block(REPO, widgets=True), {})
    return commands


def test_setup_block_does_nothing_where_the_helpers_are(monkeypatch, capsys: pytest.CaptureFixture) -> None:
    assert run_setup_block(monkeypatch, found=True, repo=REPO) == []
    assert capsys.readouterr().out == ""


def test_setup_block_installs_from_the_repository_and_says_so(monkeypatch, capsys, tmp_path: Path) -> None:
    commands = run_setup_block(monkeypatch, found=False, repo="https://github.com/fork/course")
    assert commands == [[sys.executable, "-m", "pip", "install", "--quiet", "git+https://github.com/fork/course"]]
    assert capsys.readouterr().out.count("\n") == 1  # one line
    commands = run_setup_block(monkeypatch, found=False, repo=str(tmp_path))  # a local clone
    assert commands[-1][-1] == str(tmp_path)


def test_each_site_page_has_its_badge(tmp_path: Path) -> None:
    (tmp_path / "nb").mkdir()
    path = course_notebooks()[0]
    (tmp_path / "nb" / path.name).write_bytes(path.read_bytes())
    build_site.build_site(tmp_path / "site", tmp_path / "nb")
    page = (tmp_path / "site" / path.with_suffix(".html").name).read_text()
    url = sync_colab.colab_url(sync_colab.repository(), f"notebooks/{path.name}")
    assert f'<a href="{url}">Open in Colab</a>' in page
    assert sync_colab.BADGE_IMAGE not in page  # the site loads nothing from the network
