"""Course folders, printed paths and atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import paths
from scripts.course import pyproject


def test_folders_default_to_the_checkout_and_follow_the_environment(tmp_path: Path, monkeypatch) -> None:
    root = paths.project_root()
    assert root is not None and (root / "Makefile").is_file()
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    monkeypatch.delenv(paths.MODELS_ENV, raising=False)
    assert (paths.data_dir(), paths.models_dir()) == (root / "data", root / "models")
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "d"))
    monkeypatch.setenv(paths.MODELS_ENV, str(tmp_path / "m"))
    assert (paths.data_dir(), paths.models_dir()) == (tmp_path / "d", tmp_path / "m")


def test_relative_folder_in_the_environment_is_refused(monkeypatch) -> None:
    monkeypatch.setenv(paths.DATA_ENV, "my-data")
    with pytest.raises(ValueError, match="MNIST_COURSE_DATA=my-data must be an absolute path"):
        paths.data_dir()


def test_display_path_hides_the_machine(monkeypatch, tmp_path: Path) -> None:
    root = paths.project_root()
    assert paths.display_path(root / "data" / "mnist.npz") == "data/mnist.npz"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.display_path(tmp_path / ".keras" / "x.npz") == "~/.keras/x.npz"


def test_write_atomically_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.txt"
    paths.write_atomically(target, lambda tmp: tmp.write_text("first"))
    assert target.read_text() == "first"

    def fail(tmp: Path) -> None:
        tmp.write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        paths.write_atomically(target, fail)
    assert target.read_text() == "first"
    assert [p.name for p in target.parent.iterdir()] == ["file.txt"]


def test_examples_live_beside_the_notebooks() -> None:
    from helpers.paths import examples_dir

    assert examples_dir() == Path(__file__).resolve().parents[1] / "notebooks" / "examples"
    assert (examples_dir() / "labels.csv").is_file()


def test_without_a_checkout_data_and_models_go_beside_the_notebook(tmp_path: Path, monkeypatch) -> None:
    """pip-installed helpers (Colab): the kernel's working directory is the notebook's folder (Colab: /content)."""
    monkeypatch.setattr(paths, "project_root", lambda: None)
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    monkeypatch.delenv(paths.MODELS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert (paths.data_dir(), paths.models_dir()) == (tmp_path / "data", tmp_path / "models")
    assert paths.display_path(paths.data_dir() / "mnist.npz") == "data/mnist.npz"


def test_without_a_checkout_the_examples_come_with_the_helpers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(paths, "project_root", lambda: None)
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "paths.py"))
    with pytest.raises(FileNotFoundError, match="reinstall the course's helpers"):
        paths.examples_dir()
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "labels.csv").write_text("file,label\n")
    assert paths.examples_dir() == tmp_path / "examples"


def test_every_example_picture_is_packaged_with_the_helpers() -> None:
    """A notebook opened without the checkout (Colab) reads the examples installed with the helpers:
    every file under notebooks/examples/ must match a package-data pattern in pyproject.toml."""
    import fnmatch

    root = Path(__file__).resolve().parents[1]
    setuptools = pyproject()["tool"]["setuptools"]
    folder = root / setuptools["package-dir"]["helpers.examples"]
    patterns = setuptools["package-data"]["helpers.examples"]

    def packaged(parts: tuple[str, ...]) -> bool:  # as setuptools globs: `*` never crosses a folder
        return any(
            len(parts) == len(pattern.split("/")) and all(map(fnmatch.fnmatchcase, parts, pattern.split("/")))
            for pattern in patterns
        )

    files = [p.relative_to(folder).parts for p in folder.rglob("*") if p.is_file()]
    assert files and [f for f in files if not packaged(f)] == []
