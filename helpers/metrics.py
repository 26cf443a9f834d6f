"""Confusion matrices and per-class scores, written out in numpy so that each step can be read."""

from __future__ import annotations

import numpy as np
import pandas as pd


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts `cm[i, j]` of examples with true class i predicted as j."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and equally long, got {y_true.shape} and {y_pred.shape}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"{name} must hold integer class labels, not {y.dtype} (for probabilities, use .argmax(axis=1))"
            )
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} has labels outside 0..{n_classes - 1}")
    flat = np.bincount(y_true.astype(np.int64) * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def row_normalise(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its total: `[i, j]` is the share of true class i predicted as j."""
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)


def errors_only(cm: np.ndarray) -> np.ndarray:
    """A copy with the diagonal (the correct predictions) set to zero, so that mistakes stand out."""
    out = np.array(cm)
    np.fill_diagonal(out, 0)
    return out


def per_class_scores(cm: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1 and support of each class, from a confusion matrix."""
    hits = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    table = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support})
    table.index.name = "digit"
    return table


def most_confused_pairs(cm: np.ndarray, k: int = 10) -> pd.DataFrame:
    """The k largest off-diagonal cells as rows (true, predicted, count, share of the true class)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    errors = errors_only(cm)
    order = np.argsort(-errors, axis=None, kind="stable")[:k]
    true, pred = np.unravel_index(order, cm.shape)
    keep = errors[true, pred] > 0
    true, pred = true[keep], pred[keep]
    counts = cm[true, pred]
    return pd.DataFrame(
        {"true": true, "predicted": pred, "count": counts, "share_of_true": counts / cm.sum(axis=1)[true]}
    )
