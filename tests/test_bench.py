"""`make bench`: the FLOP arithmetic, the summaries and the report, from made-up measurements (nothing trains)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from scripts import bench

ROOT = Path(__file__).resolve().parents[1]


def run(seed: int, fit_s: float, accuracy: float, others_cpu_s: float | None = 0.5) -> dict:
    """One made-up training run: a slow first epoch, then four equal ones."""
    epochs = [3.0, 1.0, 1.0, 1.0, 1.0]
    return {"seed": seed, "fit_s": fit_s, "epoch_s": epochs, "cpu_s": 2 * fit_s, "others_cpu_s": others_cpu_s,
            "test_accuracy": accuracy}  # fmt: skip


def made_up_results(wall_times: dict | None = None) -> dict:
    """Results shaped as `bench.main` makes them, with round numbers."""
    floor = {
        "training_flop": bench.training_flop(),
        "square_gflops": {"2048": 180.0, "4096": 200.0},
        "network_shapes": [list(s) for s in bench.step_matmul_shapes()],
        "network_gflops": 150.0,
        "gflops": 200.0,
        "source": "4096 × 4096 squares",
        "seconds": bench.training_flop() / 200e9,
    }
    reference = [run(0, 10.0, 0.980), run(1, 12.0, 0.978), run(2, 11.0, 0.982)]
    course = [{**r, "fit_s": r["fit_s"] / 2, "epoch_s": [e / 2 for e in r["epoch_s"]]} for r in reference]
    return {
        "schema_version": bench.SCHEMA_VERSION,
        "date": "2026-11-25 12:00 UTC",
        "commit": "abc1234",
        "options": {"seeds": 3, "paths": ["reference", "course"], "quick": wall_times is None},
        "machine": {
            "cpu": "Test CPU",
            "cpu_family_model": "family 25, model 17",
            "cores": 2,
            "cpu_flags": ["avx2", "avx512f"],
            "system": "Linux 6",
            "python": "3.11.9",
            "numpy": "2.4.6",
            "blas": "scipy-openblas 0.3.31",
            "tensorflow": "2.21.0",
            "keras": "3.15.1",
            "onednn": True,
        },
        "load": {"before": 0.4, "after": 0.6},
        "floor": floor,
        "training": {
            "reference": {
                "title": bench.PATHS["reference"].title,
                "code": bench.PATHS["reference"].code(),
                "runs": reference,
                "summary": bench.summarise_path(reference, floor["seconds"]),
            },
            "course": {
                "title": bench.PATHS["course"].title,
                "code": bench.PATHS["course"].code(),
                "runs": course,
                "summary": bench.summarise_path(course, floor["seconds"]),
            },
        },
        "wall_times": wall_times,
    }


def test_flop_counts_of_the_network() -> None:
    assert bench.forward_flop_per_sample() == 2 * (784 * 512 + 512 * 10) == 813_056
    assert bench.training_flop() == 3 * 813_056 * 60_000 * 5 == 731_750_400_000
    assert bench.training_flop(samples=1, epochs=1, widths=(3, 2)) == 3 * 2 * 3 * 2


@pytest.mark.parametrize("widths", [(784, 512, 10), (784, 10), (100, 50, 20, 10)])
def test_one_steps_products_are_three_forward_passes(widths: tuple[int, ...]) -> None:
    shapes = bench.step_matmul_shapes(batch=128, widths=widths)
    assert len(shapes) == 3 * (len(widths) - 1)
    assert bench.matmul_flop(shapes) == 3 * 128 * bench.forward_flop_per_sample(widths)


def test_step_shapes_are_the_networks_products() -> None:
    forward, weight_gradients, input_gradients = (bench.step_matmul_shapes()[i : i + 2] for i in (0, 2, 4))
    assert forward == [(128, 784, 512), (128, 512, 10)]
    assert weight_gradients == [(784, 128, 512), (512, 128, 10)]
    assert input_gradients == [(128, 512, 784), (128, 10, 512)]


def test_floor_is_the_fastest_throughput_measured() -> None:
    floor = bench.measure_floor(square_sizes=(64,), budget_s=0.01)
    square, network = floor["square_gflops"]["64"], floor["network_gflops"]
    assert floor["gflops"] == max(square, network)
    assert floor["source"] == ("64 × 64 squares" if square >= network else "the network's shapes at batch 128")
    assert floor["seconds"] == pytest.approx(bench.training_flop() / (max(square, network) * 1e9))


def test_summary_takes_medians_and_leaves_out_the_first_epoch() -> None:
    summary = made_up_results()["training"]["reference"]["summary"]
    floor_seconds = bench.training_flop() / 200e9
    assert summary["runs"] == 3
    assert (summary["fit_s"], summary["fit_s_min"], summary["fit_s_max"]) == (11.0, 10.0, 12.0)
    assert summary["samples_per_s"] == pytest.approx(300_000 / 11.0)
    assert summary["fit_over_floor"] == pytest.approx(11.0 / floor_seconds)
    assert summary["steady_epoch_s"] == 1.0
    assert summary["steady_over_floor"] == pytest.approx(5.0 / floor_seconds)
    assert summary["cpu_s"] == 22.0
    accuracy = summary["accuracy"]
    assert accuracy["seeds"] == [0, 1, 2]
    assert (accuracy["mean"], accuracy["min"], accuracy["max"]) == pytest.approx((0.980, 0.978, 0.982))
    assert accuracy["std"] == pytest.approx(0.002)


def test_single_run_has_zero_spread() -> None:
    assert bench.summarise_path([run(0, 10.0, 0.98)], 3.0)["accuracy"]["std"] == 0.0


def test_other_programs_cpu_is_unknown_if_any_run_lacks_it() -> None:
    runs = [run(0, 10.0, 0.98, others_cpu_s=0.1), run(1, 10.0, 0.98, others_cpu_s=None)]
    assert bench.summarise_path(runs, 3.0)["others_cpu_s"] is None
    assert bench.summarise_path(runs[:1], 3.0)["others_cpu_s"] == 0.1


def test_busy_cpu_seconds_counts_up_or_is_unknown() -> None:
    before = bench.busy_cpu_seconds()
    sum(i * i for i in range(300_000))
    after = bench.busy_cpu_seconds()
    assert (before is None and after is None) or after >= before > 0


def test_report_shows_the_figures() -> None:
    wall = {
        "notebooks": [
            {"notebook": "01_load_and_look.ipynb", "seconds": 12.4, "error": None},
            {"notebook": "03_training.ipynb", "seconds": 75.0, "error": "CellExecutionError: boom"},
        ],
        "make_test": {"seconds": 125.0, "exit_code": 0},
        "fresh_clone": {"seconds": 430.0, "exit_code": 0, "command": "make test"},
    }
    report = bench.render_markdown(made_up_results(wall))
    for expected in [
        "2026-11-25 12:00 UTC at commit abc1234",
        "| CPU | Test CPU (family 25, model 17), 2 cores; avx2, avx512f |",
        "TensorFlow 2.21.0, Keras 3.15.1 (oneDNN on)",
        "= **0.73 TFLOP**",
        "| 4096 × 4096 squares | 200 |",
        "4096 × 4096 squares at 200 GFLOP/s",
        "at least **3.66 s**",
        "| reference | 3 | 11.00 s | 27,273 | 3.0 | 1.00 s | 1.4 | 22.0 s | 0.5 s |",
        '  model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])\n'
        "  model.fit(x_train, y_train, epochs=5, batch_size=128)\n",
        "| reference | 0–2 | 98.00% | 0.20% | 97.80% | 98.20% |",
        "| course | 0–2 | 98.00% | 0.20% | 97.80% | 98.20% |",
        "within 2 × the floor, 7.32 s; the course's\npath's median fit, 5.50 s, is within it.",
        "Per training step, in the steady epochs: reference 2.13 ms, course's path 1.07 ms, floor 1.56 ms.\n"
        "The course's path saves 1.07 ms a step, 2.5 s over the 2,345 steps of 5 epochs: the\n",
        "| `make test` | 2 min 05 s |",
        "| `make test` in a fresh clone (empty HOME, set-up included) | 7 min 10 s |",
        "| executing `01_load_and_look.ipynb` | 12 s |",
        "| executing `03_training.ipynb` | 1 min 15 s (failed) |",
        "| all notebooks, one after another | 1 min 27 s |",
    ]:
        assert expected in report
    assert "competed" not in report


def test_report_says_when_other_programs_competed() -> None:
    results = made_up_results()
    results["training"]["course"]["summary"]["others_cpu_s"] = 4.0
    results["training"]["course"]["summary"]["fit_s"] = 8.0
    report = bench.render_markdown(results)
    assert "**Other programs competed for the cores during these runs**" in report
    assert "path's median fit, 8.00 s, is not within it." in report


def test_quick_report_says_what_it_left_out() -> None:
    report = bench.render_markdown(made_up_results(wall_times=None))
    assert "Not measured in this run (`--quick`)." in report
    assert "make test" not in report


def test_results_survive_json_and_are_checked(tmp_path: Path) -> None:
    results = made_up_results()
    bench.write_results(results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == results
    assert (tmp_path / "results.md").read_text() == bench.render_markdown(results)


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (("floor", "gflops"), "results lack floor.gflops"),
        (("machine", "cpu"), "results lack machine.cpu"),
        (("", "date"), "results lack date"),
        (("training", "reference"), "results lack training.reference"),
    ],
)
def test_incomplete_results_are_refused_and_nothing_is_written(tmp_path: Path, drop: tuple, message: str) -> None:
    results = made_up_results()
    section, key = drop
    del (results[section] if section else results)[key]
    with pytest.raises(ValueError, match=message):
        bench.write_results(results, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_summary_figure_is_named() -> None:
    results = made_up_results()
    del results["training"]["reference"]["summary"]["steady_epoch_s"]
    with pytest.raises(ValueError, match=r"training\.reference\.summary\.steady_epoch_s"):
        bench.check_results(results)


def test_reference_path_is_the_recipe_of_notebook_04() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "03_training.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    compile_call, _ = bench.PATHS["reference"].code()
    assert compile_call in code
    assert "model.fit(\n    x_train_flat, y_train_hot, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0" in code
    assert bench.PATHS["reference"].compile_args == {} and bench.PATHS["reference"].env == {}


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


def a_repository(tmp_path: Path, test_script: str) -> Path:
    """A tiny git repository whose `make test` runs `test_script`: a fast stand-in for the course."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Makefile").write_text("test:\n\t@bash test.sh\n")
    (repo / "test.sh").write_text(test_script)
    (repo / "uncommitted.txt").write_text("not in a clone")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "Makefile", "test.sh"], check=True)
    subprocess.run([*git, "commit", "-qm", "ci"], check=True)
    return repo


def test_fresh_clone_runs_make_test_in_a_clean_clone_with_an_empty_home_and_cleans_up(
    tmp_path: Path, monkeypatch
) -> None:
    record = tmp_path / "seen.txt"
    script = (
        f"ls -A > {record}; ls -A $HOME | wc -l >> {record}\n"
        f'echo "$CI ${{MNIST_COURSE_DATA-unset}} $MAKELEVEL [$MAKEFLAGS]" >> {record}; pwd >> {record}\n'
    )
    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path / "this-checkout-s-data"))
    monkeypatch.setenv("MAKEFLAGS", "-j9")  # as `make bench` passes to its commands
    monkeypatch.setenv("MAKELEVEL", "1")
    result = bench.time_fresh_clone(a_repository(tmp_path, script))
    assert result["exit_code"] == 0 and result["seconds"] > 0 and result["command"] == "make test"
    *files, in_home, env, folder = record.read_text().splitlines()
    assert files == [".git", "Makefile", "test.sh"]  # the last commit only: nothing uncommitted, no venv or data
    assert in_home.strip() == "0"  # an empty HOME: no package caches
    # CI, nothing pointing back at this checkout, and a make of its own: level 1, none of the caller's flags
    assert env.startswith("true unset 1 [") and "j9" not in env
    assert not Path(folder).exists() and "mnist-course-fresh-clone-" in folder  # removed afterwards


def test_a_failing_fresh_clone_is_reported_with_its_last_lines(tmp_path: Path) -> None:
    result = bench.time_fresh_clone(a_repository(tmp_path, "echo 'make: *** [test] Error 1'; exit 2\n"))
    assert result["exit_code"] == 2 and "make: *** [test] Error 1" in result["output_tail"]
    wall = {"notebooks": [], "make_test": {"seconds": 1.0, "exit_code": 0}, "fresh_clone": result}
    assert "set-up included) |" in bench.render_markdown(made_up_results(wall)).split("(failed)")[0]


def test_the_arithmetic_counts_the_network_that_trains() -> None:
    """The FLOP counts use WIDTHS; `train_once` trains helpers.models.reference_network: the same network."""
    from helpers.models import reference_network

    model = reference_network()
    assert (model.input_shape[1], *[layer.units for layer in model.layers]) == bench.WIDTHS
