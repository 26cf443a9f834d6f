"""The course's figures: each helper draws one kind of figure and returns it.

Figures are built with `matplotlib.figure.Figure` rather than pyplot, so a notebook shows a
returned figure exactly once and tests can inspect it without a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DIGITS = list(range(10))


def _epoch_ticks(ax: Axes, n_epochs: int) -> None:
    """Every epoch as a tick up to 10 epochs, whole numbers only beyond."""
    if n_epochs <= 10:
        ax.set_xticks(np.arange(1, n_epochs + 1))
    else:
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))


def _log_axis(ax: Axes) -> None:
    """A log-scale y axis labelled 0.02, 0.05, 0.1, 0.2, ... rather than in powers of ten."""
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(mpl.ticker.LogLocator(subs=(2, 5)))
    for set_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        set_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))


def use_course_style() -> None:
    """Seaborn's theme with its colour-blind-safe palette, at a size readable at 100 % zoom; whole tables."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold"})
    pd.set_option("display.max_columns", 30)  # a stored table's text form shows every column, not "..."
    pd.set_option("display.width", 200)


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


def plot_history(
    history: Mapping[str, Sequence[float]],
    reference: Mapping[str, float] | None = None,
    mark_epoch: tuple[int, str] | None = None,
    log_loss: bool = False,
) -> Figure:
    """Loss and accuracy per epoch (and validation curves if present), side by side.

    `reference` maps a metric name (e.g. "accuracy") to a value drawn as a dotted line;
    `mark_epoch` is an (epoch, label) pair drawn as a vertical line on both panels;
    `log_loss` puts the loss on a log scale, where small changes near zero stay visible.
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
        if mark_epoch is not None:
            ax.axvline(mark_epoch[0], color="0.3", linestyle="--", label=mark_epoch[1])
        ylabel = "Cross-entropy loss" if metric == "loss" else "Accuracy (fraction correct)"
        ax.set(title=f"{metric.capitalize()} per epoch", xlabel="Epoch", ylabel=ylabel)
        _epoch_ticks(ax, len(epochs))
        ax.legend()
    if log_loss:
        _log_axis(axes[0])
        axes[0].set_ylabel("Cross-entropy loss (log scale)")
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


def plot_seed_spread(accuracies: Sequence[float], references: Mapping[str, float]) -> Figure:
    """Test accuracy of repeated runs as a box with every run as a dot, and each reference as a line.

    `references` maps a label to a published accuracy; the lines differ in style as well as in colour.
    """
    values = 100 * np.asarray(accuracies, dtype=float)
    fig = Figure(figsize=(8, 2.8))
    ax = fig.subplots()
    sns.boxplot(x=values, ax=ax, color="0.9", width=0.5, showfliers=False)
    sns.stripplot(x=values, ax=ax, size=8, jitter=0.12, alpha=0.8)
    palette = sns.color_palette("colorblind")
    for (label, reference), style, colour in zip(references.items(), ("--", ":", "-."), (3, 2, 4), strict=False):
        ax.axvline(100 * reference, color=palette[colour], linestyle=style, linewidth=2, label=label)
    ax.set(
        title=f"Test accuracy of {len(values)} runs that differ only in the random seed",
        xlabel="Test accuracy (%)",
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_learning_curves(histories: Mapping[str, Mapping[str, Sequence[float]]]) -> Figure:
    """Training loss and accuracy per epoch of several runs, one line per run, on shared axes."""
    fig = Figure(figsize=(10, 3.8))
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for name, history in histories.items():
            epochs = np.arange(1, len(history[metric]) + 1)
            ax.plot(epochs, history[metric], marker="o", label=name)
        ylabel = "Cross-entropy loss (log scale)" if metric == "loss" else "Accuracy (fraction correct)"
        ax.set(title=f"Training {metric} per epoch", xlabel="Epoch", ylabel=ylabel)
        _epoch_ticks(ax, len(epochs))
        ax.legend()
    _log_axis(axes[0])
    fig.tight_layout()
    return fig


def plot_accuracy_vs_params(
    params: Sequence[int],
    accuracies: Sequence[float],
    labels: Sequence[str],
    band: tuple[float, float] | None = None,
    band_label: str = "",
) -> Figure:
    """Test accuracy against the number of parameters (log scale), each point labelled; `band` shades a range."""
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    values = 100 * np.asarray(accuracies, dtype=float)
    if band is not None:
        ax.axhspan(100 * band[0], 100 * band[1], color="0.85", label=band_label)
    ax.plot(params, values, marker="o")
    for x, y, label in zip(params, values, labels, strict=True):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xticks(params, labels=[f"{p:,}" for p in params], fontsize=9)
    ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
    ax.margins(x=0.08, y=0.15)
    ax.set(title="Wider hidden layer: more parameters, higher accuracy", xlabel="Parameters (log scale)",
           ylabel="Test accuracy (%)")  # fmt: skip
    if band is not None and band_label:
        ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_confusion_matrices(matrices: Mapping[str, np.ndarray], title: str, cbar_label: str = "Test images") -> Figure:
    """Several confusion matrices side by side on one colour scale, so their cells compare directly."""
    vmax = max(float(np.max(cm)) for cm in matrices.values())
    fig = Figure(figsize=(4.6 * len(matrices) + 1.0, 5.0))
    *axes, cbar_ax = fig.subplots(1, len(matrices) + 1, width_ratios=[1] * len(matrices) + [0.05])
    for i, (ax, (name, cm)) in enumerate(zip(axes, matrices.items(), strict=True)):
        sns.heatmap(cm, annot=True, fmt=".0f", cmap="Blues", vmin=0, vmax=vmax, square=True, linewidths=0.5,
                    annot_kws={"fontsize": 9}, cbar_ax=cbar_ax, cbar_kws={"label": cbar_label}, ax=ax)  # fmt: skip
        ax.set(title=f"{name}: {int(np.sum(cm)):,} errors", xlabel="Predicted digit", ylabel="" if i else "True digit")
        ax.tick_params(axis="y", rotation=0)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def show_pipeline(
    pictures: Sequence[np.ndarray],
    inputs: np.ndarray,
    probabilities: np.ndarray,
    labels: Sequence[int] | None = None,
) -> Figure:
    """Per column: a picture as given, the 28×28 input made from it, and the network's probabilities.

    With `labels`, each column's title says whether the prediction is right.
    """
    labels = None if labels is None else [int(label) for label in labels]  # a pandas Series keeps its index
    if not len(pictures) == len(inputs) == len(probabilities) or (labels is not None and len(labels) != len(inputs)):
        raise ValueError("give one input, one row of probabilities (and one label) per picture")
    palette = sns.color_palette("colorblind")
    fig = Figure(figsize=(2.1 * len(pictures) + 0.6, 6.2))
    axes = fig.subplots(3, len(pictures), squeeze=False, height_ratios=[1.1, 1, 0.9])
    for i, (picture, digit, probs) in enumerate(zip(pictures, inputs, probabilities, strict=True)):
        top, middle, bottom = axes[:, i]
        top.imshow(
            picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=255 if picture.dtype == np.uint8 else 1
        )
        top.set_xticks([]), top.set_yticks([])
        top.set_xlabel(f"{picture.shape[1]}×{picture.shape[0]}", fontsize=8)
        _draw_digit(middle, digit)
        guess = int(np.argmax(probs))
        colours = [palette[1] if d == guess else palette[0] for d in DIGITS]
        bottom.bar(DIGITS, probs, color=colours)
        bottom.set(ylim=(0, 1), xticks=DIGITS, yticks=[0, 0.5, 1] if i == 0 else [])
        bottom.tick_params(labelsize=7)
        verdict = ""
        if labels is not None:
            verdict = " ✓" if guess == labels[i] else f" ✗ (is {labels[i]})"
        bottom.set_title(f"says {guess}, {probs[guess]:.0%}{verdict}", fontsize=9, fontweight="normal")
    for ax in axes[1]:  # framed, so that an all-blank input still shows as a panel
        ax.set_axis_on(), ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].set_ylabel("picture", fontsize=10)
    axes[1, 0].set_ylabel("28×28 input", fontsize=10)
    axes[2, 0].set_ylabel("probability", fontsize=10)
    fig.tight_layout()
    return fig


def show_steps(steps: Mapping[str, np.ndarray], title: str = "", as_ink: Sequence[str] = ()) -> Figure:
    """Images of any sizes side by side, each titled with its name and size (e.g. preprocessing steps).

    The steps named in `as_ink` are ink maps, drawn like every digit in the course: more ink, darker.
    """
    if not steps:
        raise ValueError("no images to show")
    fig = Figure(figsize=(2.4 * len(steps), 2.9))
    axes = fig.subplots(1, len(steps), squeeze=False)[0]
    for ax, (name, image) in zip(axes, steps.items(), strict=True):
        image = np.asarray(image)
        cmap = ("gray_r" if name in as_ink else "gray") if image.ndim == 2 else None
        ax.imshow(image, cmap=cmap, vmin=0, vmax=255 if image.dtype == np.uint8 else 1)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(name, fontsize=10, fontweight="normal")
        ax.set_xlabel(f"{image.shape[1]}×{image.shape[0]}", fontsize=8)
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig
