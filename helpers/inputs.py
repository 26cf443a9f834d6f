"""The networks' input format: what notebook 02 builds by hand, for the later notebooks to reuse.

Images as float32 in [0, 1] (flattened for the dense network, with a channel axis for a CNN) and
labels as one-hot rows, the targets of categorical cross-entropy.
"""

from __future__ import annotations

import numpy as np


def to_dense_inputs(images: np.ndarray) -> np.ndarray:
    """Flatten 28×28 uint8 images to rows of 784 float32 values in [0, 1]: the dense network's input."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"expected images shaped (n, 28, 28), got {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images (0-255) as load_mnist returns them, got {images.dtype}")
    # One float32 array, divided as it is made: `.astype(np.float32) / 255` holds two at once (the same values).
    return np.divide(images.reshape(len(images), 28 * 28), 255, dtype=np.float32)


def to_image_inputs(images: np.ndarray) -> np.ndarray:
    """28×28 uint8 images as float32 in [0, 1] with a channel axis, (n, 28, 28, 1): a CNN's input."""
    return to_dense_inputs(images).reshape(len(images), 28, 28, 1)


def one_hot(labels: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Labels 0..n_classes-1 as one-hot float32 rows, the targets of categorical cross-entropy."""
    labels = np.asarray(labels)
    expected = f"expected a 1-D array of integer labels in 0..{n_classes - 1}"
    if not np.issubdtype(labels.dtype, np.integer) or labels.ndim != 1:
        raise ValueError(f"{expected}, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{expected}, got values from {labels.min()} to {labels.max()}")
    return np.eye(n_classes, dtype=np.float32)[labels]
