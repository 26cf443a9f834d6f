"""Where the course keeps its data and models, and how to name those places in printed output."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

DATA_ENV = "MNIST_COURSE_DATA"
MODELS_ENV = "MNIST_COURSE_MODELS"
DENSE_MODEL = "dense_mnist.keras"  # where notebook 03 saves its network, in models_dir(); 04, 07 and 08 load it
CNN_MODEL = "cnn_mnist.keras"  # where notebook 07 saves its CNN; 08 loads it


def project_root() -> Path | None:
    """The course checkout this package was installed from (editable install), or None."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def env_dir(env: str) -> Path | None:
    """The folder the environment variable `env` names (`~` expanded), or None if it is unset or empty."""
    if not os.environ.get(env):
        return None
    folder = Path(os.environ[env]).expanduser()
    if not folder.is_absolute():  # make runs in the checkout, notebooks in notebooks/: be unambiguous
        raise ValueError(f"{env}={os.environ[env]} must be an absolute path, e.g. {folder.resolve()}")
    return folder


def _course_dir(env: str, name: str) -> Path:
    if (folder := env_dir(env)) is not None:
        return folder
    root = project_root()
    # Installed without the checkout (Colab, a JupyterHub image): beside the notebook, i.e. in the
    # kernel's working directory, where Jupyter and Colab start it (Colab: /content).
    return root / name if root else Path.cwd() / name


def data_dir() -> Path:
    """The course's data cache: $MNIST_COURSE_DATA, else `data/` in the checkout, else `./data`."""
    return _course_dir(DATA_ENV, "data")


def models_dir() -> Path:
    """Where notebooks save trained models: $MNIST_COURSE_MODELS, else `models/` in the checkout, else `./models`."""
    return _course_dir(MODELS_ENV, "models")


def examples_dir() -> Path:
    """Notebook 08's example pictures: `notebooks/examples/` in the checkout, else the copy installed with helpers."""
    root = project_root()
    if root is not None:
        return root / "notebooks" / "examples"
    installed = Path(__file__).resolve().parent / "examples"
    if not (installed / "labels.csv").is_file():
        raise FileNotFoundError(f"the example pictures are missing from {installed}: reinstall the course's helpers")
    return installed


def display_path(path: Path | str) -> str:
    """A path as a reader should see it: relative to the checkout (or, without one, to the working
    directory, i.e. the notebook's folder) or to ~, never a machine's full path."""
    path = Path(path).expanduser().resolve()
    root = project_root() or Path.cwd().resolve()
    for base, prefix in ((root, ""), (Path.home().resolve(), "~/")):
        if base is not None and path.is_relative_to(base):
            return prefix + path.relative_to(base).as_posix()
    return path.as_posix()


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it to `path`.

    A reader of `path` sees the old file or the complete new one, never a half-written one,
    even if the process is killed; the temporary file keeps `path`'s suffix (Keras needs it).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb") as done:
            os.fsync(done.fileno())  # on disk before the rename makes it visible
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
