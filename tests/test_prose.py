"""The prose is true to the outputs, mechanically where it can be: cross-references and numbers.

1. A cross-reference names what it points to. "notebook 06" (or "as in 06") in prose is a link whose
   anchor is a heading of that notebook, `[notebook 06](06_experiments.ipynb#Train-for-longer)`: the test
   finds the heading there (Jupyter's and nbconvert's anchor: the heading with spaces as hyphens), so a
   reference cannot point to a notebook that lacks what it names. A file name, `` `03_training.ipynb` ``,
   names the whole notebook and only has to exist; so does a plural ("notebooks 04, 07 and 08").
2. A number in prose is witnessed. Each number in a markdown cell, or written by hand in a code cell's
   string (an alt text, a printed label), must occur, to the precision written, among the numbers the
   notebook computed (its outputs, other cells' for a string) or its code's numeric literals; a fraction
   witnesses its percentage (0.9785 for 97.85 %). The README and the instructor guide are witnessed by
   every notebook and the files they describe. A number no output shows is a claim nothing checks: it is
   computed, or listed in UNWITNESSED with the reason it holds (a test elsewhere, or a cited source).
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "instructor_guide.md", ROOT / "docs" / "glossary.md"]
# Files whose numbers the README and the instructor guide may quote, besides every notebook.
DOCUMENT_SOURCES = [
    "Makefile",
    "pyproject.toml",
    "bench/results.md",
    "bench/grading.md",
    "bench/hub.md",
    "bench/hub-classes.md",
    "scripts/compat.py",
    "tests/test_site.py",
]

LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
NOTEBOOK_FILE = re.compile(r"(?:^|/)(\d\d)_\w+\.ipynb")
NOTEBOOK_LINK = re.compile(r"\]\(([^)#\s]*\d\d_\w+\.ipynb)[)#]")
# A reference to one notebook by number, outside a link: "notebook 06", "Notebook 03's", "as in 04".
BARE_REFERENCE = re.compile(r"\b(?:[Nn]otebook|as in) (\d\d)\b(?![–-]\d)|(?<![\w.])(\d\d)'s\b")
NUMBER = re.compile(r"(?<![\w.\-−])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])")
LIST_MARKER = re.compile(r"^\s*\d+\.\s", re.MULTILINE)

# Numbers in prose that no output of the notebook shows, each with why it holds, by (file name, number as
# written).
UNWITNESSED: dict[tuple[str, str], str] = {
    ("03_training.ipynb", "2.1"): "cites the book: its section 2.1",
    ("03_training.ipynb", "2.7"): "cites the book: its listing 2.7",
    ("03_training.ipynb", "20"): "an instruction in Try this next (train for 20 epochs), not a result",
    ("04_confusion_matrix.ipynb", "17"): "arithmetic: a digit leaning by 17° has a slant of tan 17° = 0.31",
    ("06_experiments.ipynb", "2.7"): "cites the book: its listing 2.7",
    ("README.md", "7.6"): "the version of Jupyter Notebook (7.6.5) in nbgrader's environment, as pip installed it",
    ("README.md", "97.94"): "the test accuracy of the run stored before, on an Intel Xeon: notebook 03 in git history",
}

# Cross-references known to fail, by (file name, reference as written): every bare reference of that kind in
# the file.
UNRESOLVED: set[tuple[str, str]] = set()


@cache
def notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def markdown_of(path: Path) -> list[str]:
    """The prose of a notebook (its markdown cells) or of a markdown document."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    return ["".join(c["source"]) for c in notebook(path)["cells"] if c["cell_type"] == "markdown"]


def anchors(path: Path) -> set[str]:
    """The anchors of a file's headings, as Jupyter and nbconvert make them: spaces become hyphens."""
    found = set()
    for text in markdown_of(path):
        for heading in re.findall(r"^#+ (.+?)\s*$", text, re.MULTILINE):
            found.add(re.sub(r"[`*]", "", heading).replace(" ", "-"))
    return found


@cache
def references(path: Path) -> list[tuple[str, str | None]]:
    """Each cross-reference of a file as (what it says, the problem or None)."""
    found: list[tuple[str, str | None]] = []
    for text in markdown_of(path):
        for label, target in LINK.findall(text):
            if target.startswith(("http", "#", "mailto:")):
                continue  # another site, or a heading of the same file
            file, _, anchor = target.partition("#")
            linked = path.parent / file
            match = NOTEBOOK_FILE.search(file)
            problem = None
            if not linked.exists():
                problem = f"no file {file}"
            elif match and re.search(r"\b\d\d\b", label) and match[1] not in re.findall(r"\b\d\d\b", label):
                problem = f"the text says {label!r} but the link goes to {file}"
            elif anchor and unquote(anchor) not in anchors(linked):
                problem = f"{file} has no heading {unquote(anchor).replace('-', ' ')!r}"
            elif match and not anchor and BARE_REFERENCE.search(label):
                problem = "names a notebook by number without saying where in it: link to a heading (#Its-title)"
            found.append((f"[{label}]({target})", problem))
        prose = LINK.sub(" ", text)
        for numbers in BARE_REFERENCE.findall(prose):
            said = f"notebook {''.join(numbers)}"
            found.append((said, "not a link to the heading it refers to: [notebook NN](NN_name.ipynb#Heading)"))
        for number in re.findall(r"`(\d\d_\w+\.ipynb)`", prose):
            if not (ROOT / "notebooks" / number).exists():
                found.append((number, "no such notebook"))
    return found


def numbers_in(text: str) -> list[tuple[str, float, int]]:
    """The numbers of a text as (as written, value, decimals); notebook numbers such as 06 are left out."""
    text = LINK.sub(lambda m: m[1], text)  # a link's text is prose, its address is not
    text = re.sub(r"`[^`\n]*`", " ", text)  # code quoted in prose is code, not a claim
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\*\*Time:\*\*[^*\n]*", " ", text)  # a notebook's reading time is an estimate, not a result
    text = LIST_MARKER.sub(" ", text)
    found = []
    for whole, decimals in NUMBER.findall(text):
        if re.fullmatch(r"0\d", whole) and not decimals:
            continue  # a notebook's number
        written = whole + decimals
        found.append((written, float(written.replace(",", "")), len(decimals) - 1 if decimals else 0))
    return found


def witnessed(value: float, decimals: int, witnesses: list[float]) -> bool:
    """Whether a witness (sorted, non-negative) rounds to the number as written, or to it as a percentage."""
    tolerance = 0.5 * 10**-decimals + 1e-9
    for low, high in ((value - tolerance, value + tolerance), ((value - tolerance) / 100, (value + tolerance) / 100)):
        i = bisect.bisect_left(witnesses, low)
        if i < len(witnesses) and witnesses[i] <= high:
            return True
    return False


def ordered(numbers: set[float]) -> list[float]:
    """Witnesses as `witnessed` takes them: sorted, without their signs."""
    return sorted({abs(n) for n in numbers})


def output_texts(cell: dict) -> list[str]:
    """What a code cell showed: printed text, plain-text and markdown results, and figures' alt texts. A cell that
    times something (`perf_counter`) shows figures that change every run: they witness nothing."""
    if "perf_counter" in "".join(cell.get("source", "")):
        return []
    texts = []
    for output in cell.get("outputs", []):
        texts.append("".join(output.get("text", "")))
        data = output.get("data", {})
        for kind in ("text/plain", "text/markdown"):
            texts.append("".join(data.get(kind, "")))
        texts.append(output.get("metadata", {}).get("image/png", {}).get("alt", ""))
    return [re.sub(r"\x1b\[[0-9;]*m", "", text) for text in texts]  # without the terminal's colour codes


def code_of(cell: dict) -> ast.Module | None:
    """A code cell's syntax tree, its IPython magics left out (None if it does not parse)."""
    source = "".join(cell["source"])
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def literals(tree: ast.Module | None) -> tuple[set[float], list[str]]:
    """A cell's numeric literals, and the text of its strings written by hand (f-strings without their fields)."""
    numbers: set[float] = set()
    strings: list[str] = []
    if tree is None:
        return numbers, strings
    nodes = list(ast.walk(tree))
    in_fstring = {id(v) for n in nodes if isinstance(n, ast.JoinedStr) for v in n.values}
    formats = {id(n.format_spec) for n in nodes if isinstance(n, ast.FormattedValue) and n.format_spec}
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            numbers.add(float(node.value))
        elif isinstance(node, ast.JoinedStr) and id(node) not in formats:
            strings.append(" ".join(v.value if isinstance(v, ast.Constant) else " " for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstring:
            strings.append(re.sub(r"^[\d.]+$", " ", node.value.strip()))  # "0.4" is a colour, not prose
    return numbers, strings


@cache
def cell_literals(path: Path) -> list[tuple[set[float], list[str]]]:
    """Each cell's numeric literals and hand-written strings (none for a markdown cell)."""
    return [literals(code_of(c)) if c["cell_type"] == "code" else (set(), []) for c in notebook(path)["cells"]]


@cache
def unwitnessed_numbers(path: Path) -> list[str]:
    """The numbers of a notebook's prose and hand-written strings that nothing computed or coded shows."""
    cells = notebook(path)["cells"]
    shown = [{n for t in output_texts(c) for _, n, _ in numbers_in(t)} for c in cells]
    coded = cell_literals(path)
    everything = ordered(set().union(*shown, *(numbers for numbers, _ in coded)))
    missing = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            prose = ["".join(cell["source"])]
            linked = {path.parent / m[0] for m in NOTEBOOK_LINK.finditer(prose[0]) if (path.parent / m[0]).exists()}
            witnesses = ordered(set(everything).union(*(all_numbers(p) for p in linked - {path})))
        elif cell["cell_type"] == "code" and coded[i][1]:
            others = set().union(*(s for j, s in enumerate(shown) if j != i))
            prose, witnesses = coded[i][1], ordered(others.union(*(numbers for numbers, _ in coded)))
        else:
            continue
        for text in prose:
            for written, value, decimals in numbers_in(text):
                if not witnessed(value, decimals, witnesses):
                    missing.append(written)
    return missing


@cache
def all_numbers(path: Path) -> set[float]:
    """Every number a notebook shows or codes."""
    shown = {n for cell in notebook(path)["cells"] for t in output_texts(cell) for _, n, _ in numbers_in(t)}
    return shown.union(*(numbers for numbers, _ in cell_literals(path)))


@cache
def document_witnesses() -> list[float]:
    """Every number a notebook shows or codes, and those of the files the README and the guide describe."""
    found: set[float] = set().union(*(all_numbers(path) for path in NOTEBOOKS))
    for name in DOCUMENT_SOURCES:
        if (ROOT / name).exists():
            found |= {n for _, n, _ in numbers_in((ROOT / name).read_text(encoding="utf-8"))}
    return ordered(found)


FILES = NOTEBOOKS + DOCUMENTS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_cross_reference_resolves_to_what_it_names(path: Path) -> None:
    broken = [
        f"{said}: {problem}" for said, problem in references(path) if problem and (path.name, said) not in UNRESOLVED
    ]
    assert not broken, f"{path.name}:\n  " + "\n  ".join(broken)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_number_in_prose_is_witnessed(path: Path) -> None:
    if path.suffix == ".md":
        witnesses = document_witnesses()
        missing = [w for w, v, d in numbers_in(path.read_text(encoding="utf-8")) if not witnessed(v, d, witnesses)]
    else:
        missing = unwitnessed_numbers(path)
    missing = sorted({m for m in missing if (path.name, m) not in UNWITNESSED}, key=missing.index)
    assert not missing, (
        f"{path.name}: numbers no output or code shows (compute them, or list them in UNWITNESSED with the reason "
        f"they hold): {', '.join(missing)}"
    )


def test_the_lists_of_known_failures_hold_only_failures() -> None:
    """An entry that no longer fails is removed, so that the lists shrink as the prose is fixed."""
    failing_refs = {(p.name, said) for p in FILES for said, problem in references(p) if problem}
    assert not UNRESOLVED - failing_refs, f"fixed, remove from UNRESOLVED: {sorted(UNRESOLVED - failing_refs)}"
    failing_numbers = {(p.name, m) for p in NOTEBOOKS for m in unwitnessed_numbers(p)}
    witnesses = document_witnesses()
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        failing_numbers |= {(path.name, w) for w, v, d in numbers_in(text) if not witnessed(v, d, witnesses)}
    stale = set(UNWITNESSED) - failing_numbers
    assert not stale, f"witnessed now, remove from UNWITNESSED: {sorted(stale)}"


def test_the_rules_catch_a_wrong_reference_and_an_unwitnessed_number(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "source": "# A notebook\n\n## Train the model\n\nIt reaches 97.9 %, not 97.5 %."},
        {"cell_type": "code", "source": "print(acc)", "outputs": [{"output_type": "stream", "text": "0.9794\n"}]},
    ]
    (tmp_path / "01_a.ipynb").write_text(json.dumps({"cells": cells}))
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[notebook 01](01_a.ipynb#Train-the-model) trains; [notebook 01](01_a.ipynb#Test-it) tests;\n"
        "notebook 01 again; [notebook 02](01_a.ipynb#Train-the-model); [the file](01_a.ipynb)."
    )
    right, no_heading, wrong_number, whole_file, bare = (problem for _, problem in references(doc))
    assert right is None and whole_file is None
    assert "no heading 'Test it'" in no_heading
    assert "the link goes to 01_a.ipynb" in wrong_number
    assert "not a link" in bare
    assert unwitnessed_numbers(tmp_path / "01_a.ipynb") == ["97.5"]
