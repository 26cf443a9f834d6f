"""The course's figures: each helper draws one kind of figure and returns it.

Figures are built with `matplotlib.figure.Figure` rather than pyplot, so a notebook shows a
returned figure exactly once and tests can inspect it without a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DIGITS = list(range(10))


def use_course_style() -> None:
    """Seaborn's theme with its colour-blind-safe palette, at a size readable at 100 % zoom."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold"})


def _draw_digit(ax: Axes, image: np.ndarray) -> None:
    """One digit, dark ink on white, without axes; bytes (0-255) or values in [0, 1].

    Nearest-neighbour scaling shows the 28 × 28 pixels the network sees, and keeps the PNG small.
    """
    ax.set_axis_off()
    vmax = 255 if image.dtype == np.uint8 or image.max() > 1 else 1
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=vmax, interpolation="nearest")


def show_digits(
    images: np.ndarray,
    captions: Sequence[str] | None = None,
    ncols: int = 10,
    title: str | None = None,
    size: float = 1.1,
) -> Figure:
    """A grid of 28×28 digits, dark ink on white, each with an optional caption."""
    images = np.asarray(images).reshape(-1, 28, 28)
    if len(images) == 0:
        raise ValueError("no images to show")
    if captions is not None and len(captions) != len(images):
        raise ValueError(f"{len(images)} images but {len(captions)} captions")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    caption_space = 0.35 if captions is not None else 0.0
    fig = Figure(figsize=(ncols * size, nrows * (size + caption_space) + (0.4 if title else 0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(images):
            _draw_digit(ax, images[i])
            if captions is not None:
                ax.set_title(captions[i], fontsize=9, fontweight="normal")
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def plot_class_counts(y_train: np.ndarray, y_test: np.ndarray) -> Figure:
    """Bar chart of how many images each digit has in the training and the test set."""
    fig = Figure(figsize=(9, 3.6))
    axes = fig.subplots(1, 2)
    for ax, labels, name in zip(axes, (y_train, y_test), ("Training set", "Test set"), strict=True):
        counts = np.bincount(labels, minlength=10)
        ax.bar(DIGITS, counts, color=sns.color_palette("colorblind")[0])
        ax.axhline(counts.mean(), color="0.3", linestyle="--", linewidth=1, label=f"mean {counts.mean():.0f}")
        ax.set(title=f"{name}: {len(labels):,} images", xlabel="Digit", ylabel="Images", xticks=DIGITS)
        ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_mean_images(images: np.ndarray, labels: np.ndarray) -> Figure:
    """The average image of each digit: where its ink usually is."""
    means = np.stack([images[labels == d].mean(axis=0) for d in DIGITS])
    return show_digits(means, [f"mean {d}" for d in DIGITS], title="Average image of each digit")


def plot_pixel_histogram(images: np.ndarray) -> Figure:
    """Histogram of pixel intensities 0–255 on a log scale: mostly background, some ink, few greys."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    ax.hist(np.asarray(images).ravel(), bins=np.arange(257) - 0.5, log=True)
    ax.set(
        title="Pixel intensities in the training images",
        xlabel="Intensity (0 = background, 255 = full ink)",
        ylabel="Pixels (log scale)",
        xlim=(-3, 258),
    )
    fig.tight_layout()
    return fig


def plot_history(history: Mapping[str, Sequence[float]], reference: Mapping[str, float] | None = None) -> Figure:
    """Loss and accuracy per epoch (and validation curves if present), side by side.

    `reference` maps a metric name (e.g. "accuracy") to a value drawn as a dotted line.
    """
    fig = Figure(figsize=(10, 3.8))
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], marker="o", label=f"training {metric}")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], marker="s", label=f"validation {metric}")
        if reference and metric in reference:
            ax.axhline(reference[metric], color="0.3", linestyle=":", label=f"reference {reference[metric]:.4f}")
        ylabel = "Cross-entropy loss" if metric == "loss" else "Accuracy (fraction correct)"
        ax.set(title=f"{metric.capitalize()} per epoch", xlabel="Epoch", ylabel=ylabel, xticks=epochs)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm: np.ndarray, title: str, fmt: str = "d", cbar_label: str = "Test images") -> Figure:
    """A confusion matrix as an annotated heatmap: true digit down, predicted digit across."""
    fig = Figure(figsize=(7.2, 6))
    ax = fig.subplots()
    sns.heatmap(
        cm,
        annot=True,
        fmt=fmt,
        cmap="Blues",
        square=True,
        linewidths=0.5,
        annot_kws={"fontsize": 8},
        cbar_kws={"label": cbar_label},
        ax=ax,
    )
    ax.set(title=title, xlabel="Predicted digit", ylabel="True digit")
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def plot_confidence(confidence: np.ndarray, correct: np.ndarray) -> Figure:
    """Histograms of the top predicted probability for right and for wrong predictions."""
    fig = Figure(figsize=(8, 3.8))
    ax = fig.subplots()
    bins = np.linspace(0, 1, 41)
    palette = sns.color_palette("colorblind")
    correct = np.asarray(correct, dtype=bool)
    for mask, name, colour in ((correct, "right", palette[2]), (~correct, "wrong", palette[3])):
        values = confidence[mask]
        weights = np.full(len(values), 1 / max(len(values), 1))
        ax.hist(values, bins=bins, weights=weights, alpha=0.6, color=colour, label=f"{name} ({len(values):,})")
    ax.set(
        title="How sure the network is, when right and when wrong",
        xlabel="Probability of the predicted digit",
        ylabel="Share of those predictions",
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_probabilities(probabilities: np.ndarray, title: str) -> Figure:
    """Bar chart of a network's ten output probabilities, the predicted digit highlighted."""
    probabilities = np.asarray(probabilities).ravel()
    palette = sns.color_palette("colorblind")
    colours = [palette[1] if d == probabilities.argmax() else palette[0] for d in DIGITS]
    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    ax.bar(DIGITS, probabilities, color=colours)
    ax.set(title=title, xlabel="Digit", ylabel="Predicted probability", xticks=DIGITS, ylim=(0, 1))
    fig.tight_layout()
    return fig


def show_digit_rows(rows: Sequence[np.ndarray], row_labels: Sequence[str], per_row: int = 8, title: str = "") -> Figure:
    """One row of up to `per_row` digits per group (e.g. one confused pair), labelled on the left."""
    if len(rows) != len(row_labels) or not rows:
        raise ValueError("give one label per row, and at least one row")
    size = 0.85
    height = len(rows) * size + (0.5 if title else 0.1)
    fig = Figure(figsize=(per_row * size + 2.2, height))
    axes = fig.subplots(len(rows), per_row, squeeze=False)
    for images, label, row in zip(rows, row_labels, axes, strict=True):
        images = np.asarray(images).reshape(-1, 28, 28)
        for i, ax in enumerate(row):
            ax.set_axis_off()
            if i < len(images):
                _draw_digit(ax, images[i])
        row[0].text(-0.15, 0.5, label, transform=row[0].transAxes, ha="right", va="center", fontsize=10)
    if title:
        fig.suptitle(title, fontweight="bold", y=1 - 0.08 / height)
    top = 1 - (0.45 if title else 0.05) / height
    fig.subplots_adjust(left=2.0 / (per_row * size + 2.2), right=0.99, bottom=0.01, top=top, wspace=0.05, hspace=0.08)
    return fig
