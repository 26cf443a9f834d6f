"""Each plot helper returns one figure with the titles, labels and panels a reader expects."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

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
    assert [line.get_label() for line in accuracy.get_lines()] == [
        "training accuracy",
        "validation accuracy",
        "reference 0.9890",
    ]


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
    ax = plots.plot_confidence(confidence, correct).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["right (3)", "wrong (1)"]
    right, wrong = ax.containers  # one BarContainer per histogram
    assert sum(p.get_height() for p in right) == pytest.approx(1.0)
    assert sum(p.get_height() for p in wrong) == pytest.approx(1.0)


def test_probabilities_highlight_the_prediction() -> None:
    probabilities = np.full(10, 0.05)
    probabilities[7] = 0.55
    ax = plots.plot_probabilities(probabilities, "One digit").axes[0]
    colours = {tuple(p.get_facecolor()) for p in ax.patches}
    assert len(colours) == 2 and ax.patches[7].get_facecolor() != ax.patches[0].get_facecolor()
    assert ax.get_ylim() == (0, 1)


def test_digit_rows_labels_each_row() -> None:
    fig = plots.show_digit_rows([IMAGES[:3], IMAGES[:8]], ["4 taken for 9", "3 taken for 5"], per_row=8)
    assert len(fig.axes) == 16 and sum(bool(ax.images) for ax in fig.axes) == 11
    assert [t.get_text() for ax in fig.axes for t in ax.texts] == ["4 taken for 9", "3 taken for 5"]
    with pytest.raises(ValueError, match="one label per row"):
        plots.show_digit_rows([IMAGES[:2]], [])


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
    small, large = np.eye(10) * 0 + 1, np.full((10, 10), 5.0)
    fig = plots.plot_confusion_matrices({"dense": small, "cnn": large}, title="t")
    heatmaps = [ax.collections[0] for ax in fig.axes if ax.collections and ax.get_title()]
    assert [h.get_clim() for h in heatmaps] == [(0, 5.0), (0, 5.0)]
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["dense: 100 errors", "cnn: 500 errors"]


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
