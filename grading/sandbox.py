"""The sandbox one student notebook runs in: its own user, filesystem view, network, processes and limits.

Built from what Linux gives root, with no container runtime: `unshare` makes new mount, network and PID
namespaces; in them a small tmpfs becomes the root of the notebook's world, holding read-only binds of
/usr, /etc and the students' environment, a few device files, a fresh /proc, and /tmp: the scratch folder,
the only place it may write (the tmpfs's size is the disk it may fill). `setpriv` then drops to an
unprivileged user, with no capabilities and no way to gain any. cgroup v1 limits its memory, its
number of processes and its share of the CPU; the time limit is the grader's, which kills every process
of the cgroup. When the runner (PID 1 of its namespace) exits, the kernel kills whatever it left, and the
namespace's mounts, scratch included, vanish with it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hub import limits as hub_limits
from hub.cgroups import Cgroup

GROUP = "mnist-grading"

# Run as root inside the new namespaces, before dropping to the student's user. $1... is the command.
SETUP = r"""set -eu
root="$STAGE/root"
mount -t tmpfs -o "size=$DISK,mode=0755" sandbox "$root"
for link in bin lib lib64 sbin; do [ -L "/$link" ] && ln -s "$(readlink "/$link")" "$root/$link"; done
for dir in /usr /etc "$ENV_DIR"; do mkdir -p "$root$dir" && mount --bind -o ro "$dir" "$root$dir"; done
mkdir "$root/dev" "$root/proc" "$root/tmp"
for dev in null zero random urandom; do touch "$root/dev/$dev" && mount --bind "/dev/$dev" "$root/dev/$dev"; done
mount -t proc proc "$root/proc"
mkdir "$root/tmp/data"
cp "$STAGE/notebook.ipynb" "$STAGE/runner.py" "$root/tmp/"
ln -s "$ENV_DIR/data/mnist.npz" "$root/tmp/data/mnist.npz"
chown -R "$SANDBOX_UID:$SANDBOX_GID" "$root/tmp" && chmod 0700 "$root/tmp"
ulimit -c 0
exec chroot "$root" setpriv --reuid="$SANDBOX_UID" --regid="$SANDBOX_GID" --clear-groups --inh-caps=-all \
  --bounding-set=-all --no-new-privs -- /usr/bin/env -i HOME=/tmp PATH=/usr/bin:/bin \
  MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=3 MNIST_COURSE_DATA=/tmp/data MNIST_COURSE_MODELS=/tmp/models \
  sh -c 'cd /tmp && exec "$0" "$@"' "$0" "$@"
"""


@dataclass(frozen=True)
class Limits:
    """What one notebook may use: wall-clock seconds, memory (bytes), processes and threads, disk (tmpfs size).

    Memory, processes and CPU are a student's on the class's hub (hub/limits.py): what runs there runs here.
    """

    seconds: float = 900
    memory: int = hub_limits.MEMORY
    tasks: int = hub_limits.TASKS
    disk: str = "512m"
    cpus: float = hub_limits.CPUS  # a CPU quota, so that a notebook that spins (a fork bomb) slows no other


def ensure_user(name: str) -> tuple[int, int]:
    """The uid and gid of the sandbox user `name`, created (a system user, no home, no shell) if missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
            check=True,
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def remove_user(name: str) -> None:
    """Delete a sandbox user made by `ensure_user` (the tests' users; a class's stay for the next grading)."""
    subprocess.run(["userdel", name], check=False, capture_output=True)


def processes_of(uid: int) -> list[int]:
    """The processes running as `uid` (their real uid), from /proc."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(line.split()[1]) == uid:
            found.append(int(status.parent.name))
    return found


def cgroup(name: str, limits: Limits) -> Cgroup:
    """The cgroups (mnist-grading/`name`) that hold one notebook's run to `limits`."""
    return Cgroup.make(GROUP, name, limits.memory, limits.tasks, limits.cpus)


def kill_processes_of(uid: int, patience: float = 10) -> bool:
    """SIGKILL whatever still runs as a sandbox's user (only its sandbox runs as it) until nothing does."""
    deadline = time.monotonic() + patience
    while (left := processes_of(uid)) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    return not processes_of(uid)


def command(stage: Path, env_dir: Path, user: str, limits: Limits, python_args: list[str]) -> tuple[list, dict]:
    """The command (root) that runs `python_args` with the environment's Python in a fresh sandbox, and its env.

    `stage` holds notebook.ipynb and runner.py; it must be a root-only folder with an empty `root` in it.
    """
    uid, gid = ensure_user(user)
    namespaces = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--propagation", "private"]
    argv = [*namespaces, "sh", "-c", SETUP, str(env_dir / "venv" / "bin" / "python"), "-I", *python_args]
    environment = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "STAGE": str(stage),
        "ENV_DIR": str(env_dir),
        "DISK": limits.disk,
        "SANDBOX_UID": str(uid),
        "SANDBOX_GID": str(gid),
    }
    return argv, environment
