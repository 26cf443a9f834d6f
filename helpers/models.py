"""The reference network, and the trained networks the notebooks hand to each other, saved and loaded safely.

Notebooks 02 and 03 build and train the network by hand with `fit` (the copy that is taught); the later ones
call `load_or_train`, which loads 03's saved network or trains one with its recipe on the fast path (the copy
that is used; tests/test_models.py keeps the two the same). Notebook 08 takes 07's CNN from `load_or_train_cnn`.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import keras
from keras.src.saving.serialization_lib import SafeModeScope

from helpers.data import load_mnist
from helpers.inputs import one_hot, to_dense_inputs, to_image_inputs
from helpers.paths import CNN_MODEL, DENSE_MODEL, display_path, models_dir, write_atomically
from helpers.training import EpochLogger, epoch_line, fit_fast

EPOCHS, BATCH_SIZE = 5, 128  # notebook 03's recipe, after Deep Learning with Python, chapter 2
CNN_EPOCHS, CNN_WARMUP, CNN_VALIDATION = 3, 200, 0.1  # notebook 07's recipe for its CNN


class ModelFileError(RuntimeError):
    """A saved model is missing, damaged, unsafe or of another architecture (the message says which, and the file)."""


def save_model(model: keras.Model, path: Path) -> None:
    """Save `model` in the `.keras` format; a crash mid-save leaves any earlier file untouched."""
    if path.suffix != ".keras":
        raise ValueError(f"{path.name}: a Keras model file must end in .keras")
    write_atomically(path, model.save)


def load_model(path: Path, input_shape: tuple[int, ...], n_outputs: int) -> keras.Model:
    """Load a `.keras` model with Keras's safe mode on, and check its input and output shapes."""
    where = display_path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path.name}: load_model reads only .keras files, the format save_model writes")
    if not path.is_file():
        raise ModelFileError(f"no saved model at {where}")
    try:
        with open(path, "rb") as f:
            complete = zipfile.is_zipfile(f)
    except OSError as err:
        raise ModelFileError(f"{where} cannot be opened ({err.strerror})") from err
    if not complete:
        raise ModelFileError(f"{where} is not a complete .keras file (cut short or damaged)")
    try:
        # A global keras.config.enable_unsafe_deserialization() would win over safe_mode=True (Keras 3.15);
        # the scope Keras itself uses for safe_mode turns it back on for this load. Not public API.
        with SafeModeScope(True):
            model = keras.saving.load_model(path, safe_mode=True)
    except Exception as err:  # Keras raises many types for a damaged or foreign file
        if "safe_mode" in str(err):  # Keras's advice to turn safe mode off is not passed on
            raise ModelFileError(f"{where} holds Python code (e.g. a Lambda layer), which is never loaded") from err
        raise ModelFileError(f"{where} cannot be loaded ({type(err).__name__}: {err})") from err
    expected_in, expected_out = (None, *input_shape), (None, n_outputs)
    if tuple(model.input_shape) != expected_in or tuple(model.output_shape) != expected_out:
        raise ModelFileError(
            f"{where} maps {model.input_shape} to {model.output_shape}, not {expected_in} to {expected_out}:"
            " it was saved from another architecture"
        )
    return model


def reference_network(**compile_args: object) -> keras.Model:
    """Notebook 02's network, 784 → 512 (ReLU) → 10 (softmax), compiled as notebook 03 compiles it, plus
    `compile_args` (`make bench` times `steps_per_execution`)."""
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="dense_mnist",
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"], **compile_args)
    return model


def train_reference(seed: int = 0) -> keras.Model:
    """A reference network trained with notebook 03's recipe on the fast path (seeded; a line per epoch)."""
    (x_train, y_train), _ = load_mnist(quiet=True)
    keras.utils.set_random_seed(seed)
    model = reference_network()

    def log(epoch: int, logs: dict) -> None:
        print(epoch_line(epoch, EPOCHS, logs))

    x, y = to_dense_inputs(x_train), one_hot(y_train)
    fit_fast(model, x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=seed, on_epoch_end=log)
    return model


def _load_or_train(path: Path, shape: tuple[int, ...], what: str, notebook: str, train: Callable) -> keras.Model:
    """The model saved at `path`; if it is missing or unusable, say why and which notebook saves it, and `train()`
    one with that notebook's recipe meanwhile, so that the notebook still runs top to bottom."""
    try:
        model = load_model(path, input_shape=shape, n_outputs=10)
    except ModelFileError as err:
        print(f"{err}; run {notebook} to save one. Meanwhile this trains one with its recipe:")
        return train()
    print(f"loaded the trained {what} from {display_path(path)}")
    return model


def load_or_train(path: Path | None = None, seed: int = 0) -> keras.Model:
    """Notebook 03's trained network (`models/dense_mnist.keras`), or one trained with its recipe."""
    path = path or models_dir() / DENSE_MODEL
    return _load_or_train(path, (784,), "network", "03_training.ipynb", lambda: train_reference(seed))


def cnn_network(steps: int) -> keras.Model:
    """Notebook 07's CNN, compiled as 07 compiles it: Adam, warmed up over 200 batches, then a cosine decay
    to 0 at batch `steps`."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="cnn_mnist",
    )
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=steps - CNN_WARMUP, warmup_target=0.003, warmup_steps=CNN_WARMUP
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train_cnn(seed: int = 0) -> keras.Model:
    """A CNN trained with notebook 07's recipe (seeded; one line of progress per epoch)."""
    (x_train, y_train), _ = load_mnist(quiet=True)
    keras.utils.set_random_seed(seed)
    model = cnn_network(CNN_EPOCHS * math.ceil(int(len(x_train) * (1 - CNN_VALIDATION)) / BATCH_SIZE))
    x, y = to_image_inputs(x_train), one_hot(y_train)
    recipe = {"epochs": CNN_EPOCHS, "batch_size": BATCH_SIZE, "validation_split": CNN_VALIDATION}
    model.fit(x, y, **recipe, verbose=0, callbacks=[EpochLogger()])
    return model


def load_or_train_cnn(path: Path | None = None, seed: int = 0) -> keras.Model:
    """Notebook 07's trained CNN (`models/cnn_mnist.keras`), or one trained with its recipe (minutes on a CPU)."""
    path = path or models_dir() / CNN_MODEL
    return _load_or_train(path, (28, 28, 1), "CNN", "07_cnn.ipynb", lambda: train_cnn(seed))
