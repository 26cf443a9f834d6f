"""helpers.checks: each worked solution passes its check, a wrong answer fails, and no output gives the answer."""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers.checks import EXERCISES, check


def by_hand(cm: np.ndarray, d: int) -> tuple[float, float, float]:
    """04.2's worked solution."""
    recall, precision = cm[d, d] / cm[d, :].sum(), cm[d, d] / cm[:, d].sum()
    return recall, precision, 2 * precision * recall / (precision + recall)


def lowest_threshold(confidence: np.ndarray, correct: np.ndarray) -> float:
    """04.3's worked solution."""
    thresholds = np.arange(500, 1000) / 1000
    error_rates = np.array([1 - correct[confidence >= t].mean() for t in thresholds])
    return thresholds[np.argmax(error_rates <= 0.01)]


# The worked solutions' answers, as the stored notebooks compute them (on this CPU where they depend on it).
WORKED = {
    "01.1": (np.int64(5), np.int64(1), "rarest"),
    "01.2": (np.float64(164.5507708768858), "top"),
    "01.3": (0, 0),
    "02.1": 101_770,
    "02.2": (535_818, "first"),
    "02.3": (np.float32(0.1), "biases"),
    "03.1": 32,
    "03.2": 0.8485,
    "03.3": (0.00443, "last"),
    "04.1": (np.int64(535), "some"),
    "04.2": by_hand,
    "04.3": lowest_threshold,
    "05.1": -0.02068368820662414,
    "05.2": (0.001414213562373095, 0.0031616453943097817),
    "05.3": 0.13333333333333333,
    "06.1": 0.01,
    "06.2": 1.14,
    "06.3": "dropout",
    "07.1": [832, 51_264, 131_200, 1_290],
    "07.2": [24, 12, 8, 4],
    "07.3": (23, "fewer"),
    "08.1": 10,
    "08.2": 0.8665,
    "08.3": 0.613,
    "08.4": (0.025, 0.25, "distance"),
}

# Plausible mistakes: a neighbouring digit, the wrong quantity, a swapped formula, a fraction for points.
WRONG = {
    "01.1": (5, 1, "most common"),
    "01.2": (164.55, "middle"),
    "01.3": (0, 1),
    "02.1": 101_632,
    "02.2": (535_818, "second"),
    "02.3": (0.1, "weights"),
    "03.1": 512,
    "03.2": 0.9236,
    "03.3": (0.0014, "last"),
    "04.1": (535, "none"),
    "04.2": lambda cm, d: (cm[d, d] / cm[:, d].sum(), cm[d, d] / cm[d, :].sum(), 0.0),
    "04.3": lambda confidence, correct: 0.5,
    "05.1": 0.020684,  # the sign lost
    "05.2": (0.0031623, 0.0031623),  # epsilon forgotten: eta * sqrt(10) for both
    "05.3": 0.2,  # a rate at which the steps grow
    "06.1": 0.001,
    "06.2": 0.0114,
    "06.3": "none",
    "07.1": (832, 51_264, 131_072, 1_290),
    "07.2": (24, 12, 8),
    "07.3": (23, "more"),  # the two top pairs compared the wrong way round
    "08.1": 9,
    "08.2": 0.973,
    "08.3": 0.9735,
    "08.4": (0.025, 0.25, "disagreement"),  # the criterion that flags fewer letters per false alarm
}


def test_every_exercise_has_a_worked_and_a_wrong_answer_here() -> None:
    assert sorted(WORKED) == sorted(WRONG) == sorted(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(WORKED))
def test_worked_solution_passes(exercise_id: str, capsys: pytest.CaptureFixture) -> None:
    assert check(exercise_id, WORKED[exercise_id]) == True  # noqa: E712 - a Verdict equals its bool
    assert capsys.readouterr().out == f"Exercise {exercise_id}: right.\n"


def spellings(value: object) -> list[str]:
    """The ways a printed answer could show up: as written, rounded, as a percentage."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [s for v in value for s in spellings(v) if len(s) > 2] + [str(value)]
    if isinstance(value, int):
        return [str(value), f"{value:,}"]
    if isinstance(value, float):
        return [f"{value:.{n}f}" for n in (2, 3, 4)] + [f"{value:.{n}%}" for n in (1, 2)] + [repr(value)]
    return []


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_wrong_answer_fails_with_a_hint_and_without_the_answer(exercise_id: str, capsys: pytest.CaptureFixture) -> None:
    assert check(exercise_id, WRONG[exercise_id]) == False  # noqa: E712
    out = capsys.readouterr().out
    assert out.startswith(f"Exercise {exercise_id}: not yet. Hint: ") and len(out) > 60
    expected = EXERCISES[exercise_id].expected
    shown = [s for s in spellings(expected) if re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", out)]
    assert not shown, f"the hint gives the answer away: {shown}"


@pytest.mark.parametrize("placeholder", [None, ...])
def test_no_answer_yet_says_so(placeholder: object, capsys: pytest.CaptureFixture) -> None:
    assert not check("03.1", placeholder)
    assert "no answer yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("exercise_id", "answer"),
    [
        ("03.1", "32"),  # a string is not the number
        ("03.1", True),  # nor a bool
        ("07.2", "24, 12, 8, 4"),
        ("07.2", (24, 12, 8, 4, 1024)),
        ("04.2", 0.9497),  # a number where a function is asked for
        ("04.2", lambda cm, d: 1 / 0),  # a function that fails
    ],
)
def test_answers_of_the_wrong_kind_are_wrong_not_errors(exercise_id: str, answer: object) -> None:
    assert not check(exercise_id, answer)


def test_tolerance_applies_where_the_cpu_matters() -> None:
    assert check("03.2", 0.8485 + 0.02) and not check("03.2", 0.8485 + 0.04)
    assert check("03.3", (0.0050, "LAST ")) and not check("03.3", (0.0050, "first"))


def test_a_reasoning_question_is_a_choice_and_a_wrong_option_gets_its_own_hint(capsys: pytest.CaptureFixture) -> None:
    assert not check("03.3", (0.0044, "first"))
    assert "correct[:5000].mean()" in capsys.readouterr().out
    assert not check("03.3", (0.0044, "Middle"))
    assert "'middle' is not one of the options: 'first', 'last'." in capsys.readouterr().out
    assert not check("03.3", (0.0100, "last"))
    assert EXERCISES["03.3"].hint in capsys.readouterr().out  # a right option and a wrong number: the general hint


def test_an_unknown_id_says_which_exist() -> None:
    with pytest.raises(KeyError, match=r"no exercise '09\.9'.*01\.1, 01\.2, .*08\.3"):
        check("09.9", 1)
    with pytest.raises(KeyError, match=r"no exercise 'training\.1'"):
        check("training.1", 32)


def test_the_verdict_is_a_bool_that_a_notebook_cell_does_not_display(capsys: pytest.CaptureFixture) -> None:
    from IPython.core.formatters import DisplayFormatter

    right, wrong = check("03.1", 32), check("03.1", 512)
    assert bool(right) and not wrong and right == True and repr(wrong) == "False"  # noqa: E712
    assert hasattr(right, "_ipython_display_") and right._ipython_display_() is None
    assert DisplayFormatter().format(right) == ({}, {})  # IPython shows nothing for it
