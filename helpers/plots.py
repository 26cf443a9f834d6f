"""The course's figures: each helper draws one kind of figure and returns it with its text alternative.

Each is a `CourseFigure` (a `matplotlib.figure.Figure`, not pyplot's, so a notebook shows it once and tests need
no display) whose `alt`, written from the numbers it draws, says what it shows and its point; Jupyter stores it
with the PNG and the site shows it as the image's `alt`. `show_figure(fig, alt)` shows a figure drawn with pyplot.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.digits import border, full_scale
from helpers.metrics import most_confused_pairs

DIGITS = list(range(10))
MIN_FONT_SIZE = 9  # points: no text in a course figure is smaller
MARKERS = ("o", "s", "^", "D", "v", "P")
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))


def figure_bundle(fig: Figure, alt: str) -> tuple[dict, dict]:
    """The figure as Jupyter stores it: PNG data, the text alternative as text/plain and as the PNG's `alt`."""
    if not alt.strip():
        raise ValueError("a figure needs a text alternative: say what it shows and its point")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode()
    return {"image/png": png, "text/plain": alt}, {"image/png": {"alt": alt}}


class CourseFigure(Figure):
    """A Figure that carries its text alternative, `alt`, and shows it with its PNG in Jupyter."""

    alt: str = ""

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> tuple[dict, dict]:
        return figure_bundle(self, self.alt)


def show_figure(fig: Figure, alt: str) -> None:
    """Show a figure drawn in a notebook (e.g. with pyplot) once, with its text alternative."""
    data, metadata = figure_bundle(fig, alt)
    display(data, metadata=metadata, raw=True)
    plt.close(fig)  # else pyplot's inline backend shows it a second time, without its text alternative


def _described(fig: CourseFigure, alt: str) -> CourseFigure:
    """Give a figure its text alternative; return it."""
    fig.alt = alt
    return fig


def _join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('none' for no items)."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items) or "none"


def _percent(value: float) -> str:
    return f"{100 * value:.2f} %"


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


def _legend_below(fig: Figure) -> None:
    """One legend for all panels, under them, where it covers no data (the figure needs layout="constrained")."""
    entries = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(entries.values(), entries.keys(), loc="outside lower center", ncol=min(len(entries), 4))


def _highlight(bars: mpl.container.BarContainer, index: int) -> None:
    """Set one bar apart by colour and by hatching, so that it stands out in greyscale too."""
    bar = bars[index]
    bar.set(color=sns.color_palette("colorblind")[1], hatch="//")
    if hasattr(bar, "set_hatchcolor"):  # matplotlib 3.10 and later; the edge stays the bar's colour
        bar.set_hatchcolor("0.15")
    else:  # earlier ones draw the hatch in the edge colour
        bar.set(edgecolor="0.15", linewidth=0)


def use_course_style() -> None:
    """Seaborn's theme with its colour-blind-safe palette, at a size readable at 100 % zoom; whole tables."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold"})
    pd.set_option("display.max_columns", 30)  # a stored table's text form shows every column, not "..."
    pd.set_option("display.width", 200)


def _draw_digit(ax: Axes, image: np.ndarray) -> None:
    """One digit (0-255 or 0-1), dark ink on white, without axes; nearest-neighbour: the pixels, and a small PNG."""
    ax.set_axis_off()
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=full_scale(image), interpolation="nearest")


def show_digits(
    images: np.ndarray | Sequence[np.ndarray],
    captions: Sequence[str] | None = None,
    ncols: int = 10,
    title: str | None = None,
    size: float = 1.1,
    row_labels: Sequence[str] | None = None,
) -> CourseFigure:
    """A grid of 28×28 digits, dark ink on white, each with an optional caption. With `row_labels`, `images` is a
    list of groups (e.g. one confused pair's digits), each a row of up to `ncols` digits labelled on its left."""
    if row_labels is None:
        flat = np.asarray(images).reshape(-1, 28, 28)
        rows = [flat[i : i + ncols] for i in range(0, len(flat), ncols)]
    elif len(images) != len(row_labels):
        raise ValueError(f"{len(images)} rows but {len(row_labels)} row labels")
    else:
        rows = [np.asarray(group).reshape(-1, 28, 28)[:ncols] for group in images]
    n = sum(len(row) for row in rows)
    if n == 0:
        raise ValueError("no images to show")
    if captions is not None and len(captions) != n:
        raise ValueError(f"{n} images but {len(captions)} captions")
    ncols = max(len(row) for row in rows)
    width = ncols * size + (2.2 if row_labels else 0)
    height = len(rows) * (size + (0.35 if captions else 0)) + (0.4 if title else 0)
    fig = CourseFigure(figsize=(width, height))
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    caption = iter(captions or [])
    for r, (row, row_axes) in enumerate(zip(rows, axes, strict=True)):
        for i, ax in enumerate(row_axes):
            ax.set_axis_off()
            if i < len(row):
                _draw_digit(ax, row[i])
                if captions is not None:
                    ax.set_title(next(caption), fontsize=9, fontweight="normal")
        if row_labels is not None:
            row_axes[0].text(-0.15, 0.5, row_labels[r], transform=row_axes[0].transAxes, ha="right", va="center",
                             fontsize=10)  # fmt: skip
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    if row_labels is not None:
        shown = "; ".join(f"{label}: {len(row)} shown" for label, row in zip(row_labels, rows, strict=True))
        alt = f"{len(rows)} rows of handwritten digits, dark ink on white, one row per group: {shown}"
    else:
        alt = f"{n} handwritten digit{'s' * (n > 1)}, dark ink on white"
        if captions is not None:
            alt += ", captioned in reading order: " + "; ".join(captions)
    return _described(fig, f"{title}: {alt}." if title else f"{alt[0].upper()}{alt[1:]}.")


def plot_class_counts(y_train: np.ndarray, y_test: np.ndarray) -> CourseFigure:
    """Bar chart of how many images each digit has in the training and the test set."""
    fig = CourseFigure(figsize=(9, 3.6))
    axes = fig.subplots(1, 2)
    said = []
    for ax, labels, name in zip(axes, (y_train, y_test), ("Training set", "Test set"), strict=True):
        counts = np.bincount(labels, minlength=10)
        ax.bar(DIGITS, counts, color=sns.color_palette("colorblind")[0])
        ax.axhline(counts.mean(), color="0.3", linestyle="--", linewidth=1, label=f"mean {counts.mean():.0f}")
        ax.set(title=f"{name}: {len(labels):,} images", xlabel="Digit", ylabel="Images", xticks=DIGITS)
        ax.legend(loc="lower right")
        spread = np.abs(counts / counts.mean() - 1).max()
        said.append(
            f"{name}, {len(labels):,} images: from {counts.min():,} (digit {counts.argmin()}) to {counts.max():,} "
            f"(digit {counts.argmax()}), each digit within {spread:.0%} of the mean ({counts.mean():,.0f})."
        )
    fig.tight_layout()
    return _described(fig, "Bar charts of how many images each digit 0 to 9 has. " + " ".join(said))


def plot_mean_images(images: np.ndarray, labels: np.ndarray) -> CourseFigure:
    """The average image of each digit: where its ink usually is."""
    means = np.stack([images[labels == d].mean(axis=0) for d in DIGITS])
    counts = np.bincount(labels, minlength=10)
    fig = show_digits(means, [f"mean {d}" for d in DIGITS], title="Average image of each digit")
    alt = (
        "Average image of each digit 0 to 9, each the mean of its "
        f"{counts.min():,} to {counts.max():,} images: a blurred but recognisable digit, darkest where most "
        "images have ink, fading where the handwriting varies."
    )
    return _described(fig, alt)


def plot_pixel_histogram(images: np.ndarray) -> CourseFigure:
    """Histogram of pixel intensities 0–255 on a log scale: mostly background, some ink, few greys."""
    pixels = np.asarray(images).ravel()
    fig = CourseFigure(figsize=(8, 3.6))
    ax = fig.subplots()
    ax.hist(pixels, bins=np.arange(257) - 0.5, log=True)
    ax.set(title="Pixel intensities in the training images", xlabel="Intensity (0 = background, 255 = full ink)")
    ax.set(ylabel="Pixels (log scale)", xlim=(-3, 258))
    fig.tight_layout()
    alt = (
        f"Histogram of the {pixels.size:,} pixel intensities, 0 to 255, on a log scale: "
        f"{np.mean(pixels == 0):.1%} are 0 (background), {np.mean(pixels >= 250):.1%} are 250 or more (full ink), "
        f"and the {np.mean((pixels > 0) & (pixels < 250)):.1%} in between (greys, the edges of strokes) "
        "spread thinly over all the other values."
    )
    return _described(fig, alt)


def plot_history(
    history: Mapping[str, Sequence[float]],
    reference: Mapping[str, float] | None = None,
    mark_epoch: tuple[int, str] | None = None,
    log_loss: bool = False,
    zoom_val_loss: bool = False,
) -> CourseFigure:
    """Loss and accuracy per epoch (and validation curves if present), side by side, one legend below; `reference`
    {metric: value} as dotted lines, `mark_epoch` (epoch, label) as a vertical line, `log_loss` the loss on a log
    scale (small changes near zero show), `zoom_val_loss` a panel of the validation loss alone (its rise shows)."""
    panels = ["loss", "val_loss", "accuracy"] if zoom_val_loss else ["loss", "accuracy"]
    fig = CourseFigure(figsize=(11, 4.2) if zoom_val_loss else (10, 4.2), layout="constrained")
    axes = dict(zip(panels, fig.subplots(1, len(panels)), strict=True))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for name, ax in axes.items():
        metric = name.removeprefix("val_")
        if name != "val_loss":
            ax.plot(epochs, history[metric], marker="o", label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], marker="s", label="validation",
                    color=sns.color_palette("colorblind")[1])  # fmt: skip
        if reference and metric in reference and name == metric:
            ax.axhline(reference[metric], color="0.3", linestyle=":", label=f"reference {reference[metric]:.4f}")
        if mark_epoch is not None:
            ax.axvline(mark_epoch[0], color="0.3", linestyle="--", label=mark_epoch[1])
        ylabel = "Cross-entropy loss" if metric == "loss" else "Accuracy (fraction correct)"
        title = "Validation loss alone" if name == "val_loss" else f"{metric.capitalize()} per epoch"
        ax.set(title=title, xlabel="Epoch", ylabel=ylabel)
        _epoch_ticks(ax, len(epochs))
    if log_loss:
        _log_axis(axes["loss"])
        axes["loss"].set_ylabel("Cross-entropy loss (log scale)")
    if zoom_val_loss:
        val = np.asarray(history["val_loss"])
        best = int(val.argmin())
        axes["val_loss"].annotate(f"lowest {val[best]:.4f}", (best + 1, val[best]), xytext=(6, -6),
                                  textcoords="offset points", ha="left", va="top", fontsize=10)  # fmt: skip
        axes["val_loss"].annotate(f"{val[-1]:.4f}", (len(val), val[-1]), xytext=(0, 10), textcoords="offset points",
                                  ha="center", va="bottom", fontsize=10)  # fmt: skip
        axes["val_loss"].margins(y=0.2)
    _legend_below(fig)
    return _described(fig, _history_alt(history, reference, mark_epoch, log_loss))


def _history_alt(
    history: Mapping[str, Sequence[float]],
    reference: Mapping[str, float] | None,
    mark_epoch: tuple[int, str] | None,
    log_loss: bool,
) -> str:
    """What plot_history shows, in words: where each curve starts and ends, the validation loss's low point."""
    n = len(history["loss"])
    scale = " (log scale)" if log_loss else ""
    said = [
        f"Loss{scale} and accuracy over {n} epochs. Training loss falls from {history['loss'][0]:.4f} to "
        f"{history['loss'][-1]:.4f}; training accuracy rises from {_percent(history['accuracy'][0])} to "
        f"{_percent(history['accuracy'][-1])}."
    ]
    if "val_loss" in history:
        val = np.asarray(history["val_loss"])
        best = int(val.argmin())
        trend = f", then rises to {val[-1]:.4f} by epoch {n}" if best < n - 1 and val[-1] > val[best] else ""
        said.append(
            f"Validation loss falls from {val[0]:.4f} to its lowest, {val[best]:.4f}, at epoch {best + 1}{trend}; "
            + (
                f"validation accuracy is {_percent(history['val_accuracy'][best])} at that last epoch."
                if best == n - 1
                else f"validation accuracy is {_percent(history['val_accuracy'][best])} there and "
                f"{_percent(history['val_accuracy'][-1])} at the end."
            )
        )
    if reference and "accuracy" in reference:
        side = "above" if history["accuracy"][-1] > reference["accuracy"] else "not above"
        said.append(f"The last training accuracy is {side} the reference, {_percent(reference['accuracy'])}.")
    if mark_epoch is not None:
        said.append(f"A vertical line marks epoch {mark_epoch[0]}: {mark_epoch[1]}.")
    return " ".join(said)


def _heatmap(ax: Axes, cm: np.ndarray, fmt: str, hide_diagonal: bool, **kwargs: object) -> None:
    """A confusion matrix as an annotated heatmap; a hidden diagonal is hatched grey, without numbers."""
    mask = np.eye(len(cm), dtype=bool) if hide_diagonal else None
    sns.heatmap(cm, annot=True, fmt=fmt, cmap="Blues", square=True, linewidths=0.5, mask=mask,
                annot_kws={"fontsize": MIN_FONT_SIZE}, ax=ax, **kwargs)  # fmt: skip
    if hide_diagonal:
        for i in range(len(cm)):
            ax.add_patch(mpl.patches.Rectangle((i, i), 1, 1, facecolor="0.93", hatch="///", edgecolor="0.6", lw=0))
    ax.set(xlabel="Predicted digit")
    ax.tick_params(axis="y", rotation=0)


def plot_confusion_matrix(
    cm: np.ndarray | Mapping[str, np.ndarray],
    title: str,
    fmt: str = "d",
    cbar_label: str = "Test images",
    hide_diagonal: bool = False,
) -> CourseFigure:
    """A confusion matrix as an annotated heatmap, true digit down, predicted across; several ({name: matrix}) side
    by side on one colour scale. `hide_diagonal` hatches the diagonal of a matrix of errors only (a 0 there would
    read as "none right")."""
    matrices = {name: np.asarray(m) for name, m in (cm.items() if isinstance(cm, Mapping) else [("", cm)])}
    n = len(matrices)
    vmax = max(float(m.max()) for m in matrices.values())
    fig = CourseFigure(figsize=(7.2, 6) if n == 1 else (4.6 * n + 1.0, 5.0))
    *axes, cbar_ax = fig.subplots(1, n + 1, width_ratios=[1] * n + [0.05])
    unit = f" {cbar_label[0]}" if cbar_label.startswith("%") else ""
    said = []
    for i, (ax, (name, m)) in enumerate(zip(axes, matrices.items(), strict=True)):
        _heatmap(ax, m, fmt, hide_diagonal, vmin=0, vmax=vmax, cbar_ax=cbar_ax, cbar_kws={"label": cbar_label})
        top = most_confused_pairs(m, 3)
        cells = zip(top["true"], top["predicted"], top["count"], strict=True)
        largest = _join([f"true {t} predicted as {p} ({c:{fmt}}{unit})" for t, p, c in cells])
        errors = f"{name}: {round(float(m.sum() - np.trace(m))):,} errors"
        ax.set(title=errors if n > 1 else title, ylabel="" if i else "True digit")
        said.append(f"{errors}, most often {largest}" if n > 1 else f"The largest mistakes: {largest}")
    if n > 1:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    hidden = "the diagonal (right answers) is hatched and left out"
    if n > 1:
        shown = f"{n} heatmaps side by side on one colour scale, true digit down, predicted across, each cell printed"
        alt = f"{title}: {shown} in {cbar_label.lower()}{'; ' + hidden if hide_diagonal else ''}. {'. '.join(said)}."
    else:
        low, high = np.diag(m).min(), np.diag(m).max()
        spread = f"{low:{fmt}} to {high:{fmt}}{unit}"
        about = hidden if hide_diagonal else f"the diagonal (right answers) ranges from {spread}"
        alt = (f"{title}: a 10 by 10 heatmap, true digit down, predicted digit across, each cell printed "
               f"({cbar_label.lower()}); {about}. {said[0]}.")  # fmt: skip
    return _described(fig, alt)


def plot_confidence(confidence: np.ndarray, correct: np.ndarray) -> CourseFigure:
    """Histograms of the top predicted probability of right and of wrong predictions, each on its own y scale (% of
    its predictions), so the few wrong ones show as clearly as the many right ones."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    low = np.floor(confidence.min() * 20) / 20
    bins = np.linspace(low, 1, round((1 - low) / 0.025) + 1)
    palette = sns.color_palette("colorblind")
    fig = CourseFigure(figsize=(8, 5.4))
    axes = fig.subplots(2, 1, sharex=True)
    said = []
    for ax, mask, name, colour in ((axes[0], correct, "right", palette[0]), (axes[1], ~correct, "wrong", palette[1])):
        values = confidence[mask]
        weights = np.full(len(values), 100 / max(len(values), 1))
        heights, _, _ = ax.hist(values, bins=bins, weights=weights, color=colour, edgecolor="white", label=name)
        top = int(np.argmax(heights))
        ax.annotate(f"{heights[top]:.0f} %", ((bins[top] + bins[top + 1]) / 2, heights[top]), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=10)  # fmt: skip
        ax.set(title=f"{name.capitalize()} predictions ({len(values):,})", ylabel="% of them",
               ylim=(0, 1.2 * max(heights.max(), 1)))  # fmt: skip
        if len(values):
            said.append(
                f"{name} predictions ({len(values):,}): median {np.median(values):.1%}, "
                f"{np.mean(values >= 0.9):.0%} at 90 % or more, {np.mean(values >= 0.99):.0%} at 99 % or more"
            )
    axes[1].set_xlabel("Probability of the predicted digit (confidence)")
    axes[0].tick_params(labelbottom=True)
    fig.suptitle("How sure the network is, when right and when wrong", fontweight="bold")
    fig.tight_layout()
    alt = (
        f"Two histograms of the network's confidence, from {low:.2f} to 1, each in % of its own predictions. "
        + ". ".join(s[0].upper() + s[1:] for s in said)
        + ". Wrong answers are less sure on the whole, but a sure answer can still be wrong."
    )
    return _described(fig, alt)


def plot_probabilities(probabilities: np.ndarray, title: str) -> CourseFigure:
    """Bar chart of a network's ten output probabilities, the predicted digit highlighted."""
    probabilities = np.asarray(probabilities).ravel()
    guess = int(probabilities.argmax())
    fig = CourseFigure(figsize=(6, 3.2))
    ax = fig.subplots()
    bars = ax.bar(DIGITS, probabilities, color=sns.color_palette("colorblind")[0])
    _highlight(bars, guess)
    ax.set(title=title, xlabel="Digit", ylabel="Predicted probability", xticks=DIGITS, ylim=(0, 1))
    fig.tight_layout()
    alt = (
        f"{title}: bar chart of the ten predicted probabilities, from {probabilities.min():.0%} to "
        f"{probabilities.max():.0%}; the highest, hatched, is digit {guess} at {probabilities[guess]:.0%}."
    )
    return _described(fig, alt)


def _with_value(label: str, percent: float) -> str:
    """`label` followed by its value in %, unless the label already shows it."""
    value = f"{percent:.2f} %"
    return label if value in label else f"{label} ({value})"


def plot_seed_spread(accuracies: Sequence[float], references: Mapping[str, float]) -> CourseFigure:
    """Test accuracy of repeated runs as a box with every run as a dot, and each of `references` (label: published
    accuracy) as a line that differs in style as well as in colour."""
    values = 100 * np.asarray(accuracies, dtype=float)
    fig = CourseFigure(figsize=(8, 3.2))
    ax = fig.subplots()
    sns.boxplot(x=values, ax=ax, color="0.9", width=0.5, showfliers=False)
    sns.stripplot(x=values, ax=ax, size=8, jitter=0.12, alpha=0.8)
    palette = sns.color_palette("colorblind")
    for (label, reference), style, colour in zip(references.items(), ("--", ":", "-."), (3, 2, 4), strict=False):
        ax.axvline(100 * reference, color=palette[colour], linestyle=style, linewidth=2, label=label)
    title = f"Test accuracy of {len(values)} runs that differ only in the random seed"
    ax.set(title=title, xlabel="Test accuracy (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=len(references), frameon=False)  # under the dots
    fig.tight_layout()
    styles = ("dashed", "dotted", "dash-dotted")
    marks = [
        f"a {style} line marks {_with_value(label, 100 * value)}, which lies "
        f"{'inside' if values.min() <= 100 * value <= values.max() else 'outside'} the spread"
        for (label, value), style in zip(references.items(), styles, strict=False)
    ]
    spread = f"{values.min():.2f}–{values.max():.2f} %, mean {values.mean():.2f} %"
    return _described(fig, f"{title}, each a dot over a box plot: {spread}; {'; '.join(marks)}.")


def plot_learning_curves(histories: Mapping[str, Mapping[str, Sequence[float]]]) -> CourseFigure:
    """Training loss and accuracy per epoch of several runs on shared axes, each with its own marker and line style."""
    fig = CourseFigure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for i, (name, history) in enumerate(histories.items()):
            epochs = np.arange(1, len(history[metric]) + 1)
            ax.plot(epochs, history[metric], marker=MARKERS[i % 6], linestyle=LINE_STYLES[i % 6],
                    markersize=7 + 2 * (i == 0), markerfacecolor="none" if i == 0 else None, label=name)  # fmt: skip
        ylabel = "Cross-entropy loss (log scale)" if metric == "loss" else "Accuracy (fraction correct)"
        ax.set(title=f"Training {metric} per epoch", xlabel="Epoch", ylabel=ylabel)
        _epoch_ticks(ax, len(epochs))
    _log_axis(axes[0])
    _legend_below(fig)
    finals = {name: (h["loss"][-1], h["accuracy"][-1]) for name, h in histories.items()}
    best = min(finals, key=lambda name: finals[name][0])
    names = list(histories)
    close = [
        f"{a} and {b} lie almost on top of each other (losses within 15 % at every epoch)"
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if np.max(np.abs(np.log(np.asarray(histories[a]["loss"]) / np.asarray(histories[b]["loss"])))) < np.log(1.15)
    ]
    alt = (
        f"Training loss (log scale) and accuracy per epoch of {_join(list(histories))}, one line style and marker "
        f"each. After the last epoch: "
        + "; ".join(f"{name}, loss {loss:.4f} and accuracy {_percent(acc)}" for name, (loss, acc) in finals.items())
        + f". The lowest final loss is {best}'s"
        + "".join(f"; {sentence}" for sentence in close)
        + "."
    )
    return _described(fig, alt)


def plot_accuracy_vs_params(
    params: Sequence[int],
    accuracies: Sequence[float],
    labels: Sequence[str],
    band: tuple[float, float] | None = None,
    band_label: str = "",
) -> CourseFigure:
    """Test accuracy against the number of parameters (log scale), each point labelled; `band` shades a range."""
    fig = CourseFigure(figsize=(8, 4))
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
    points = [f"{label}, {p:,} parameters: {v:.2f} %" for label, p, v in zip(labels, params, values, strict=True)]
    alt = "Test accuracy against the number of parameters, on a log axis: " + "; ".join(points) + "."
    if len(values) > 2:
        gains = np.diff(values)
        alt += " The gain per step: " + ", ".join(f"{gain:+.2f}" for gain in gains) + " percentage points."
    if band is not None:
        alt += f" A grey band, {band_label or 'a reference range'}, spans {100 * band[0]:.2f}–{100 * band[1]:.2f} %."
    return _described(fig, alt)


def _input_note(digit: np.ndarray) -> str:
    """What is wrong with a 28×28 input at a glance: nothing left of the digit, or the paper read as ink."""
    if digit.max() <= 0.02 * full_scale(digit):
        return "blank: no ink left"
    if border(digit).mean() > 0.5 * full_scale(digit):
        return "paper read as ink"
    return ""


def show_pipeline(
    pictures: Sequence[np.ndarray],
    inputs: np.ndarray,
    probabilities: np.ndarray,
    labels: Sequence[int] | None = None,
) -> CourseFigure:
    """Per column: a picture as given, the 28×28 input made from it (saying so if blank or paper read as ink), and
    the network's probabilities; with `labels`, whether the prediction is right."""
    labels = None if labels is None else [int(label) for label in labels]  # a pandas Series keeps its index
    if not len(pictures) == len(inputs) == len(probabilities) or (labels is not None and len(labels) != len(inputs)):
        raise ValueError("give one input, one row of probabilities (and one label) per picture")
    fig = CourseFigure(figsize=(2.1 * len(pictures) + 0.6, 6.4))
    axes = fig.subplots(3, len(pictures), squeeze=False, height_ratios=[1.1, 1, 0.9])
    said = []
    for i, (picture, digit, probs) in enumerate(zip(pictures, inputs, probabilities, strict=True)):
        top, middle, bottom = axes[:, i]
        top.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=full_scale(picture))
        top.set_xticks([]), top.set_yticks([])
        size = f"{picture.shape[1]}×{picture.shape[0]}"
        top.set_xlabel(size, fontsize=MIN_FONT_SIZE)
        _draw_digit(middle, digit)
        note = _input_note(np.asarray(digit))
        middle.set_xlabel(note, fontsize=MIN_FONT_SIZE + 1, fontweight="bold")
        guess = int(np.argmax(probs))
        _highlight(bottom.bar(DIGITS, probs, color=sns.color_palette("colorblind")[0]), guess)
        bottom.set(ylim=(0, 1), xticks=DIGITS, yticks=[0, 0.5, 1] if i == 0 else [])
        bottom.tick_params(labelsize=MIN_FONT_SIZE)
        verdict = verdict_words = ""
        if labels is not None:
            verdict = " ✓" if guess == labels[i] else f" ✗ (is {labels[i]})"
            verdict_words = ", right" if guess == labels[i] else f", wrong: it is a {labels[i]}"
        bottom.set_title(f"says {guess}, {probs[guess]:.0%}{verdict}", fontsize=10, fontweight="normal")
        said.append(f"picture {i + 1} ({size}){f', input {note}' if note else ''}: says {guess} at "
                    f"{probs[guess]:.0%}{verdict_words}")  # fmt: skip
    for ax in axes[1]:  # framed, so that an all-blank input still shows as a panel
        ax.set_axis_on(), ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].set_ylabel("picture", fontsize=10)
    axes[1, 0].set_ylabel("28×28 input", fontsize=10)
    axes[2, 0].set_ylabel("probability", fontsize=10)
    fig.tight_layout()
    columns = f"{len(pictures)} columns, each" if len(pictures) > 1 else "One column:"
    alt = (
        f"{columns} a picture of a digit, the 28×28 input made from it (dark ink on white) and a bar chart of the "
        "network's ten probabilities, the predicted digit hatched. "
        + ". ".join(s[0].upper() + s[1:] for s in said)
        + "."
    )
    return _described(fig, alt)


def show_steps(steps: Mapping[str, np.ndarray], title: str = "", as_ink: Sequence[str] = ()) -> CourseFigure:
    """Images of any sizes side by side, each titled with its name and size (e.g. preprocessing steps); those named in
    `as_ink` are ink maps, drawn like every digit in the course (more ink, darker)."""
    if not steps:
        raise ValueError("no images to show")
    fig = CourseFigure(figsize=(2.4 * len(steps), 2.9))
    axes = fig.subplots(1, len(steps), squeeze=False)[0]
    said = []
    for ax, (name, image) in zip(axes, steps.items(), strict=True):
        image = np.asarray(image)
        cmap = ("gray_r" if name in as_ink else "gray") if image.ndim == 2 else None
        ax.imshow(image, cmap=cmap, vmin=0, vmax=full_scale(image))
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(name, fontsize=10, fontweight="normal")
        ax.set_xlabel(f"{image.shape[1]}×{image.shape[0]}", fontsize=MIN_FONT_SIZE)
        said.append(f"{name} ({image.shape[1]}×{image.shape[0]}{', as ink: dark on white' if name in as_ink else ''})")
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    intro = f"{title}: " if title else ""
    return _described(fig, f"{intro}{len(steps)} images side by side, in order: " + "; ".join(said) + ".")
