"""Save and load the trained networks the notebooks hand to each other, safely and atomically."""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras
from keras.src.saving.serialization_lib import SafeModeScope

from helpers.paths import display_path, write_atomically


class ModelFileError(RuntimeError):
    """A saved model is missing, damaged, unsafe or of another architecture.

    The message says which and names the file; the caller adds which notebook saves it again.
    """


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
