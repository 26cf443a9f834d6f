"""Runs one student notebook inside the sandbox and reports each `check` call to the grader, as data.

Usage (the grader starts it, as the sandbox's user): python runner.py NOTEBOOK

The runner talks to the grader over its own stdin and stdout, which it moves to private file descriptors
before any student code runs; the student's output goes to /dev/null (printed text never counts). It
replaces `helpers.checks.check` with a recorder: every call sends the exercise id and the answer's value,
encoded as plain data (numbers, strings, tuples, numeric arrays), never as pickled objects. The grader
judges that value with the course's checker in its own process. An answer that is a function stays here:
the grader's checker calls it through the channel (`call` requests), so the student's code runs only
in the sandbox and the comparison only in the grader.

Messages to the grader, one JSON object a line: {"cell": i}, {"error": "TypeName", "cell": i},
{"check": "NN.k", "answer": data, "cell": i} or {"check": ..., "function": true, "cell": i} followed by
the call loop, {"tampered": "what"}, {"end": true}. This file imports nothing from the grader: it is
copied into the sandbox. `encode` and `decode` are shared with the grader (grading/run.py).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import sys

MAX_ITEMS = 100_000  # an answer array larger than this is not sent: no exercise's answer is that large
MAX_TEXT = 10_000
MAX_DEPTH = 8


class Unsupported:
    """An answer the channel does not carry (an object of some other type): never equal to a right answer."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def encode(value: object, depth: int = 0) -> object:
    """`value` as JSON-able data: numbers, strings, tuples, lists and numeric arrays; anything else is named."""
    import numpy as np

    if depth > MAX_DEPTH:
        return {"unsupported": "nested too deeply"}
    if value is None or type(value) in (bool, int, str):
        return value[:MAX_TEXT] if isinstance(value, str) else value
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf" or array.size > MAX_ITEMS:
            return {"unsupported": f"array of {array.dtype} and shape {array.shape}"}
        data = array.tolist()
        return {"numpy": array.dtype.str, "data": _finite(data), "scalar": isinstance(value, np.generic)}
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _finite(float(value))
    if type(value) in (tuple, list):
        if len(value) > MAX_ITEMS:
            return {"unsupported": f"{type(value).__name__} of {len(value)} items"}
        items = [encode(item, depth + 1) for item in value]
        return {"tuple": items} if type(value) is tuple else items
    return {"unsupported": type(value).__name__}


def _finite(data: object) -> object:
    """JSON has no NaN or infinity: they travel as strings and come back as floats."""
    if isinstance(data, float) and not math.isfinite(data):
        return {"float": repr(data)}
    if isinstance(data, list):
        return [_finite(item) for item in data]
    return data


def decode(data: object, depth: int = 0) -> object:
    """The value `encode` sent, rebuilt from plain data only (builtin types and numeric NumPy arrays)."""
    import numpy as np

    if depth > MAX_DEPTH:
        return Unsupported("nested too deeply")
    if data is None or type(data) in (bool, int, float):
        return data
    if type(data) is str:
        return data[:MAX_TEXT]
    if type(data) is list:
        return [decode(item, depth + 1) for item in data[:MAX_ITEMS]]
    if type(data) is not dict:
        return Unsupported(type(data).__name__)
    if data.get("ellipsis") is True:
        return Ellipsis
    if type(data.get("float")) is str and data["float"] in ("nan", "inf", "-inf"):
        return float(data["float"])
    if type(data.get("tuple")) is list:
        return tuple(decode(item, depth + 1) for item in data["tuple"][:MAX_ITEMS])
    if type(data.get("numpy")) is str:
        try:
            dtype = np.dtype(data["numpy"])
            if dtype.kind not in "biuf":
                return Unsupported(f"array of {dtype}")
            array = np.array(_unfinite(data.get("data")), dtype=dtype)
        except (TypeError, ValueError, OverflowError):
            return Unsupported("malformed array")
        if array.size > MAX_ITEMS:
            return Unsupported("array too large")
        return array[()] if data.get("scalar") is True and array.ndim == 0 else array
    return Unsupported(str(data.get("unsupported", "unknown"))[:100])


def _unfinite(data: object) -> object:
    if isinstance(data, dict) and data.get("float") in ("nan", "inf", "-inf"):
        return float(data["float"])
    if isinstance(data, list):
        return [_unfinite(item) for item in data]
    return data


class Channel:
    """The runner's end of the grader's channel: JSON lines on two private file descriptors."""

    def __init__(self) -> None:
        self.out = os.fdopen(os.dup(1), "w", buffering=1)
        self.inp = os.fdopen(os.dup(0), "r")
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # the student's prints and tracebacks go nowhere

    def send(self, **message: object) -> None:
        self.out.write(json.dumps(message) + "\n")

    def receive(self) -> dict:
        line = self.inp.readline()
        if not line:
            os._exit(0)  # the grader hung up: nobody is left to report to
        return json.loads(line)


def serve_calls(channel: Channel, function: object) -> None:
    """Run the student's function on each case the grader's checker sends, until it says done."""
    while "call" in (request := channel.receive()):
        try:
            result = function(*decode(request["call"]))  # type: ignore[operator]
            channel.send(result=encode(result))
        except Exception as err:  # noqa: BLE001 - any failure of the student's function is its answer
            channel.send(raised=type(err).__name__)


def comparisons() -> dict[str, object]:
    """The NumPy functions and the checker objects a patch would replace, to compare before and after."""
    import numpy as np

    import helpers.checks as checks

    found = {f"numpy.{name}": getattr(np, name, None) for name in ("allclose", "isclose", "array_equal", "equal")}
    found |= {f"numpy.testing.{name}": getattr(np.testing, name, None) for name in ("assert_allclose",)}
    found["helpers.checks.EXERCISES"] = checks.EXERCISES
    found |= {f"helpers.checks.EXERCISES[{key!r}]": value for key, value in checks.EXERCISES.items()}
    return found


def main(notebook: str) -> None:
    """Execute every code cell of `notebook` in order, errors or not, reporting checks and errors."""
    channel = Channel()
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.core.interactiveshell import InteractiveShell

    import helpers
    import helpers.checks as checks

    state = {"cell": -1}

    def recorder(exercise_id: object, answer: object = None) -> bool:
        """The sandbox's `check`: send the answer to the grader; the verdict is the grader's alone."""
        if callable(answer):
            channel.send(check=str(exercise_id), function=True, cell=state["cell"])
            serve_calls(channel, answer)
        else:
            channel.send(check=str(exercise_id), answer=encode(answer), cell=state["cell"])
        return False

    checks.check = helpers.check = recorder  # type: ignore[attr-defined]
    before = comparisons()
    nb = nbformat.read(notebook, as_version=4)
    shell = InteractiveShell.instance()  # for the magics (`%matplotlib inline`) and the cells' namespace
    shell.enable_gui = lambda gui=None: None  # `%matplotlib inline` asks a terminal-less shell for a GUI loop
    transform = TransformerManager().transform_cell
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        state["cell"] = i
        channel.send(cell=i)
        try:  # exec rather than shell.run_cell, which keeps every string a cell writes to sys.stdout
            exec(compile(transform(cell.source), f"<cell {i + 1}>", "exec"), shell.user_ns)
        except BaseException as err:  # noqa: BLE001 - a student's cell may raise anything, SystemExit included
            channel.send(error=type(err).__name__, cell=i)
    changed = [name for name, value in comparisons().items() if before.get(name) is not value]
    if checks.check is not recorder or shell.user_ns.get("check", recorder) is not recorder:
        changed.append("check")
    if changed:
        channel.send(tampered="replaced " + ", ".join(sorted(changed)[:3]))
    channel.send(end=True)


if __name__ == "__main__":
    main(sys.argv[1])
