"""Results of training runs, cached on disk by their configuration, so re-running a notebook is fast.

A run's configuration (a small JSON-able dict) plus the installed TensorFlow, Keras and NumPy
versions is the key; its result (a JSON-able dict: history, accuracy, time, ...) is the value, one
file per run, written atomically. An interrupted sweep keeps the runs it finished; a damaged or
foreign file is never trusted, the run is simply done again.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from helpers.paths import data_dir, write_atomically

Result = dict[str, Any]


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
    """The results cache: `experiments/` in the course's data folder (`make clean` empties it)."""
    return data_dir() / "experiments"


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as plain JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store a {type(value).__name__} in the results cache; return numbers, lists or dicts")


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_plain)


def cache_path(config: Mapping[str, Any], cache_dir: Path | None = None) -> Path:
    """Where the result of `config` is kept: a file named by a hash of the configuration and versions."""
    key = {"config": config, "versions": library_versions()}
    digest = hashlib.sha256(_canonical(key).encode()).hexdigest()[:20]
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
    """`run()`'s result for `config`: read from the cache when it is there, else computed and stored.

    `config` must describe everything `run` depends on (seed, optimizer, epochs, ...), because it
    is the only thing the cache compares.
    """
    key = json.loads(_canonical({"config": config, "versions": library_versions()}))
    path = cache_path(config, cache_dir)
    if path.exists() and (result := _read(path, key)) is not None:
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
