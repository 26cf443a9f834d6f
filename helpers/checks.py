"""Exercises that check themselves: `check("05.1", answer)` says right, or wrong with a hint, and never the answer.

An exercise id is "NN.k": exercise k of notebook NN, the key under which `EXERCISES` stores it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np


@dataclass(frozen=True)
class Exercise:
    """What a right answer is, and what to tell a learner whose answer is not.

    `expected`: a number, a string, or a tuple of them; `tolerance`: the difference allowed for numbers that
    depend on the CPU (one, or one per element). With `test`, the answer is a function that `test` tries. A
    reasoning question's right option is a string in `expected`; `options` maps each wrong one to its hint (any
    other string is refused).
    """

    hint: str
    expected: object = None
    tolerance: float | tuple[float, ...] = 0.0
    test: Callable[[Callable], bool] | None = None
    options: dict[str, str] | None = None


def _matches(answer: object, expected: object, tolerance: float) -> bool:
    """Whether one answer equals one expected value: numbers within `tolerance`, strings ignoring case."""
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected.lower()
    if isinstance(expected, Real):
        if isinstance(answer, bool) or not isinstance(answer, Real | np.number):
            return False
        return bool(abs(float(answer) - float(expected)) <= tolerance)
    return bool(answer == expected)


def _is_right(exercise: Exercise, answer: object) -> bool:
    """Whether `answer` is right for `exercise` (a function answer must not raise)."""
    if exercise.test is not None:
        if not callable(answer):
            return False
        try:
            return bool(exercise.test(answer))
        except Exception:  # noqa: BLE001 - a learner's function may fail in any way; that answer is wrong
            return False
    expected = exercise.expected
    if isinstance(expected, tuple):
        if isinstance(answer, str | bytes) or not isinstance(answer, Sequence | np.ndarray):
            return False
        if len(answer) != len(expected):
            return False
        tolerances = (
            exercise.tolerance if isinstance(exercise.tolerance, tuple) else (exercise.tolerance,) * len(expected)
        )
        return all(_matches(a, e, t) for a, e, t in zip(answer, expected, tolerances, strict=True))
    return _matches(answer, expected, float(exercise.tolerance))  # type: ignore[arg-type]


def is_right(exercise_id: str, answer: object) -> bool:
    """Whether `answer` is right for the exercise, printing nothing: the grader's verdict (grading/)."""
    return _is_right(EXERCISES[exercise_id], answer)


def _choice_hint(exercise: Exercise, answer: object) -> str | None:
    """What to tell a learner about the options named in a wrong answer: a wrong option's hint, or the options."""
    if not exercise.options:
        return None
    named = [answer] if isinstance(answer, str) else answer if isinstance(answer, tuple | list) else []
    expected = exercise.expected if isinstance(exercise.expected, tuple) else (exercise.expected,)
    # Sorted, so that the order of the options gives nothing away.
    allowed = sorted({e.lower() for e in expected if isinstance(e, str)} | set(exercise.options))
    for option in (a.strip().lower() for a in named if isinstance(a, str)):
        if option in exercise.options:
            return exercise.options[option]
        if option not in allowed:
            return f"{option!r} is not one of the options: {', '.join(map(repr, allowed))}."
    return None


class Verdict(int):
    """True or false like a bool (which cannot be subclassed), but shows nothing when it ends a notebook cell: the
    printed line says it all. A bool would add `True` or `False` under it; IPython calls `_ipython_display_` instead."""

    def __repr__(self) -> str:
        return repr(bool(self))

    def _ipython_display_(self) -> None:
        """Nothing to display."""


def check(exercise_id: str, answer: object) -> Verdict:
    """Print whether `answer` is right for the exercise `exercise_id` ("05.1"), with a hint if not; return it."""
    if exercise_id not in EXERCISES:
        raise KeyError(f"no exercise {exercise_id!r}; the exercises are {', '.join(EXERCISES)}")
    exercise = EXERCISES[exercise_id]
    if answer is None or answer is Ellipsis:
        print(f"Exercise {exercise_id}: no answer yet. Replace the placeholder with your answer and run the cell.")
        return Verdict(False)
    right = _is_right(exercise, answer)
    if right:
        print(f"Exercise {exercise_id}: right.")
    else:
        print(f"Exercise {exercise_id}: not yet. Hint: {_choice_hint(exercise, answer) or exercise.hint}")
    return Verdict(right)


# --- Answers that are functions: each is run on a small case whose right result is known. ---


def _scores_by_hand_test(by_hand: Callable) -> bool:
    """`by_hand(cm, d)` returns digit d's (recall, precision, F1) from a confusion matrix (rows: true)."""
    cm = np.array([[90, 5, 5], [20, 60, 0], [0, 10, 40]])
    cases = {1: (60 / 80, 60 / 75), 0: (90 / 100, 90 / 110), 2: (40 / 50, 40 / 45)}
    for d, (recall, precision) in cases.items():
        f1 = 2 * recall * precision / (recall + precision)
        if not np.allclose(np.asarray(by_hand(cm, d), dtype=float), [recall, precision, f1]):
            return False
    return True


def _lowest_threshold(confidence: np.ndarray, correct: np.ndarray, max_error: float = 0.01) -> float:
    """The lowest threshold on the grid 0.500, 0.501, ..., 0.999 whose kept answers are at most `max_error` wrong."""
    for threshold in np.arange(500, 1000) / 1000:
        kept = confidence >= threshold
        if kept.any() and 1 - correct[kept].mean() <= max_error:
            return float(threshold)
    return 1.0


def _threshold_test(lowest_threshold: Callable) -> bool:
    """`lowest_threshold(confidence, correct)` on two made-up sets of predictions, compared with the right one."""
    rng = np.random.default_rng(11)
    for wrong_share in (0.03, 0.08):
        confidence = rng.uniform(0.4, 1.0, 2000)
        correct = rng.uniform(0, 1, 2000) > wrong_share * 2 * (1 - confidence) / 0.6
        confidence[:5], correct[:5] = 0.9995, True  # every threshold of the grid keeps some images
        if abs(float(lowest_threshold(confidence, correct)) - _lowest_threshold(confidence, correct)) > 1e-9:
            return False
    return True


EXERCISES: dict[str, Exercise] = {
    # 01 Load and look
    "01.1": Exercise(
        "answer = (rarest digit, most common digit, the one that varies more); np.bincount(y_train) counts each "
        "digit, argmin/argmax pick.",
        expected=(5, 1, "rarest"),
        options={"most common": "look at the two grids again: which digit do writers draw in more different ways?"},
    ),
    "01.2": Exercise(
        "answer = (m, where the 9's extra ink is strongest): m is the largest absolute value of the difference "
        "of the two mean images (pixel units, 0-255); the row of difference.argmax() says where.",
        expected=(164.55, "top"),
        tolerance=(0.01, 0.0),
        options={
            "middle": "the middle rows are red on both sides: that is extra ink of the 4. Find the darkest blue.",
            "bottom": "the blue at the bottom is faint; the row of difference.argmax() lies elsewhere.",
        },
    ),
    "01.3": Exercise(
        "answer = (training images appearing more than once, test images also in the training set): "
        "compare len(x_train) with the size of the set of bytes, and look each test image up in it.",
        expected=(0, 0),
    ),
    # 02 The network
    "02.1": Exercise(
        "each dense layer has n_in × n_out weights plus n_out biases; add the two layers.", expected=101_770
    ),
    "02.2": Exercise(
        "answer = (the total number of parameters of the three-layer network, the layer that holds the most); "
        "each layer has n_in × n_out + n_out.",
        expected=(535_818, "first"),
        options={
            "second": "count its weights: 512 × 256, against 784 × 512 in the layer before it.",
            "output": "it has only ten units: count its weights, 256 × 10.",
        },
    ),
    "02.3": Exercise(
        "answer = (the probability the untrained network gives each digit for an all-black image, why all ten "
        "are equal).",
        expected=(0.1, "biases"),
        tolerance=(1e-6, 0.0),
        options={
            "weights": "the weights are random and differ; what are they multiplied by, for a black image?",
            "softmax": "softmax gives equal probabilities only to equal inputs: why are its ten inputs equal?",
        },
    ),
    # 03 Training
    "03.1": Exercise(
        "answer = the batch size whose network is more accurate on the test set after one epoch.",
        expected=32,
    ),
    "03.2": Exercise(
        "answer = the training accuracy after one epoch at learning rate 0.0001 as fit reports it, a fraction "
        "between 0 and 1 (slow_history.history['accuracy'][0]).",
        expected=0.8485,
        tolerance=0.03,
    ),
    "03.3": Exercise(
        "answer = (standard error of an accuracy on 1,000 images as a fraction, the half of the test set the "
        "network reads better, as one word); the standard error is √(p(1 − p) / n), with p = correct.mean().",
        expected=(0.0044, "last"),
        tolerance=(0.0008, 0.0),
        options={
            "first": "the page's description is a claim to test: compare correct[:5000].mean() with "
            "correct[5000:].mean()."
        },
    ),
    # 04 The confusion matrix
    "04.1": Exercise(
        "answer = (how many of the 60,000 training images the network gets wrong, whether the training set's "
        "ten most confused pairs are the test set's): predict them all, compare the argmax with y_train.",
        expected=(517, "some"),
        tolerance=(180, 0.0),
        options={
            "all": "compare the two lists pair by pair: the column 'in the test top 10' says it for each.",
            "none": "compare the two lists pair by pair: the column 'in the test top 10' says it for each.",
        },
    ),
    "04.2": Exercise(
        "answer = your function by_hand(cm, d) returning (recall, precision, F1) of digit d: recall divides "
        "the diagonal cell by its row total, precision by its column total.",
        test=_scores_by_hand_test,
    ),
    "04.3": Exercise(
        "answer = your function lowest_threshold(confidence, correct): the first threshold of "
        "np.arange(500, 1000) / 1000 at which the images with confidence >= threshold are at most 1 % wrong.",
        test=_threshold_test,
    ),
    # 05 How a network learns
    "05.1": Exercise(
        "answer = (batch_loss(b + d) - batch_loss(b - d)) / (2 * 1e-4), with b = b2 in float64 and d ten zeros "
        "but 1e-4 at index 0; it should agree with the tape's grads[3][0] to about five digits.",
        expected=-0.0206837,
        tolerance=1e-5,
    ),
    "05.2": Exercise(
        "answer = (step for gradient 0.0005, step for gradient 0.05), both positive: on the first step "
        "v = (1 - rho) * g**2 and the weight moves by eta * |g| / sqrt(v + epsilon), epsilon inside the root "
        "(ETA, RHO, EPSILON above).",
        expected=(0.0014142136, 0.0031616454),
        tolerance=(2e-6, 2e-6),
    ),
    "05.3": Exercise(
        "answer = the largest learning rate at which |w - w_best| still shrinks: each step multiplies "
        "w - w_best by 1 - lr * 2 * mean(x_toy**2), and it shrinks while that factor lies between -1 and 1.",
        expected=2 / 15,
        tolerance=0.004,
    ),
    # 06 Experiments
    "06.1": Exercise(
        "answer = the learning rate of the sweep with the highest test accuracy after one epoch, as a number "
        "(sweep maps each rate to its test accuracy: max(sweep, key=sweep.get)).",
        expected=0.01,
        tolerance=1e-12,
    ),
    "06.2": Exercise(
        "answer = the test accuracy gained by the first doubling, 32 → 64 units, in percentage points "
        "(a difference of 0.025 is 2.5 points).",
        expected=1.14,
        tolerance=0.5,
    ),
    "06.3": Exercise(
        "answer = the name of the network with the lower validation loss, as in the starter cell; compare the "
        "first value that evaluate returns for each.",
        expected="dropout",
        options={"none": "compare the validation losses (evaluate's first value), not the accuracies: which is lower?"},
    ),
    # 07 A small CNN
    "07.1": Exercise(
        "answer = the parameters of the four layers that have any, in order, as a tuple of four numbers: "
        "(k·k·c + 1)·f for a Conv2D, (n_in + 1)·n_out for a Dense.",
        expected=(832, 51_264, 131_200, 1_290),
    ),
    "07.2": Exercise(
        "answer = the side in pixels after each of the four layers Conv2D, pooling, Conv2D, pooling, as a tuple: "
        "a k×k filter without padding fits at size − k + 1 positions, pooling halves.",
        expected=(24, 12, 8, 4),
    ),
    "07.3": Exercise(
        "answer = (how many test images the CNN's five most confused pairs hold together, the 'count' column; "
        "the word, of the three the exercise names, that compares the count of the CNN's top pair with that of "
        "the dense network's, which most_confused_pairs(cm_dense, k=1) gives).",
        expected=(20, "fewer"),
        tolerance=(8, 0.0),
        options={
            "more": "compare the first row's count with most_confused_pairs(cm_dense, k=1)['count'].",
            "the same": "compare the first row's count with most_confused_pairs(cm_dense, k=1)['count'].",
        },
    ),
    # 08 Your own digits
    "08.1": Exercise("answer = how many of the ten preprocessed example pictures the CNN reads right.", expected=10),
    "08.2": Exercise(
        "answer = the dense network's accuracy on the first 2,000 test digits centred by their box, a fraction.",
        expected=0.8665,
        tolerance=0.04,
    ),
    "08.3": Exercise(
        "answer = the dense network's accuracy on the 2,000 digits shifted 3 pixels right, before to_mnist, "
        "a fraction.",
        expected=0.613,
        tolerance=0.06,
    ),
    "08.4": Exercise(
        "answer = (the share of the other 9,000 test digits on which model and cnn read different digits, the same "
        "share for the 36 letters and shapes, both fractions; the criterion, of the two the exercise names, that "
        "flags more letters and shapes for the real digits it flags).",
        expected=(0.025, 0.25, "distance"),
        tolerance=(0.015, 0.15, 0.0),
        options={
            "disagreement": "for each criterion, subtract its share of flagged test digits from its share of "
            "flagged letters and shapes, and compare."
        },
    ),
}
