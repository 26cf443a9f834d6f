"""Time the course's ways of training against the least time the arithmetic needs: bench/results.md.

1. The floor: the recipe's matrix products (0.73 TFLOP) at the best float32 matmul throughput numpy reaches
   here, measured before and after the training (the faster counts: others only add time).
2. Each path in PATHS trains notebook 03's recipe in a fresh process, once per seed, the paths taking turns (a
   busy spell hits them alike): the whole call, each epoch, its CPU time, other programs', the test accuracy.
3. Unless --quick: each notebook executed as `make run` does (nothing is written), timed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import linecache
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np

from helpers.paths import display_path, write_atomically
from scripts.course import ROOT, course_notebooks
from scripts.run_notebooks import execute

OUT_DIR = ROOT / "bench"
WIDTHS = (784, 512, 10)  # the network: 784 inputs, 512 ReLU units, 10 softmax outputs
TRAIN_SAMPLES, EPOCHS, BATCH_SIZE = 60_000, 5, 128
STEPS_PER_EPOCH = -(-TRAIN_SAMPLES // BATCH_SIZE)  # 469: 468 batches of 128 and one of 96
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")

# name: (what it is, the line that trains). Every path builds and compiles `helpers.models.reference_network`.
PATHS = {
    "plain Keras": (
        "`fit` as notebook 03 and the book write it",
        "model.fit(x_train, y_train, epochs=5, batch_size=128)",
    ),
    "course": (
        "notebook 03's optional argument: one call into TensorFlow runs a whole epoch of `fit`'s steps (the same"
        " weights as plain Keras, bit for bit)",
        "model.compile(..., steps_per_execution=469); model.fit(x_train, y_train, epochs=5, batch_size=128)",
    ),
    "fast path": (
        "`helpers.training.fit_fast`, what notebook 06, `load_or_train` and the tests train with: Keras's model,"
        " RMSprop and loss, a whole shuffled epoch as one XLA-compiled call",
        "fit_fast(model, x_train, y_train, epochs=5, batch_size=128, seed=seed)",
    ),
    "compiled loop": (
        "notebook 05's training loop, compiled: RMSprop written out, a whole shuffled epoch per XLA-compiled call"
        " (run from the notebook's own cells)",
        "for epoch in range(5): run_epoch()  # train_epoch(a new order of the images), one call",
    ),
}
NOTEBOOK_05 = ROOT / "notebooks" / "05_how_a_network_learns.ipynb"
COMPILED_LOOP_CELLS = ("learn-36", "learn-fast-2")  # notebook 05: a fresh network and its step; the compiled epoch


def training_flop(samples: int = TRAIN_SAMPLES, epochs: int = EPOCHS, widths: Sequence[int] = WIDTHS) -> int:
    """FLOP of training: forward plus backward ≈ 3 forward passes, 2 FLOP per multiply-add."""
    return 3 * sum(2 * a * b for a, b in itertools.pairwise(widths)) * samples * epochs


def best_seconds(run: Callable[[], object], budget_s: float) -> float:
    """The shortest of at least 3 timed calls of `run` over about `budget_s` s: on a shared machine, others only add."""
    run()  # warm-up: first touch of memory, thread start-up
    times: list[float] = []
    while len(times) < 3 or sum(times) < budget_s:
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measure_floor(sizes: Sequence[int] = (512, 1024, 2048), budget_s: float = 2.0) -> dict:
    """numpy's float32 matmul throughput on squares of each size; the floor is the fastest of them."""
    rng = np.random.default_rng(0)
    gflops = {}
    for n in sizes:
        a = rng.random((n, n), dtype=np.float32)
        gflops[str(n)] = 2 * n**3 / best_seconds(lambda a=a: a @ a, budget_s) / 1e9
    best = max(gflops.values())
    return {
        "training_flop": training_flop(),
        "square_gflops": gflops,
        "gflops": best,
        "seconds": training_flop() / best / 1e9,
    }


def busy_cpu_seconds(stat: Path = Path("/proc/stat")) -> float | None:
    """CPU seconds all programs have used since boot (Linux's /proc/stat), else None: minus a run's own, others'."""
    try:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.read_text().split()[1:8])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def compiled_loop(seed: int) -> Callable[[], float]:
    """Notebook 05's compiled loop, run from its own cells: a function that trains one shuffled epoch."""
    import keras
    import nbformat
    import tensorflow as tf

    from helpers import load_mnist, one_hot, to_dense_inputs
    from helpers.models import reference_network

    cells = {cell.get("id"): cell.source for cell in nbformat.read(NOTEBOOK_05, as_version=4).cells}
    (x_train, y_train), _ = load_mnist(quiet=True)
    namespace = dict(keras=keras, tf=tf, np=np, SEED=seed, BATCH_SIZE=BATCH_SIZE, build_network=reference_network)
    namespace |= {"ETA": 0.001, "RHO": 0.9, "EPSILON": 1e-7, "loss_fn": keras.losses.CategoricalCrossentropy()}  # 05's
    namespace |= {"x_train_flat": to_dense_inputs(x_train), "y_train_hot": one_hot(y_train)}
    for cell_id in COMPILED_LOOP_CELLS:
        name, source = f"<notebook 05, cell {cell_id}>", cells[cell_id]
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)  # AutoGraph reads the source
        exec(compile(source, name, "exec"), namespace)
    return namespace["run_epoch"]


def train_once(name: str, seed: int) -> dict:
    """Train the reference network once along path `name` with `seed` (in this process); time it and test it."""
    import keras

    from helpers import load_mnist, one_hot, to_dense_inputs
    from helpers.models import reference_network
    from helpers.training import fit_fast

    (x_train, y_train), (x_test, y_test) = load_mnist(quiet=True)
    x_train, x_test = to_dense_inputs(x_train), to_dense_inputs(x_test)
    y_train, y_test = one_hot(y_train), one_hot(y_test)
    keras.utils.set_random_seed(seed)
    model = reference_network(**({"steps_per_execution": STEPS_PER_EPOCH} if name == "course" else {}))
    ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()))
    recipe = {"epochs": EPOCHS, "batch_size": BATCH_SIZE}
    train = dict.fromkeys(
        ("plain Keras", "course"), lambda: model.fit(x_train, y_train, **recipe, verbose=0, callbacks=[timer])
    )
    train["fast path"] = lambda: fit_fast(model, x_train, y_train, **recipe, seed=seed, on_epoch_end=timer.on_epoch_end)
    if name == "compiled loop":
        run_epoch = compiled_loop(seed)
        model = run_epoch.__globals__["net"]
        train[name] = lambda: [(run_epoch(), ends.append(time.perf_counter())) for _ in range(EPOCHS)]
    busy_started, started, cpu_started = busy_cpu_seconds(), time.perf_counter(), time.process_time()
    train[name]()
    fit_s, cpu_s, busy = time.perf_counter() - started, time.process_time() - cpu_started, busy_cpu_seconds()
    probabilities = keras.ops.convert_to_numpy(model.predict(x_test, verbose=0))
    return {
        "seed": seed,
        "fit_s": fit_s,
        "epoch_s": np.diff([started, *ends]).tolist(),
        "cpu_s": cpu_s,
        # /proc/stat counts whole clock ticks (usually 10 ms): on a quiet machine this can come out just below 0
        "others_cpu_s": None if busy is None or busy_started is None else max(0.0, busy - busy_started - cpu_s),
        "test_accuracy": float(np.mean(probabilities.argmax(1) == y_test.argmax(1))),
    }


def train_in_subprocess(name: str, seed: int) -> dict:
    """`train_once` in a fresh Python process (clean memory, caches and thread pools)."""
    command = [sys.executable, "-m", "scripts.bench", "--train-once", name, str(seed)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"training path {name!r} with seed {seed} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs: Sequence[dict], floor_s: float) -> dict:
    """A path's median and spread over its runs, against the floor, and its test accuracy over the seeds."""
    fit = [run["fit_s"] for run in runs]
    steady = statistics.median(statistics.median(run["epoch_s"][1:]) for run in runs)
    others = [run["others_cpu_s"] for run in runs]
    accuracy = [run["test_accuracy"] for run in runs]
    return {
        "runs": len(runs),
        "fit_s": statistics.median(fit),
        "fit_s_min": min(fit),
        "fit_s_max": max(fit),
        "fit_over_floor": statistics.median(fit) / floor_s,
        "steady_epoch_s": steady,
        "steady_over_floor": steady * EPOCHS / floor_s,
        "cpu_s": statistics.median(run["cpu_s"] for run in runs),
        "others_cpu_s": None if None in others else statistics.median(others),
        "accuracy_mean": statistics.fmean(accuracy),
        "accuracy_std": statistics.stdev(accuracy) if len(accuracy) > 1 else 0.0,
        "accuracy_min": min(accuracy),
        "accuracy_max": max(accuracy),
    }


def time_notebooks() -> list[dict]:
    """Execute each notebook in a fresh kernel as `make run` does, but write nothing back; time each."""
    timings = []
    for path in course_notebooks():
        started, error = time.perf_counter(), None
        try:
            execute(path)
        except Exception as err:  # noqa: BLE001 - a failing notebook is reported, the benchmark goes on
            error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        timings.append({"notebook": path.name, "seconds": time.perf_counter() - started, "error": error})
        print(f"  {path.name}: {minutes(timings[-1]['seconds'])}{' (failed)' if error else ''}")
    return timings


def machine() -> dict:
    """What the figures depend on: CPU model, cores and vector extensions, library versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    fields = dict(map(str.strip, line.split(":", 1)) for line in cpuinfo.splitlines() if ":" in line)
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {
        "cpu": fields.get("model name") or platform.processor() or platform.machine(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_flags": [flag for flag in CPU_FLAGS if flag in fields.get("flags", "").split()],
        "system": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "libraries": f"numpy {version('numpy')} ({blas.get('name', '?')} {blas.get('version', '?')}),"
        f" TensorFlow {version('tensorflow')}, Keras {version('keras')}",
    }


def git_commit() -> str:
    """The checkout's commit, with `+ changes` if a tracked file differs from it."""
    command = ["git", "describe", "--always", "--exclude=*", "--dirty= + changes"]  # no tag names: the commit
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip() or "unknown"


def minutes(seconds: float) -> str:
    """`42 s` or `3 min 05 s`."""
    return f"{seconds:.0f} s" if seconds < 59.5 else f"{int(seconds + 0.5) // 60} min {int(seconds + 0.5) % 60:02d} s"


TEMPLATE = """\
# Benchmark: how fast the course trains, against the floor

Made by `make bench` (`scripts/bench.py`) on {r[date]} at commit {r[commit]}; every figure comes from
`results.json` beside this file. Machine: {m[cpu]}, {m[cores]} cores ({flags}); {m[system]}; {m[libraries]};
load average {r[load][0]:.1f} before, {r[load][1]:.1f} after.

## The floor

5 epochs of 784 → 512 → 10 on 60,000 images are 3 × 2 × (784 × 512 + 512 × 10) × 60,000 × 5 =
**{tflop:.2f} TFLOP** (a training step costs about 3 forward passes). numpy's float32 matrix products,
each the best of many timings: {squares}. At the fastest, {floor[gflops]:.0f} GFLOP/s, the recipe needs at least
**{floor[seconds]:.2f} s**: no framework does this arithmetic faster here.

## Training: 5 epochs, batch 128, RMSprop, seeds {seeds}

Each run trains a fresh model in a process of its own, the paths taking turns. *time* is the whole
training call, tracing and compiling included: its median, and in brackets the fastest and slowest
run. *epoch* is the median of epochs 2-5. × floor compares each with the floor (an epoch with a 5th
of it). *CPU* is the run's own CPU time, *others* that of all other programs meanwhile (near 0 on a
quiet machine{busy}).

| path | time | × floor | epoch | × floor | CPU | others | test accuracy: mean ± std (min-max) |
|---|---|---|---|---|---|---|---|
{rows}

{paths}
{notebooks}"""
ROW = (
    "| {name} | {fit_s:.2f} s ({fit_s_min:.2f}–{fit_s_max:.2f}) | {fit_over_floor:.2f} | {steady_epoch_s:.2f} s |"
    " {steady_over_floor:.2f} | {cpu_s:.1f} s | {others} |"
    " {accuracy_mean:.2%} ± {accuracy_std:.2%} ({accuracy_min:.2%}–{accuracy_max:.2%}) |"
)


def render_markdown(results: dict) -> str:
    """The report bench/results.md, from the results that bench/results.json holds."""
    summaries = {name: p["summary"] for name, p in results["training"].items()}
    rows = [
        ROW.format(name=name, others="–" if s["others_cpu_s"] is None else f"{s['others_cpu_s']:.1f} s", **s)
        for name, s in summaries.items()
    ]
    paths = "\n".join(f"- **{name}**: {PATHS[name][0]}: `{PATHS[name][1]}`" for name in summaries)
    notebooks = ""
    if results["notebooks"]:
        lines = [
            f"| `{nb['notebook']}` | {minutes(nb['seconds'])}{' (failed)' if nb['error'] else ''} |"
            for nb in results["notebooks"]
        ]
        total = minutes(sum(nb["seconds"] for nb in results["notebooks"]))
        notebooks = "\n## Executing each notebook\n\n| notebook | wall time |\n|---|---|\n" + "\n".join(lines)
        notebooks += f"\n| all, one after another | {total} |\n"
    m, seeds, floor = results["machine"], results["seeds"], results["floor"]
    return TEMPLATE.format(
        r=results,
        m=m,
        floor=floor,
        flags=", ".join(m["cpu_flags"]) or "none of " + ", ".join(CPU_FLAGS),
        tflop=floor["training_flop"] / 1e12,
        squares=", ".join(f"{n} × {n}: {g:.0f} GFLOP/s" for n, g in floor["square_gflops"].items()),
        seeds=f"0–{seeds - 1}" if seeds > 1 else "0",
        busy="; **other programs competed during these runs**: every path is faster on a quiet machine"
        if any((s["others_cpu_s"] or 0) > 1 for s in summaries.values())
        else "",
        rows="\n".join(rows),
        paths=paths,
        notebooks=notebooks,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the floor, train every path with every seed, time the notebooks; write results.json and .md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="training runs per path, seeds 0, 1, ... (default 3)")
    parser.add_argument("--paths", nargs="+", choices=list(PATHS), default=list(PATHS), help="the paths to train")
    parser.add_argument("--quick", action="store_true", help="do not time the notebooks")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the results (default bench/)")
    parser.add_argument("--train-once", nargs=2, metavar=("PATH", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train_once:
        print(json.dumps(train_once(args.train_once[0], int(args.train_once[1]))))
        return 0
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    sys.stdout.reconfigure(line_buffering=True)  # progress lines as they happen, also through a pipe
    load_before = os.getloadavg()[0]
    print("The floor: numpy float32 matrix products ...")
    floor = measure_floor()
    print(f"  {floor['gflops']:.0f} GFLOP/s: 5 epochs need at least {floor['seconds']:.2f} s")
    runs: dict[str, list[dict]] = {name: [] for name in args.paths}
    for seed in range(args.seeds):
        for name in args.paths if seed % 2 == 0 else reversed(args.paths):
            runs[name].append(run := train_in_subprocess(name, seed))
            print(f"  {name}, seed {seed}: {run['fit_s']:.2f} s, test accuracy {run['test_accuracy']:.2%}")
    print("The floor again: on a shared machine, the fastest of the two measurements counts ...")
    floor = max(floor, measure_floor(), key=lambda measured: measured["gflops"])
    print(f"  {floor['gflops']:.0f} GFLOP/s: 5 epochs need at least {floor['seconds']:.2f} s")
    for name, r in runs.items():
        print(f"  {name}: median {statistics.median(run['fit_s'] for run in r) / floor['seconds']:.2f} × the floor")
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "seeds": args.seeds,
        "machine": machine(),
        "floor": floor,
        "training": {name: {"runs": r, "summary": summarise(r, floor["seconds"])} for name, r in runs.items()},
        "notebooks": [] if args.quick else time_notebooks(),
        "load": [load_before, os.getloadavg()[0]],
    }
    report = render_markdown(results)  # before writing anything: a broken report leaves the old files
    write_atomically(args.out / "results.json", lambda tmp: tmp.write_text(json.dumps(results, indent=1) + "\n"))
    write_atomically(args.out / "results.md", lambda tmp: tmp.write_text(report))
    print(f"Written: {display_path(args.out / 'results.md')} and results.json beside it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
