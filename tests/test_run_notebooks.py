"""`make run`: notebooks are replaced only when they ran to the end; tagged figures are exported."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import run_notebooks

PNG = base64.b64encode(b"\x89PNG fake").decode()


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "mnist-course", "display_name": "MNIST course", "language": "python"}
    return nb


def test_export_figures_writes_tagged_pngs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_notebooks, "IMAGES", tmp_path)
    nb = notebook("plot()", "other()")
    nb.cells[0].metadata["tags"] = ["export-figure=cm"]
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG})]
    assert run_notebooks.export_figures(nb) == [tmp_path / "cm.png"]
    assert (tmp_path / "cm.png").read_bytes() == b"\x89PNG fake"
    nb.cells[0].outputs = []
    with pytest.raises(ValueError, match="has no PNG output"):
        run_notebooks.export_figures(nb)


def test_failing_notebook_is_left_as_it_was(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "01_broken.ipynb"
    nbformat.write(notebook("x = 1", "raise RuntimeError('boom')"), path)
    before = path.read_bytes()
    assert run_notebooks.main([str(path)]) == 1
    assert path.read_bytes() == before
    assert "left as it was" in capsys.readouterr().out


def test_notebook_for_an_unknown_kernel_is_left_as_it_was(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "01_other.ipynb"
    nb = notebook("x = 1")
    nbformat.write(nb, path)
    before = path.read_bytes()
    original, run_notebooks.KERNEL = run_notebooks.KERNEL, "no-such-kernel"
    try:
        assert run_notebooks.main([str(path)]) == 1
    finally:
        run_notebooks.KERNEL = original
    assert path.read_bytes() == before
    assert "could not run it (NoSuchKernel" in capsys.readouterr().out


def test_good_notebook_gets_outputs(tmp_path: Path) -> None:
    path = tmp_path / "01_good.ipynb"
    nbformat.write(notebook("print(6 * 7)"), path)
    assert run_notebooks.main([str(path)]) == 0
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.execution_count == 1 and cell.outputs[0]["text"] == "42\n"
