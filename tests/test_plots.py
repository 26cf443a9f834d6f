"""Each plot helper returns one figure with the titles, labels and panels a reader expects, and its text alternative."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from helpers import plots

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
LABELS = np.arange(12) % 10


def visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.axison]


def test_show_digits_grid_and_captions() -> None:
    fig = plots.show_digits(IMAGES, [f"label {y}" for y in LABELS], ncols=5, title="Digits")
    assert len(fig.axes) == 15  # 3 rows of 5; the last 3 stay empty
    assert [ax.get_title() for ax in fig.axes[:2]] == ["label 0", "label 1"]
    assert sum(bool(ax.images) for ax in fig.axes) == 12
    assert fig._suptitle.get_text() == "Digits"
    with pytest.raises(ValueError, match="12 images but 2 captions"):
        plots.show_digits(IMAGES, ["a", "b"])
    with pytest.raises(ValueError, match="no images"):
        plots.show_digits(IMAGES[:0])


def test_class_counts_has_a_panel_per_split() -> None:
    fig = plots.plot_class_counts(np.repeat(np.arange(10), 6), np.arange(10))
    train, test = fig.axes
    assert train.get_title() == "Training set: 60 images" and test.get_title() == "Test set: 10 images"
    assert train.get_xlabel() == "Digit" and train.get_ylabel() == "Images"
    assert [p.get_height() for p in train.patches] == [6] * 10


def test_mean_images_one_per_digit() -> None:
    fig = plots.plot_mean_images(np.repeat(IMAGES[:10], 2, axis=0), np.repeat(np.arange(10), 2))
    assert [ax.get_title() for ax in fig.axes] == [f"mean {d}" for d in range(10)]
    assert np.allclose(fig.axes[3].images[0].get_array(), IMAGES[3])


def test_pixel_histogram_labels() -> None:
    ax = plots.plot_pixel_histogram(IMAGES).axes[0]
    assert ax.get_yscale() == "log" and "Intensity" in ax.get_xlabel()
    assert sum(p.get_height() for p in ax.patches) == IMAGES.size


def test_history_with_validation_and_reference() -> None:
    history = {"loss": [0.3, 0.1], "accuracy": [0.9, 0.97], "val_loss": [0.2, 0.15], "val_accuracy": [0.93, 0.96]}
    loss, accuracy = plots.plot_history(history, reference={"accuracy": 0.989}).axes
    assert loss.get_title() == "Loss per epoch" and accuracy.get_xlabel() == "Epoch"
    assert [line.get_label() for line in accuracy.get_lines()] == ["training", "validation", "reference 0.9890"]


def test_confusion_matrix_heatmap() -> None:
    cm = np.arange(100).reshape(10, 10)
    fig = plots.plot_confusion_matrix(cm, "Counts")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Counts", "Predicted digit", "True digit")
    assert len(ax.texts) == 100 and ax.texts[12].get_text() == "12"
    assert fig.axes[1].get_ylabel() == "Test images"  # the colour bar


def test_confidence_histograms_sum_to_one() -> None:
    confidence = np.array([0.99, 0.98, 0.5, 0.97])
    correct = np.array([True, True, False, True])
    fig = plots.plot_confidence(confidence, correct)
    right, wrong = fig.axes  # one panel per histogram, each on its own y scale
    assert [right.get_title(), wrong.get_title()] == ["Right predictions (3)", "Wrong predictions (1)"]
    assert sum(p.get_height() for p in right.patches) == pytest.approx(100)
    assert sum(p.get_height() for p in wrong.patches) == pytest.approx(100)
    assert right.get_xlim()[0] >= 0.45, "the axis starts near the lowest confidence, not at 0"
    assert "median 50.0%" in fig.alt and "Right predictions (3): median 98.0%" in fig.alt


def test_probabilities_highlight_the_prediction() -> None:
    probabilities = np.full(10, 0.05)
    probabilities[7] = 0.55
    ax = plots.plot_probabilities(probabilities, "One digit").axes[0]
    colours = {tuple(p.get_facecolor()) for p in ax.patches}
    assert len(colours) == 2 and ax.patches[7].get_facecolor() != ax.patches[0].get_facecolor()
    assert ax.get_ylim() == (0, 1)


def test_digit_rows_labels_each_row() -> None:
    fig = plots.show_digits([IMAGES[:3], IMAGES[:12]], ncols=8, row_labels=["4 taken for 9", "3 taken for 5"])
    assert len(fig.axes) == 16 and sum(bool(ax.images) for ax in fig.axes) == 11
    assert [t.get_text() for ax in fig.axes for t in ax.texts] == ["4 taken for 9", "3 taken for 5"]
    assert fig.alt.endswith("one row per group: 4 taken for 9: 3 shown; 3 taken for 5: 8 shown.")
    with pytest.raises(ValueError, match="1 rows but 0 row labels"):
        plots.show_digits([IMAGES[:2]], row_labels=[])


def test_course_style_uses_colour_blind_palette() -> None:
    import seaborn as sns
    from matplotlib import colors, rcParams

    plots.use_course_style()
    cycle = [colors.to_hex(c) for c in rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == sns.color_palette("colorblind").as_hex()
    assert not visible_axes(plots.show_digits(IMAGES[:1]))  # digits are drawn without axes


def test_history_marks_an_epoch_on_both_panels() -> None:
    fig = plots.plot_history({"loss": [0.5, 0.3, 0.4], "accuracy": [0.9, 0.95, 0.94]}, mark_epoch=(2, "best"))
    for ax in fig.axes:
        marks = [line for line in ax.get_lines() if line.get_label() == "best"]
        assert len(marks) == 1 and list(marks[0].get_xdata()) == [2, 2]


def test_seed_spread_shows_every_run_and_each_reference_in_its_own_style() -> None:
    references = {"book": 0.9785, "reference project": 0.9804}
    fig = plots.plot_seed_spread([0.978, 0.981, 0.979, 0.980, 0.977], references=references)
    (ax,) = fig.axes
    dots = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections if len(c.get_offsets())])
    assert sorted(dots) == pytest.approx([97.7, 97.8, 97.9, 98.0, 98.1])
    lines = {line.get_label(): line for line in ax.get_lines() if line.get_label() in references}
    assert {label: line.get_xdata()[0] for label, line in lines.items()} == {
        "book": pytest.approx(97.85),
        "reference project": pytest.approx(98.04),
    }
    assert len({line.get_linestyle() for line in lines.values()}) == 2  # told apart without colour
    assert "5 runs" in ax.get_title() and ax.get_xlabel() == "Test accuracy (%)"


def test_learning_curves_one_line_per_run_on_each_panel() -> None:
    runs = {name: {"loss": [1.0, 0.5], "accuracy": [0.8, 0.9]} for name in ("RMSprop", "Adam", "SGD")}
    loss, accuracy = plots.plot_learning_curves(runs).axes
    assert [line.get_label() for line in loss.get_lines()] == ["RMSprop", "Adam", "SGD"]
    assert len(accuracy.get_lines()) == 3 and loss.get_yscale() == "log"


def test_accuracy_vs_params_labels_points_and_shades_the_band() -> None:
    fig = plots.plot_accuracy_vs_params([100, 1000], [0.9, 0.95], ["a", "b"], band=(0.94, 0.96), band_label="spread")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts] == ["a", "b"] and ax.get_xscale() == "log"
    assert len(ax.patches) == 1 and [t.get_text() for t in ax.get_legend().get_texts()] == ["spread"]
    with pytest.raises(ValueError):
        plots.plot_accuracy_vs_params([100, 1000], [0.9], ["a", "b"])


def test_confusion_matrices_share_one_colour_scale() -> None:
    small, large = np.ones((10, 10), int), np.full((10, 10), 5)
    large[3, 8] = 7
    fig = plots.plot_confusion_matrix({"dense": small, "cnn": large}, title="t")
    heatmaps = [ax.collections[0] for ax in fig.axes if ax.collections and ax.get_title()]
    assert [h.get_clim() for h in heatmaps] == [(0, 7.0), (0, 7.0)]
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["dense: 90 errors", "cnn: 452 errors"]
    assert "cnn: 452 errors, most often true 3 predicted as 8 (7), true 0 predicted as 1 (5) and" in fig.alt


def test_pipeline_has_three_rows_per_picture_and_judges_the_prediction() -> None:
    probabilities = np.eye(10)[[7, 1]]
    fig = plots.show_pipeline([IMAGES[0], np.zeros((40, 30, 3))], IMAGES[:2], probabilities, labels=[7, 2])
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["says 7, 100% ✓", "says 1, 100% ✗ (is 2)"]
    with pytest.raises(ValueError, match="one input"):
        plots.show_pipeline([IMAGES[0]], IMAGES[:2], probabilities)


def test_steps_titles_each_image_with_its_size() -> None:
    fig = plots.show_steps({"picture": np.zeros((40, 30, 3)), "input": IMAGES[0]}, title="Steps")
    assert [ax.get_title() for ax in fig.axes] == ["picture", "input"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["30×40", "28×28"]
    with pytest.raises(ValueError, match="no images"):
        plots.show_steps({})


def test_history_can_put_the_loss_on_a_log_scale() -> None:
    loss, accuracy = plots.plot_history({"loss": [0.5, 0.05], "accuracy": [0.9, 0.99]}, log_loss=True).axes
    assert loss.get_yscale() == "log" and accuracy.get_yscale() == "linear"


def test_steps_draw_ink_maps_dark_on_white() -> None:
    fig = plots.show_steps({"gray": np.zeros((5, 5)), "ink": np.zeros((5, 5))}, as_ink=["ink"])
    assert [ax.images[0].get_cmap().name for ax in fig.axes] == ["gray", "gray_r"]


def every_figure() -> dict[str, Callable[[], Figure]]:
    """One call of each plot helper, on small made-up data, as the course uses them."""
    history = {"loss": [0.3, 0.1, 0.12], "accuracy": [0.9, 0.97, 0.96], "val_loss": [0.2, 0.15, 0.16]}
    history["val_accuracy"] = [0.93, 0.96, 0.95]
    cm = np.arange(100).reshape(10, 10)
    runs = {name: {"loss": [1.0, 0.5], "accuracy": [0.8, 0.9]} for name in ("RMSprop", "Adam", "SGD")}
    probabilities = np.eye(10)[[7, 1]]
    return {
        "show_digits": lambda: plots.show_digits(IMAGES, [f"label {y}" for y in LABELS], ncols=6, title="Digits"),
        "plot_class_counts": lambda: plots.plot_class_counts(np.repeat(np.arange(10), 6), np.arange(10)),
        "plot_mean_images": lambda: plots.plot_mean_images(
            np.repeat(IMAGES[:10], 2, axis=0), np.repeat(LABELS[:10], 2)
        ),
        "plot_pixel_histogram": lambda: plots.plot_pixel_histogram(IMAGES),
        "plot_history": lambda: plots.plot_history(history, {"accuracy": 0.95}, (2, "best"), True, True),
        "plot_confusion_matrix": lambda: plots.plot_confusion_matrix(cm, "Counts"),
        "plot_confidence": lambda: plots.plot_confidence(np.array([0.99, 0.5, 0.7]), np.array([True, False, True])),
        "plot_probabilities": lambda: plots.plot_probabilities(np.full(10, 0.1), "Untrained"),
        "show_digits rows": lambda: plots.show_digits([IMAGES[:3], IMAGES[:8]], row_labels=["4 for 9", "3 for 5"]),
        "plot_seed_spread": lambda: plots.plot_seed_spread([0.978, 0.981, 0.979], {"the book": 0.978}),
        "plot_learning_curves": lambda: plots.plot_learning_curves(runs),
        "plot_accuracy_vs_params": lambda: plots.plot_accuracy_vs_params(
            [100, 1000, 10000], [0.9, 0.95, 0.96], ["a", "b", "c"], band=(0.94, 0.96), band_label="spread"
        ),
        "plot_confusion_matrix pair": lambda: plots.plot_confusion_matrix({"a": cm, "b": cm}, "t", hide_diagonal=True),
        "show_pipeline": lambda: plots.show_pipeline([IMAGES[0], np.zeros((40, 30, 3))], IMAGES[:2], probabilities),
        "show_steps": lambda: plots.show_steps({"picture": np.zeros((40, 30, 3)), "input": IMAGES[0]}, title="S"),
    }


def drawn_texts(fig: Figure) -> list[Text]:
    """Every piece of text a figure shows once drawn: titles, labels, tick labels, legends, annotations."""
    fig.savefig(io.BytesIO(), format="png")  # tick labels get their text when the figure is drawn
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("name", list(every_figure()))
def test_no_text_under_9_points(name: str) -> None:
    plots.use_course_style()
    fig = every_figure()[name]()
    small = [(t.get_text(), t.get_fontsize()) for t in drawn_texts(fig) if t.get_fontsize() < plots.MIN_FONT_SIZE]
    assert not small, f"{name} draws text under {plots.MIN_FONT_SIZE} pt: {small}"


def test_the_font_size_check_can_fail() -> None:
    fig = plots.plot_probabilities(np.full(10, 0.1), "t")
    fig.axes[0].text(0.5, 0.5, "tiny", fontsize=7)
    assert ("tiny", 7) in [(t.get_text(), t.get_fontsize()) for t in drawn_texts(fig)]


@pytest.mark.parametrize("name", list(every_figure()))
def test_every_figure_has_a_text_alternative_that_jupyter_stores(name: str) -> None:
    fig = every_figure()[name]()
    data, metadata = fig._repr_mimebundle_()
    assert len(fig.alt) > 40 and fig.alt.endswith(".")
    assert data["text/plain"] == metadata["image/png"]["alt"] == fig.alt
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")


def test_text_alternatives_say_the_figures_numbers() -> None:
    fig = plots.plot_seed_spread([0.9767, 0.9809, 0.9794], {"the book": 0.978, "the reference project": 0.9804})
    assert "97.67–98.09 %, mean 97.90 %" in fig.alt
    assert "a dashed line marks the book (97.80 %), which lies inside the spread" in fig.alt
    assert "a dotted line marks the reference project (98.04 %), which lies inside the spread" in fig.alt
    fig = plots.plot_seed_spread([0.9767, 0.9809], {"the book: 97.85 %": 0.9785})
    assert "a dashed line marks the book: 97.85 %, which lies inside the spread" in fig.alt  # its value once
    history = {"loss": [0.3, 0.1, 0.05], "accuracy": [0.9, 0.97, 0.99]}
    history |= {"val_loss": [0.2, 0.0673, 0.0751], "val_accuracy": [0.95, 0.98, 0.981]}
    alt = plots.plot_history(history).alt
    assert "lowest, 0.0673, at epoch 2, then rises to 0.0751 by epoch 3" in alt
    alt = plots.show_digits(IMAGES[:2], ["label 0", "label 1"], title="Two").alt
    assert alt == "Two: 2 handwritten digits, dark ink on white, captioned in reading order: label 0; label 1."


def test_a_figure_without_a_text_alternative_is_refused() -> None:
    with pytest.raises(ValueError, match="text alternative"):
        plots.CourseFigure()._repr_mimebundle_()


def test_show_figure_displays_a_pyplot_figure_once_with_its_alt(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = []
    monkeypatch.setattr(plots, "display", lambda data, metadata, raw: shown.append((data, metadata)))
    fig = plt.figure()
    plots.show_figure(fig, alt="An empty figure.")
    assert shown[0][1] == {"image/png": {"alt": "An empty figure."}} and shown[0][0]["text/plain"] == "An empty figure."
    assert not plt.fignum_exists(fig.number), "closed, so that pyplot does not show it again without its alt"


def test_errors_only_matrices_hatch_the_diagonal_instead_of_printing_0() -> None:
    cm = np.arange(100).reshape(10, 10)
    np.fill_diagonal(cm, 0)
    ax = plots.plot_confusion_matrix(cm, "Errors", hide_diagonal=True).axes[0]
    assert len(ax.texts) == 90 and "0" not in [t.get_text() for t in ax.texts[:1]]
    assert sum(p.get_hatch() == "///" for p in ax.patches) == 10


def test_pipeline_says_when_an_input_is_blank_or_its_paper_reads_as_ink() -> None:
    paper = np.full((28, 28), 230, dtype=np.uint8)
    fig = plots.show_pipeline([IMAGES[0]] * 3, np.stack([np.zeros((28, 28), np.uint8), paper, IMAGES[0]]),
                              np.eye(10)[[1, 2, 3]])  # fmt: skip
    assert [ax.get_xlabel() for ax in fig.axes[3:6]] == ["blank: no ink left", "paper read as ink", ""]
    assert "input blank: no ink left" in fig.alt and "input paper read as ink" in fig.alt


def test_highlighted_bars_differ_in_more_than_colour() -> None:
    probabilities = np.full(10, 0.05)
    probabilities[7] = 0.55
    ax = plots.plot_probabilities(probabilities, "One digit").axes[0]
    assert [p.get_hatch() for p in ax.patches].count("//") == 1 and ax.patches[7].get_hatch() == "//"


def test_runs_differ_in_marker_and_line_style_not_colour_alone() -> None:
    runs = {name: {"loss": [1.0, 0.5], "accuracy": [0.8, 0.9]} for name in ("RMSprop", "Adam", "SGD")}
    for ax in plots.plot_learning_curves(runs).axes:
        lines = ax.get_lines()
        assert len({line.get_marker() for line in lines}) == len({line.get_linestyle() for line in lines}) == 3


def test_history_alt_names_the_best_epoch_once_when_it_is_the_last() -> None:
    falling = {"loss": [0.3, 0.2], "accuracy": [0.9, 0.95], "val_loss": [0.2, 0.1], "val_accuracy": [0.95, 0.97]}
    rising = {**falling, "val_loss": [0.1, 0.2]}
    assert "validation accuracy is 97.00 % at that last epoch." in plots.plot_history(falling).alt
    assert "validation accuracy is 95.00 % there and 97.00 % at the end." in plots.plot_history(rising).alt


def test_accuracy_vs_params_alt_gives_every_gain() -> None:
    fig = plots.plot_accuracy_vs_params([100, 200, 400, 800], [0.9, 0.95, 0.96, 0.98], labels=["a", "b", "c", "d"])
    assert "The gain per step: +5.00, +1.00, +2.00 percentage points." in fig.alt
