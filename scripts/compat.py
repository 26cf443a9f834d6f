"""The compatibility run (`make test-compat`): every notebook, alone, in environments the course did not build.

"colab" is Colab's published runtime, "lowest" the lower bound of each of the helpers' requirements on the
oldest Python they allow: virtualenvs made with Pythons found here (PATH or pyenv), cached in
$MNIST_COURSE_COMPAT_CACHE (default ~/.cache/mnist-course/compat) and remade when their specification changes.
Each notebook is copied alone into an empty folder (as in Colab) and run by nbclient in the plain `python3`
kernel; its first cell installs the helpers from $MNIST_COURSE_REPO, here a clone of HEAD (commit first). It
fails if a cell fails or shows a traceback (IPython carries on after an error raised while displaying), or if a
package that was there changes version; what it installed is then uninstalled, as on a fresh Colab machine.
MNIST comes from the Keras cache of a home of the run's own, seeded with the checkout's verified copy: nothing
is downloaded. Executed notebooks are kept in the cache's executed/ folder.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import nbformat
from nbclient import NotebookClient

from scripts.course import ROOT, argument_parser, course_notebooks, pyproject

CACHE_ENV, REPO_ENV = "MNIST_COURSE_COMPAT_CACHE", "MNIST_COURSE_REPO"
# The packages a platform brings; the notebooks must leave every one of them as it was.
WATCHED = ["tensorflow", "keras", "numpy", "pandas", "matplotlib", "seaborn", "pillow", "ipywidgets", "ipykernel"]
# Colab's runtime as googlecolab/backend-info publishes it (pip-freeze.txt, 2026-08).
COLAB = ["tensorflow==2.20.0", "keras==3.13.2", "numpy==2.1.3", "pandas==2.2.3", "matplotlib==3.10.0",
         "seaborn==0.13.2", "pillow==11.3.0", "ipywidgets==7.7.1", "ipykernel==6.17.1"]  # fmt: skip
CELL_TIMEOUT = 1800  # s; notebook 06 trains 18 networks in one sweep of cells


@dataclass
class Environment:
    """A named set of requirements on one Python version."""

    name: str
    python: str  # "3.13"
    requirements: list[str]
    times: dict[str, float] = field(default_factory=dict)

    def key(self) -> str:
        """A short hash of what the environment is made of: its cached virtualenv is remade when it changes."""
        return hashlib.sha256(json.dumps([self.python, self.requirements]).encode()).hexdigest()[:12]


def project() -> dict:
    """The [project] table of pyproject.toml."""
    return pyproject()["project"]


def lowest_requirements() -> list[str]:
    """Each `name>=X` of the helpers' requirements as `name==X`: the versions the ranges claim to work with."""
    pins = []
    for spec in project()["dependencies"]:
        found = re.fullmatch(r"([A-Za-z0-9_.\-]+)>=([\w.]+)", spec.replace(" ", ""))
        if not found:
            raise ValueError(f"pyproject.toml: {spec!r} needs a lower bound `>=X` (and no upper bound) to be tested")
        pins.append(f"{found[1]}=={found[2]}")
    return [*pins, "ipykernel"]


def oldest_python() -> str:
    """The oldest Python 3.x that requires-python allows."""
    found = re.fullmatch(r">=\s*3\.(\d+)", project()["requires-python"].strip())
    if not found:
        raise ValueError("requires-python must read '>=3.N'")
    return f"3.{found[1]}"


ENVIRONMENTS = {
    "colab": lambda: Environment("colab", "3.13", COLAB),  # Colab's runtime
    "lowest": lambda: Environment("lowest", oldest_python(), lowest_requirements()),  # the ranges' lower bounds
}


def pyenv_roots() -> list[Path]:
    """Where pyenv may keep its Pythons: $PYENV_ROOT, ~/.pyenv, and a pyenv on PATH (found when HOME is elsewhere)."""
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if Path(folder).name in {"bin", "shims"} and (Path(folder).parent / "versions").is_dir():
            roots.append(Path(folder).parent)
    return list(dict.fromkeys(roots))


def find_pythons() -> dict[str, str]:
    """Python 3.x interpreters on this machine, by version: pyenv's, then python3.x on PATH."""
    found: dict[str, str] = {}
    candidates = [
        exe for root in pyenv_roots() for exe in sorted(glob.glob(str(root / "versions" / "3.*" / "bin" / "python3")))
    ]
    candidates += [shutil.which(f"python3.{minor}") for minor in range(8, 20)]
    for exe in filter(None, candidates):
        try:
            out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            continue
        found.setdefault(out.stdout.strip(), exe)
    return found


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command; raise if it fails."""
    return subprocess.run(cmd, check=True, text=True, **kwargs)


def build(env: Environment, python: str, cache: Path) -> Path:
    """The environment's virtualenv, made once per specification (a stamp holds its key)."""
    folder = cache / env.name
    stamp = folder / ".compat-key"
    if stamp.is_file() and stamp.read_text() == env.key():
        print(f"[{env.name}] reusing {folder}")
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    print(f"[{env.name}] building on Python {env.python}: {' '.join(env.requirements)}", flush=True)
    started = time.monotonic()
    run([python, "-m", "venv", str(folder)])
    run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", *env.requirements])
    stamp.write_text(env.key())
    print(f"[{env.name}] built in {time.monotonic() - started:.0f} s", flush=True)
    return folder


def freeze(venv: Path) -> dict[str, str]:
    """{normalised name: version} of everything installed in the environment."""
    out = run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"], capture_output=True).stdout
    return {re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"] for p in json.loads(out)}


def kernel_dir(venv: Path, folder: Path) -> Path:
    """A Jupyter data folder whose kernel `python3` is the environment's plain ipykernel."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    return folder


def seed_home(home: Path) -> None:
    """A home folder whose Keras cache holds the checkout's verified MNIST, as Colab's Keras download leaves it."""
    from helpers.data import fetch_mnist

    keras_cache = home / ".keras" / "datasets"
    keras_cache.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fetch_mnist(), keras_cache / "mnist.npz")


def run_notebook(env: Environment, venv: Path, notebook: Path, work: Path, repo: str, logs: Path) -> list[str]:
    """Run one notebook alone in an empty folder; return the problems found (none: it passed)."""
    folder = work / notebook.stem
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder / notebook.name)
    before = freeze(venv)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MNIST_COURSE_", "PYTHON", "JUPYTER"))}
    environ |= {
        "HOME": str(work / "home"),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "JUPYTER_PATH": str(kernel_dir(venv, work / "jupyter")),
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        REPO_ENV: repo,
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # ipykernel's debugger would warn on every start
    }
    nb = nbformat.read(folder / notebook.name, as_version=4)
    problems, started = [], time.monotonic()
    try:
        with mock.patch.dict(os.environ, environ, clear=True):  # the kernel inherits this process's environment
            NotebookClient(
                nb, kernel_name="python3", timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(folder)}}
            ).execute()
    except Exception as err:  # noqa: BLE001 - a failing cell, a dead kernel or a timeout: report and go on
        problems.append(f"{type(err).__name__}: {str(err).strip()[-1500:]}")
    finally:
        env.times[notebook.name] = time.monotonic() - started
        nbformat.write(nb, logs / f"{env.name}-{notebook.name}")
    shown = [f"cell {c.get('id')} shows {o.ename}: {o.evalue}" for c in nb.cells for o in c.get("outputs", [])
             if o.output_type == "error"]  # fmt: skip
    problems = problems or shown[:1]  # a traceback that did not stop the run (e.g. raised while displaying a result)
    after = freeze(venv)
    for name, version in sorted(before.items()):
        if after.get(name) != version:
            problems.append(f"{name} {version} was changed to {after.get(name, 'nothing')} by the notebook")
    added = sorted(set(after) - set(before))
    if added:  # the next notebook starts, as on a fresh Colab machine, without the helpers
        run([str(venv / "bin" / "python"), "-m", "pip", "uninstall", "--quiet", "--yes", *added])
    return problems


def main(args: list[str]) -> int:
    """Build the environments, run the notebooks in each, print their times and the Pythons not tested."""
    parser = argument_parser(__spec__.name, __doc__)
    parser.add_argument("choice", nargs="*", help=f"environments ({', '.join(ENVIRONMENTS)}) and notebooks to run "
                        "(default: all; e.g. `colab 08_your_own_digits.ipynb`)")  # fmt: skip
    choice = parser.parse_args(args).choice
    names = [a for a in choice if not a.endswith(".ipynb")]
    chosen = [Path(a).name for a in choice if a.endswith(".ipynb")]
    notebooks = [p for p in course_notebooks() if not chosen or p.name in chosen]
    if set(names) - set(ENVIRONMENTS) or len(notebooks) < len(chosen) or not notebooks:
        parser.error("no such environment or notebook")
    if len(names or ENVIRONMENTS) > 1:  # each in a process of its own, at the same time: while one trains on both
        # cores, the other installs, starts kernels and draws (CI's longest step; bench/ci.md measured the saving)
        runs = [subprocess.Popen([sys.executable, "-m", __spec__.name, name, *chosen], cwd=ROOT)
                for name in (names or ENVIRONMENTS)]  # fmt: skip
        return max([run.wait() for run in runs])
    envs = [ENVIRONMENTS[name]() for name in (names or ENVIRONMENTS)]
    cache = Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "mnist-course" / "compat")).expanduser()
    logs = cache / "executed"
    logs.mkdir(parents=True, exist_ok=True)
    pythons = find_pythons()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mnist-compat-") as tmp:
        clone = Path(tmp) / "mnist-course"
        run(["git", "clone", "--quiet", str(ROOT), str(clone)])  # HEAD, as a learner's Colab would get it
        repo = os.environ.get(REPO_ENV) or str(clone)
        failures: list[str] = []
        tested: list[Environment] = []
        for env in envs:
            if env.python not in pythons:
                print(f"[{env.name}] NOT TESTED: no Python {env.python} on this machine (install it, e.g. with pyenv)")
                continue
            venv = build(env, pythons[env.python], cache)
            work = Path(tmp) / env.name
            seed_home(work / "home")
            versions = freeze(venv)
            print(f"[{env.name}] Python {env.python}; " + ", ".join(f"{p} {versions.get(p, '-')}" for p in WATCHED))
            for notebook in notebooks:
                problems = run_notebook(env, venv, notebook, work, repo, logs)
                status = "ok" if not problems else "FAILED"
                print(f"[{env.name}] {notebook.name}: {status} in {env.times[notebook.name]:.0f} s", flush=True)
                failures += [f"[{env.name}] {notebook.name}: {p}" for p in problems]
            tested.append(env)

    print(f"\nCompatibility run ({time.monotonic() - started:.0f} s in all); each notebook's time, in seconds:")
    print("| notebook | " + " | ".join(f"{e.name} (Python {e.python})" for e in tested) + " |")
    print("|---" * (len(tested) + 1) + "|")
    for notebook in notebooks:
        print(f"| {notebook.name} | " + " | ".join(f"{e.times[notebook.name]:.0f}" for e in tested) + " |")
    oldest = int(oldest_python().split(".")[1])
    used = {make().python for make in ENVIRONMENTS.values()}  # the other environment's process tests its own
    for version in sorted(set(pythons) - used, key=lambda v: int(v.split(".")[1])):
        too_old = int(version.split(".")[1]) < oldest
        why = f"the course needs {project()['requires-python']}" if too_old else "no environment here uses it"
        print(f"Python {version}: not tested ({why})")
    if failures or not tested:
        print("\n".join(["", "FAILED:", *failures] if failures else ["", "FAILED: no environment could be tested"]))
        return 1
    print(f"{len(notebooks) * len(tested)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
