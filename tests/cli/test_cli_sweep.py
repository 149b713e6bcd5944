"""``protobrain sweep``: a grid of parameters in, a table and heatmaps out; bad input is
one line on stderr before any work."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from protobrain.cli import sweep as cli_sweep
from protobrain.cli.main import main
from protobrain.evaluate import sweep as sweeps
from protobrain.evaluate.tasks import has_readout

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:  # pragma: no cover - the plot extra is not installed
    matplotlib = None

needs_matplotlib = pytest.mark.skipif(matplotlib is None, reason="needs matplotlib (pip install 'protobrain[plot]')")

GRID = ["--grid", "increase=0.001,0.02", "--grid", "sparsity=0.05,0.1"]
SMALL = ["--set", "units=30", "--set", "steps=40", "--quiet"]


def same_rows(left, right):
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert list(a) == list(b)
        assert {
            k: (a[k], b[k])
            for k in a
            if k != "seconds"
            and a[k] != b[k]
            and not (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k]))
        } == {}


@needs_matplotlib
def test_a_sweep_writes_the_table_as_csv_and_json_the_heatmap_and_a_summary(tmp_path, capsys):
    out, table, picture = tmp_path / "t.csv", tmp_path / "t.json", tmp_path / "t.png"
    args = ["sweep", *GRID, *SMALL, "--out", str(out), "--json", str(table), "--plot", str(picture)]
    assert main([*args, "--x", "increase", "--y", "sparsity", "--measure", "entropy.layer2", "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    rows = sweeps.read_csv(out)
    same_rows(sweeps.read_json(table), rows)
    same_rows(rows, sweeps.sweep({"increase": [0.001, 0.02], "sparsity": [0.05, 0.1]}, units=30, steps=40))
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    lines = captured.out.splitlines()
    assert lines[0] == "protobrain sweep: 4 combinations (2 increase x 2 sparsity), cyclic task, 2 processes"
    assert lines[1] == (
        "fixed: decrease=0.001 learning=on connected=none boost_strength=0 duty_cycle_period=1000 "
        "units=30 depth=3 seed=0 steps=40 sensor_bits=1024"
    )
    header = lines[3].split()
    readout = ["readout"] if has_readout() else []
    assert header == ["increase", "sparsity", *cli_sweep.SUMMARY_MEASURES[:5], *readout, "entropy.layer2", "seconds"]
    for line, row in zip(lines[4:8], rows, strict=True):
        cells = line.split()
        assert cells[:2] == [f"{row['increase']:g}", f"{row['sparsity']:g}"]
        assert cells[3] == f"{row['entropy']:.3f}" and cells[-2] == f"{row['entropy.layer2']:.3f}"
    assert lines[8].startswith(f"wrote {out}, {table}, {picture}; wall time ")
    assert len(lines) == 9


def test_without_plot_only_the_csv_is_written(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["sweep", "--grid", "seed=0,1", "--set", "depth=1", *SMALL, "--out", str(out)]) == 0
    assert os.listdir(tmp_path) == ["t.csv"]
    assert [row["seed"] for row in sweeps.read_csv(out)] == [0, 1]
    assert "2 combinations (2 seed), cyclic task, serial" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--grid", "foo=1,2"], "argument --grid: unknown parameter 'foo'; the parameters are increase, decrease"),
        (["--grid", "increase=a,0.1"], "argument --grid: increase: expected a number, got 'a'"),
        (["--grid", "increase"], "argument --grid: expected NAME=V1,V2,..., got 'increase'"),
        (["--grid", "increase=0.1,"], "argument --grid: an empty value in 'increase=0.1,'"),
        (["--grid", "sparsity=0,0.1"], "argument --grid: sparsity: must be in (0, 1], got 0.0"),
        (["--grid", "units=1,1"], "units: values given more than once: 1"),
        (["--grid", "units=1", "--grid", "units=2"], "argument --grid: units is given twice"),
        (["--grid", "epochs=1,2"], "parameter 'epochs' belongs to the digits task, not cyclic"),
        (["--task", "digits", "--grid", "steps=1"], "parameter 'steps' belongs to the cyclic task, not digits"),
        (["--task", "mnist", "--grid", "units=1"], "argument --task: invalid choice: 'mnist'"),
        (["--grid", "units=1", "--set", "units=2"], "units: given both in the grid and as a fixed value"),
        (["--grid", "units=1", "--set", "depth=1,2"], "argument --set: depth: expected a whole number, got '1,2'"),
        (["--grid", "units=1", "--set", "seed=-1"], "argument --set: seed: must be from 0 to 4294967295, got -1"),
        (["--grid", "units=1", "--jobs", "0"], "argument --jobs: must be at least 1, got 0"),
        (["--grid", "units=1", "--x", "units"], "--x needs --plot"),
        (["--grid", "units=1,2", "--plot", "p.png", "--x", "units"], "--plot needs --y, --measure"),
        (
            ["--grid", "units=1,2", "--grid", "depth=1,2", "--plot", "p.png", "--x", "units", "--y", "seed"]
            + ["--measure", "entropy"],
            "argument --y: 'seed' is not a --grid parameter; the grid has units, depth",
        ),
        (
            ["--grid", "units=1,2", "--plot", "p.png", "--x", "units", "--y", "units", "--measure", "entropy"],
            "--x and --y are both 'units'",
        ),
        (
            ["--grid", "units=1,2", "--grid", "depth=1,2", "--plot", "p.png", "--x", "units", "--y", "depth"]
            + ["--measure", "entropy.layer3"],
            "argument --measure: unknown measure 'entropy.layer3'; the measures are spike_density",
        ),
        (
            ["--grid", "units=1,2", "--grid", "depth=1,2", "--plot", "p.nope", "--x", "units", "--y", "depth"]
            + ["--measure", "entropy"],
            "argument --plot: cannot tell the image format of 'p.nope'",
        ),
        (["--grid", "units=1", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not allowed with argument"),
        (["--grid", "units=1", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2_before_any_work(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="^2$"):
        main(["sweep", *args, "--out", "t.csv"] if "--out" not in args else ["sweep", *args])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("protobrain: error: ")
    assert message in captured.err and captured.err.rstrip().endswith("(see protobrain sweep --help)")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "out, extra, message",
    [
        (None, [], "the following arguments are required: --out"),
        ("missing/t.csv", [], "argument --out: no such directory: "),
        (".", [], "argument --out: . is a directory"),
        ("t.json", [], "argument --out: writes CSV; use --json for a JSON table"),
        ("t.csv", ["--json", "missing/t.json"], "argument --json: no such directory: "),
        ("t.csv", ["--json", "./t.csv"], "--out and --json name the same file, ./t.csv; each needs its own"),
    ],
)
def test_bad_output_paths_are_refused_before_any_work(tmp_path, monkeypatch, capsys, out, extra, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="^2$"):
        main(["sweep", "--grid", "units=1", *([] if out is None else ["--out", out]), *extra])
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and message in captured.err
    assert os.listdir(tmp_path) == []


def test_a_table_that_cannot_be_written_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    def full_disk(rows, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(sweeps, "write_csv", full_disk)
    out = tmp_path / "t.csv"
    assert main(["sweep", "--grid", "depth=1", *SMALL, "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"protobrain: error: --out: cannot write {out}: No space left on device\n"


def test_the_digits_task_without_scikit_learn_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    for name in ("sklearn", "sklearn.datasets", "sklearn.model_selection"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    assert main(["sweep", "--task", "digits", "--grid", "units=1", "--out", str(tmp_path / "t.csv")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'protobrain[evaluate]'" in err


def test_help_lists_the_parameters_and_measures(capsys):
    with pytest.raises(SystemExit, match="^0$"):
        main(["sweep", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: protobrain sweep ")
    for name in sweeps.PARAMETERS:
        assert f"\n  {name} " in out
    assert "NAME.layer1" in out and "docs/sweeps.md" in out
    with pytest.raises(SystemExit, match="^0$"):
        main(["--help"])
    assert "sweep" in capsys.readouterr().out


def test_the_command_runs_as_a_program_and_fails_as_one(tmp_path):
    command = [sys.executable, "-m", "protobrain.cli.main", "sweep", "--out", str(tmp_path / "t.csv")]
    done = subprocess.run(
        [*command, "--grid", "learning=off", *SMALL, "--set", "depth=1"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "1 combination (1 learning)" in done.stdout
    failed = subprocess.run([*command, "--grid", "units=0"], capture_output=True, text=True)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
