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

CGROUPS = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")
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
    """What one notebook may use: wall-clock seconds, memory (bytes), processes and threads, disk (tmpfs size)."""

    seconds: float = 900
    memory: int = 3 * 2**30
    tasks: int = 512
    disk: str = "512m"
    cpus: float = 1.0  # a CPU quota, so that a notebook that spins (a fork bomb) slows no other


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


def kill_processes_of(uid: int, patience: float = 10) -> bool:
    """SIGKILL whatever still runs as a sandbox's user (only its sandbox runs as it) until nothing does."""
    deadline = time.monotonic() + patience
    while (left := processes_of(uid)) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    return not processes_of(uid)


class Cgroup:
    """Memory, pids and cpu cgroups (v1) for one notebook run: limits, what hit them, and killing everything in it."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.dirs = [CGROUPS / controller / GROUP / name for controller in CONTROLLERS]
        for folder in self.dirs:
            folder.mkdir(parents=True, exist_ok=True)
        memory, pids, cpu = self.dirs
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory))
        (memory / "memory.swappiness").write_text("0")
        (pids / "pids.max").write_text(str(limits.tasks))
        period = int((cpu / "cpu.cfs_period_us").read_text())
        (cpu / "cpu.cfs_quota_us").write_text(str(int(limits.cpus * period)))

    def join_command(self) -> list[str]:
        """A command prefix that moves itself into each of the run's cgroups, then runs the rest."""
        joins = " && ".join(f"echo $$ > {folder / 'cgroup.procs'}" for folder in self.dirs)
        return ["sh", "-c", f'{joins} && exec "$@"', "sh"]

    def out_of_memory(self) -> bool:
        """Whether the kernel refused or killed for memory (memory.failcnt counts each time the limit was hit)."""
        oom = (self.dirs[0] / "memory.oom_control").read_text()
        killed = any(line.split()[-1] != "0" for line in oom.splitlines() if line.startswith("oom_kill "))
        return killed or int((self.dirs[0] / "memory.failcnt").read_text()) > 0

    def forks_refused(self) -> int:
        """How many times a new process or thread was refused at the limit (a fork bomb)."""
        events = (self.dirs[1] / "pids.events").read_text().split()
        return int(events[1]) if len(events) == 2 else 0

    def pids(self) -> set[int]:
        return {int(pid) for folder in self.dirs for pid in (folder / "cgroup.procs").read_text().split()}

    def kill_all(self, patience: float = 30) -> bool:
        """SIGKILL every process in the cgroups until none is left; whether that took under `patience` seconds.

        The CPU quota is lifted first: a throttled process cannot even run to its exit.
        """
        (self.dirs[2] / "cpu.cfs_quota_us").write_text("-1")
        deadline = time.monotonic() + patience
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        return not self.pids()

    def remove(self) -> None:
        """Remove the cgroups once empty; a cgroup that will not empty is left, and said so, rather than fail."""
        if not self.kill_all():
            print(f"warning: processes left in {self.dirs[0]}; kill them and remove the folder")
            return
        for folder in self.dirs:
            for _ in range(100):  # the last exits are reaped a moment after cgroup.procs empties
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


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
