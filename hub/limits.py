"""What each student may use on the class's hub, and each notebook the grader runs: one set of numbers.

The spawner puts every student's server, and so its kernels, into cgroups with these limits; the grader's
sandbox (grading/sandbox.py) takes its memory, processes and CPU from here too, so a notebook that runs
on the hub also runs in the grader.
"""

from __future__ import annotations

# A student's server and all its kernels together. Over it, the kernel using the most is killed (the
# server's own processes are kept: the kernel's oom_score_adj is the highest); the hub and the others
# carry on. Memory limits are not reservations: a class's limits may add up to more than the machine.
MEMORY = 2 * 2**30
# Processes and threads: a fork bomb stops here.
TASKS = 512
# A CPU quota, in cores: one student's training never takes the whole machine, and under load the
# students share the cores equally (each cgroup has the same cpu.shares).
CPUS = 1.0
# TensorFlow's intra-op and inter-op threads and OpenMP's: no more than the cores the quota lets a student
# run at once, so that on a shared server no kernel's threads wait on one another.
THREADS = 1


def thread_environment() -> dict[str, str]:
    """The environment variables that hold a kernel's TensorFlow and OpenMP threads to THREADS."""
    return {name: str(THREADS) for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
