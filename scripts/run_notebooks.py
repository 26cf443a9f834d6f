"""Execute the course notebooks in order, in place, and export the figures the README shows (`make run`).

Each runs in a fresh `mnist-course` kernel in the notebooks folder and is replaced only once it ran to the end
(a failed or interrupted run leaves it as it was). A cell tagged `export-figure=NAME` has its image saved to
docs/images/NAME.png.
"""

from __future__ import annotations

import base64
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers.paths import write_atomically
from scripts.course import KERNEL, ROOT, WIDGET_VIEW, argument_parser, course_notebooks

IMAGES = ROOT / "docs" / "images"
TAG = "export-figure="


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel and return it with its new outputs."""
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    # coalesce_streams: one stream output per cell and stream, however the kernel chunked it
    NotebookClient(
        nb, timeout=1800, kernel_name=KERNEL, record_timing=False, coalesce_streams=True, resources=resources
    ).execute()
    # No widget state or views: their ids change every run and a live kernel recreates them; the text/plain stays.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return nb


def export_figures(nb: nbformat.NotebookNode) -> list[Path]:
    """Save the PNG output of each cell tagged `export-figure=NAME` as docs/images/NAME.png."""
    saved = []
    for cell in nb.cells:
        names = [t.removeprefix(TAG) for t in cell.get("metadata", {}).get("tags", []) if t.startswith(TAG)]
        pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        for name in names:
            if not pngs:
                raise ValueError(f"cell tagged {TAG}{name} has no PNG output")
            target = IMAGES / f"{name}.png"
            write_atomically(target, lambda tmp, png=pngs[-1]: tmp.write_bytes(base64.b64decode(png)))
            saved.append(target)
    return saved


def main(args: list[str]) -> int:
    """Execute each notebook given (all the course's if none) in turn; stop at the first that fails."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: every course notebook, in order)")
    paths = parser.parse_args(args).notebooks or [str(path) for path in course_notebooks()]
    total = time.perf_counter()
    for i, name in enumerate(paths, 1):
        path = Path(name)
        print(f"[{i}/{len(paths)}] {path.name} ...", end=" ", flush=True)
        started = time.perf_counter()
        try:
            nb = execute(path)
        except CellExecutionError as err:
            print(f"failed; {path} is left as it was\n{err}")
            return 1
        except Exception as err:  # noqa: BLE001 - no kernel, a dead kernel, a timeout: say so plainly
            print(f"could not run it ({type(err).__name__}: {err}); {path} is left as it was")
            return 1
        write_atomically(path, lambda tmp, nb=nb: nbformat.write(nb, tmp))
        print(f"{time.perf_counter() - started:.0f} s")
        for figure in export_figures(nb):
            print(f"      figure saved: {figure.relative_to(IMAGES.parents[1])}")
    print(f"All {len(paths)} notebooks executed in {time.perf_counter() - total:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
