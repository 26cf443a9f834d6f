"""Faults and bad input: every damaged, blocked or foreign file gives a clear error or is recovered from.

Each fault is its own test id. The data cache is an empty temporary folder (`cache_dir`) and the
sources of MNIST are replaced by the verified arrays already in memory, so nothing here downloads.
Faults that root cannot feel (an unreadable file, a folder without write access) are also run for
real as the user `nobody` (setpriv); a read-only file system and a full disk are real tmpfs mounts
in a private mount namespace (unshare -m). Those tests are skipped where the tools are missing.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np
import pytest
from keras.src.backend.common import global_state

from helpers import data, models
from helpers.data import MnistDataError, Splits
from helpers.models import ModelFileError, load_model, save_model
from helpers.paths import display_path

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534


# --- the data cache ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def good_npz(mnist: Splits, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A verified copy, written once per session."""
    path = tmp_path_factory.mktemp("good") / "mnist.npz"
    data.write_npz(path, mnist)
    return path


@pytest.fixture
def one_source(mnist: Splits, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the download sources with the arrays in memory; the list records each time it is used."""
    calls: list[str] = []

    def source() -> Splits:
        calls.append("used")
        return mnist

    monkeypatch.setattr(data, "_sources", lambda: [("the test source", source)])
    return calls


def arrays_of(mnist: Splits) -> dict[str, np.ndarray]:
    (x_train, y_train), (x_test, y_test) = mnist
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # savez pickles object arrays: that is how a pickle gets into an .npz
    return buf.getvalue()


def flipped(raw: bytes, offset: int) -> bytes:
    return raw[:offset] + bytes([raw[offset] ^ 0xFF]) + raw[offset + 1 :]


class Trap:
    """Unpickling this creates a folder: proof, if it ever exists, that a data file was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


def one_pixel_changed(mnist: Splits, _: bytes, __: Path) -> bytes:
    arrays = arrays_of(mnist)
    arrays["x_test"] = arrays["x_test"].copy()
    arrays["x_test"][0, 0, 0] ^= 1
    return npz_bytes(**arrays)


def pickled_object(mnist: Splits, _: bytes, marker: Path) -> bytes:
    return npz_bytes(**{**arrays_of(mnist), "x_train": np.array([Trap(marker)], dtype=object)})


# Each maker gets (the real arrays, the bytes of a good .npz, a marker path) and returns the bad file's bytes.
DAMAGED: dict[str, tuple[Callable[[Splits, bytes, Path], bytes], str]] = {
    "truncated": (lambda _, good, __: good[: len(good) // 2], "not a complete zip archive"),
    "zero-bytes": (lambda *_: b"", "not a complete zip archive"),
    "garbage-bytes": (lambda *_: bytes(range(256)) * 64, "not a complete zip archive"),
    "flipped-byte-at-100": (lambda _, good, __: flipped(good, 100), "cannot be read as .npz"),
    "flipped-byte-at-199": (lambda _, good, __: flipped(good, 199), "cannot be read as .npz"),
    "flipped-byte-mid-file": (lambda _, good, __: flipped(good, len(good) // 3), "cannot be read as .npz"),
    "wrong-checksum": (one_pixel_changed, "x_test fails its SHA-256 check"),
    "missing-key": (
        lambda m, _, __: npz_bytes(**{k: v for k, v in arrays_of(m).items() if k != "y_test"}),
        r"expected arrays .* found \['x_test', 'x_train', 'y_train'\]",
    ),
    "extra-key": (lambda m, _, __: npz_bytes(**arrays_of(m), extra=np.zeros(1)), "expected arrays"),
    "wrong-dtype": (
        lambda m, _, __: npz_bytes(**{**arrays_of(m), "y_train": m[0][1].astype(np.int64)}),
        "y_train is int64",
    ),
    "scaled-floats": (
        lambda m, _, __: npz_bytes(**{**arrays_of(m), "x_test": m[1][0].astype(np.float32) / 255}),
        "x_test is float32",
    ),
    "wrong-shape": (
        lambda m, _, __: npz_bytes(**{**arrays_of(m), "x_train": m[0][0].reshape(60000, 784)}),
        r"x_train is uint8 \(60000, 784\)",
    ),
    "pickled-object": (pickled_object, "holds pickled objects, never loaded"),
}


@pytest.mark.parametrize("fault", DAMAGED)
def test_damaged_cache_is_refused_with_the_fix_and_left_alone(
    fault: str, mnist: Splits, good_npz: Path, cache_dir: Path, one_source: list, tmp_path: Path
) -> None:
    make, message = DAMAGED[fault]
    marker = tmp_path / "unpickled"
    bad = make(mnist, good_npz.read_bytes(), marker)
    cache_dir.mkdir()
    (cache_dir / "mnist.npz").write_bytes(bad)
    with pytest.raises(MnistDataError, match=message) as err:
        data.load_mnist(quiet=True)
    assert f"{display_path(cache_dir / 'mnist.npz')}" in str(err.value) and "run `make data`" in str(err.value)
    assert "allow_pickle" not in str(err.value)  # NumPy's advice to load it unsafely is never passed on
    assert (cache_dir / "mnist.npz").read_bytes() == bad  # not used, not silently replaced
    assert not one_source and not marker.exists()


@pytest.mark.parametrize("fault", ["truncated", "wrong-checksum", "pickled-object"])
def test_make_data_replaces_a_damaged_cache(
    fault: str, mnist: Splits, good_npz: Path, cache_dir: Path, one_source: list, tmp_path: Path, capsys
) -> None:
    """`make data` replaces whatever `load_mnist` refuses; three kinds stand for all (the trigger is the same)."""
    make, _ = DAMAGED[fault]
    marker = tmp_path / "unpickled"
    cache_dir.mkdir()
    (cache_dir / "mnist.npz").write_bytes(make(mnist, good_npz.read_bytes(), marker))
    assert data.main() == 0
    assert data.read_npz(cache_dir / "mnist.npz")[1][1].tolist() == mnist[1][1].tolist()
    assert [p.name for p in cache_dir.iterdir()] == ["mnist.npz"] and not marker.exists()
    assert "fetching a new copy" in capsys.readouterr().out


def test_the_pickle_trap_would_fire_if_unpickled(mnist: Splits, tmp_path: Path) -> None:
    """The pickled-object case is a real payload: NumPy with allow_pickle=True runs it (so the test above can fail)."""
    marker = tmp_path / "unpickled"
    path = tmp_path / "trap.npz"
    path.write_bytes(pickled_object(mnist, b"", marker))
    with np.load(path, allow_pickle=True) as npz:
        npz["x_train"]
    assert marker.is_dir()


def test_every_single_byte_corruption_is_a_clear_error(tmp_path: Path) -> None:
    """Flip each byte of a small .npz in the Keras layout, and cut it at each length: always MnistDataError."""
    raw = io.BytesIO()
    np.savez_compressed(
        raw, **{name: np.arange(2 * np.prod(shape[1:]), dtype=np.uint8) for name, shape in data.SHAPES.items()}
    )
    good, path, outcomes = raw.getvalue(), tmp_path / "mnist.npz", set()
    for bad in [flipped(good, i) for i in range(len(good))] + [good[:n] for n in range(len(good))]:
        path.write_bytes(bad)
        try:
            data.read_npz(path)
        except MnistDataError:
            outcomes.add("MnistDataError")
        except Exception as err:  # noqa: BLE001 - the point: anything else is a test failure, named here
            outcomes.add(f"{type(err).__name__}: {err}")
    assert outcomes == {"MnistDataError"}


def test_missing_cache_is_fetched_and_saved(cache_dir: Path, one_source: list, capsys) -> None:
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and one_source == ["used"]
    assert [p.name for p in cache_dir.iterdir()] == ["mnist.npz"]
    assert "MNIST: the test source, verified, saved to" in capsys.readouterr().out


def test_damaged_keras_cache_is_skipped_for_the_next_source(cache_dir: Path, mnist: Splits, monkeypatch, capsys):
    keras_cache = cache_dir.parent / "keras" / "mnist.npz"
    keras_cache.parent.mkdir()
    keras_cache.write_bytes(b"half a download")
    monkeypatch.setattr(data, "KERAS_CACHE", keras_cache)
    monkeypatch.setattr(data, "_download_with_keras", lambda: mnist)
    data.load_mnist()
    assert "MNIST: the Keras download, verified, saved to" in capsys.readouterr().out
    assert keras_cache.read_bytes() == b"half a download"  # not ours to change


def test_unreadable_cache_says_so(good_npz: Path, cache_dir: Path, one_source: list, monkeypatch) -> None:
    """As root nothing is unreadable, so `open` is made to fail; test_unreadable_cache_as_nobody does it for real."""
    cache_dir.mkdir()
    shutil.copy(good_npz, cache_dir / "mnist.npz")
    real_open = open

    def denied(path, *args, **kwargs):
        if Path(path) == cache_dir / "mnist.npz":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(data, "open", denied, raising=False)
    with pytest.raises(MnistDataError, match=r"mnist\.npz cannot be opened \(Permission denied\); run `make data`"):
        data.load_mnist(quiet=True)


def test_data_folder_that_is_a_file(cache_dir: Path, one_source: list, capsys) -> None:
    cache_dir.write_text("my notes")
    with pytest.raises(MnistDataError, match=r"is a file, but the data cache must be a folder.*MNIST_COURSE_DATA"):
        data.load_mnist(quiet=True)
    assert data.main() == 1 and "is a file, but the data cache must be a folder" in capsys.readouterr().err
    assert cache_dir.read_text() == "my notes" and not one_source  # nothing fetched that could not be kept


def test_cache_that_is_a_folder(cache_dir: Path, one_source: list, capsys) -> None:
    (cache_dir / "mnist.npz").mkdir(parents=True)
    with pytest.raises(MnistDataError, match=r"mnist\.npz is not a file: delete it, then run `make data`"):
        data.load_mnist(quiet=True)
    assert data.main() == 1 and not one_source


def test_a_refused_write_still_gives_the_data_and_make_data_says_what_to_do(
    cache_dir: Path, one_source: list, monkeypatch, capsys
) -> None:
    """A folder that refuses the write itself: load_mnist returns the verified data in memory with a warning;
    `make data` fails clearly. (A folder known to be read-only is an error: test_read_only_file_system.)"""

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("helpers.paths.tempfile.mkstemp", read_only)
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (60000, 28, 28)
    assert "could not save it to" in capsys.readouterr().out
    assert data.main() == 1
    err = capsys.readouterr().err
    assert "could not write" in err and "Read-only file system" in err and "MNIST_COURSE_DATA" in err
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_disk_full_mid_write_leaves_the_old_file_and_no_temporary_file(
    cache_dir: Path, one_source: list, monkeypatch, capsys
) -> None:
    cache_dir.mkdir()
    (cache_dir / "mnist.npz").write_bytes(b"an old damaged copy")

    def fills_the_disk(f, **arrays) -> None:
        f.write(b"PK\x03\x04 the first part of the archive")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", fills_the_disk)
    assert data.main() == 1
    assert "could not write" in capsys.readouterr().err
    assert [p.name for p in cache_dir.iterdir()] == ["mnist.npz"]
    assert (cache_dir / "mnist.npz").read_bytes() == b"an old damaged copy"


def test_stale_temporary_file_of_a_killed_write_is_never_trusted(
    good_npz: Path, cache_dir: Path, one_source: list
) -> None:
    """A killed writer can leave `.mnist.XXXX.tmp.npz`: even a complete one is not read; git ignores it."""
    cache_dir.mkdir()
    stale = cache_dir / ".mnist.k1ll3d.tmp.npz"
    shutil.copy(good_npz, stale)
    data.load_mnist(quiet=True)
    assert one_source == ["used"]  # fetched, not taken from the temporary file
    assert data.read_npz(cache_dir / "mnist.npz")[0][0].shape == (60000, 28, 28)
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", "data/.mnist.k1ll3d.tmp.npz"], cwd=ROOT)
    assert ignored.returncode == 0


# --- the same faults for real: other users, read-only and full file systems, two processes -------------

SCRIPT = """
import sys
from pathlib import Path
from helpers import data
data._sources = lambda: [("the test copy", lambda: data.read_npz(Path(sys.argv[2])))]
if sys.argv[1] == "load":
    (x_train, _), _ = data.load_mnist()
    print("loaded", x_train.shape)
else:
    sys.exit(data.main())
"""


def run_helpers(
    what: str,
    folder: Path,
    good: Path,
    prefix: list[str] | None = None,
    shell_setup: str = "",
    python: tuple[str, dict[str, str]] | None = None,
) -> subprocess.CompletedProcess:
    """`load` or `main` (= make data) in a fresh Python, with the data cache in `folder`, maybe as another user.

    `python` is another interpreter and the environment it needs (`readable_python`), else this one.
    """
    executable, extra_env = python or (sys.executable, {})
    env = {**os.environ, **extra_env, "MNIST_COURSE_DATA": str(folder)}
    cmd = [*(prefix or []), executable, "-P", "-c", SCRIPT, what, str(good)]  # -P: not `helpers` from the cwd
    if shell_setup:
        cmd = ["unshare", "-m", "sh", "-c", f'{shell_setup} && exec "$@"', "sh", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def can(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
needs_setpriv = pytest.mark.skipif(os.geteuid() != 0 or not can([*AS_NOBODY, "true"]), reason="needs root and setpriv")
needs_unshare = pytest.mark.skipif(
    not can(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"]), reason="needs unshare -m and mount"
)


NOT_NEEDED_BY_NOBODY = (
    "site-packages",
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "config-*",
)


def _link_or_copy(source: str, target: str) -> None:
    """A hard link (instant, no space) to a file every user may read, else a copy made readable (the original
    keeps its mode: a link would share it)."""
    if os.stat(source).st_mode & 0o004:
        try:
            os.link(source, target)
            return
        except OSError:
            pass
    shutil.copy2(source, target)
    os.chmod(target, os.stat(target).st_mode | 0o444)


def readable_python(folder: Path, helpers: Path = ROOT / "helpers") -> tuple[str, dict[str, str]]:
    """This Python, NumPy and `helpers` laid out in `folder`, for a user who cannot read the checkout or the venv.

    As root, the checkout often lies in a folder no one else may enter (`mktemp -d`, /root), and so may
    the interpreter and the virtualenv. `nobody` gets its own readable layout instead: the interpreter,
    its shared library and standard library, NumPy, and the helpers package with a plain `__init__`
    (`helpers.data` needs NumPy only). Returns the interpreter's path and the environment to run it with.
    """
    import numpy

    lib = folder / "lib"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    code = folder / "code"  # on PYTHONPATH: NumPy and helpers (a Debian Python does not read site-packages)
    ignore = shutil.ignore_patterns(*NOT_NEEDED_BY_NOBODY)
    shutil.copytree(stdlib, lib / stdlib.name, ignore=ignore, copy_function=_link_or_copy)
    for package in (Path(numpy.__file__).parent, Path(numpy.__file__).parent.with_name("numpy.libs")):
        if package.is_dir():
            shutil.copytree(package, code / package.name, copy_function=_link_or_copy)
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):  # the interpreter needs libpython3.X.so beside it
        shared_lib = Path(sysconfig.get_config_var("LIBDIR")) / sysconfig.get_config_var("INSTSONAME")
        _link_or_copy(str(shared_lib), str(lib / shared_lib.name))
    (folder / "bin").mkdir()
    python = folder / "bin" / "python3"
    _link_or_copy(str(Path(sys._base_executable).resolve()), str(python))
    shutil.copytree(
        helpers, code / "helpers", ignore=shutil.ignore_patterns("__pycache__"), copy_function=_link_or_copy
    )
    (code / "helpers" / "__init__.py").unlink()  # a link to the checkout's: replaced, not written through
    (code / "helpers" / "__init__.py").write_text('"""The course helpers, without the plots."""\n')
    (code / "helpers" / "__init__.py").chmod(0o644)
    for path in [folder, *(path for path in folder.rglob("*") if path.is_dir())]:
        path.chmod(0o755)
    env = {
        "PYTHONHOME": str(folder),
        "PYTHONPATH": str(code),
        "LD_LIBRARY_PATH": str(lib),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return str(python), env


@pytest.fixture(scope="session")
def nobody_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`readable_python` in a folder every user may enter (pytest's own temporary folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-nobody-python-"))
    folder.chmod(0o755)
    yield readable_python(folder / "python")
    shutil.rmtree(folder)


@pytest.fixture
def shared(good_npz: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A folder every user may enter (pytest's tmp_path is private to root), holding a readable good copy."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-faults-"))
    folder.chmod(0o755)
    (folder / "matplotlib").mkdir(mode=0o777)  # for `nobody`, whose home is not writable
    (folder / "matplotlib").chmod(0o777)
    monkeypatch.setenv("MPLCONFIGDIR", str(folder / "matplotlib"))
    good = folder / "good.npz"
    shutil.copy(good_npz, good)
    good.chmod(0o644)
    yield folder, good
    shutil.rmtree(folder)


@needs_setpriv
def test_unreadable_cache_as_nobody(shared: tuple[Path, Path], nobody_python: tuple[str, dict[str, str]]) -> None:
    folder, good = shared
    cache = folder / "data" / "mnist.npz"
    cache.parent.mkdir(mode=0o755)
    shutil.copy(good, cache)
    cache.chmod(0o600)  # root's file, unreadable to others
    done = run_helpers("load", cache.parent, good, AS_NOBODY, python=nobody_python)
    assert done.returncode == 1
    assert "mnist.npz cannot be opened (Permission denied); run `make data`" in done.stderr
    done = run_helpers(
        "main", cache.parent, good, AS_NOBODY, python=nobody_python
    )  # make data: cannot replace it in root's folder
    assert done.returncode == 1 and "could not write" in done.stderr and "Permission denied" in done.stderr
    assert cache.read_bytes() == good.read_bytes()


@needs_setpriv
def test_folder_without_write_access_as_nobody(
    shared: tuple[Path, Path], nobody_python: tuple[str, dict[str, str]]
) -> None:
    """A class server's shared data: root's folder, which students may read and not write."""
    folder, good = shared
    (folder / "data").mkdir(mode=0o755)
    done = run_helpers("load", folder / "data", good, AS_NOBODY, python=nobody_python)
    assert done.returncode == 1 and "holds no copy of MNIST, and you cannot write there" in done.stderr
    done = run_helpers("main", folder / "data", good, AS_NOBODY, python=nobody_python)
    assert done.returncode == 1
    assert "could not write" in done.stderr and "make the folder writable" in done.stderr
    assert list((folder / "data").iterdir()) == []
    shutil.copy(good, folder / "data" / "mnist.npz")  # the instructor's verified copy
    done = run_helpers("load", folder / "data", good, AS_NOBODY, python=nobody_python)
    assert done.returncode == 0 and "verified copy in the course data cache" in done.stdout, done.stderr


@needs_setpriv
def test_folder_that_cannot_be_entered_as_nobody(
    shared: tuple[Path, Path], nobody_python: tuple[str, dict[str, str]]
) -> None:
    folder, good = shared
    (folder / "private").mkdir(mode=0o700)
    done = run_helpers("load", folder / "private" / "data", good, AS_NOBODY, python=nobody_python)
    assert done.returncode == 1
    assert "cannot be checked (Permission denied): set MNIST_COURSE_DATA to another folder" in done.stderr


@needs_setpriv
def test_nobody_runs_the_helpers_of_a_checkout_it_cannot_enter(shared: tuple[Path, Path]) -> None:
    """The tests above pass wherever the checkout is: here its helpers sit in a folder only root may enter."""
    folder, good = shared
    private = folder / "private-checkout"
    private.mkdir(mode=0o700)
    shutil.copytree(ROOT / "helpers", private / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    assert subprocess.run([*AS_NOBODY, "ls", str(private)], capture_output=True).returncode != 0
    python = readable_python(folder / "python", helpers=private / "helpers")
    done = run_helpers("load", folder / "data", good, AS_NOBODY, python=python)
    assert done.returncode == 0, done.stderr
    assert "loaded (60000, 28, 28)" in done.stdout


@needs_unshare
def test_read_only_file_system(shared: tuple[Path, Path]) -> None:
    folder, good = shared
    data = folder / "data"
    mount = f"mount -t tmpfs -o ro tmpfs {data}"
    data.mkdir()
    done = run_helpers("load", data, good, shell_setup=mount)
    assert done.returncode == 1 and "holds no copy of MNIST, and you cannot write there" in done.stderr
    done = run_helpers("main", data, good, shell_setup=mount)
    assert done.returncode == 1 and "could not write" in done.stderr and "Read-only file system" in done.stderr
    with_copy = f"mount -t tmpfs tmpfs {data} && cp {good} {data}/mnist.npz && mount -o remount,ro {data}"
    done = run_helpers("load", data, good, shell_setup=with_copy)
    assert done.returncode == 0 and "verified copy in the course data cache" in done.stdout, done.stderr


@needs_unshare
def test_full_disk_keeps_the_old_file_and_leaves_no_temporary_file(shared: tuple[Path, Path]) -> None:
    """A 4 MB tmpfs cannot hold the 11 MB archive: the write fails midway, for real."""
    folder, good = shared
    cache = folder / "data"
    cache.mkdir()
    setup = f"mount -t tmpfs -o size=4m tmpfs {cache} && printf 'old damaged copy' > {cache}/mnist.npz"
    inside = f'{setup} && "$@"; echo "rc=$?"; ls -A {cache}; cat {cache}/mnist.npz'  # seen before the mount goes
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", inside, "sh", sys.executable, "-c", SCRIPT, "main", str(good)],
        env={**os.environ, "MNIST_COURSE_DATA": str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "could not write" in done.stderr and "No space left on device" in done.stderr
    assert done.stdout.endswith("rc=1\nmnist.npz\nold damaged copy")  # no temporary file, the old one intact


def test_two_processes_fetching_at_once(good_npz: Path, tmp_path: Path) -> None:
    """Both fetch into the same empty cache and write at the same moment: both succeed, one valid file."""
    ready, cache = tmp_path / "ready", tmp_path / "data"
    ready.mkdir()
    script = f"""
import os, sys, time
from pathlib import Path
from helpers import data
ready = Path({str(ready)!r})
def source():
    splits = data.read_npz(Path({str(good_npz)!r}))
    (ready / str(os.getpid())).touch()
    while len(list(ready.iterdir())) < 2:  # both have their copy: now both write at once
        time.sleep(0.01)
    return splits
data._sources = lambda: [("the test copy", source)]
sys.exit(data.main())
"""
    env = {**os.environ, "MNIST_COURSE_DATA": str(cache)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert [p.name for p in cache.iterdir()] == ["mnist.npz"]
    assert data.read_npz(cache / "mnist.npz")[0][0].shape == (60000, 28, 28)


# --- saved models ---------------------------------------------------------------------------------------


def dense(n_in: int = 784, hidden: int | None = None, n_out: int = 10) -> keras.Model:
    layers = [keras.layers.Dense(hidden, activation="relu")] if hidden else []
    return keras.Sequential([keras.Input(shape=(n_in,)), *layers, keras.layers.Dense(n_out, activation="softmax")])


def cnn() -> keras.Model:
    return keras.Sequential(
        [keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(), keras.layers.Dense(10)]
    )


def with_lambda() -> keras.Model:
    return keras.Sequential([keras.Input(shape=(784,)), keras.layers.Lambda(lambda x: x[:, :10])])


def save_then(change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        save_model(dense(), path)
        path.write_bytes(change(path.read_bytes()))

    return make


def keras_dir(path: Path) -> None:
    """A folder named like the model holding a config.json: Keras itself would load it as a model."""
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"class_name": "Sequential"}))


MODEL_FAULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing": (lambda path: None, "no saved model at"),
    "a-folder": (keras_dir, "no saved model at"),
    "zero-bytes": (lambda path: path.write_bytes(b""), r"is not a complete \.keras file"),
    "garbage-bytes": (lambda path: path.write_bytes(bytes(range(256)) * 8), r"is not a complete \.keras file"),
    "truncated": (save_then(lambda raw: raw[: len(raw) // 2]), r"is not a complete \.keras file"),
    "a-zip-but-not-a-model": (lambda path: path.write_bytes(npz_bytes(x=np.zeros(3))), "cannot be loaded"),
    "another-output-size": (lambda path: save_model(dense(n_out=3), path), "another architecture"),
    "another-input-size": (lambda path: save_model(dense(n_in=28), path), "another architecture"),
    "a-cnn": (lambda path: save_model(cnn(), path), r"maps \(None, 28, 28, 1\) to \(None, 10\)"),
    "a-lambda-layer": (lambda path: save_model(with_lambda(), path), r"holds Python code \(e\.g\. a Lambda layer\)"),
}


@pytest.mark.parametrize("fault", MODEL_FAULTS)
def test_saved_model_fault_is_refused_clearly(fault: str, tmp_path: Path) -> None:
    make, message = MODEL_FAULTS[fault]
    path = tmp_path / "dense_mnist.keras"
    make(path)
    with pytest.raises(ModelFileError, match=message) as err:
        load_model(path, input_shape=(784,), n_outputs=10)
    assert display_path(path) in str(err.value) and "safe_mode" not in str(err.value)


@pytest.mark.parametrize("fault", MODEL_FAULTS)
def test_load_or_train_says_so_and_trains_one(fault: str, tmp_path: Path, monkeypatch, capsys) -> None:
    """What notebooks 04, 07 and 08 do with each faulty file: say what happened and what to do, then train."""
    make, message = MODEL_FAULTS[fault]
    make(tmp_path / "dense_mnist.keras")
    trained = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10)])
    monkeypatch.setattr(models, "train_reference", lambda seed: trained)  # the real training: test_models.py
    assert models.load_or_train(tmp_path / "dense_mnist.keras") is trained
    said = capsys.readouterr().out
    assert "run 03_training.ipynb to save one" in said and "trains one" in said
    assert re.search(message, said)


def test_lambda_layer_is_refused_by_safe_mode_even_when_unsafe_loading_was_turned_on(tmp_path: Path) -> None:
    """The file is otherwise fine (it loads with safe_mode=False); load_model refuses it even after
    keras.config.enable_unsafe_deserialization(), because it passes safe_mode=True explicitly."""
    path = tmp_path / "lambda.keras"
    save_model(with_lambda(), path)
    assert keras.saving.load_model(path, safe_mode=False).output_shape == (None, 10)
    before = global_state.get_global_attribute("safe_mode_saving")  # Keras has no public way to undo the next line
    keras.config.enable_unsafe_deserialization()
    try:
        with pytest.raises(ModelFileError, match="holds Python code"):
            load_model(path, input_shape=(784,), n_outputs=10)
    finally:
        global_state.set_global_attribute("safe_mode_saving", before)


def test_unreadable_model_file_says_so(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "dense_mnist.keras"
    save_model(dense(), path)

    def denied(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(models, "open", denied, raising=False)
    with pytest.raises(ModelFileError, match=r"cannot be opened \(Permission denied\)"):
        load_model(path, input_shape=(784,), n_outputs=10)


def test_other_formats_are_never_opened(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "dense_mnist.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n legacy")
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: pytest.fail("must not reach Keras"))
    with pytest.raises(ValueError, match=r"load_model reads only \.keras files"):
        load_model(path, input_shape=(784,), n_outputs=10)


def test_same_shapes_other_hidden_layer_is_accepted(tmp_path: Path) -> None:
    """Chosen behaviour: a 784 → 64 → 10 network is still a digit classifier 04 can analyse (e.g. yours from
    an exercise in 03), so it loads; only the input and output shapes are checked."""
    path = tmp_path / "dense_mnist.keras"
    save_model(dense(hidden=64), path)
    assert [layer.units for layer in load_model(path, input_shape=(784,), n_outputs=10).layers] == [64, 10]
