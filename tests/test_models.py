"""The reference network; saved models written atomically and loaded back the same; load or train.

Faults and foreign model files: test_faults.py.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import keras
import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers import examples_dir, one_hot, to_dense_inputs
from helpers.data import Splits
from helpers.digits import to_mnist
from helpers.models import load_model, load_or_train, reference_network, save_model
from helpers.training import EpochLogger

ROOT = Path(__file__).resolve().parents[1]


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


def layers_of(model: keras.Model) -> list[tuple]:
    return [(type(layer).__name__, layer.units, layer.activation.__name__) for layer in model.layers]


def test_reference_network_is_the_one_notebook_04_builds_and_compiles() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "04_training.ipynb", as_version=4)
    namespace = {"keras": keras, "SEED": 0}
    [cell] = [c for c in nb.cells if c.id == "nb03-05"]  # the cell that builds the network by hand
    exec(cell.source, namespace)
    model = reference_network()
    assert layers_of(model) == layers_of(namespace["model"]) == [("Dense", 512, "relu"), ("Dense", 10, "softmax")]
    assert model.input_shape == namespace["model"].input_shape == (None, 784)
    assert model.count_params() == 407_050 and model.name == "dense_mnist"
    assert isinstance(model.optimizer, keras.optimizers.RMSprop) and model.loss == "categorical_crossentropy"
    assert reference_network(steps_per_execution=3).steps_per_execution == 3  # as `make bench` uses it


def test_load_or_train_loads_a_saved_network(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    keras.utils.set_random_seed(1)
    saved, path = reference_network(), tmp_path / "dense_mnist.keras"
    save_model(saved, path)
    loaded = load_or_train(path)
    assert all(np.array_equal(a, b) for a, b in zip(saved.get_weights(), loaded.get_weights(), strict=True))
    assert capsys.readouterr().out.startswith("loaded the trained network from ")


@pytest.fixture(scope="module")
def trained_instead(tmp_path_factory: pytest.TempPathFactory) -> tuple[keras.Model, str]:
    """What notebooks 05, 07 and 08 get when 04 has saved nothing: a network trained with 04's recipe."""
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        model = load_or_train(tmp_path_factory.mktemp("no-models") / "dense_mnist.keras")
    return model, said.getvalue()


def test_without_a_saved_network_it_says_what_to_do_and_trains_one(trained_instead) -> None:
    _, said = trained_instead
    assert "no saved model at" in said and "run 04_training.ipynb to save one" in said
    assert [line.split(":")[0] for line in said.splitlines()[1:]] == [f"epoch {n}/5" for n in range(1, 6)]


def test_the_network_trained_instead_passes_notebook_05s_and_08s_checks(trained_instead, mnist: Splits) -> None:
    """05 asserts a test accuracy of at least 97.5 %; 08 reads at least 9 of its 10 example pictures right."""
    model, _ = trained_instead
    _, (x_test, y_test) = mnist
    _, accuracy = model.evaluate(to_dense_inputs(x_test), one_hot(y_test), verbose=0)
    assert accuracy >= 0.975
    examples = pd.read_csv(examples_dir() / "labels.csv")
    digits = np.stack([to_mnist(examples_dir() / name) for name in examples["file"]])
    right = (model.predict(to_dense_inputs(digits), verbose=0).argmax(axis=1) == examples["label"]).sum()
    assert right >= 9
