"""Build the course site: one HTML page per executed notebook, and an index (`make html`).

Pages are made by nbconvert's HTMLExporter from the stored notebooks, as they are (nothing is run),
with the template in scripts/site_templates/course: JupyterLab's look, figures embedded as PNG,
solutions folded, links to the index and to the previous and next notebook, and nothing loaded
from the network. The index lists each notebook's title, "You will learn to" list and time, read
from the notebook's first cell, and is itself exported from a notebook of markdown cells by the
same exporter, as is the glossary (docs/glossary.md). Links between notebooks and the glossary
point to their pages. Every file is written atomically.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook

from helpers.paths import display_path
from scripts.check_notebooks import read_opening
from scripts.course import NOTEBOOKS as SOURCE
from scripts.course import ROOT, argument_parser, course_notebooks, write_files

TEMPLATES = Path(__file__).resolve().parent / "site_templates"
INDEX = "index.html"
COURSE_TITLE = "Handwritten digits: an MNIST notebook course"
# A notebook's "Open in Colab" badge (scripts/sync_colab.py): on the site, a link styled as a badge
# by the template, since its image would be loaded from the network.
COLAB_BADGE = re.compile(r"\[!\[(Open in Colab)\]\([^)]*\)\]\(([^)]*)\)")
GLOSSARY = "glossary.html"
# A link to a notebook or the glossary as GitHub and JupyterLab follow it (`03_training.ipynb#Set-up`,
# `../docs/glossary.md#epoch`); on the site it goes to the page made from that file.
COURSE_LINK = re.compile(r"\]\((?:\.\./(?:notebooks|docs)/)?(\d\d_\w+\.ipynb|glossary\.md)(#[^)\s]*)?\)")


@dataclass(frozen=True)
class Entry:
    """What the index says about one notebook, from its first cell."""

    path: Path
    title: str
    goals: str  # the markdown list under "**You will learn to**"
    time: str  # what follows "**Time:**", e.g. "about 20 minutes."

    @property
    def href(self) -> str:
        return self.path.with_suffix(".html").name

    @property
    def label(self) -> str:
        """The title with the notebook's number, as the index and the links show it: `01 Load and look`."""
        return f"{self.path.name[:2]} {self.title}"

    @property
    def minutes(self) -> int | None:
        found = re.search(r"(\d+) minutes", self.time)
        return int(found[1]) if found else None


def read_entry(path: Path, nb: nbformat.NotebookNode) -> Entry:
    """Title, goals and time from a notebook's first cell, as the rulebook (scripts/check_notebooks.py) reads them."""
    try:
        title, goals, time = read_opening(nb)
    except ValueError as err:
        raise ValueError(f"{path.name}: {err}") from err
    return Entry(path, title, goals, time)


def exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with the course template (JupyterLab's look, self-contained)."""
    return HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True)


def site_links(markdown: str) -> str:
    """Markdown whose links to the course's notebooks and glossary point to the site's pages instead."""
    return COURSE_LINK.sub(lambda m: f"]({Path(m[1]).stem}.html{m[2] or ''})", markdown)


def link(entry: Entry | None) -> dict | None:
    return {"href": entry.href, "title": entry.label} if entry else None


def index_notebook(entries: list[Entry], glossary: bool = False) -> nbformat.NotebookNode:
    """The index as a notebook of markdown cells: the course (and its glossary), then each notebook's goals and time."""
    minutes = [e.minutes for e in entries]
    total = f" About {sum(minutes)} minutes in all." if None not in minutes else ""
    cells = [
        new_markdown_cell(
            f"# {COURSE_TITLE}\n\n{len(entries)} notebooks, to work through in order.{total} Each page is a notebook"
            " as it was executed, with its figures; the exercises' solutions are folded under each exercise."
            + (f" The [glossary]({GLOSSARY}) defines the course's terms." if glossary else "")
        )
    ]
    for entry in entries:
        cells.append(
            new_markdown_cell(
                f"## [{entry.label}]({entry.href})\n\n**You will learn to**\n{entry.goals}\n\n**Time:** {entry.time}"
            )
        )
    nb = new_notebook(cells=cells)
    nb.metadata["title"] = COURSE_TITLE
    return nb


def build_site(folder: Path, source: Path = SOURCE) -> list[Path]:
    """Write index.html, one page per course notebook and the glossary into `folder`; return the files written."""
    paths = course_notebooks(source)
    if not paths:
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) in {source}")
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    entries = [read_entry(path, nb) for path, nb in zip(paths, notebooks, strict=True)]
    html = exporter()
    pages: dict[str, str] = {}
    for i, (entry, nb) in enumerate(zip(entries, notebooks, strict=True)):
        nb = copy.deepcopy(nb)
        nb.metadata["title"] = entry.label  # the page's <title>
        nb.cells[0].source = COLAB_BADGE.sub(r"[\1](\2)", nb.cells[0].source)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = site_links(cell.source)
        course = {
            "index": INDEX,
            "is_index": False,
            "previous": link(entries[i - 1] if i > 0 else None),
            "next": link(entries[i + 1] if i + 1 < len(entries) else None),
        }
        pages[entry.href], _ = html.from_notebook_node(nb, resources={"course": course})
    index_course = {"index": INDEX, "is_index": True, "previous": None, "next": link(entries[0])}
    glossary = source.parent / "docs" / "glossary.md"
    index = index_notebook(entries, glossary.exists())
    pages[INDEX], _ = html.from_notebook_node(index, resources={"course": index_course})
    if glossary.exists():
        nb = new_notebook(cells=[new_markdown_cell(site_links(glossary.read_text(encoding="utf-8")))])
        nb.metadata["title"] = "Glossary"
        glossary_course = {"index": INDEX, "is_index": False, "previous": None, "next": None}
        pages[GLOSSARY], _ = html.from_notebook_node(nb, resources={"course": glossary_course})
    return write_files({folder / name: body for name, body in pages.items()}, folder.glob("[0-9][0-9]_*.html"))


def main(args: list[str]) -> int:
    """Build the site in the folder given (default site/) and say where its index is."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "site", help="where to write it (site/)")
    folder = parser.parse_args(args).folder
    written = build_site(folder)
    index = folder / INDEX
    print(f"{len(written) - 1} notebook pages and the index in {display_path(folder)}/; open {display_path(index)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
