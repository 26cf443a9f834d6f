"""Save and load the trained networks the notebooks hand to each other, safely and atomically."""

from __future__ import annotations

from pathlib import Path

import keras

from helpers.paths import display_path, write_atomically


class ModelFileError(RuntimeError):
    """A saved model is missing, damaged or of another architecture; the message says what to do."""


def save_model(model: keras.Model, path: Path) -> None:
    """Save `model` in the `.keras` format; a crash mid-save leaves any earlier file untouched."""
    if path.suffix != ".keras":
        raise ValueError(f"{path.name}: a Keras model file must end in .keras")
    write_atomically(path, model.save)


def load_model(path: Path, input_shape: tuple[int, ...], n_outputs: int) -> keras.Model:
    """Load a `.keras` model with Keras's safe mode on, and check its input and output shapes."""
    where = display_path(path)
    if not path.is_file():
        raise ModelFileError(f"no saved model at {where}")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as err:  # Keras raises many types for a damaged or foreign file
        raise ModelFileError(f"{where} cannot be loaded ({type(err).__name__}: {err})") from err
    expected_in, expected_out = (None, *input_shape), (None, n_outputs)
    if tuple(model.input_shape) != expected_in or tuple(model.output_shape) != expected_out:
        raise ModelFileError(
            f"{where} maps {model.input_shape} to {model.output_shape}, not {expected_in} to {expected_out}:"
            " it was saved from another architecture"
        )
    return model
