"""Saved models: written atomically and loaded back the same (faults and foreign files: test_faults.py)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from helpers.models import load_model, save_model
from helpers.training import EpochLogger


def tiny_model(n_in: int = 784, n_out: int = 10) -> keras.Model:
    model = keras.Sequential([keras.Input(shape=(n_in,)), keras.layers.Dense(n_out, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_save_then_load_gives_the_same_predictions(tmp_path: Path) -> None:
    model, path = tiny_model(), tmp_path / "models" / "m.keras"
    save_model(model, path)
    loaded = load_model(path, input_shape=(784,), n_outputs=10)
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    assert np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [p.name for p in path.parent.iterdir()] == ["m.keras"]  # no temporary file left


def test_interrupted_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.keras"
    save_model(tiny_model(), path)
    before = path.read_bytes()
    model = tiny_model()

    def crash(target: Path) -> None:
        Path(target).write_bytes(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_save_needs_the_keras_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must end in \.keras"):
        save_model(tiny_model(), tmp_path / "m.h5")


def test_epoch_logger_prints_one_line_per_epoch(capsys: pytest.CaptureFixture) -> None:
    model = tiny_model(n_in=4, n_out=2)
    x, y = np.ones((8, 4), np.float32), np.tile([1.0, 0.0], (8, 1)).astype(np.float32)
    model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[EpochLogger()])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all("loss " in line and "accuracy " in line for line in lines)
