"""``protobrain benchmark``: the original benchmark script as a command."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.cli import benchmark as cli_benchmark
from protobrain.cli import executors
from protobrain.cli.main import main
from protobrain.encoders import numerical

SMALL = ["benchmark", "--layers", "20", "15", "--sensor", "128", "--steps", "40", "--quiet"]


def run_json(capsys, *extra):
    assert main([*SMALL, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def without_timings(report):
    timings = ("seconds", "steps_per_second", "probe_seconds")
    return [{k: v for k, v in b.items() if k not in timings} for b in report["brains"]]


def test_brains_are_built_like_the_original_script_one_seed_in_order():
    built = cli_benchmark.build_brains([10, 8], 64, 0.05, seed=0)
    np.random.seed(0)
    for rule in (None, (), (0.005, 0.001), (0.002, 0.0002), (0.001, 0.0001)):
        layers = [neuron.Neurons(10), neuron.Neurons(8)]
        expected = brain.Brain(
            neuron.FeedForward(layers),
            sensor.Sensor(numerical.CyclicEncoder(0, 100, 64)),
            computation=computation.SparseComputation(0.05),
            learning=None if rule is None else learning.HebbianLearning(*rule),
        )
        label, ours = built.pop(0)
        for a, b in zip(ours.neurons.layers, expected.neurons.layers):
            assert np.array_equal(a.input.synapses, b.input.synapses)
        assert label == ("no learning" if rule is None else repr(expected.learning[0]))
        assert list(map(repr, ours.learning)) == list(map(repr, expected.learning))
    assert not built


def test_table_has_one_section_per_brain_with_layers_and_totals(capsys):
    assert main(SMALL) == 0
    out = capsys.readouterr().out
    assert "5 brains, layers 20 15, sensor 128 bits, 40 steps, seed 0" in out
    for number, label in enumerate(
        [
            "no learning",
            "HebbianLearning(increase=0.05, decrease=0.002)",
            "HebbianLearning(increase=0.005, decrease=0.001)",
            "HebbianLearning(increase=0.002, decrease=0.0002)",
            "HebbianLearning(increase=0.001, decrease=0.0001)",
        ],
        start=1,
    ):
        assert f"brain {number}: {label}   40 steps, " in out
    assert out.count("mean density") == 5 and out.count("\n  all ") == 5
    assert "steps/s" in out and "silent units" in out


def test_json_numbers_agree_with_the_metrics(capsys):
    report = run_json(capsys)
    assert report["settings"] == {
        "task": "cyclic",
        "description": "cyclic sensor 128 bits, inputs 0..99 cycled, 40 steps",
        "probes": ["noise_robustness", "stability", "readout"],
        "readout": None,
        "layers": [20, 15],
        "sensor": 128,
        "steps": 40,
        "seed": 0,
        "sparsity": 0.05,
        "brains": 5,
        "executor": "serial",
    }
    assert len(report["brains"]) == 5
    for summary in report["brains"]:
        layer_1, layer_2, every = summary["layers"]
        assert [layer_1["units"], layer_2["units"], every["units"]] == [20, 15, 35]
        assert layer_1["mean_density"] == 1 / 20 and layer_2["mean_density"] == 1 / 15  # k = ceil(0.05 n)
        assert every["mean_density"] == pytest.approx(2 / 35)
        for row in summary["layers"]:
            histogram = {int(k): v for k, v in row["histogram"].items()}
            assert sum(histogram.values()) == row["units"]
            assert sum(k * v for k, v in histogram.items()) == round(row["mean_density"] * row["units"] * 40)
            assert row["silent_share"] == histogram[0] / row["units"]
            assert row["spikes_min"] <= row["spikes_median"] <= row["spikes_max"]
        assert len(summary["density_per_step"]) == 40
        assert summary["steps_per_second"] > 0


def test_json_spike_statistics_are_those_of_the_brains_stepped_by_hand(capsys):
    """The report against twin brains stepped by the documented loop and counted here."""
    report = run_json(capsys)
    twins = cli_benchmark.build_brains([20, 15], 128, 0.05, seed=0)
    for (label, twin), summary in zip(twins, report["brains"], strict=True):
        assert summary["learning"] == label
        spikes = [np.zeros(20, dtype=np.int64), np.zeros(15, dtype=np.int64)]
        active = []
        for step in range(40):
            twin.sensor.feed(step % 100)
            twin.compute()
            twin.learn()
            outputs = [layer.output.values != 0 for layer in twin.neurons.layers]
            for count, output in zip(spikes, outputs):
                count += output
            active.append(sum(int(output.sum()) for output in outputs))
        assert summary["density_per_step"] == [a / 35 for a in active]
        for row, counts in zip(summary["layers"], [*spikes, np.concatenate(spikes)], strict=True):
            histogram = {int(k): v for k, v in row["histogram"].items()}
            assert {k: v for k, v in histogram.items() if v} == {
                int(k): int(v) for k, v in zip(*np.unique(counts, return_counts=True))
            }
            assert (row["spikes_min"], row["spikes_max"]) == (counts.min(), counts.max())
            assert row["spikes_median"] == np.median(counts) and row["spikes_sd"] == pytest.approx(counts.std())


def test_jobs_give_the_same_numbers_as_a_serial_run(capsys):
    serial = run_json(capsys)
    parallel = run_json(capsys, "--jobs", "2")
    assert parallel["settings"]["executor"] == "2 processes"
    assert without_timings(parallel) == without_timings(serial)


@pytest.mark.parametrize("preset", [None, "2"], ids=["unset", "set by the user"])
def test_job_processes_run_their_brains_on_one_thread_unless_told_otherwise(monkeypatch, preset):
    import argparse

    if preset is None:
        monkeypatch.delenv("PROTOBRAIN_THREADS", raising=False)
    else:
        monkeypatch.setenv("PROTOBRAIN_THREADS", preset)
    args = argparse.Namespace(scheduler=None, jobs=2)
    with executors.executor(args) as (pool, label):
        seen = {pool.submit(os.getenv, "PROTOBRAIN_THREADS").result() for _ in range(4)}
    assert label == "2 processes"
    assert seen == {preset or "1"}
    assert os.environ.get("PROTOBRAIN_THREADS") == preset  # this process is left as it was


def test_repeat_builds_the_set_ups_again_with_new_weights_and_seed_changes_them(capsys):
    once = without_timings(run_json(capsys))
    twice = without_timings(run_json(capsys, "--repeat", "2"))
    assert len(twice) == 10 and twice[:5] == once
    assert twice[5:] != once
    assert without_timings(run_json(capsys, "--seed", "1")) != once


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "argument --steps: must be at least 1, got 0"),
        (["--layers", "10", "0"], "argument --layers: must be at least 1, got 0"),
        (["--sensor", "0"], "argument --sensor: must be at least 1, got 0"),
        (["--sensor", "ten"], "argument --sensor: expected a whole number, got 'ten'"),
        (["--sparsity", "1.5"], "argument --sparsity: must be in (0, 1], got 1.5"),
        (["--sparsity", "nan"], "argument --sparsity: must be in (0, 1], got nan"),
        (["--jobs", "0"], "argument --jobs: must be at least 1, got 0"),
        (["--repeat", "0"], "argument --repeat: must be at least 1, got 0"),
        (["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["--seed", str(2**32)], f"argument --seed: must be at most {2**32 - 1}, got {2**32}"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_values_are_one_line_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit, match="^2$") as exit_:
        main(["benchmark", *args])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("protobrain: error: ")
    assert message in captured.err and captured.err.rstrip().endswith("--help)")


def test_jobs_and_scheduler_exclude_each_other(capsys):
    with pytest.raises(SystemExit, match="^2$") as exit_:
        main(["benchmark", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"])
    assert exit_.value.code == 2


def test_scheduler_without_dask_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    assert main([*SMALL, "--scheduler", "tcp://127.0.0.1:8786"]) == 1
    assert "pip install 'protobrain[distributed]'" in capsys.readouterr().err


def test_the_command_runs_as_a_program():
    done = subprocess.run(
        [sys.executable, "-m", "protobrain.cli.main", *SMALL, "--layers", "10", "--steps", "5"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("brain ") >= 5 and done.stderr == ""


MEASURES = ("entropy", "overlap", "noise_robustness", "stability", "readout", "readout_untrained")


def test_every_layer_row_reports_the_measures_that_tell_set_ups_apart(capsys):
    report = run_json(capsys)
    for summary in report["brains"]:
        assert 0 <= summary["readout_sensor"] <= 1
        for row in summary["layers"]:
            for name in MEASURES:
                assert 0 <= row[name] <= 1, (name, row[name])
    # The five set-ups no longer look alike: the learning ones move their codes.
    stability = [summary["layers"][0]["stability"] for summary in report["brains"]]
    assert stability[0] == 1.0 and min(stability[1:]) < 1.0
    first = report["brains"][0]["layers"][0]
    assert first["readout"] == first["readout_untrained"]  # no learning: the brain did not change
    out_table = main(SMALL)
    assert out_table == 0
    table = capsys.readouterr().out
    assert "entropy  overlap  noise  stable  readout  untrained" in table
    assert "readout of the sensor bits" in table


def test_no_probes_reports_activity_measures_only(capsys):
    report = run_json(capsys, "--no-probes")
    assert report["settings"]["probes"] == []
    row = report["brains"][0]["layers"][0]
    assert "entropy" in row and "overlap" in row
    assert not any(name in row for name in ("noise_robustness", "stability", "readout"))


def test_without_scikit_learn_the_readout_is_left_out_and_said_so(capsys, monkeypatch):
    monkeypatch.setattr(cli_benchmark, "has_readout", lambda: False)
    report = run_json(capsys)
    assert report["settings"]["probes"] == ["noise_robustness", "stability"]
    assert "pip install 'protobrain[evaluate]'" in report["settings"]["readout"]
    assert "readout" not in report["brains"][0]["layers"][0]


def test_digits_task_reads_the_digit_out_of_held_out_images(capsys):
    assert main(["benchmark", "--task", "digits", "--layers", "60", "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["task"] == "digits" and report["settings"]["steps"] == 898
    assert report["settings"]["sensor"] is None
    for summary in report["brains"]:
        # Ten classes: chance is about 10%; the raw pixels are read far better than that.
        assert summary["readout_sensor"] > 0.8
        assert 0 <= summary["layers"][0]["readout"] <= 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "2"], "--epochs applies to the digits task; the cyclic task takes --steps"),
        (["--task", "digits", "--steps", "10"], "--steps applies to the cyclic task; the digits task takes --epochs"),
        (["--task", "digits", "--sensor", "64"], "--sensor applies to the cyclic task"),
    ],
)
def test_settings_of_the_other_task_are_one_line_usage_errors(capsys, args, message):
    with pytest.raises(SystemExit, match="^2$"):
        main(["benchmark", "--quiet", *args])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and message in captured.err
    assert captured.err.rstrip().endswith("--help)")


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_a_plot_that_cannot_be_written_is_refused_before_any_brain_runs(capsys, tmp_path, monkeypatch, where):
    pytest.importorskip("matplotlib")
    target = tmp_path / "no-such-folder" / "b.png" if where == "missing" else tmp_path
    monkeypatch.setattr(cli_benchmark, "build_brains", lambda *a, **k: pytest.fail("brains were built"))
    assert main([*SMALL, "--plot", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("does not exist" in err if where == "missing" else "is a folder" in err)


def test_an_unknown_task_is_a_usage_error(capsys):
    with pytest.raises(SystemExit, match="^2$"):
        main(["benchmark", "--task", "mnist"])
    assert "invalid choice: 'mnist'" in capsys.readouterr().err
