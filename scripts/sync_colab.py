"""Keep every notebook ready for Colab, all from the one repository address in pyproject.toml (`make colab`).

For each notebook it writes the kernel `python3` ("Python 3"), which Colab and every Jupyter know (the course
registers its own kernel under that name too); the set-up block atop its first code cell, which installs the
helpers from the repository where they cannot be imported (Colab) and elsewhere does nothing and prints
nothing; and an "Open in Colab" badge under its title. In the README: the same badges in the table of
notebooks and the address in the `git clone` commands. Run it after adding, renaming or renumbering a
notebook, or after changing the address; `--check` changes nothing and fails if anything is out of step.
"""

from __future__ import annotations

import re
import sys

import nbformat

from helpers.paths import write_atomically
from scripts.course import ROOT, STORED_KERNELSPEC, argument_parser, course_notebooks, pyproject

README = ROOT / "README.md"
REPO_ENV = "MNIST_COURSE_REPO"
BRANCH = "main"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE = re.compile(r"\[!\[Open in Colab\]\([^)]*\)\]\(([^)]*)\)")  # the site shows it as a link (build_site.py)
README_ROW = re.compile(r"^(\| \[[^]]+\]\((notebooks/\d\d_[^)]+\.ipynb)\))(?: \[!\[Open in Colab\][^|]*)? \|", re.M)
SETUP_FIRST_LINE = "# Course set-up (written by `make colab`)"
SETUP_LAST_LINE = "# End of the course set-up."
SETUP = """\
# Course set-up (written by `make colab`): in Colab, or wherever the course's helpers are missing,
# install them from the course's repository ({env} overrides it). Elsewhere it does nothing.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("helpers") is None:
    repo = os.environ.get("{env}", "{url}")
    print(f"Installing the course's helpers from {{repo}} (a minute or two) ...")
    source = repo if os.path.isdir(repo) else f"git+{{repo}}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
"""
WIDGETS = """\
if "google.colab" in sys.modules:  # Colab shows the drawing pad only when told to allow third-party widgets
    from google.colab import output

    output.enable_custom_widget_manager()
"""


def repository() -> str:
    """The course's repository: [project.urls] Repository in pyproject.toml, the one place it is written."""
    return pyproject()["project"]["urls"]["Repository"]


def colab_url(repo: str, notebook: str) -> str:
    """Colab's address for a notebook of a GitHub repository, e.g. notebooks/01_load_and_look.ipynb."""
    found = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repo)
    if not found:
        raise ValueError(f"{repo} is not a GitHub repository: Colab opens notebooks from GitHub only")
    return f"https://colab.research.google.com/github/{found[1]}/{found[2]}/blob/{BRANCH}/{notebook}"


def badge(repo: str, notebook: str) -> str:
    """The "Open in Colab" badge, in markdown, for one notebook (a path relative to the checkout)."""
    return f"[![Open in Colab]({BADGE_IMAGE})]({colab_url(repo, notebook)})"


def setup_block(repo: str, widgets: bool) -> str:
    """The set-up block of a notebook's first code cell; `widgets` adds Colab's switch for third-party widgets."""
    return SETUP.format(env=REPO_ENV, url=repo) + (WIDGETS if widgets else "") + SETUP_LAST_LINE + "\n"


def with_setup(source: str, block: str) -> str:
    """A first code cell's source with `block` at its top, replacing an earlier block (through its last line)."""
    if source.startswith(SETUP_FIRST_LINE) and SETUP_LAST_LINE in source:
        source = source.split(SETUP_LAST_LINE + "\n", 1)[1].removeprefix("\n")
    return f"{block}\n{source}"


def with_badge(title_cell: str, markdown: str) -> str:
    """The title cell with `markdown` (the badge) on the line after the `# Title`, replacing an older badge."""
    lines = [line for line in title_cell.split("\n") if not BADGE.fullmatch(line.strip())]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return re.sub(r"^(# .+)\n\n?", lambda m: f"{m[1]}\n\n{markdown}\n\n", text, count=1, flags=re.MULTILINE)


def sync_notebook(nb: nbformat.NotebookNode, repo: str, relative: str) -> nbformat.NotebookNode:
    """Kernel, set-up block and badge of one notebook (changed in place and returned)."""
    nb.metadata["kernelspec"] = dict(STORED_KERNELSPEC)
    code = next(c for c in nb.cells if c.cell_type == "code")
    uses_widgets = any("helpers.drawpad" in c.source for c in nb.cells if c.cell_type == "code")
    code.source = with_setup(code.source, setup_block(repo, uses_widgets))
    nb.cells[0].source = with_badge(nb.cells[0].source, badge(repo, relative))
    return nb


def sync_readme(text: str, repo: str) -> str:
    """The README's table of notebooks with a badge after each notebook's link, and its `git clone` lines."""
    text = README_ROW.sub(lambda m: f"{m[1]} {badge(repo, m[2])} |", text)
    return re.sub(r"^git clone \S+ mnist-course", f"git clone {repo} mnist-course", text, flags=re.MULTILINE)


def main(args: list[str]) -> int:
    """Bring the notebooks and the README in step (or, with --check, list what is out of step)."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; fail if anything is out of step")
    check, repo, stale = parser.parse_args(args).check, repository(), []
    for path in [*course_notebooks(), README]:
        raw = path.read_text(encoding="utf-8")
        if path == README:
            text = sync_readme(raw, repo)
        else:
            nb = sync_notebook(nbformat.reads(raw, as_version=4), repo, path.relative_to(ROOT).as_posix())
            text = nbformat.writes(nb) + "\n"
        if text != raw:
            stale.append(path)
            if not check:
                write_atomically(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
    for path in stale:
        print(f"{path.relative_to(ROOT)}: {'out of step; run `make colab`' if check else 'updated'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
