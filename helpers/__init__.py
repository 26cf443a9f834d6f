"""Helpers for the MNIST notebook course: the boring parts, so the notebooks can show the lesson.

- `helpers.data`: load MNIST offline and verified.
- `helpers.inputs`: the networks' input format (images as float32, labels one-hot).
- `helpers.plots`: the course's figures.
- `helpers.metrics`: confusion matrix and per-class scores.
- `helpers.experiments`: training results cached on disk by configuration.
- `helpers.digits`: any picture of a digit as an MNIST-style input.
- `helpers.checks`: `check("05.1", answer)`, the exercises' self-checks.
- `helpers.models` and `helpers.training` (import Keras): save/load models, progress lines, the fast path `fit_fast`.
"""

from helpers.data import MnistDataError, load_mnist
from helpers.inputs import one_hot, to_dense_inputs, to_image_inputs
from helpers.metrics import confusion_matrix, errors_only, most_confused_pairs, per_class_scores, row_normalise
from helpers.paths import data_dir, display_path, examples_dir, models_dir
from helpers.plots import (
    plot_accuracy_vs_params,
    plot_class_counts,
    plot_confidence,
    plot_confusion_matrix,
    plot_history,
    plot_learning_curves,
    plot_mean_images,
    plot_pixel_histogram,
    plot_probabilities,
    plot_seed_spread,
    show_digits,
    show_figure,
    show_pipeline,
    show_steps,
    use_course_style,
)
