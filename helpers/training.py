"""Training progress as one short line per epoch, and `fit_fast`, the course's fast path for `fit`."""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf


def epoch_line(epoch: int, epochs: int, logs: dict) -> str:
    """`epoch 3/5: accuracy 0.9798, loss 0.0705`: no time, so a stored notebook changes only with its results."""
    metrics = ", ".join(f"{name} {value:.4f}" for name, value in logs.items() if name != "learning_rate")
    return f"epoch {epoch + 1}/{epochs}: {metrics}"


class EpochLogger(keras.callbacks.Callback):
    """Print `epoch_line` once per epoch of `fit` (use with `verbose=0`)."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epochs = self.params.get("epochs", 0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        print(epoch_line(epoch, self.epochs, logs or {}))


def fit_fast(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    validation_split: float = 0.0,
    seed: int = 0,
    on_epoch_end: Callable[[int, dict[str, float]], object] | None = None,
) -> dict[str, list[float]]:
    """Train a compiled classifier as `model.fit(x, y, ...)` does (optimizer, loss, batches, validation split,
    shuffled every epoch) and return its `history.history`; but each epoch is one XLA-compiled call that never
    returns to Python between batches (notebook 05 builds it by hand): on a CPU, near the floor (bench/results.md).
    `on_epoch_end(epoch, logs)` is called after each epoch, as a callback's is."""
    n = math.floor(len(x) * (1 - validation_split))  # as fit does: the last images validate
    data = tf.constant(x[:n]), tf.constant(y[:n])
    held_out = tf.constant(x[n:]), tf.constant(y[n:])
    loss_fn, optimizer, weights = keras.losses.get(model.loss), model.optimizer, model.trainable_variables
    optimizer.build(weights)
    full = n // batch_size

    def step(x_batch: tf.Tensor, y_batch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """One update; returns the batch's summed loss and its number of right answers."""
        with tf.GradientTape() as tape:
            probabilities = model(x_batch, training=True)
            losses = loss_fn(y_batch, probabilities)
            loss = tf.reduce_mean(losses)
        optimizer.apply(tape.gradient(loss, weights), weights)
        return tf.reduce_sum(losses), right_answers(y_batch, probabilities)

    def right_answers(y_true: tf.Tensor, probabilities: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(tf.cast(tf.argmax(probabilities, 1) == tf.argmax(y_true, 1), tf.float32))

    @tf.function(jit_compile=True)
    def epoch(x_all: tf.Tensor, y_all: tf.Tensor, order: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        batches = tf.reshape(order[: full * batch_size], (full, batch_size))
        total_loss, total_right = tf.constant(0.0), tf.constant(0.0)
        for i in tf.range(full):
            loss, right = step(tf.gather(x_all, batches[i]), tf.gather(y_all, batches[i]))
            total_loss, total_right = total_loss + loss, total_right + right
        if n % batch_size:  # the last, smaller batch (its shape is fixed: XLA compiles it once)
            rest = order[full * batch_size :]
            loss, right = step(tf.gather(x_all, rest), tf.gather(y_all, rest))
            total_loss, total_right = total_loss + loss, total_right + right
        return total_loss / n, total_right / n

    @tf.function(jit_compile=True)
    def evaluate(x_all: tf.Tensor, y_all: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        probabilities = model(x_all, training=False)
        count = tf.cast(tf.shape(y_all)[0], tf.float32)
        return tf.reduce_mean(loss_fn(y_all, probabilities)), right_answers(y_all, probabilities) / count

    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {}
    for e in range(epochs):
        loss, accuracy = epoch(*data, tf.constant(rng.permutation(n), tf.int32))
        logs = {"accuracy": accuracy, "loss": loss}  # in the order fit's history has them
        if n < len(x):
            val_loss, val_accuracy = evaluate(*held_out)
            logs |= {"val_accuracy": val_accuracy, "val_loss": val_loss}
        logs = {name: float(value) for name, value in logs.items()}
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        if on_epoch_end:
            on_epoch_end(e, logs)
    return history
