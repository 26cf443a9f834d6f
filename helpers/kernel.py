"""The course's Jupyter kernel: ipykernel, importing TensorFlow quietly when a notebook first needs it.

TensorFlow 2.21 prints start-up lines (oneDNN, CUDA drivers) before its log level is read, so
`TF_CPP_MIN_LOG_LEVEL` cannot hide them, and Jupyter would store them in every notebook. This
launcher starts the kernel with `QuietImport` first among Python's finders: it imports TensorFlow
with the process's stderr sent to /dev/null. TensorFlow is imported only when a notebook imports it
(directly or through Keras), so a kernel that never trains (notebook 01, an idle one) does not hold it.
`python -m helpers.kernel install` registers it in this environment as `mnist-course`, and
also as `python3`: the stored notebooks name `python3` (which Colab and every Jupyter know), so that
JupyterLab started from this environment (`make lab`) runs them in this kernel too.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

NAME = "mnist-course"
# On the class's hub, the memory cgroup of the student's server (hub/spawner.py sets it): see oom_notice.
CGROUP_ENV = "MNIST_COURSE_CGROUP"
DISPLAY_NAME = "Python 3 (MNIST course)"
# The name and display name that the stored notebooks carry (scripts/sync_colab.py writes them).
NOTEBOOK_NAME, NOTEBOOK_DISPLAY_NAME = "python3", "Python 3"


@contextmanager
def stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration, so C++ libraries' output goes too."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class QuietImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as Python would, and has it imported with stderr silenced; then steps aside."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def quietly(module: ModuleType) -> None:
                with stderr_silenced():
                    exec_module(module)

            spec.loader.exec_module = quietly
        return spec


def install(name: str = NAME, display_name: str = DISPLAY_NAME) -> Path:
    """Register the kernel in this environment (`sys.prefix`) under `name`, pointing at this Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = {
        "argv": [sys.executable, "-m", "helpers.kernel", "-f", "{connection_file}", "--log-level=ERROR"],
        "display_name": display_name,
        "language": "python",
        "env": {"TF_CPP_MIN_LOG_LEVEL": "3"},
        "metadata": {"debugger": True},
    }
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kernel.json").write_text(json.dumps(spec, indent=1))
        return Path(KernelSpecManager().install_kernel_spec(tmp, name, prefix=sys.prefix))


def oom_notice(state: Path | None = None) -> str | None:
    """On the class's hub: why the previous kernel vanished, if the memory limit killed something since it started.

    The student's server and its kernels share one memory cgroup; its `memory.oom_control` counts the
    processes the limit killed. Each kernel records the count it saw (in `state`, in the home) and says so
    when it went up.
    """
    folder = os.environ.get(CGROUP_ENV)
    if not folder:
        return None
    try:
        control = (Path(folder) / "memory.oom_control").read_text().split()
        kills = int(control[control.index("oom_kill") + 1]) if "oom_kill" in control else 0
        limit = int((Path(folder) / "memory.limit_in_bytes").read_text())
        group = os.stat(folder).st_ino  # a new server has a new cgroup, whose count starts at 0 again
    except (OSError, ValueError):
        return None
    state = state or Path.home() / ".local" / "state" / "mnist-course" / "oom-kills"
    try:
        seen_group, seen = (int(word) for word in state.read_text().split())
    except (OSError, ValueError):
        seen_group, seen = group, 0
    with suppress(OSError):
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(f"{group} {kills}\n")
    if kills <= (seen if seen_group == group else 0):
        return None
    return (
        f"Your previous kernel was stopped: together, your notebooks' kernels went over your memory limit of "
        f"{limit / 2**30:.1f} GB. This is a new kernel, so run the notebook again from the top. To stay under "
        "the limit, shut down the kernels of the notebooks you are not using (Kernel > Shut Down Kernel)."
    )


def first_to_go() -> None:
    """On the class's hub, make this kernel the OOM killer's first choice (oom_score_adj 1000, which any process
    may raise): over the memory limit a kernel dies, and the server that holds the student's tabs lives."""
    if os.environ.get(CGROUP_ENV):
        with suppress(OSError):
            Path("/proc/self/oom_score_adj").write_text("1000")


def tell_at_next_cell(shell: object, message: str) -> None:
    """Print `message` (to stderr, so it stands out) in the output of the next cell the student runs, once."""

    def tell(info: object) -> None:
        print(message, file=sys.stderr)
        shell.events.unregister("pre_run_cell", tell)

    shell.events.register("pre_run_cell", tell)


def main() -> None:
    """Install the kernel spec (`install`) or run the kernel (any other arguments, from Jupyter)."""
    if sys.argv[1:] == ["install"]:
        for name, display_name in ((NAME, DISPLAY_NAME), (NOTEBOOK_NAME, NOTEBOOK_DISPLAY_NAME)):
            print(f"Installed Jupyter kernel {name!r} ({display_name}) in {install(name, display_name)}")
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's oneDNN allocator keeps the most it ever held; the system's gives memory back (notebook 03
    # ends 0.25 GB smaller, bench/memory.md). Same arithmetic: the trained weights are identical, bit for bit.
    os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")
    sys.meta_path.insert(0, QuietImport())
    from ipykernel import kernelapp

    first_to_go()
    notice = oom_notice()
    app = kernelapp.IPKernelApp.instance()
    app.initialize()
    if notice:
        tell_at_next_cell(app.shell, notice)
    app.start()


if __name__ == "__main__":
    main()
