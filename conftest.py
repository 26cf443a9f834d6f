"""How `make test` runs on several processes (pytest-xdist), and what the notebooks need before they run.

At the checkout's top, so that its hooks reach the notebooks as well as the tests (a conftest.py in
tests/ reaches only what is under tests/).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
from functools import cache
from pathlib import Path

import nbformat
import pytest

from helpers.paths import DENSE_MODEL, models_dir
from scripts.course import NOTEBOOK_PATTERN

MODEL_FILE = re.compile(r"[\"'](\w+\.keras)[\"']")


@cache
def code_of(notebook: Path) -> str:
    """A notebook's code cells, as one text (read once per notebook)."""
    return "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")


def model_files(notebook: Path) -> tuple[bool, frozenset[str]]:
    """Whether a notebook's code calls `save_model`, and the model files (`NAME.keras`) its code names."""
    return "save_model(" in code_of(notebook), frozenset(MODEL_FILE.findall(code_of(notebook)))


def work_unit(notebook: Path) -> Path:
    """The notebook whose run this one must follow on the same worker: the first one before it that saves a
    model file this one names (08 loads 07's CNN), else itself. The reference network is provided for all."""
    for earlier in sorted(notebook.parent.glob(NOTEBOOK_PATTERN)):
        if earlier >= notebook:
            break
        saves, names = model_files(earlier)
        if saves and (names - {DENSE_MODEL}) & model_files(notebook)[1]:
            return work_unit(earlier)
    return notebook


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`make test` runs in several processes (`-n`, TEST_WORKERS): each takes a test file, or a notebook with the
    ones that must follow it, as a whole, in the order of `pytest_collection_modifyitems`."""
    from xdist.scheduler import LoadScopeScheduling

    class CourseScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return str(work_unit(config.rootpath / file)) if file.endswith(".ipynb") else file

    config.option.loadscopereorder = False
    return CourseScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the notebooks first, the later ones (which train the most) first, each with the ones
    that follow it in its work unit in their order; the tests after them. A plain `pytest` keeps the course's order."""
    if hasattr(config, "workerinput"):
        units = sorted({work_unit(item.path) for item in items if item.path.suffix == ".ipynb"}, reverse=True)

        def order(item: pytest.Item) -> tuple[int, Path]:
            if item.path.suffix != ".ipynb":
                return len(units), Path()
            return units.index(work_unit(item.path)), item.path

        items.sort(key=order)  # stable: a notebook's cells and a file's tests keep their order


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook that loads notebook 03's network, make sure it is saved: `make test` runs notebooks in
    several processes, and 03 need not have run first. It trains 03's recipe on the fast path (tests/test_models.py)."""
    path = models_dir() / DENSE_MODEL
    if item.path.suffix != ".ipynb" or "load_or_train(" not in code_of(item.path) or path.exists():
        return
    from helpers.models import save_model, train_reference  # Keras: imported only when needed

    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # one worker trains it; another waits for it
        if not path.exists():
            with contextlib.redirect_stdout(io.StringIO()):
                save_model(train_reference(), path)
    finally:
        os.close(folder)  # and with it the lock
