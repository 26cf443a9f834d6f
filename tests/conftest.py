"""Shared fixtures: the real MNIST (loaded once) and an isolated data cache per test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import Splits


@pytest.fixture(scope="session")
def mnist() -> Splits:
    """The verified MNIST from the course's data cache (`make test` fetches it first)."""
    return data.load_mnist(quiet=True)


@pytest.fixture
def mnist_arrays(mnist: Splits) -> dict[str, np.ndarray]:
    """The four arrays by name, as copies a test may tamper with."""
    (x_train, y_train), (x_test, y_test) = mnist
    return {"x_train": x_train.copy(), "y_train": y_train.copy(), "x_test": x_test.copy(), "y_test": y_test.copy()}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data cache in a temporary folder, with no Keras cache to fall back on."""
    folder = tmp_path / "data"
    monkeypatch.setenv("MNIST_COURSE_DATA", str(folder))
    monkeypatch.setattr(data, "KERAS_CACHE", tmp_path / "no-keras-cache" / "mnist.npz")
    return folder
