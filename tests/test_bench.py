"""`make bench`: the FLOP arithmetic, the summaries and the report, from made-up measurements (nothing trains)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from scripts import bench

ROOT = Path(__file__).resolve().parents[1]


def run(seed: int, fit_s: float, accuracy: float, others_cpu_s: float | None = 0.5) -> dict:
    """One made-up training run: a slow first epoch, then four equal ones."""
    return {"seed": seed, "fit_s": fit_s, "epoch_s": [3.0, 1.0, 1.0, 1.0, 1.0], "cpu_s": 2 * fit_s,
            "others_cpu_s": others_cpu_s, "test_accuracy": accuracy}  # fmt: skip


def made_up_results(notebooks: list[dict] | None = None) -> dict:
    """Results shaped as `bench.main` makes them, with round numbers: a floor of 3.66 s at 200 GFLOP/s."""
    floor = {"training_flop": bench.training_flop(), "square_gflops": {"1024": 180.0, "2048": 200.0}, "gflops": 200.0}
    floor["seconds"] = bench.training_flop() / 200e9
    plain = [run(0, 10.0, 0.980), run(1, 12.0, 0.978), run(2, 11.0, 0.982)]
    fast = [{**r, "fit_s": r["fit_s"] / 2, "epoch_s": [e / 2 for e in r["epoch_s"]]} for r in plain]
    return {
        "date": "2026-11-25 12:00 UTC",
        "commit": "abc1234",
        "seeds": 3,
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "cpu_flags": ["avx2", "avx512f"],
            "system": "Linux 6, Python 3.11.9",
            "libraries": "numpy 2.4.6 (scipy-openblas 0.3.31), TensorFlow 2.21.0, Keras 3.15.1",
        },
        "floor": floor,
        "training": {
            "plain Keras": {"runs": plain, "summary": bench.summarise(plain, floor["seconds"])},
            "fast path": {"runs": fast, "summary": bench.summarise(fast, floor["seconds"])},
        },
        "notebooks": notebooks or [],
        "load": [0.4, 0.6],
    }


def test_flop_counts_of_the_network() -> None:
    assert bench.training_flop() == 3 * 2 * (784 * 512 + 512 * 10) * 60_000 * 5 == 731_750_400_000
    assert bench.training_flop(samples=1, epochs=1, widths=(3, 2)) == 3 * 2 * 3 * 2
    assert bench.training_flop(samples=1, epochs=1, widths=(4, 3, 2)) == 3 * 2 * (4 * 3 + 3 * 2)


def test_the_arithmetic_counts_the_network_that_trains() -> None:
    """The FLOP counts use WIDTHS; every path trains helpers.models.reference_network: the same network."""
    from helpers.models import reference_network

    model = reference_network()
    assert (model.input_shape[1], *[layer.units for layer in model.layers]) == bench.WIDTHS


def test_floor_is_the_fastest_throughput_measured() -> None:
    floor = bench.measure_floor(sizes=(32, 64), budget_s=0.01)
    assert floor["gflops"] == max(floor["square_gflops"].values()) > 0
    assert floor["seconds"] == pytest.approx(bench.training_flop() / (floor["gflops"] * 1e9))


def test_best_seconds_is_the_shortest_call(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 5.0, 10.0, 11.0, 20.0, 23.0, 30.0, 32.0])  # calls of 5, 1, 3 and 2 s after the warm-up
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    assert bench.best_seconds(lambda: None, budget_s=10.0) == 1.0  # 5 + 1 + 3 = 9 s < 10 s: a fourth call


def test_busy_cpu_seconds_adds_the_busy_columns_of_proc_stat(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 20 30 5000 40 6 4 0 0 0\ncpu0 50 10 15 2500 20 3 2 0 0 0\n")
    assert bench.busy_cpu_seconds(stat) == pytest.approx((100 + 20 + 30 + 6 + 4) / os.sysconf("SC_CLK_TCK"))
    stat.write_text("not a stat file")
    assert bench.busy_cpu_seconds(stat) is None
    assert bench.busy_cpu_seconds(tmp_path / "absent") is None


def test_summary_takes_medians_and_leaves_out_the_first_epoch() -> None:
    s = made_up_results()["training"]["plain Keras"]["summary"]
    floor_s = bench.training_flop() / 200e9
    assert (s["runs"], s["fit_s"], s["fit_s_min"], s["fit_s_max"], s["cpu_s"]) == (3, 11.0, 10.0, 12.0, 22.0)
    assert s["fit_over_floor"] == pytest.approx(11.0 / floor_s)
    assert s["steady_epoch_s"] == 1.0 and s["steady_over_floor"] == pytest.approx(5.0 / floor_s)
    assert (s["accuracy_mean"], s["accuracy_min"], s["accuracy_max"]) == pytest.approx((0.980, 0.978, 0.982))
    assert s["accuracy_std"] == pytest.approx(0.002)
    assert bench.summarise([run(0, 10.0, 0.98)], 3.0)["accuracy_std"] == 0.0


def test_other_programs_cpu_is_unknown_if_any_run_lacks_it() -> None:
    runs = [run(0, 10.0, 0.98, others_cpu_s=0.1), run(1, 10.0, 0.98, others_cpu_s=None)]
    assert bench.summarise(runs, 3.0)["others_cpu_s"] is None
    assert bench.summarise(runs[:1], 3.0)["others_cpu_s"] == 0.1


def test_report_shows_the_figures() -> None:
    notebooks = [
        {"notebook": "01_load_and_look.ipynb", "seconds": 12.4, "error": None},
        {"notebook": "03_training.ipynb", "seconds": 75.0, "error": "CellExecutionError: boom"},
    ]
    report = bench.render_markdown(made_up_results(notebooks))
    for expected in [
        "on 2026-11-25 12:00 UTC at commit abc1234",
        "Machine: Test CPU, 2 cores (avx2, avx512f); Linux 6, Python 3.11.9; numpy 2.4.6",
        "load average 0.4 before, 0.6 after",
        "**0.73 TFLOP**",
        "1024 × 1024: 180 GFLOP/s, 2048 × 2048: 200 GFLOP/s. At the fastest, 200 GFLOP/s",
        "**3.66 s**",
        "seeds 0–2",
        "| plain Keras | 11.00 s (10.00–12.00) | 3.01 | 1.00 s | 1.37 | 22.0 s | 0.5 s |"
        " 98.00% ± 0.20% (97.80%–98.20%) |",
        "| fast path | 5.50 s (5.00–6.00) | 1.50 | 0.50 s | 0.68 | 22.0 s | 0.5 s |",
        "- **fast path**: `helpers.training.fit_fast`",
        "| `01_load_and_look.ipynb` | 12 s |",
        "| `03_training.ipynb` | 1 min 15 s (failed) |",
        "| all, one after another | 1 min 27 s |",
    ]:
        assert expected in report
    assert "competed" not in report and "course" not in report.split("## Training")[1]


def test_report_says_when_other_programs_competed_and_leaves_out_what_it_did_not_time() -> None:
    results = made_up_results()
    results["training"]["fast path"]["summary"]["others_cpu_s"] = 4.0
    report = bench.render_markdown(results)
    assert "**other programs competed during these runs**" in report
    assert "## Executing each notebook" not in report


def test_minutes_reads_naturally() -> None:
    assert [bench.minutes(s) for s in (4.2, 59.4, 59.6, 125.0, 3600.0)] == [
        "4 s",
        "59 s",
        "1 min 00 s",
        "2 min 05 s",
        "60 min 00 s",
    ]


def test_zero_seeds_is_refused(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--seeds", "0"])
    assert "--seeds must be at least 1" in capsys.readouterr().err


def test_the_compiled_loop_is_notebook_05s_own_code() -> None:
    """`make bench` runs the compiled loop from notebook 05's cells: a fresh network and its step, then the loop."""
    cells = {cell.get("id"): cell.source for cell in nbformat.read(bench.NOTEBOOK_05, as_version=4).cells}
    step, loop = (cells[cell_id] for cell_id in bench.COMPILED_LOOP_CELLS)
    assert "net = build_network()" in step and "def training_step" in step
    assert "@tf.function(jit_compile=True)" in loop and "def run_epoch" in loop and "permutation" in loop
