"""Write the student copies of the course notebooks: the same notebooks without their solutions (`make student`).

Each notebook goes to FOLDER/notebooks/ (default student/) through nbconvert: the cells tagged `solution` are
dropped and the outputs of those tagged `exercise` cleared; the lesson's outputs stay, so a student can read a
notebook before running it. The other files in notebooks/ and the glossary (docs/) are copied as they are, so
links and relative paths still work. Files are written atomically; copies of removed notebooks are deleted.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from helpers.paths import display_path
from scripts.course import NOTEBOOKS as SOURCE
from scripts.course import ROOT, argument_parser, course_notebooks, write_files

SOLUTION, EXERCISE = "solution", "exercise"


def student_exporter() -> NotebookExporter:
    """An nbconvert exporter to .ipynb that removes solution cells and clears the exercises' outputs."""
    exporter = NotebookExporter()
    remove = TagRemovePreprocessor(remove_cell_tags={SOLUTION}, remove_all_outputs_tags={EXERCISE})
    exporter.register_preprocessor(remove, enabled=True)
    return exporter


def assets(source: Path = SOURCE) -> list[Path]:
    """The other files in the notebooks folder (no notebooks, checkpoints or hidden files)."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and path.suffix != ".ipynb"
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(source).parts)
    )


def make_student_copies(folder: Path, source: Path = SOURCE) -> list[Path]:
    """Write the student copy of every course notebook, and the assets, to `folder`/notebooks; return the copies."""
    notebooks = course_notebooks(source)
    if not notebooks:
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) in {source}")
    target = folder / "notebooks"
    exporter = student_exporter()
    copies = {target / path.name: exporter.from_filename(str(path))[0] for path in notebooks}
    write_files(copies, stale=course_notebooks(target))
    assets_copied = {target / path.relative_to(source): path.read_bytes() for path in assets(source)}
    glossary = source.parent / "docs" / "glossary.md"  # each notebook links to it, at ../docs/glossary.md
    if glossary.exists():
        assets_copied[folder / "docs" / "glossary.md"] = glossary.read_bytes()
    write_files(assets_copied)
    return list(copies)


def main(args: list[str]) -> int:
    """Write the copies to the folder given (default student/) and say where they are."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "student", help="where to write them (student/)")
    copies = make_student_copies(parser.parse_args(args).folder)
    shown = display_path(copies[0].parent)
    print(f"{len(copies)} student notebooks (solutions removed) in {shown}/")
    print(f"Open them with: .venv/bin/jupyter lab {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
