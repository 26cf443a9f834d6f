"""The reference network; saved models written atomically and loaded back the same; load or train.

Faults and foreign model files: test_faults.py. `fit_fast`, the fast path, against `fit`.
"""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest

from helpers import models, one_hot, to_dense_inputs, to_image_inputs, training
from helpers.data import Splits
from helpers.models import cnn_network, load_model, load_or_train, load_or_train_cnn, reference_network, save_model
from helpers.training import EpochLogger, fit_fast

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


def notebook_03(*cell_ids: str) -> dict:
    """The namespace after running these cells of notebook 03, the copy of the recipe that is taught."""
    cells = {
        cell.id: cell.source for cell in nbformat.read(ROOT / "notebooks" / "03_training.ipynb", as_version=4).cells
    }
    namespace = {"keras": keras, "SEED": 0, "x_train_flat": np.zeros((60_000, 784), np.float32)}
    for cell_id in cell_ids:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cells[cell_id], namespace)
    return namespace


def test_reference_network_is_the_one_notebook_03_builds_and_compiles() -> None:
    taught = notebook_03("nb03-05")["model"]  # the cell that builds the network by hand
    model = reference_network()
    assert layers_of(model) == layers_of(taught) == [("Dense", 512, "relu"), ("Dense", 10, "softmax")]
    assert model.input_shape == taught.input_shape == (None, 784)
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


def test_without_a_saved_network_it_says_what_to_do_and_trains_notebook_03s_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, mnist: Splits
) -> None:
    """The fallback trains 03's network from the seed's weights, on all the training images, for 03's epochs and
    batch size, on the fast path (whose equality with `fit` the next tests show)."""
    calls = []
    monkeypatch.setattr(models, "fit_fast", lambda model, x, y, **recipe: calls.append((model, x, y, recipe)))
    load_or_train(tmp_path / "dense_mnist.keras", seed=3)
    said = capsys.readouterr().out
    assert "no saved model at" in said and "run 03_training.ipynb to save one" in said
    [(model, x, y, recipe)] = calls
    taught = notebook_03("nb03-05", "nb03-09")  # build_model; EPOCHS and BATCH_SIZE
    assert (recipe["epochs"], recipe["batch_size"], recipe["seed"]) == (taught["EPOCHS"], taught["BATCH_SIZE"], 3)
    keras.utils.set_random_seed(3)
    assert all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), reference_network().get_weights(), strict=True)
    )
    (x_train, y_train), _ = mnist
    assert np.array_equal(x, to_dense_inputs(x_train)) and np.array_equal(y, one_hot(y_train))


def notebook_07(*cell_ids: str, **names: object) -> dict:
    """The namespace after running these cells of notebook 07, the copy of the CNN's recipe that is taught."""
    cells = {cell.id: cell.source for cell in nbformat.read(ROOT / "notebooks" / "07_cnn.ipynb", as_version=4).cells}
    namespace = {"keras": keras, "math": math, "SEED": 0, "EpochLogger": EpochLogger, **names}
    for cell_id in cell_ids:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cells[cell_id], namespace)
    return namespace


def recipe_of(model: keras.Model) -> tuple:
    """A compiled model's layers, optimizer (with its schedule) and loss, without the names Keras numbers."""
    layers = [{k: v for k, v in layer.get_config().items() if k != "name"} for layer in model.layers]
    return layers, {**model.optimizer.get_config(), "name": None}, model.loss


def test_cnn_network_is_the_one_notebook_07_builds_and_compiles() -> None:
    taught = notebook_07("nb06-06", "nb06-08", "nb06-09", x_train_img=np.zeros((60_000, 28, 28, 1), np.float32))
    model = cnn_network(taught["steps"])
    assert recipe_of(model) == recipe_of(taught["cnn"]) and model.name == taught["cnn"].name == "cnn_mnist"
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)


def test_without_a_saved_cnn_it_says_what_to_do_and_trains_notebook_07s_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, mnist: Splits
) -> None:
    """Notebook 08 needs 07's CNN; alone (in Colab, say) it trains one as 07 does: same weights, data and fit."""
    calls = []

    def fit(model: keras.Model, x: np.ndarray, y: np.ndarray, **kwargs: object) -> None:
        callbacks = [type(callback).__name__ for callback in kwargs.pop("callbacks", [])]
        calls.append(
            (recipe_of(model), [w.copy() for w in model.get_weights()], x, y, {**kwargs, "callbacks": callbacks})
        )

    monkeypatch.setattr(keras.Model, "fit", fit)
    load_or_train_cnn(tmp_path / "cnn_mnist.keras")
    said = capsys.readouterr().out
    assert "no saved model at" in said and "run 07_cnn.ipynb to save one" in said
    (x_train, y_train), _ = mnist
    keras.utils.set_random_seed(0)  # as 07's set-up does, before it builds the CNN
    notebook_07(
        "nb06-06", "nb06-08", "nb06-09", "nb06-10", x_train_img=to_image_inputs(x_train), y_train_hot=one_hot(y_train)
    )
    (fallback_recipe, fallback_weights, x, y, args), (recipe, weights, x_07, y_07, args_07) = calls
    assert fallback_recipe == recipe and args == args_07
    assert all(np.array_equal(a, b) for a, b in zip(fallback_weights, weights, strict=True))
    assert np.array_equal(x, x_07) and np.array_equal(y, y_07)


def test_load_or_train_cnn_loads_a_saved_cnn(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    saved, path = cnn_network(steps=1000), tmp_path / "cnn_mnist.keras"
    save_model(saved, path)
    loaded = load_or_train_cnn(path)
    assert all(np.array_equal(a, b) for a, b in zip(saved.get_weights(), loaded.get_weights(), strict=True))
    assert capsys.readouterr().out.startswith("loaded the trained CNN from ")


class InOrder:
    """A stand-in for numpy's random generator that `shuffles` into the same order every epoch, and counts."""

    def __init__(self, seed: int) -> None:
        self.calls = 0

    def permutation(self, n: int) -> np.ndarray:
        self.calls += 1
        return np.arange(n)


def small_run(train, mnist: Splits, **recipe) -> tuple[keras.Model, dict]:
    (x_train, y_train), _ = mnist
    keras.utils.set_random_seed(0)
    model = reference_network()
    history = train(model, to_dense_inputs(x_train[:1000]), one_hot(y_train[:1000]), epochs=2, batch_size=128, **recipe)
    return model, history


def test_fit_fast_does_what_fit_does_on_the_same_batches(monkeypatch: pytest.MonkeyPatch, mnist: Splits) -> None:
    """In fit's order (no shuffling), fit_fast's weights and history are fit's: the same steps, loss and metric."""
    monkeypatch.setattr(training.np.random, "default_rng", InOrder)
    fast, history = small_run(fit_fast, mnist, validation_split=0.2)  # 800 images: 6 batches of 128 and one of 32
    fit = lambda model, x, y, **recipe: model.fit(x, y, shuffle=False, verbose=0, **recipe).history  # noqa: E731
    keras_model, keras_history = small_run(fit, mnist, validation_split=0.2)
    for a, b in zip(fast.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=2e-5)
    assert history.keys() == keras_history.keys() == {"accuracy", "loss", "val_accuracy", "val_loss"}
    for name, values in history.items():
        np.testing.assert_allclose(values, keras_history[name], rtol=1e-4)


def test_fit_fast_shuffles_every_epoch_from_its_seed(monkeypatch: pytest.MonkeyPatch, mnist: Splits) -> None:
    real, orders, logged = np.random.default_rng, [], []

    class Recording:
        def __init__(self, seed: int) -> None:
            self.generator = real(seed)

        def permutation(self, n: int) -> np.ndarray:
            orders.append(self.generator.permutation(n))
            return orders[-1]

    monkeypatch.setattr(training.np.random, "default_rng", Recording)
    small_run(fit_fast, mnist, seed=5, on_epoch_end=lambda epoch, logs: logged.append((epoch, sorted(logs))))
    first, second = orders
    assert sorted(first) == sorted(second) == list(range(1000)) and not np.array_equal(first, second)
    assert np.array_equal(first, real(5).permutation(1000))
    assert logged == [(0, ["accuracy", "loss"]), (1, ["accuracy", "loss"])]
