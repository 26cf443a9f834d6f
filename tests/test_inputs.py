"""The networks' input format: images as float32 in [0, 1], labels one-hot; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import inputs
from helpers.data import Splits


def test_dense_inputs_flatten_and_scale(mnist: Splits) -> None:
    x = inputs.to_dense_inputs(mnist[1][0][:100])
    assert x.shape == (100, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.array_equal(np.rint(x * 255).astype(np.uint8).reshape(100, 28, 28), mnist[1][0][:100])
    assert np.array_equal(x, mnist[1][0][:100].reshape(100, 784).astype(np.float32) / 255)  # notebook 02's way
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        inputs.to_dense_inputs(np.zeros((3, 784), np.uint8))
    with pytest.raises(ValueError, match="expected uint8 images"):
        inputs.to_dense_inputs(x.reshape(100, 28, 28))  # already scaled: scaling twice would be silent


def test_one_hot() -> None:
    assert inputs.one_hot(np.array([2, 0])).tolist() == [[0, 0, 1] + [0] * 7, [1] + [0] * 9]
    assert inputs.one_hot(np.array([1]), n_classes=3).dtype == np.float32
    for bad in (np.array([10]), np.array([-1]), np.zeros((2, 2), int), np.array([1.0, 2.0])):
        with pytest.raises(ValueError, match=r"labels in 0\.\.9"):
            inputs.one_hot(bad)


def test_image_inputs_keep_the_grid_and_add_a_channel(mnist) -> None:
    images = mnist[1][0][:10]
    x = inputs.to_image_inputs(images)
    assert x.shape == (10, 28, 28, 1) and x.dtype == np.float32
    assert np.array_equal(x[..., 0], images / np.float32(255))
    with pytest.raises(ValueError, match="expected uint8"):
        inputs.to_image_inputs(x[..., 0])
