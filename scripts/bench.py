"""Measure how fast the course trains on this machine, against the least time the arithmetic needs.

Usage: python -m scripts.bench [--seeds N] [--quick] [--all-paths] [--out DIR]   (`make bench`: no options)

Writes results.json (every measurement) and results.md (the report the README points to) into
bench/, each replaced atomically. It measures, one thing after another:

1. The floor. 5 epochs of the 784-512-10 network on 60,000 images are about 0.73 TFLOP of matrix
   products (a training step costs about 3 forward passes). Divided by the best float32 matmul
   throughput numpy reaches here, that is the least time any framework could need.
2. Training. Each training path in PATHS (the reference recipe as notebook 03 writes it, and the
   course's faster path) trains a fresh model in a Python process of its own, once per seed
   (0-4); the paths take turns, so that a busy spell on a shared machine hits them alike. A run
   records the whole `fit` call (what you wait for), each epoch (the first includes tracing),
   its CPU time and that of other programs meanwhile, and the test accuracy.
3. Wall times: executing each notebook (as `make run` does, but nothing is written), `make test` in
   this checkout (set up already), and `make test` in a fresh clone of its last commit (in a temporary
   folder with an empty HOME and CI=true, as CI and a new user meet it: set-up from an empty package
   cache, data, and notebook 06's 18 networks included).

`--quick` trains with 2 seeds and skips step 3; `--all-paths` adds the candidates that were
compared to choose the course's path (XLA, tf.data, oneDNN off), to show what each is worth.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np

from helpers.paths import display_path, write_atomically
from scripts.course import ROOT, course_notebooks
from scripts.run_notebooks import execute

OUT_DIR = ROOT / "bench"
SCHEMA_VERSION = 1

WIDTHS = (784, 512, 10)  # the network: 784 inputs, 512 ReLU units, 10 softmax outputs
TRAIN_SAMPLES, EPOCHS, BATCH_SIZE = 60_000, 5, 128
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16")


@dataclass(frozen=True)
class TrainingPath:
    """One way to run the reference recipe: extra `compile` arguments, input pipeline, environment."""

    title: str
    compile_args: dict[str, object] = field(default_factory=dict)
    pipeline: str = "arrays"  # "arrays": fit(x, y, batch_size=128); "tf.data": fit(dataset) of shuffled batches
    env: dict[str, str] = field(default_factory=dict)

    def code(self) -> list[str]:
        """The lines of Python this path runs after building the model, as a reader would write them."""
        lines = [f"# in the environment: {name}={value}" for name, value in self.env.items()]
        recipe = 'optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"]'
        if self.compile_args:
            extra = ", ".join(f"{name}={value!r}" for name, value in self.compile_args.items())
            lines += ["model.compile(", f"    {recipe},", f"    {extra},", ")"]
        else:
            lines.append(f"model.compile({recipe})")
        if self.pipeline == "tf.data":
            lines += [
                "dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))",
                f"dataset = dataset.shuffle(len(x_train)).batch({BATCH_SIZE}).prefetch(tf.data.AUTOTUNE)",
                f"model.fit(dataset, epochs={EPOCHS})",
            ]
        else:
            lines.append(f"model.fit(x_train, y_train, epochs={EPOCHS}, batch_size={BATCH_SIZE})")
        return lines


STEPS_PER_EPOCH = -(-TRAIN_SAMPLES // BATCH_SIZE)  # 469: 468 batches of 128 and one of 96

PATHS = {
    "reference": TrainingPath("the reference recipe, plain `model.fit` as notebook 03 writes it"),
    "course": TrainingPath(
        "the course's path: the same recipe, but one call into TensorFlow runs a whole epoch of steps instead of"
        " returning to Python after every batch (the same batches in the same order: the same weights, bit for bit)",
        {"steps_per_execution": STEPS_PER_EPOCH},
    ),
    # Candidates, run with --all-paths, to show what else was tried and what it is worth here.
    "course + XLA": TrainingPath(
        "the course's path with XLA: each training step compiled into fused kernels (compiled once per batch shape)",
        {"jit_compile": True, "steps_per_execution": STEPS_PER_EPOCH},
    ),
    "XLA": TrainingPath("XLA alone, still one call per batch", {"jit_compile": True}),
    "tf.data": TrainingPath(
        "a tf.data pipeline instead of arrays: from_tensor_slices, shuffle(60000) every epoch, batch(128), prefetch",
        pipeline="tf.data",
    ),
    "oneDNN off": TrainingPath("TensorFlow's Eigen kernels instead of oneDNN", env={"TF_ENABLE_ONEDNN_OPTS": "0"}),
}
DEFAULT_PATHS = ("reference", "course")


# --- Arithmetic -------------------------------------------------------------------------------


def forward_flop_per_sample(widths: Sequence[int] = WIDTHS) -> int:
    """Multiply-adds of one sample's forward pass through the dense layers, counted as 2 FLOP each."""
    return sum(2 * n_in * n_out for n_in, n_out in itertools.pairwise(widths))


def training_flop(samples: int = TRAIN_SAMPLES, epochs: int = EPOCHS, widths: Sequence[int] = WIDTHS) -> int:
    """FLOP of training: forward plus backward ≈ 3 forward passes per sample and epoch."""
    return 3 * forward_flop_per_sample(widths) * samples * epochs


def step_matmul_shapes(batch: int = BATCH_SIZE, widths: Sequence[int] = WIDTHS) -> list[tuple[int, int, int]]:
    """(m, k, n) of each matrix product in one training step: forward, then weight and input gradients.

    Together they are exactly 3 forward passes of the batch, the count the floor uses.
    """
    layers = list(itertools.pairwise(widths))
    forward = [(batch, n_in, n_out) for n_in, n_out in layers]
    weight_gradients = [(n_in, batch, n_out) for n_in, n_out in layers]
    input_gradients = [(batch, n_out, n_in) for n_in, n_out in layers]
    return forward + weight_gradients + input_gradients


def matmul_flop(shapes: Sequence[tuple[int, int, int]]) -> int:
    """FLOP of the products of m×k and k×n matrices: 2·m·k·n each."""
    return sum(2 * m * k * n for m, k, n in shapes)


# --- The floor --------------------------------------------------------------------------------


def best_seconds(run: Callable[[], object], budget_s: float, min_repeats: int = 3) -> float:
    """The shortest of many timed calls of `run` (at least `min_repeats`, for about `budget_s` seconds).

    The minimum, not the mean: on a shared machine every disturbance only adds time, and many short
    calls are more likely than a few long ones to catch a moment when the cores are free.
    """
    run()  # warm-up: first-touch of memory, thread start-up
    best, spent, repeats = float("inf"), 0.0, 0
    while repeats < min_repeats or spent < budget_s:
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        best, spent, repeats = min(best, elapsed), spent + elapsed, repeats + 1
    return best


def measure_floor(square_sizes: Sequence[int] = (512, 1024, 2048), budget_s: float = 2.0) -> dict:
    """numpy float32 matmul throughput, for large squares and for one training step's shapes; the floor."""
    rng = np.random.default_rng(0)
    square = {}
    for n in square_sizes:
        a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
        square[str(n)] = matmul_flop([(n, n, n)]) / best_seconds(lambda a=a, b=b: a @ b, budget_s) / 1e9

    shapes = step_matmul_shapes()
    pairs = [(rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)) for m, k, n in shapes]

    def one_step() -> None:
        for a, b in pairs:
            a @ b

    network = matmul_flop(shapes) / best_seconds(one_step, budget_s) / 1e9
    best_square = max(square, key=square.get)
    source, gflops = (
        (f"{best_square} × {best_square} squares", square[best_square])
        if square[best_square] >= network
        else (f"the network's shapes at batch {BATCH_SIZE}", network)
    )
    return {
        "training_flop": training_flop(),
        "square_gflops": square,
        "network_shapes": [list(s) for s in shapes],
        "network_gflops": network,
        "gflops": gflops,
        "source": source,
        "seconds": training_flop() / (gflops * 1e9),
    }


# --- Training ---------------------------------------------------------------------------------


def train_once(path: TrainingPath, seed: int) -> dict:
    """Train the reference network once along `path` with `seed` (in this process); time it and test it."""
    import keras
    import tensorflow as tf

    from helpers import load_mnist, one_hot, to_dense_inputs
    from helpers.models import reference_network

    (x_train, y_train), (x_test, y_test) = load_mnist(quiet=True)
    x_train, x_test = to_dense_inputs(x_train), to_dense_inputs(x_test)
    y_train, y_test = one_hot(y_train), one_hot(y_test)
    keras.utils.set_random_seed(seed)
    model = reference_network(**path.compile_args)
    begins: list[float] = []
    ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: begins.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()),
    )
    if path.pipeline == "tf.data":
        data = tf.data.Dataset.from_tensor_slices((x_train, y_train))
        data = data.shuffle(len(x_train)).batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)
        inputs = {"x": data}
    else:
        inputs = {"x": x_train, "y": y_train, "batch_size": BATCH_SIZE}
    busy_started, started, cpu_started = busy_cpu_seconds(), time.perf_counter(), time.process_time()
    model.fit(**inputs, epochs=EPOCHS, verbose=0, callbacks=[timer])
    fit_seconds, cpu_seconds, busy = (
        time.perf_counter() - started,
        time.process_time() - cpu_started,
        busy_cpu_seconds(),
    )
    _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {
        "seed": seed,
        "fit_s": fit_seconds,
        "epoch_s": [end - begin for begin, end in zip(begins, ends, strict=True)],
        "cpu_s": cpu_seconds,
        # /proc/stat counts whole clock ticks (usually 10 ms): on a quiet machine this can come out just below 0
        "others_cpu_s": None if busy is None or busy_started is None else max(0.0, busy - busy_started - cpu_seconds),
        "test_accuracy": float(test_accuracy),
    }


def busy_cpu_seconds() -> float | None:
    """CPU seconds every program on the machine has used since it booted (Linux), else None.

    Minus a run's own CPU time, it tells how much other work competed with the run.
    """
    try:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, Path("/proc/stat").read_text().split()[1:8])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def train_in_subprocess(name: str, seed: int) -> dict:
    """Run `train_once` for PATHS[name] in a fresh Python process (clean memory, caches and thread pools)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **PATHS[name].env}
    command = [sys.executable, "-m", "scripts.bench", "--train-once", name, str(seed)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"training path {name!r} with seed {seed} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_or_none(values: Sequence[float | None]) -> float | None:
    """The median, or None if any value is missing (a machine without /proc/stat)."""
    return None if any(v is None for v in values) else statistics.median(values)


def summarise_path(runs: Sequence[dict], floor_seconds: float) -> dict:
    """A path's medians over its runs, their ratio to the floor, and its test accuracy over the seeds."""
    fit = [run["fit_s"] for run in runs]
    steady_epoch = statistics.median(statistics.median(run["epoch_s"][1:]) for run in runs)
    accuracy = [run["test_accuracy"] for run in runs]
    return {
        "runs": len(runs),
        "fit_s": statistics.median(fit),
        "fit_s_min": min(fit),
        "fit_s_max": max(fit),
        "samples_per_s": TRAIN_SAMPLES * EPOCHS / statistics.median(fit),
        "fit_over_floor": statistics.median(fit) / floor_seconds,
        "steady_epoch_s": steady_epoch,
        "steady_over_floor": steady_epoch * EPOCHS / floor_seconds,
        "cpu_s": statistics.median(run["cpu_s"] for run in runs),
        "others_cpu_s": median_or_none([run["others_cpu_s"] for run in runs]),
        "accuracy": {
            "seeds": [run["seed"] for run in runs],
            "mean": statistics.fmean(accuracy),
            "std": statistics.stdev(accuracy) if len(accuracy) > 1 else 0.0,
            "min": min(accuracy),
            "max": max(accuracy),
        },
    }


def measure_training(names: Sequence[str], seeds: int, floor_seconds: float) -> dict:
    """Train every path once per seed, the paths taking turns (order reversed every other seed)."""
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for seed in range(seeds):
        for name in names if seed % 2 == 0 else reversed(names):
            run = train_in_subprocess(name, seed)
            runs[name].append(run)
            print(f"  {name}, seed {seed}: fit {run['fit_s']:.1f} s, test accuracy {run['test_accuracy']:.2%}")
    return {
        name: {
            "title": PATHS[name].title,
            "code": PATHS[name].code(),
            "runs": sorted(runs[name], key=lambda run: run["seed"]),
            "summary": summarise_path(runs[name], floor_seconds),
        }
        for name in names
    }


# --- Wall times of the course's own commands ----------------------------------------------------


def time_notebooks() -> list[dict]:
    """Execute each notebook in a fresh kernel as `make run` does, but write nothing back; time each."""
    timings = []
    for path in course_notebooks():
        started = time.perf_counter()
        try:
            execute(path)
            error = None
        except Exception as err:  # noqa: BLE001 - a failing notebook is reported, the benchmark goes on
            error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        timings.append({"notebook": path.name, "seconds": time.perf_counter() - started, "error": error})
        print(f"  {path.name}: {timings[-1]['seconds']:.0f} s{' (failed)' if error else ''}")
    return timings


def time_make_test() -> dict:
    """Run `make test` in the checkout and time it."""
    started = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True, check=False)
    return {"seconds": time.perf_counter() - started, "exit_code": done.returncode}


# What ties a process to this checkout (or to the `make bench` running it); a fresh clone must find its
# own venv, data and models, and its own make.
CHECKOUT_ENV = ("MNIST_COURSE_DATA", "MNIST_COURSE_MODELS", "PYTHONPATH", "VIRTUAL_ENV")
CHECKOUT_ENV += ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")


def time_fresh_clone(source: Path = ROOT, command: Sequence[str] = ("make", "test")) -> dict:
    """Clone `source`'s last commit into a temporary folder and time `command` there, as CI runs it.

    The clone shares nothing with this checkout (no venv, data, models or cached results), and HOME is
    an empty folder: no pip, npm or Keras cache, as in CI and for a new user. The folder is removed
    afterwards, whatever happened.
    """
    env = {name: value for name, value in os.environ.items() if name not in CHECKOUT_ENV} | {"CI": "true"}
    with tempfile.TemporaryDirectory(prefix="mnist-course-fresh-clone-") as tmp:
        clone, env["HOME"] = Path(tmp) / "mnist-course", str(Path(tmp) / "home")
        Path(env["HOME"]).mkdir()
        subprocess.run(["git", "clone", "--quiet", str(source), str(clone)], check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run(
            list(command), cwd=clone, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
    result = {"seconds": seconds, "exit_code": done.returncode, "command": " ".join(command)}
    if done.returncode != 0:  # say why in results.json: the last lines the command printed
        result["output_tail"] = (done.stdout + done.stderr)[-3000:]
    return result


# --- The machine --------------------------------------------------------------------------------


def machine() -> dict:
    """What the figures depend on: CPU model, cores and vector extensions, library versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {
        "cpu": fields.get("model name") or platform.processor() or platform.machine(),
        "cpu_family_model": f"family {fields['cpu family']}, model {fields['model']}" if "cpu family" in fields else "",
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_flags": [flag for flag in CPU_FLAGS if flag in flags],
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "blas": f"{blas.get('name', '?')} {blas.get('version', '?')}",
        "tensorflow": version("tensorflow"),
        "keras": version("keras"),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0",
    }


def git_commit() -> str:
    """The checkout's commit, with `+ changes` if the working tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} + changes" if git("status", "--porcelain", "--untracked-files=no") else commit


# --- The report ---------------------------------------------------------------------------------

REQUIRED_KEYS = {
    "": ("schema_version", "date", "commit", "options", "machine", "floor", "training", "wall_times"),
    "load": ("before", "after"),
    "machine": ("cpu", "cores", "cpu_flags", "python", "numpy", "blas", "tensorflow", "keras"),
    "floor": ("training_flop", "square_gflops", "network_gflops", "gflops", "source", "seconds"),
    "options": ("seeds", "paths", "quick"),
}
SUMMARY_KEYS = ("runs", "fit_s", "samples_per_s", "fit_over_floor", "steady_epoch_s", "steady_over_floor", "accuracy")


def check_results(results: dict) -> None:
    """Raise ValueError naming the first key the report needs and `results` lacks."""
    for section, keys in REQUIRED_KEYS.items():
        where = results.get(section, {}) if section else results
        for key in keys:
            if key not in where:
                raise ValueError(f"results lack {section + '.' if section else ''}{key}")
    if "reference" not in results["training"]:
        raise ValueError("results lack training.reference, the path every other is compared with")
    for name, path in results["training"].items():
        for key in SUMMARY_KEYS:
            if key not in path.get("summary", {}):
                raise ValueError(f"results lack training.{name}.summary.{key}")


def minutes(seconds: float) -> str:
    """`42 s` or `3 min 05 s`."""
    return f"{seconds:.0f} s" if seconds < 59.5 else f"{int(seconds + 0.5) // 60} min {int(seconds + 0.5) % 60:02d} s"


def machine_section(results: dict) -> list[str]:
    """The report's table of the machine, its libraries and how busy it was."""
    m, load = results["machine"], results["load"]
    flags = ", ".join(m["cpu_flags"]) or "none of " + ", ".join(CPU_FLAGS)
    cpu = f"{m['cpu']} ({m['cpu_family_model']})" if m.get("cpu_family_model") else m["cpu"]
    return [
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {cpu}, {m['cores']} cores; {flags} |",
        f"| system | {m['system']}, Python {m['python']} |",
        f"| libraries | numpy {m['numpy']} ({m['blas']}), TensorFlow {m['tensorflow']}, Keras {m['keras']}"
        f" (oneDNN {'on' if m['onednn'] else 'off'}) |",
        f"| load average | {load['before']:.1f} before, {load['after']:.1f} after (1-minute averages; this benchmark"
        " counts too) |",
    ]


def floor_section(floor: dict) -> list[str]:
    """The report's FLOP count, matmul throughputs and the floor they give."""
    per_sample = forward_flop_per_sample()
    shapes = [tuple(shape) for shape in floor["network_shapes"]]
    images_gradient_share = 2 * WIDTHS[0] * WIDTHS[1] / (3 * per_sample)  # the first layer's input gradient
    small_share = matmul_flop([shape for shape in shapes if WIDTHS[-1] in shape]) / matmul_flop(shapes)
    return [
        "## The floor",
        "",
        f"One sample's forward pass through 784 → 512 → 10 costs 2 × (784 × 512 + 512 × 10) = {per_sample:,} FLOP.",
        "A training step costs about 3 forward passes (forward, then the gradients of the weights and of",
        f"each layer's input), so {EPOCHS} epochs of {TRAIN_SAMPLES:,} images are",
        f"3 × {per_sample:,} × {TRAIN_SAMPLES:,} × {EPOCHS} = **{floor['training_flop'] / 1e12:.2f} TFLOP**.",
        "That is the usual convention, and a generous one: training needs no gradient for the images",
        f"themselves, {images_gradient_share:.0%} of the count.",
        "",
        "float32 matrix products with numpy, each the best of many timings (on a shared machine, other",
        "programs can only add time):",
        "",
        "| products | GFLOP/s |",
        "|---|---|",
        *(f"| {n} × {n} squares | {gflops:.0f} |" for n, gflops in floor["square_gflops"].items()),
        f"| one training step's six products at batch {BATCH_SIZE} (e.g. {BATCH_SIZE} × 784 by 784 × 512) |"
        f" {floor['network_gflops']:.0f} |",
        "",
        f"The floor takes the fastest, {floor['source']} at {floor['gflops']:.0f} GFLOP/s: no framework does",
        f"this arithmetic faster here, so {EPOCHS} epochs need at least **{floor['seconds']:.2f} s**. The products",
        f"with the {WIDTHS[-1]} outputs are too small to run at full speed, but they are {small_share:.1%} of the"
        " work.",
    ]


def training_section(training: dict, floor_seconds: float) -> list[str]:
    """The report's training table, the course's target, where the time goes, and each path's code."""
    lines = [
        f"## Training: {EPOCHS} epochs, batch {BATCH_SIZE}, RMSprop",
        "",
        "Each run trains a fresh model in a Python process of its own; the paths take turns, one seed",
        "after another. *fit* is the whole `model.fit` call, what you wait for (tracing and compiling",
        "included); *steady epoch* is the median of epochs 2 to 5; × floor compares each with the floor",
        f"(for an epoch, a {EPOCHS}th of it). *CPU* is the CPU time the run used during `fit`, summed over",
        "its threads; it varies less than the wall time when the machine is busy. *others* is the CPU time",
        "all other programs used meanwhile: near 0 on a quiet machine. Figures are medians over the runs.",
        "",
        "| path | runs | fit | samples/s | × floor | steady epoch | × floor | CPU | others |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, path in training.items():
        s = path["summary"]
        others = "–" if s["others_cpu_s"] is None else f"{s['others_cpu_s']:.1f} s"
        lines.append(
            f"| {name} | {s['runs']} | {s['fit_s']:.2f} s | {s['samples_per_s']:,.0f} | {s['fit_over_floor']:.1f} |"
            f" {s['steady_epoch_s']:.2f} s | {s['steady_over_floor']:.1f} | {s['cpu_s']:.1f} s | {others} |"
        )
    if any(p["summary"]["others_cpu_s"] is not None and p["summary"]["others_cpu_s"] > 1 for p in training.values()):
        lines += ["", "**Other programs competed for the cores during these runs** (*others*): on a quiet machine"]
        lines += ["every path is faster and the runs vary less."]
    if "course" in training:
        steps = STEPS_PER_EPOCH * EPOCHS
        course = training["course"]["summary"]
        reference_ms, course_ms = (
            training[name]["summary"]["steady_epoch_s"] / STEPS_PER_EPOCH * 1e3 for name in ("reference", "course")
        )
        saved_ms = reference_ms - course_ms
        met = "within" if course["fit_s"] <= 2 * floor_seconds else "not within"
        lines += [
            "",
            f"The course's target is {EPOCHS} epochs within 2 × the floor, {2 * floor_seconds:.2f} s; the course's",
            f"path's median fit, {course['fit_s']:.2f} s, is {met} it.",
            "",
            f"Per training step, in the steady epochs: reference {reference_ms:.2f} ms, course's path"
            f" {course_ms:.2f} ms, floor {floor_seconds / steps * 1e3:.2f} ms.",
            f"The course's path saves {saved_ms:.2f} ms a step, {saved_ms * steps / 1e3:.1f} s over the {steps:,} steps"
            f" of {EPOCHS} epochs: the",
            "time Keras spends back in Python after each batch (its loop, the call into TensorFlow, fetching the",
            "next batch), during which the cores do none of the arithmetic.",
        ]
    lines += ["", "What each path runs (the model and data are the same; `y_train` is one-hot):", ""]
    for name, path in training.items():
        lines += [f"- **{name}**: {path['title']}.", "", "  ```python", *(f"  {line}" for line in path["code"])]
        lines += ["  ```", ""]
    return lines[:-1]


def accuracy_section(training: dict) -> list[str]:
    """The report's table of test accuracy over the seeds, per path."""
    lines = [
        "## Test accuracy over seeds",
        "",
        "The same runs, tested on the 10,000 test images (`keras.utils.set_random_seed(seed)` before each model).",
        "",
        "| path | seeds | mean | std | min | max |",
        "|---|---|---|---|---|---|",
    ]
    for name, path in training.items():
        a = path["summary"]["accuracy"]
        seeds = f"{a['seeds'][0]}–{a['seeds'][-1]}" if len(a["seeds"]) > 1 else str(a["seeds"][0])
        lines.append(f"| {name} | {seeds} | {a['mean']:.2%} | {a['std']:.2%} | {a['min']:.2%} | {a['max']:.2%} |")
    return lines


def wall_times_section(wall: dict | None) -> list[str]:
    """The report's table of how long `make test` and each notebook take."""
    lines = ["## Wall times of the course's commands", ""]
    if wall is None:
        return [*lines, "Not measured in this run (`--quick`)."]
    test = wall["make_test"]
    lines += ["| command | wall time |", "|---|---|"]
    lines.append(f"| `make test` | {minutes(test['seconds'])}{'' if test['exit_code'] == 0 else ' (failed)'} |")
    fresh = wall.get("fresh_clone")  # absent from the results of older runs
    if fresh is not None:
        what = f"`{fresh['command']}` in a fresh clone (empty HOME, set-up included)"
        lines.append(f"| {what} | {minutes(fresh['seconds'])}{'' if fresh['exit_code'] == 0 else ' (failed)'} |")
    for nb in wall["notebooks"]:
        lines.append(f"| executing `{nb['notebook']}` | {minutes(nb['seconds'])}{' (failed)' if nb['error'] else ''} |")
    lines.append(f"| all notebooks, one after another | {minutes(sum(nb['seconds'] for nb in wall['notebooks']))} |")
    return lines


def render_markdown(results: dict) -> str:
    """The report bench/results.md, from the results bench/results.json holds."""
    check_results(results)
    header = [
        "# Benchmark: how fast the course trains, against the floor",
        "",
        f"Made by `make bench` (`scripts/bench.py`) on {results['date']} at commit {results['commit']}.",
        "Regenerate it with `make bench`; every figure below comes from `results.json` beside this file.",
    ]
    sections = [
        header,
        machine_section(results),
        floor_section(results["floor"]),
        training_section(results["training"], results["floor"]["seconds"]),
        accuracy_section(results["training"]),
        wall_times_section(results["wall_times"]),
    ]
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def write_results(results: dict, out_dir: Path = OUT_DIR) -> None:
    """Write results.json and results.md into `out_dir`, each atomically, after checking the results."""
    check_results(results)
    write_atomically(out_dir / "results.json", lambda tmp: tmp.write_text(json.dumps(results, indent=1) + "\n"))
    write_atomically(out_dir / "results.md", lambda tmp: tmp.write_text(render_markdown(results)))


# --- Main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Measure everything in order and write the report; or, with --train-once, one training run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=int, help="training runs per path, with seeds 0, 1, ... (default 5; 2 if --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer seeds, and no notebook or `make test` wall times")
    parser.add_argument("--all-paths", action="store_true", help="also the candidate paths, not only the course's")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the results (default bench/)")
    parser.add_argument("--train-once", nargs=2, metavar=("PATH", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train_once:
        name, seed = args.train_once
        print(json.dumps(train_once(PATHS[name], int(seed))))
        return 0
    sys.stdout.reconfigure(line_buffering=True)  # progress lines as they happen, also through a pipe
    seeds = args.seeds if args.seeds is not None else 2 if args.quick else 5
    if seeds < 1:
        parser.error("--seeds must be at least 1")
    names = list(PATHS) if args.all_paths else list(DEFAULT_PATHS)

    results: dict = {
        "schema_version": SCHEMA_VERSION,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "options": {"seeds": seeds, "paths": names, "quick": args.quick},
        "machine": machine(),
        "load": {"before": os.getloadavg()[0]},
    }
    print("The floor: numpy float32 matrix products ...")
    results["floor"] = measure_floor()
    print(f"  {results['floor']['gflops']:.0f} GFLOP/s, floor {results['floor']['seconds']:.2f} s")
    print(f"Training: {', '.join(names)}, seeds 0–{seeds - 1}, each in a fresh process ...")
    results["training"] = measure_training(names, seeds, results["floor"]["seconds"])
    if args.quick:
        results["wall_times"] = None
    else:
        print("Executing each notebook (nothing is written) ...")
        notebooks = time_notebooks()
        print("make test ...")
        make_test = time_make_test()
        print(f"  {minutes(make_test['seconds'])}{'' if make_test['exit_code'] == 0 else ' (failed)'}")
        print("make test in a fresh clone (empty HOME, CI=true) ...")
        fresh_clone = time_fresh_clone()
        print(f"  {minutes(fresh_clone['seconds'])}{'' if fresh_clone['exit_code'] == 0 else ' (failed)'}")
        results["wall_times"] = {"notebooks": notebooks, "make_test": make_test, "fresh_clone": fresh_clone}
    results["load"]["after"] = os.getloadavg()[0]
    write_results(results, args.out)
    print(f"Written: {display_path(args.out / 'results.md')} and results.json beside it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
