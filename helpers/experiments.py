"""Results of training runs, cached on disk by what produces them, so re-running a notebook is fast.

The key is a run's configuration (a small JSON-able dict), the code that produces its result
(`code_fingerprint` of the run function) and the installed TensorFlow, Keras and NumPy versions;
the value is its result (a JSON-able dict: history, accuracy, time, ...), one file per run,
written atomically. An interrupted sweep keeps the runs it finished; a damaged or foreign file is
never trusted, the run is simply done again. On a class server, results the instructor computed once
(`shared_experiments_dir`, read-only) are looked up before the student's own cache (`experiments_dir`).
"""

from __future__ import annotations

import dis
import hashlib
import json
import types
import warnings
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from helpers.paths import data_dir, env_dir, write_atomically

Result = dict[str, Any]
EXPERIMENTS_ENV, SHARED_ENV = "MNIST_COURSE_EXPERIMENTS", "MNIST_COURSE_SHARED_EXPERIMENTS"


def library_versions() -> dict[str, str]:
    """The versions a cached result depends on: after an upgrade, runs are done again."""
    found = {}
    for package in ("tensorflow", "keras", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "absent"
    return found


def experiments_dir() -> Path:
    """Your results cache, where each run not found is stored: $MNIST_COURSE_EXPERIMENTS (a class server sets it
    in each student's home: the data folder is read-only there), else `experiments/` in the course's data folder."""
    return env_dir(EXPERIMENTS_ENV) or data_dir() / "experiments"


def shared_experiments_dir() -> Path | None:
    """Results computed once for a whole class, read-only, looked up first: $MNIST_COURSE_SHARED_EXPERIMENTS."""
    return env_dir(SHARED_ENV)


def cached_results() -> list[str]:
    """The names of the results in your cache and in the shared results, each once."""
    folders = [folder for folder in (shared_experiments_dir(), experiments_dir()) if folder]
    return sorted({path.name for folder in folders for path in folder.glob("run-*.json")})


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as plain JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store a {type(value).__name__} in the results cache; return numbers, lists or dicts")


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_plain)


def _describe(value: Any, seen: set[int]) -> Any:
    """What of `value` the fingerprint covers: code of functions, and numbers, strings and containers of them.

    Other objects (arrays of data, models, modules) are named by their type only: the data are the
    same MNIST every time, and a library's code is covered by its version.
    """
    if isinstance(value, types.FunctionType | types.MethodType):
        function = value.__func__ if isinstance(value, types.MethodType) else value
        if id(function) in seen:  # a recursive function, or one already described
            return f"function {function.__qualname__}"
        seen.add(id(function))
        code = function.__code__
        return {
            "code": _describe_code(code),
            "defaults": _describe(function.__defaults__, seen),
            "closure": [_describe(cell.cell_contents, seen) for cell in function.__closure__ or ()],
            "globals": {
                name: _describe(function.__globals__[name], seen)
                for name in sorted(_global_names(code))
                if name in function.__globals__
            },
        }
    if isinstance(value, bool | int | float | str | None):
        return value
    if isinstance(value, list | tuple | dict | set | frozenset):
        if id(value) in seen:  # a container that holds itself
            return "..."
        seen.add(id(value))
        if isinstance(value, dict):
            return {str(key): _describe(item, seen) for key, item in value.items()}
        items = [_describe(item, seen) for item in value]
        return sorted(items, key=_canonical) if isinstance(value, set | frozenset) else items
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def _describe_code(code: types.CodeType) -> list[Any]:
    """A code object's instructions and constants (nested functions included), not its line numbers."""
    consts = [
        _describe_code(c)
        if isinstance(c, types.CodeType)
        else sorted(map(repr, c))
        if isinstance(c, frozenset)
        else repr(c)
        for c in code.co_consts
    ]
    return [code.co_code.hex(), consts, list(code.co_names)]


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a code object and the functions nested in it read (not attribute names)."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def code_fingerprint(run: Callable[[], Any]) -> str:
    """A hash of the code `run` executes: its own, and that of the functions and settings it reaches by name.

    Editing the model or the training code a run calls (notebook 06's `build_dense`, `train`,
    `OPTIMIZERS`, ...) changes it; running the same cell again, or moving it, does not.
    """
    return hashlib.sha256(_canonical(_describe(run, set())).encode()).hexdigest()[:20]


def cache_key(config: Mapping[str, Any], run: Callable[[], Any]) -> dict[str, Any]:
    """Everything a cached result depends on: the configuration, the code that computes it, the libraries."""
    key = {"config": config, "code": code_fingerprint(run), "versions": library_versions()}
    return json.loads(_canonical(key))


def cache_path(config: Mapping[str, Any], run: Callable[[], Any], cache_dir: Path | None = None) -> Path:
    """Where the result of `run` for `config` is kept: a file named by a hash of its `cache_key`."""
    digest = hashlib.sha256(_canonical(cache_key(config, run)).encode()).hexdigest()[:20]
    return (cache_dir or experiments_dir()) / f"run-{digest}.json"


def _read(path: Path, key: dict[str, Any]) -> Result | None:
    """The stored result if `path` holds a complete entry for exactly this key, else None."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or not isinstance(stored.get("result"), dict):
        return None
    return stored["result"]


def cached_run(config: Mapping[str, Any], run: Callable[[], Result], cache_dir: Path | None = None) -> Result:
    """`run()`'s result for `config`: read from the shared results or your cache, else computed and stored in yours.

    A `cache_dir` inside `experiments_dir()` is looked up at the same place in the shared results first.

    `config` must describe the settings `run` depends on (seed, optimizer, epochs, ...); a change to
    the code `run` calls is seen by `code_fingerprint`, which covers functions and plain settings but
    not the contents of other objects (arrays, models) it reads.
    """
    key = cache_key(config, run)
    path = cache_path(config, run, cache_dir)
    own, shared = experiments_dir(), shared_experiments_dir()
    in_shared = [shared / path.relative_to(own)] if shared and path.is_relative_to(own) else []
    for place in [*in_shared, path]:
        if place.exists() and (result := _read(place, key)) is not None:
            return result
    result = json.loads(_canonical(run()))  # fail before writing anything if the result is not JSON-able
    if not isinstance(result, dict):
        raise TypeError(f"run() must return a dict of results, not {type(result).__name__}")
    entry = _canonical({"key": key, "result": result})
    try:
        write_atomically(path, lambda tmp: tmp.write_text(entry))
    except OSError as error:  # a read-only or full disk costs the cache, not the result
        warnings.warn(f"could not cache this run in {path.parent} ({error}); the next run trains again", stacklevel=2)
    return result
