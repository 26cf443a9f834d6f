"""cgroup v1 groups (memory, pids, cpu) that hold a set of processes to limits: a student's server, a graded notebook.

Root creates the group and writes its limits; a process joins by writing its pid into each controller's
`cgroup.procs` (its children then stay in the group). Used by hub/spawner.py and grading/sandbox.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUPS = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu")


class Cgroup:
    """Memory, pids and cpu cgroups (v1) `parent`/`name`: limits, what hit them, and killing everything in it."""

    def __init__(self, parent: str, name: str) -> None:
        self.dirs = [CGROUPS / controller / parent / name for controller in CONTROLLERS]

    @classmethod
    def make(cls, parent: str, name: str, memory: int, tasks: int, cpus: float) -> Cgroup:
        """The groups `parent`/`name`, created if missing, with these limits (bytes, processes, cores)."""
        group = cls(parent, name)
        for folder in group.dirs:
            folder.mkdir(parents=True, exist_ok=True)
        memory_dir, pids, cpu = group.dirs
        (memory_dir / "memory.limit_in_bytes").write_text(str(memory))
        (memory_dir / "memory.swappiness").write_text("0")
        (pids / "pids.max").write_text(str(tasks))
        period = int((cpu / "cpu.cfs_period_us").read_text())
        (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))
        return group

    def exists(self) -> bool:
        return all(folder.is_dir() for folder in self.dirs)

    @property
    def memory_dir(self) -> Path:
        """The memory controller's folder (its memory.oom_control counts the processes the limit killed)."""
        return self.dirs[0]

    def join(self, pid: int | str = "0") -> None:
        """Move process `pid` (0: the caller) into each of the groups; its children are born in them."""
        for folder in self.dirs:
            (folder / "cgroup.procs").write_text(str(pid))

    def join_command(self) -> list[str]:
        """A command prefix that moves itself into each of the groups, then runs the rest."""
        joins = " && ".join(f"echo $$ > {folder / 'cgroup.procs'}" for folder in self.dirs)
        return ["sh", "-c", f'{joins} && exec "$@"', "sh"]

    def oom_kills(self) -> int:
        """How many processes the memory limit has killed (memory.oom_control's oom_kill)."""
        return oom_kills(self.memory_dir)

    def out_of_memory(self) -> bool:
        """Whether the kernel refused or killed for memory (memory.failcnt counts each time the limit was hit)."""
        return self.oom_kills() > 0 or int((self.memory_dir / "memory.failcnt").read_text()) > 0

    def forks_refused(self) -> int:
        """How many times a new process or thread was refused at the limit (a fork bomb)."""
        events = (self.dirs[1] / "pids.events").read_text().split()
        return int(events[1]) if len(events) == 2 else 0

    def pids(self) -> set[int]:
        """The processes in any of the groups (none in a group already removed)."""
        found = set()
        for folder in self.dirs:
            with contextlib.suppress(FileNotFoundError):
                found.update(int(pid) for pid in (folder / "cgroup.procs").read_text().split())
        return found

    def kill_all(self, patience: float = 30) -> bool:
        """SIGKILL every process in the cgroups until none is left; whether that took under `patience` seconds.

        The CPU quota is lifted first: a throttled process cannot even run to its exit.
        """
        with contextlib.suppress(FileNotFoundError):
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
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def oom_kills(memory_dir: Path) -> int:
    """The oom_kill count in `memory_dir`/memory.oom_control (0 on kernels that do not report it)."""
    for line in (memory_dir / "memory.oom_control").read_text().splitlines():
        if line.startswith("oom_kill "):
            return int(line.split()[1])
    return 0
