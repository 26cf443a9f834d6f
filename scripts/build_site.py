"""Build the course site (`make html`): a page per stored notebook, the glossary and an index, in site/.

nbconvert's HTMLExporter renders the notebooks as stored (nothing is run) with the template in
scripts/site_templates/course: JupyterLab's look, figures embedded, solutions folded, links to the index and the
neighbouring notebooks, nothing loaded from the network. The index (each notebook's title, goals and time) and
the glossary are notebooks of markdown cells exported the same way; links between notebooks and to the glossary
point to their pages. Every file is written atomically.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell, new_notebook

from helpers.paths import display_path
from scripts.check_notebooks import read_opening
from scripts.course import NOTEBOOKS as SOURCE
from scripts.course import ROOT, argument_parser, course_notebooks, write_files
from scripts.sync_colab import BADGE

TEMPLATES = Path(__file__).resolve().parent / "site_templates"
INDEX = "index.html"
COURSE_TITLE = "Handwritten digits: an MNIST notebook course"
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


def read_entry(path: Path, nb: NotebookNode) -> Entry:
    """Title, goals and time from a notebook's first cell, as the rulebook (scripts/check_notebooks.py) reads them."""
    try:
        title, goals, time = read_opening(nb)
    except ValueError as err:
        raise ValueError(f"{path.name}: {err}") from err
    return Entry(path, title, goals, time)


@cache
def exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with the course template (JupyterLab's look, self-contained)."""
    return HTMLExporter(template_name="course", extra_template_basedirs=[str(TEMPLATES)], embed_images=True)


def site_links(markdown: str) -> str:
    """Markdown whose links to the course's notebooks and glossary point to the site's pages instead."""
    return COURSE_LINK.sub(lambda m: f"]({Path(m[1]).stem}.html{m[2] or ''})", markdown)


def page(nb: NotebookNode, before: Entry | None = None, after: Entry | None = None, is_index: bool = False) -> str:
    """One page: the notebook in the course template, linked to the index and to the notebooks before and after it."""
    links = [{"href": e.href, "title": e.label} if e else None for e in (before, after)]
    course = {"index": INDEX, "is_index": is_index, "previous": links[0], "next": links[1]}
    return exporter().from_notebook_node(nb, resources={"course": course})[0]


def index_notebook(entries: list[Entry], glossary: bool = False) -> NotebookNode:
    """The index as a notebook of markdown cells: the course (and its glossary), then each notebook's goals and time."""
    minutes = [re.search(r"(\d+) minutes", e.time) for e in entries]
    total = f" About {sum(int(m[1]) for m in minutes)} minutes in all." if all(minutes) else ""
    cells = [
        new_markdown_cell(
            f"# {COURSE_TITLE}\n\n{len(entries)} notebooks, to work through in order.{total} Each page is a notebook"
            " as it was executed, with its figures; the exercises' solutions are folded under each exercise."
            + (f" The [glossary]({GLOSSARY}) defines the course's terms." if glossary else "")
        )
    ]
    cells += [
        new_markdown_cell(f"## [{e.label}]({e.href})\n\n**You will learn to**\n{e.goals}\n\n**Time:** {e.time}")
        for e in entries
    ]
    return new_notebook(cells=cells, metadata={"title": COURSE_TITLE})


def build_site(folder: Path, source: Path = SOURCE) -> list[Path]:
    """Write index.html, one page per course notebook and the glossary into `folder`; return the files written."""
    paths = course_notebooks(source)
    if not paths:
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) in {source}")
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    entries = [read_entry(path, nb) for path, nb in zip(paths, notebooks, strict=True)]
    pages: dict[str, str] = {}
    for i, (entry, nb) in enumerate(zip(entries, notebooks, strict=True)):
        nb.metadata["title"] = entry.label  # the page's <title>
        nb.cells[0].source = BADGE.sub(r"[Open in Colab](\1)", nb.cells[0].source)  # its image would be loaded
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = site_links(cell.source)
        after = entries[i + 1] if i + 1 < len(entries) else None
        pages[entry.href] = page(nb, entries[i - 1] if i else None, after)
    glossary = source.parent / "docs" / "glossary.md"
    pages[INDEX] = page(index_notebook(entries, glossary.exists()), None, entries[0], is_index=True)
    if glossary.exists():
        text = site_links(glossary.read_text(encoding="utf-8"))
        pages[GLOSSARY] = page(new_notebook(cells=[new_markdown_cell(text)], metadata={"title": "Glossary"}))
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
