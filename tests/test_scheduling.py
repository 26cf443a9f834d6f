"""`make test`'s work units (conftest.py at the top): a notebook runs after the one whose model file it loads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

from scripts.course import NOTEBOOKS, course_notebooks

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("course_conftest", ROOT / "conftest.py")
course_conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(course_conftest)


def test_08_runs_after_07_whose_cnn_it_loads_and_every_other_notebook_alone() -> None:
    units = {path.name[:2]: course_conftest.work_unit(path).name[:2] for path in course_notebooks()}
    assert units == {"01": "01", "02": "02", "03": "03", "04": "04", "05": "05", "06": "06", "07": "07", "08": "07"}
    assert course_conftest.work_unit(NOTEBOOKS / "08_your_own_digits.ipynb") == NOTEBOOKS / "07_cnn.ipynb"


def write(path: Path, *sources: str) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_a_loader_joins_its_saver_and_the_reference_network_ties_nobody(tmp_path: Path) -> None:
    saver = write(
        tmp_path / "01_a.ipynb", 'save_model(m, models_dir() / "a.keras")', 'save_model(m, "dense_mnist.keras")'
    )
    loader = write(tmp_path / "02_b.ipynb", 'load_model(models_dir() / "a.keras")')
    chained = write(tmp_path / "03_c.ipynb", "x = 1", "load_model('a.keras')")
    reference = write(tmp_path / "04_d.ipynb", 'load_model(models_dir() / "dense_mnist.keras")')
    alone = write(tmp_path / "05_e.ipynb", 'save_model(m, "e.keras")')
    assert [course_conftest.work_unit(p) for p in (saver, loader, chained, reference, alone)] == [
        saver,
        saver,
        saver,
        reference,  # 04's network is saved before any notebook that loads it runs
        alone,
    ]
