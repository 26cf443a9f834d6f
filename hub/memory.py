"""`make bench-memory`: the memory of the course's kernels, one at a time and five at once: bench/memory.md.

Each core notebook (and 06, from its cached results: run it once first) runs under nbclient in the course's
kernel, as `make run` runs it (nothing is written back), in N kernels at once. Every 0.25 s it reads each kernel's
PSS and RSS (/proc/PID/smaps_rollup; PSS splits each shared page among the processes that map it, so
TensorFlow's libraries and shared file pages count once in a sum, and RSS counts them in every process),
its private memory (Pss_Anon: what a memory cgroup charges it, and no other kernel can share), its
threads (/proc/PID/status) and the machine's used memory (MemTotal - MemAvailable, as `free` says), and
keeps the peaks. `pss_rss_private` and `used_memory` serve any server-wide measurement.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.paths import write_atomically
from scripts.bench import git_commit, machine
from scripts.course import KERNEL, NOTEBOOKS, ROOT

REPORT = ROOT / "bench" / "memory.md"
EARLIER = "## Earlier measurements"  # this heading and what follows it are kept when the report is rewritten
# An idle kernel (a notebook of one empty cell), then the core notebooks.
CORE = ("idle", "01_load_and_look", "02_the_network", "03_training", "04_confusion_matrix", "06_experiments")
MiB = 2**20


def _fields(path: Path, *names: str) -> list[int]:
    """The numbers after `name:` in a /proc file of `name: value [kB]` lines, in bytes if given in kB."""
    values = dict(line.split(":", 1) for line in path.read_text().splitlines() if ":" in line)
    return [int(values[n].split()[0]) * (1024 if values[n].strip().endswith("kB") else 1) for n in names]


def pss_rss_private(pid: int) -> list[int]:
    """A process's proportional and resident set size and its private (anonymous) memory, in bytes."""
    return _fields(Path(f"/proc/{pid}/smaps_rollup"), "Pss", "Rss", "Pss_Anon")


def used_memory() -> int:
    """The machine's used memory in bytes, as `free` counts it: total minus available."""
    total, available = _fields(Path("/proc/meminfo"), "MemTotal", "MemAvailable")
    return total - available


def children() -> list[int]:
    """The processes this one started (the kernels)."""
    return [int(pid) for task in Path("/proc/self/task").iterdir() for pid in (task / "children").read_text().split()]


def _notebook(name: str) -> nbformat.NotebookNode:
    path = NOTEBOOKS / f"{name}.ipynb"
    return nbformat.read(path, 4) if path.exists() else nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell()])


async def measure(name: str, kernels: int) -> dict[str, float]:
    """Run `kernels` copies of a notebook at once: the peaks of their summed PSS, RSS and private memory and of
    the machine's used memory, in MiB, and the most threads a kernel had."""
    before, peak = used_memory(), dict.fromkeys(("PSS", "RSS", "private", "used", "threads"), 0)

    async def sample() -> None:
        while True:
            now = dict.fromkeys(("PSS", "RSS", "private", "threads"), 0) | {"used": used_memory() - before}
            for pid in children():
                try:
                    sizes, (threads,) = pss_rss_private(pid), _fields(Path(f"/proc/{pid}/status"), "Threads")
                except (OSError, KeyError):  # a kernel that has just ended
                    continue
                now |= {key: now[key] + size for key, size in zip(("PSS", "RSS", "private"), sizes, strict=True)}
                now["threads"] = max(now["threads"], threads)
            peak.update({key: max(peak[key], value) for key, value in now.items()})
            await asyncio.sleep(0.25)

    path = str(NOTEBOOKS)  # the kernels' working directory, as in Jupyter
    clients = [
        NotebookClient(_notebook(name), timeout=3600, kernel_name=KERNEL, resources={"metadata": {"path": path}})
        for _ in range(kernels)
    ]
    sampler = asyncio.create_task(sample())
    try:
        await asyncio.gather(*(client.async_execute() for client in clients))
    finally:
        sampler.cancel()
    return {key: value / (1 if key == "threads" else MiB) for key, value in peak.items()}


def main(args: list[str]) -> int:
    """Measure each core notebook with 1 and 5 kernels (or the counts given) and write bench/memory.md."""
    counts, m = [int(a) for a in args] or [1, 5], machine()
    lines = [
        "# Memory of the course's kernels",
        "",
        f"Written by `make bench-memory` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {git_commit()}) on "
        f"{m['cpu']}, {m['cores']} cores, {_fields(Path('/proc/meminfo'), 'MemTotal')[0] // MiB:,} MiB "
        f"({m['system']}; {m['libraries']}): {used_memory() // MiB:,} MiB used before it started, load average "
        f"{os.getloadavg()[0]:.1f}. Method: hub/memory.py's docstring. Peaks: of the kernels' summed PSS, RSS and "
        "private memory (per kernel: that sum divided by their number) and of the machine's used memory less what "
        "was used before.",
        "",
        "| notebook | kernels | PSS per kernel | RSS per kernel | private per kernel | PSS, all kernels "
        "| RSS, all kernels | machine's used memory, more than before | threads per kernel |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as models:
        os.environ["MNIST_COURSE_MODELS"] = models  # 03's network, for 04, saved apart from the checkout's
        for name in CORE:
            for n in counts:
                p = asyncio.run(measure(name, n))
                per_kernel = " | ".join(f"{p[key] / n:,.0f} MiB" for key in ("PSS", "RSS", "private"))
                lines.append(
                    f"| {name} | {n} | {per_kernel} | {p['PSS']:,.0f} MiB | {p['RSS']:,.0f} MiB | {p['used']:,.0f} MiB"
                    f" | {p['threads']:.0f} |"
                )
                print(lines[-1], flush=True)
    earlier = REPORT.read_text().partition(EARLIER)[2] if REPORT.exists() else "\n"
    write_atomically(REPORT, lambda tmp: tmp.write_text("\n".join(lines) + f"\n\n{EARLIER}{earlier}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
