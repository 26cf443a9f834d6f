"""The course kernel: registered with this Python, and quiet about TensorFlow's start-up lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from helpers import kernel


def test_stderr_silenced_drops_low_level_output(capfd: pytest.CaptureFixture) -> None:
    with kernel.stderr_silenced():
        os.write(2, b"oneDNN custom operations are on\n")
    os.write(2, b"visible\n")
    assert capfd.readouterr().err == "visible\n"


def test_tensorflow_is_imported_quietly_and_only_when_a_notebook_needs_it() -> None:
    """As the kernel starts: the helpers (notebook 01) leave TensorFlow out; `import keras` brings it, silently."""
    code = """import sys
from helpers import kernel
if sys.argv[1] == "quiet":
    sys.meta_path.insert(0, kernel.QuietImport())
import helpers
assert "tensorflow" not in sys.modules
import keras
assert "tensorflow" in sys.modules
"""
    run = {
        mode: subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True)
        for mode in ("quiet", "")
    }
    assert run["quiet"].returncode == run[""].returncode == 0, run
    # Without QuietImport TensorFlow writes its start-up lines (which ones depends on the CPU: oneDNN's note on
    # Intel, only the CUDA probe's on AMD); with it, nothing.
    assert run[""].stderr.strip() and run["quiet"].stderr == "", run


def test_kernel_is_registered_for_this_python() -> None:
    spec = KernelSpecManager().get_kernel_spec(kernel.NAME)
    assert spec.argv[:3] == [sys.executable, "-m", "helpers.kernel"]
    assert spec.env["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert spec.display_name == kernel.DISPLAY_NAME


def test_the_notebooks_kernel_name_runs_the_course_kernel_here() -> None:
    """The notebooks store `python3` (for Colab); here, as JupyterLab (`make lab`) sees it, that is the course's."""
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"], capture_output=True, text=True, check=True
    )
    spec = json.loads(listed.stdout)["kernelspecs"][kernel.NOTEBOOK_NAME]["spec"]
    assert spec["argv"][:3] == [sys.executable, "-m", "helpers.kernel"]
    assert spec["display_name"] == kernel.NOTEBOOK_DISPLAY_NAME
    assert KernelSpecManager().get_kernel_spec(kernel.NOTEBOOK_NAME).argv == spec["argv"]
