"""`make run`: notebooks are replaced only when they ran to the end; tagged figures are exported."""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from scripts import run_notebooks
from scripts.course import course_notebooks, pyproject

PNG = base64.b64encode(b"\x89PNG fake").decode()


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "mnist-course", "display_name": "MNIST course", "language": "python"}
    return nb


@pytest.fixture
def plain_kernel(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The course kernel's name for a plain ipykernel, which starts without importing TensorFlow (~4 s less CPU):
    these tests are about the runner. test_good_notebook_gets_outputs and nbval run the course's own kernel."""
    spec = tmp_path_factory.mktemp("jupyter") / "kernels" / "mnist-course"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "plain", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(spec.parents[1]))  # searched first, also by the runner's subprocess


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


@pytest.mark.usefixtures("plain_kernel")
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


@pytest.mark.usefixtures("plain_kernel")
def test_widgets_are_stored_as_their_text_only(tmp_path: Path) -> None:
    path = tmp_path / "01_widget.ipynb"
    nbformat.write(notebook("import ipywidgets\nipywidgets.Button(description='go')", "print('a'); print('b')"), path)
    assert run_notebooks.main([str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    (widget,) = nb.cells[0].outputs
    assert list(widget["data"]) == ["text/plain"] and "widgets" not in nb.metadata
    assert [o["text"] for o in nb.cells[1].outputs] == ["a\nb\n"]  # one stream output, however it was chunked


ROOT = Path(__file__).resolve().parents[1]


def sleepy_notebook(folder: Path) -> tuple[Path, Path, Path]:
    """A notebook whose first cell writes the kernel's pid and whose second waits while `block` exists."""
    pid_file, block = folder / "kernel.pid", folder / "block"
    block.touch()
    path = folder / "01_sleepy.ipynb"
    nbformat.write(
        notebook(
            f"import os, pathlib\npathlib.Path({str(pid_file)!r} + '.new').write_text(str(os.getpid()))\n"
            f"os.replace({str(pid_file)!r} + '.new', {str(pid_file)!r})",
            f"import time\nwhile pathlib.Path({str(block)!r}).exists():\n    time.sleep(0.1)",
            "print(6 * 7)",
        ),
        path,
    )
    return path, pid_file, block


def wait_until(condition, what: str) -> None:
    """Poll `condition` for up to two minutes (a generous bound on a loaded machine, not a timing claim)."""
    for _ in range(1200):
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting: {what}")


def alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads process states from /proc")
@pytest.mark.parametrize(
    ("sig", "target"),
    [(signal.SIGTERM, "runner"), (signal.SIGINT, "group"), (signal.SIGKILL, "group")],
    ids=["SIGTERM-runner", "SIGINT-group-like-ctrl-c", "SIGKILL-group"],
)
@pytest.mark.usefixtures("plain_kernel")
def test_killed_run_leaves_the_notebook_unchanged_and_no_kernel_behind(sig, target: str, tmp_path: Path) -> None:
    """Kill `make run`'s runner mid-cell. After SIGKILL, which nothing can clean up after, the next run completes."""
    path, pid_file, block = sleepy_notebook(tmp_path)
    before = path.read_bytes()
    runner = subprocess.Popen(
        [sys.executable, "-m", "scripts.run_notebooks", str(path)],
        cwd=ROOT,
        start_new_session=True,  # its own process group, as `make run` in a terminal
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until(pid_file.exists, "the kernel to start executing the notebook")
    kernel = int(pid_file.read_text())
    (os.killpg if target == "group" else os.kill)(runner.pid, sig)
    out, _ = runner.communicate(timeout=120)
    assert runner.returncode != 0, out
    assert path.read_bytes() == before, "the notebook was changed by an interrupted run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01_sleepy.ipynb", "block", "kernel.pid"]
    wait_until(lambda: not alive(kernel), f"the kernel (pid {kernel}) to exit after its runner was killed")
    if sig == signal.SIGKILL:
        block.unlink()
        assert run_notebooks.main([str(path)]) == 0
        assert nbformat.read(path, as_version=4).cells[2].outputs[0]["text"] == "42\n"


def test_leftover_temporary_notebook_is_never_picked_up(tmp_path: Path) -> None:
    """A run killed mid-write can leave `.NAME.XXXX.tmp.ipynb`: the scripts' notebook list, git and pytest skip it."""
    (tmp_path / "notebooks").mkdir()
    for name in ("01_a.ipynb", ".01_a.k1ll3d.tmp.ipynb"):
        (tmp_path / "notebooks" / name).write_text("{}")
    assert course_notebooks(tmp_path / "notebooks") == [tmp_path / "notebooks" / "01_a.ipynb"]
    ignored = ["git", "check-ignore", "-q", "--no-index", "notebooks/.03_training.k1ll3d.tmp.ipynb"]
    assert subprocess.run(ignored, cwd=ROOT).returncode == 0
    addopts = pyproject()["tool"]["pytest"]["ini_options"]["addopts"]
    globs = [o.removeprefix("--ignore-glob=") for o in addopts if o.startswith("--ignore-glob=")]
    assert any(fnmatch.fnmatch(str(ROOT / "notebooks" / ".03_training.k1ll3d.tmp.ipynb"), g) for g in globs)
    assert not any(fnmatch.fnmatch(str(ROOT / "notebooks" / "03_training.ipynb"), g) for g in globs)
