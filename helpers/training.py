"""Training progress as one short line per epoch, readable in a stored notebook."""

from __future__ import annotations

import keras


class EpochLogger(keras.callbacks.Callback):
    """Print `epoch 3/5: accuracy 0.9798, loss 0.0705` once per epoch (use with `verbose=0`).

    No wall-clock time: it would change on every run, and a stored notebook must change only when
    its results do (see CONTRIBUTING.md).
    """

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epochs = self.params.get("epochs", 0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        metrics = ", ".join(f"{name} {value:.4f}" for name, value in (logs or {}).items() if name != "learning_rate")
        print(f"epoch {epoch + 1}/{self.epochs}: {metrics}")
