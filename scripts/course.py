"""What every script knows about the course: where its checkout is, its notebooks, and its kernel."""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from helpers import kernel
from helpers.paths import write_atomically

KERNEL = kernel.NAME  # the course's own kernel, which runs the notebooks here
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
# The kernel stored in every notebook: the one Colab and every Jupyter know. In the course's own
# environment `helpers.kernel` registers the course kernel under this name too (`make colab` writes it).
STORED_KERNELSPEC = {"display_name": kernel.NOTEBOOK_DISPLAY_NAME, "language": "python", "name": kernel.NOTEBOOK_NAME}
# A widget's output in a notebook: its model id changes on every run, so no stored notebook keeps one.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"  # 01_load_and_look.ipynb ...; never .NAME.XXXX.tmp.ipynb left by a killed write


def course_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The course's numbered notebooks in `folder`, in order."""
    return sorted(folder.glob(NOTEBOOK_PATTERN))


@cache
def pyproject() -> dict:
    """pyproject.toml, parsed: the one reader of the course's metadata, ranges and tool settings."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def argument_parser(module: str, doc: str) -> argparse.ArgumentParser:
    """A parser for `python -m module` whose `--help` shows the script's docstring as it is written."""
    return argparse.ArgumentParser(
        f"python -m {module}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def write_files(files: Mapping[Path, str | bytes], stale: Iterable[Path] = ()) -> list[Path]:
    """Write each file atomically (text as UTF-8), then remove the `stale` ones not written again; return the paths."""
    for path, body in files.items():
        data = body if isinstance(body, bytes) else body.encode()
        write_atomically(path, lambda tmp, data=data: tmp.write_bytes(data))
    for path in set(stale) - set(files):
        path.unlink()
    return list(files)
