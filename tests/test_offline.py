"""Once set up, `make test` works offline: it installs nothing again and reads MNIST from the cache."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import data
from helpers.data import Splits

ROOT = Path(__file__).resolve().parents[1]
STAMP = ROOT / ".venv" / ".installed"


def make(*args: str) -> subprocess.CompletedProcess:
    """`make` in the checkout, unaffected by the `make test` this may run under."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.skipif(not STAMP.is_file(), reason="the environment was not set up by `make setup`")
def test_second_make_test_reinstalls_nothing() -> None:
    assert make("-q", ".venv/.installed").returncode == 0, "the set-up is out of date: run `make setup`"
    planned = make("-n", "test").stdout
    assert "python -m pytest" in planned  # the dry run did plan the tests...
    assert "pip" not in planned and "venv" not in planned.replace(".venv/bin/", "")  # ...and no installation


def test_cached_data_load_without_the_network(mnist: Splits, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """With the cache in place (the `mnist` fixture makes sure), loading and `make data` open no connection."""

    def offline(*_args, **_kwargs):
        raise AssertionError("the network or pip was used")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, offline)
    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setattr(subprocess, "run", offline)
    (x_train, _), _ = data.load_mnist()
    assert x_train.shape == (60000, 28, 28)
    assert data.main() == 0
    assert capsys.readouterr().out.count("MNIST: verified copy in the course data cache") == 2


def test_make_data_in_a_network_namespace_with_no_network(mnist: Splits) -> None:
    """`python -m helpers` (what `make data` runs) with the network really gone: `unshare -n`."""
    try:
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    except OSError:
        probe = None
    if probe is None or probe.returncode != 0:
        pytest.skip("unshare -n is not available here")
    done = subprocess.run(["unshare", "-n", sys.executable, "-m", "helpers"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "MNIST: verified copy in the course data cache" in done.stdout
