"""The results cache: a run is done once per configuration, and a damaged entry is never trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from helpers import experiments
from helpers.experiments import cache_path, cached_run, code_fingerprint


class Counter:
    """A fake training run that counts how often it is called."""

    def __init__(self, result: dict | None = None) -> None:
        self.calls = 0
        self.result = result if result is not None else {"test_accuracy": np.float32(0.98), "history": np.arange(3)}

    def __call__(self) -> dict:
        self.calls += 1
        return self.result


def test_a_run_is_done_once_and_then_read_back(tmp_path: Path) -> None:
    run = Counter()
    first = cached_run({"seed": 0, "units": 512}, run, tmp_path)
    again = cached_run({"units": 512, "seed": 0}, run, tmp_path)  # key order does not matter
    assert run.calls == 1
    assert first == again == {"test_accuracy": pytest.approx(0.98), "history": [0, 1, 2]}


def test_another_configuration_is_another_run(tmp_path: Path) -> None:
    run = Counter()
    cached_run({"seed": 0}, run, tmp_path)
    cached_run({"seed": 1}, run, tmp_path)
    assert run.calls == 2 and len(list(tmp_path.glob("run-*.json"))) == 2


def test_an_upgrade_of_the_libraries_runs_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = Counter()
    cached_run({"seed": 0}, run, tmp_path)
    monkeypatch.setattr(experiments, "library_versions", lambda: {"keras": "99.0"})
    cached_run({"seed": 0}, run, tmp_path)
    assert run.calls == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),  # truncated
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(b"\xff\xfe garbage"),
        lambda p: p.write_text(json.dumps({"key": {"config": {"seed": 7}}, "result": {"test_accuracy": 1.0}})),
        lambda p: p.write_text(json.dumps(["not", "an", "entry"])),
    ],
    ids=["truncated", "empty", "garbage", "other-key", "not-a-dict"],
)
def test_a_damaged_entry_is_run_again_and_replaced(tmp_path: Path, damage) -> None:
    run = Counter({"test_accuracy": 0.5})
    cached_run({"seed": 0}, run, tmp_path)
    damage(cache_path({"seed": 0}, run, tmp_path))
    assert cached_run({"seed": 0}, run, tmp_path) == {"test_accuracy": 0.5}
    assert run.calls == 2
    assert cached_run({"seed": 0}, run, tmp_path) == {"test_accuracy": 0.5} and run.calls == 2


def test_a_failing_run_stores_nothing(tmp_path: Path) -> None:
    def broken() -> dict:
        raise KeyboardInterrupt  # e.g. the reader stops the kernel mid-sweep

    with pytest.raises(KeyboardInterrupt):
        cached_run({"seed": 0}, broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("result", [{"model": object()}, [0.98]], ids=["not-json", "not-a-dict"])
def test_a_result_that_cannot_be_stored_is_refused_before_writing(tmp_path: Path, result) -> None:
    with pytest.raises(TypeError, match=r"cannot store|must return a dict"):
        cached_run({"seed": 0}, lambda: result, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_cache_warns_and_still_returns_the_result(tmp_path: Path, monkeypatch) -> None:
    def refuse(path: Path, write) -> None:
        raise PermissionError(13, "Permission denied", str(path))  # as root, chmod alone would not stop us

    monkeypatch.setattr(experiments, "write_atomically", refuse)
    with pytest.warns(UserWarning, match="could not cache this run"):
        assert cached_run({"seed": 0}, Counter({"a": 1}), tmp_path) == {"a": 1}


def test_the_cache_lives_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MNIST_COURSE_DATA", os.fspath(tmp_path))
    monkeypatch.delenv("MNIST_COURSE_EXPERIMENTS", raising=False)
    assert cache_path({"seed": 0}, Counter()).parent == tmp_path / "experiments"
    monkeypatch.setenv("MNIST_COURSE_EXPERIMENTS", os.fspath(tmp_path / "mine"))
    assert cache_path({"seed": 0}, Counter()).parent == tmp_path / "mine"


@pytest.fixture
def class_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path, Counter]]:
    """Shared results the instructor computed (the reference run, and one in a subfolder), and a student's own
    empty cache; every write is recorded."""
    shared, own, run = tmp_path / "shared", tmp_path / "own", Counter({"test_accuracy": 0.98})
    monkeypatch.setenv("MNIST_COURSE_EXPERIMENTS", os.fspath(shared))
    cached_run({"seed": 0}, run)
    cached_run({"exercise": "06.1"}, run, shared / "exercises")
    before = sorted(shared.rglob("*"))
    writes: list[Path] = []
    real_write = experiments.write_atomically

    def recorded(path: Path, write: Callable[[Path], None]) -> None:
        writes.append(path)
        real_write(path, write)

    monkeypatch.setattr(experiments, "write_atomically", recorded)
    monkeypatch.setenv("MNIST_COURSE_EXPERIMENTS", os.fspath(own))
    monkeypatch.setenv("MNIST_COURSE_SHARED_EXPERIMENTS", os.fspath(shared))
    yield shared, own, run
    assert sorted(shared.rglob("*")) == before and not any(path.is_relative_to(shared) for path in writes)


def test_a_shared_result_trains_nothing(class_server: tuple[Path, Path, Counter]) -> None:
    shared, own, run = class_server
    assert cached_run({"seed": 0}, run) == {"test_accuracy": 0.98}
    assert cached_run({"exercise": "06.1"}, run, experiments.experiments_dir() / "exercises")["test_accuracy"] == 0.98
    assert run.calls == 2 and not own.exists()  # the instructor's two runs only
    assert experiments.cached_results() == [path.name for path in shared.glob("run-*.json")]


def test_a_changed_configuration_trains_into_the_own_cache(class_server: tuple[Path, Path, Counter]) -> None:
    _, own, run = class_server
    cached_run({"seed": 1}, run)
    assert run.calls == 3 and len(list(own.glob("run-*.json"))) == 1
    assert cached_run({"seed": 1}, run) and run.calls == 3
    assert len(experiments.cached_results()) == 2


# Notebook 06 in miniature: a model, settings and a training function defined in cells, and the
# call that caches each run. A learner edits a cell and runs it again; the cache must notice.
NOTEBOOK = """
def build(units):
    return {"units": units, "activation": "relu"}


LEARNING_RATES = {"RMSprop": 0.001}


def train(seed, units):
    trainings.count += 1
    return {"model": build(units), "learning_rate": LEARNING_RATES["RMSprop"], "seed": seed}


def unrelated():
    return "not part of any run"


def experiment(**config):
    return cached_run(config, lambda: train(**config), cache_dir)
"""


class Trainings:
    """How many times a notebook's `train` really ran (an object, so the fingerprint ignores its value)."""

    count = 0


def run_cells(source: str, cache_dir: Path, trainings: Trainings) -> dict:
    """Execute the notebook's cells in a fresh namespace, as a restarted kernel would, and run one experiment."""
    namespace = {"cached_run": cached_run, "cache_dir": cache_dir, "trainings": trainings}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace["experiment"](seed=0, units=512)


@pytest.mark.parametrize(
    ("edit", "trains_again"),
    [
        (lambda s: s, False),
        (lambda s: "\n\n# a comment, and the cells moved down\n\n" + s, False),
        (lambda s: s.replace('"not part of any run"', '"edited"'), False),
        (lambda s: s.replace('"activation": "relu"', '"activation": "tanh"'), True),
        (lambda s: s.replace('{"RMSprop": 0.001}', '{"RMSprop": 0.01}'), True),
        (lambda s: s.replace('"seed": seed}', '"seed": seed, "note": 1}'), True),
    ],
    ids=["same-cells-rerun", "moved", "unrelated-function-edited", "model-edited", "setting-edited", "train-edited"],
)
def test_editing_the_code_a_run_calls_runs_it_again(tmp_path: Path, edit, trains_again: bool) -> None:
    trainings = Trainings()
    first = run_cells(NOTEBOOK, tmp_path, trainings)
    again = run_cells(edit(NOTEBOOK), tmp_path, trainings)
    assert trainings.count == (2 if trains_again else 1)
    assert (again != first) == trains_again


def test_the_code_fingerprint_is_the_same_in_another_process() -> None:
    """A restarted kernel finds the results of the same code: the fingerprint depends on no address or hash seed."""
    script = NOTEBOOK + "\nimport sys\nprint(code_fingerprint(lambda: train(seed=0, units={1, 2, 'a'})))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", f"from helpers.experiments import code_fingerprint, cached_run\n{script}"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and len(outputs.pop().strip()) == 20
    assert code_fingerprint(lambda: 1) != code_fingerprint(lambda: 2)
