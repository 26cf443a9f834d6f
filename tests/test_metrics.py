"""Confusion matrix and per-class scores against a small example worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import metrics

# Three classes. True 0 predicted as 0,0,1 | true 1 as 1,1,1,2,2 | true 2 as 2,0  (10 examples, 6 right)
Y_TRUE = np.array([0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 1, 1, 2, 2, 2, 0])
CM = np.array([[2, 1, 0], [0, 3, 2], [1, 0, 1]])


def test_confusion_matrix_by_hand() -> None:
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED, n_classes=3)
    assert cm.tolist() == CM.tolist()
    assert cm.sum() == len(Y_TRUE) and np.trace(cm) == 6


def test_confusion_matrix_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match="equally long"):
        metrics.confusion_matrix(Y_TRUE, Y_PRED[:-1], n_classes=3)
    with pytest.raises(ValueError, match=r"y_pred has labels outside 0\.\.2"):
        metrics.confusion_matrix(Y_TRUE, Y_PRED + 1, n_classes=3)
    with pytest.raises(ValueError, match=r"y_true must hold integer class labels.*argmax"):
        metrics.confusion_matrix(Y_TRUE + 0.7, Y_PRED, n_classes=3)  # would otherwise be truncated


def test_row_normalise_and_errors_only() -> None:
    shares = metrics.row_normalise(CM)
    assert shares[1].tolist() == [0, 0.6, 0.4]
    assert np.allclose(shares.sum(axis=1), 1)
    errors = metrics.errors_only(CM)
    assert np.diag(errors).tolist() == [0, 0, 0] and errors[0, 1] == 1 and CM[0, 0] == 2
    assert metrics.row_normalise(np.zeros((2, 2), int)).tolist() == [[0, 0], [0, 0]]


def test_per_class_scores_by_hand() -> None:
    scores = metrics.per_class_scores(CM)
    # precision = diagonal / column total: 2/3, 3/4, 1/3; recall = diagonal / row total: 2/3, 3/5, 1/2
    assert scores["precision"].tolist() == pytest.approx([2 / 3, 3 / 4, 1 / 3])
    assert scores["recall"].tolist() == pytest.approx([2 / 3, 3 / 5, 1 / 2])
    # F1 = 2pr / (p + r): 2/3; 2·(3/4)(3/5) / (27/20) = 2/3; 2·(1/3)(1/2) / (5/6) = 2/5
    assert scores["f1"].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 5])
    assert scores["support"].tolist() == [3, 5, 2]
    lopsided = metrics.per_class_scores(np.array([[1, 3], [0, 0]]))
    assert lopsided.loc[0].tolist() == pytest.approx([1, 0.25, 0.4, 4])
    assert lopsided.loc[1, "precision"] == 0 and lopsided.loc[1, "f1"] == 0


def test_most_confused_pairs() -> None:
    cm = np.array([[5, 4, 0], [1, 5, 0], [7, 0, 5]])
    pairs = metrics.most_confused_pairs(cm, k=10)
    assert pairs[["true", "predicted", "count"]].values.tolist() == [[2, 0, 7], [0, 1, 4], [1, 0, 1]]
    assert pairs["share_of_true"].tolist() == pytest.approx([7 / 12, 4 / 9, 1 / 6])
    assert len(metrics.most_confused_pairs(cm, k=1)) == 1
    with pytest.raises(ValueError, match="k must be at least 1"):
        metrics.most_confused_pairs(cm, k=-1)
