"""Helpers for the MNIST notebook course: the boring parts, so the notebooks can show the lesson.

Offered here: MNIST (`data`), the input format (`inputs`), metrics, paths and figures (`plots`). Imported from their
modules: `checks` (the exercises), `digits` (your own pictures), `drawpad`, `experiments` (cached results), and
`models` and `training`, which import Keras (saved networks, progress lines, the fast path `fit_fast`).
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
