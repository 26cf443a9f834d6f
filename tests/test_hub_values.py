"""hub/z2jh-values.yaml, the class on Zero to JupyterHub, says what the one-server hub does: they cannot drift apart.

Kubernetes cannot run here, so these tests check what can be checked: the values parse; their limits are
hub/limits.py's; the students' environment, the idle culler, the log-in and the servers' options are those of
hub/jupyterhub_config.py and hub/spawner.py; the shared folders are read-only volumes; and hub/Dockerfile
builds the image from files the checkout has.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import sys
import types
from contextlib import suppress
from pathlib import Path, PurePosixPath
from unittest import mock

import pytest
import yaml
from traitlets.config import Config, PyFileConfigLoader

from hub import limits
from scripts.course import ROOT

HUB = ROOT / "hub"
VALUES = HUB / "z2jh-values.yaml"
# Kubespawner reads memory as JupyterHub's ByteSpecification does: a number of bytes, or one with K, M, G or T,
# each 1024 times the one before.
UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
# The chart's home folder for every student (singleuser.storage.homeMountPath's default).
HOME = PurePosixPath("/home/jovyan")
# On one server only: the student's cgroup v1 folder, where the kernel reads why its predecessor was killed.
ONE_SERVER_ONLY = {"MNIST_COURSE_CGROUP"}
# jupyterhub-idle-culler's flags and the chart's `cull` keys that pass them.
CULLER_FLAGS = {
    "--timeout": "timeout",
    "--cull-every": "every",
    "--max-age": "maxAge",
    "--concurrency": "concurrency",
    "--cull-users": "users",
    "--cull-admin-users": "adminUsers",
    "--remove-named-servers": "removeNamedServers",
}


def constants(path: Path) -> dict[str, object]:
    """The module-level constants (`NAME = literal`) of the Python file at `path`, read without importing it."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with suppress(ValueError):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def spawner_variables() -> set[str]:
    """The MNIST_COURSE_* variables hub/spawner.py gives each student's server (the keywords of its env.update)."""
    names = set()
    for node in ast.walk(ast.parse((HUB / "spawner.py").read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update":
            names.update(k.arg for k in node.keywords if k.arg and k.arg.startswith("MNIST_COURSE_"))
    return names


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


@pytest.fixture(scope="module")
def one_server() -> Config:
    """hub/jupyterhub_config.py as the hub reads it, with its defaults (no MNIST_COURSE_* settings).

    It imports one constant from hub/spawner.py, which needs JupyterHub (the class env's, not the course's
    .venv): a stand-in module holds hub/spawner.py's constants instead.
    """
    stand_in = types.ModuleType("hub.spawner")
    stand_in.__dict__.update(constants(HUB / "spawner.py"))
    settings = {name: value for name, value in os.environ.items() if not name.startswith("MNIST_COURSE_")}
    with mock.patch.dict(sys.modules, {"hub.spawner": stand_in}), mock.patch.dict(os.environ, settings, clear=True):
        return PyFileConfigLoader("jupyterhub_config.py", path=str(HUB)).load_config()


def in_bytes(quantity: int | float | str) -> int:
    """A memory quantity as kubespawner reads it (2G: 2 * 2**30), in bytes."""
    text = str(quantity)
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


def class_mounts(values: dict) -> dict[str, dict]:
    """The class volume's mounts in each student's server: its subPath (data, ...) -> the mount."""
    volume = next(v for v in values["singleuser"]["storage"]["extraVolumes"] if "persistentVolumeClaim" in v)
    mounts = values["singleuser"]["storage"]["extraVolumeMounts"]
    return {m["subPath"]: m for m in mounts if m["name"] == volume["name"]}


def test_limits_are_hub_limits(values: dict, one_server: Config) -> None:
    """A student's memory and CPU limits are hub/limits.py's, as the one-server hub sets them; guarantees fit under."""
    memory, cpu = values["singleuser"]["memory"], values["singleuser"]["cpu"]
    assert in_bytes(memory["limit"]) == limits.MEMORY == one_server.Spawner.mem_limit
    assert float(cpu["limit"]) == limits.CPUS == one_server.Spawner.cpu_limit
    assert 0 < in_bytes(memory["guarantee"]) <= limits.MEMORY
    assert 0 < float(cpu["guarantee"]) <= limits.CPUS


def test_environment_is_the_spawners(values: dict, one_server: Config) -> None:
    """The servers get the spawner's course variables, the threads of hub/limits.py, and the class env's layout."""
    env = values["singleuser"]["extraEnv"]
    assert {name for name in env if name.startswith("MNIST_COURSE_")} == spawner_variables() - ONE_SERVER_ONLY
    assert {name: env[name] for name in limits.thread_environment()} == limits.thread_environment()
    class_env = PurePosixPath(one_server.CourseSpawner.class_env)  # the default CLASS_ENV, where the image has it
    mounts, folder = class_mounts(values), constants(HUB / "spawner.py")["COURSE_FOLDER"]
    for name, shared in (("MNIST_COURSE_DATA", "data"), ("MNIST_COURSE_SHARED_EXPERIMENTS", "experiments")):
        assert env[name] == mounts[shared]["mountPath"] == str(class_env / shared)
    assert PurePosixPath(env["MNIST_COURSE_EXPERIMENTS"]).is_relative_to(HOME / folder)


def test_shared_folders_are_read_only(values: dict) -> None:
    """The data, 06's results and the course's repository come from one claim, mounted read-only."""
    volume = next(v for v in values["singleuser"]["storage"]["extraVolumes"] if "persistentVolumeClaim" in v)
    assert volume["persistentVolumeClaim"]["readOnly"] is True
    mounts = class_mounts(values)
    assert set(mounts) == {"data", "experiments", "course.git"}
    assert all(mount["readOnly"] is True for mount in mounts.values())


def test_course_is_pulled_as_on_one_server(values: dict, one_server: Config) -> None:
    """nbgitpuller pulls the class volume's course.git into the folder the spawner uses; the same start page."""
    command = values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]
    folder = constants(HUB / "spawner.py")["COURSE_FOLDER"]
    assert command == ["gitpuller", f"file://{class_mounts(values)['course.git']['mountPath']}", "main", folder]
    assert values["singleuser"]["defaultUrl"] == one_server.Spawner.default_url


def test_culler_is_the_one_servers(values: dict, one_server: Config) -> None:
    """jupyterhub-idle-culler gets the same settings: those the hub passes, and the same defaults for the rest."""
    culler = next(s for s in one_server.JupyterHub.services if s["name"] == "idle-culler")
    args = dict(arg.split("=", 1) for arg in culler["command"] if arg.startswith("--"))
    assert set(args) <= set(CULLER_FLAGS), "a culler flag the values file has no key for"
    cull = values["cull"]
    assert cull["enabled"] is True
    assert {CULLER_FLAGS[flag]: int(value) for flag, value in args.items()} == {
        key: value for key, value in cull.items() if key != "enabled"
    }


def test_log_in_and_servers_are_the_one_servers(values: dict, one_server: Config) -> None:
    """NativeAuthenticator with the same admin and rules, and the servers' options (the course kernel only).

    The authenticator is the hub package's (hub/auth.py): the values mount that file where the chart's
    configuration imports from, and the install command in their first lines fills it in from the checkout.
    """
    config = values["hub"]["config"]
    authenticator = one_server.JupyterHub.authenticator_class
    assert config["JupyterHub"]["authenticator_class"] == authenticator
    module = PurePosixPath(*authenticator.split(".")[:-1]).with_suffix(".py")
    assert (ROOT / module).is_file()
    key, file = next((k, f) for k, f in values["hub"]["extraFiles"].items() if f["mountPath"].endswith(f"/{module}"))
    assert PurePosixPath(file["mountPath"]).parent.parent == PurePosixPath("/usr/local/etc/jupyterhub")
    assert f"--set-file hub.extraFiles.{key}.stringData={module}" in VALUES.read_text()
    rules = dict(config["Authenticator"], admin_users=set(config["Authenticator"]["admin_users"]))
    assert rules == dict(one_server.Authenticator)
    assert config["NativeAuthenticator"] == dict(one_server.NativeAuthenticator)
    assert config["KubeSpawner"]["args"] == one_server.Spawner.args


def test_image_recipe_uses_the_checkout() -> None:
    """hub/Dockerfile copies only files the checkout has, installs hub/requirements.lock hash-checked, and
    puts the venv where the values file's paths (the default CLASS_ENV) expect it."""
    recipe = (HUB / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", recipe, re.MULTILINE):
        *sources, _ = shlex.split(line)
        assert all((ROOT / source).exists() for source in sources), line
    assert "COPY hub/requirements.lock" in recipe
    assert re.search(r"--require-hashes -r \S*hub/requirements\.lock", recipe)
    assert "ENV PATH=/opt/mnist-course/venv/bin:" in recipe
