"""protobrain.evaluate.sweep: grids expanded in order, rows that are the benchmark's numbers
whoever runs them, tables written whole; protobrain.plot.heatmap draws them."""

from __future__ import annotations

import json
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from protobrain import plot
from protobrain.evaluate import sweep as sweeps
from protobrain.evaluate.tasks import CyclicTask, build_brain, has_readout
from protobrain.metrics import Benchmark, Entropy, MetricResults, Overlap, SpikeCount, SpikeDensity

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:  # pragma: no cover - the plot extra is not installed
    matplotlib = None

needs_matplotlib = pytest.mark.skipif(matplotlib is None, reason="needs matplotlib (pip install 'protobrain[plot]')")
needs_sklearn = pytest.mark.skipif(not has_readout(), reason="needs scikit-learn (pip install 'protobrain[evaluate]')")

GRID = {"increase": [0.001, 0.02], "sparsity": [0.05, 0.1]}
SMALL = {"units": 30, "steps": 40}

#: The cyclic task's parameters, in the order rows hold them.
CYCLIC_PARAMETERS = [
    "increase", "decrease", "learning", "sparsity", "connected", "boost_strength", "duty_cycle_period",
    "units", "depth", "seed", "steps", "sensor_bits",
]  # fmt: skip


def same(a, b):
    """Two values equal, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def same_rows(left, right, ignore=("seconds",)):
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert list(a) == list(b)
        different = {k: (a[k], b[k]) for k in a if k not in ignore and not same(a[k], b[k])}
        assert different == {}


@pytest.fixture(scope="module")
def rows():
    """A 2 x 2 sweep of small brains, run here."""
    state = np.random.get_state()
    found = sweeps.sweep(GRID, **SMALL)
    assert _same_state(state, np.random.get_state()), "the sweep left numpy's global random state as it was"
    return found


def _same_state(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


# --- expand, settings -------------------------------------------------------------------


def test_expand_is_nested_loops_first_name_outermost_values_in_order_and_canonical():
    found = sweeps.expand({"sparsity": ["0.5", 0.25], "units": [3, "2"], "learning": [True, "OFF"]})
    assert found == [
        {"sparsity": s, "units": u, "learning": w} for s in (0.5, 0.25) for u in (3, 2) for w in ("on", "off")
    ]
    assert all(type(c["sparsity"]) is float and type(c["units"]) is int for c in found)
    assert sweeps.expand({"sparsity": [1]})[0]["sparsity"] == 1.0  # a fraction, never k=1
    assert type(sweeps.expand({"sparsity": [1]})[0]["sparsity"]) is float
    assert sweeps.expand({}) == [{}]
    assert sweeps.expand({"units": range(1, 4)}) == [{"units": 1}, {"units": 2}, {"units": 3}]


@pytest.mark.parametrize(
    "grid, task, message",
    [
        ({"foo": [1]}, None, r"unknown parameter 'foo'; the parameters are increase, decrease, learning, sparsity"),
        ({"increase": ["x"]}, None, r"increase: expected a number, got 'x'"),
        ({"increase": [-0.1]}, None, r"increase: must be a finite number >= 0, got -0.1"),
        ({"decrease": [math.inf]}, None, r"decrease: must be a finite number >= 0, got inf"),
        ({"sparsity": [0]}, None, r"sparsity: must be in \(0, 1\], got 0.0"),
        ({"sparsity": [math.nan]}, None, r"sparsity: must be in \(0, 1\], got nan"),
        ({"units": [0]}, None, r"units: must be at least 1, got 0"),
        ({"units": [1.5]}, None, r"units: expected a whole number, got 1.5"),
        ({"depth": [True]}, None, r"depth: expected a whole number, got True"),
        ({"seed": [-1]}, None, r"seed: must be from 0 to 4294967295, got -1"),
        ({"learning": ["maybe"]}, None, r"learning: expected on or off, got 'maybe'"),
        ({"units": "10,20"}, None, r"units: the grid needs a list of values, got '10,20'"),
        ({"units": 10}, None, r"units: the grid needs a list of values, got 10"),
        ({"units": []}, None, r"units: the grid gives no values"),
        ({"units": [10, "10"]}, None, r"units: values given more than once: 10"),
        ({"epochs": [1]}, "cyclic", r"parameter 'epochs' belongs to the digits task, not cyclic; the cyclic task's"),
        ({"steps": [1]}, "digits", r"parameter 'steps' belongs to the cyclic task, not digits"),
        ({"units": [1]}, "mnist", r"unknown task 'mnist'; the tasks are cyclic, digits"),
        ([("units", [1])], None, r"the grid must map parameter names to lists of values, got list"),
    ],
)
def test_expand_refuses_bad_grids_saying_what_and_why(grid, task, message):
    with pytest.raises(ValueError, match=message):
        sweeps.expand(grid, task)


def test_settings_are_defaults_then_fixed_then_grid_in_parameter_order():
    found = sweeps.settings({"units": [5, 6]}, "cyclic", seed="3", learning=False)
    assert [list(s) for s in found] == [CYCLIC_PARAMETERS] * 2
    assert found[0] == {
        "increase": 0.005,
        "decrease": 0.001,
        "learning": "off",
        "sparsity": 0.05,
        "connected": "none",
        "boost_strength": 0.0,
        "duty_cycle_period": 1000,
        "units": 5,
        "depth": 3,
        "seed": 3,
        "steps": 500,
        "sensor_bits": 1024,
    }
    assert found[1]["units"] == 6
    assert list(sweeps.settings({}, "digits")[0])[-2:] == ["epochs", "pixel_bits"]
    for name, parameter in sweeps.PARAMETERS.items():
        assert parameter.name == name and parameter.meaning and parameter.kind
        assert parameter.parse(parameter.default) == parameter.default


@pytest.mark.parametrize(
    "grid, fixed, message",
    [
        ({"units": [5]}, {"units": 6}, r"units: given both in the grid and as a fixed value"),
        ({}, {"layers": 2}, r"unknown parameter 'layers'; the parameters are"),
        ({}, {"depth": 0}, r"depth: must be at least 1, got 0"),
        ({}, {"pixel_bits": 8}, r"parameter 'pixel_bits' belongs to the digits task"),
    ],
)
def test_fixed_values_are_checked_like_the_grid(grid, fixed, message):
    with pytest.raises(ValueError, match=message):
        sweeps.settings(grid, "cyclic", **fixed)
    with pytest.raises(ValueError, match=message):
        sweeps.sweep(grid, **fixed)


def test_an_unknown_task_is_refused_before_anything_runs():
    with pytest.raises(ValueError, match=r"unknown task 'mnist'; the tasks are cyclic, digits"):
        sweeps.sweep(GRID, task="mnist")


# --- rows -------------------------------------------------------------------------------


def test_rows_are_task_parameters_measures_seconds_in_grid_order(rows):
    assert [(r["increase"], r["sparsity"]) for r in rows] == [(0.001, 0.05), (0.001, 0.1), (0.02, 0.05), (0.02, 0.1)]
    for row in rows:
        assert list(row) == ["task", *CYCLIC_PARAMETERS, *sweeps.measure_names(3), "seconds"]
        assert row["task"] == "cyclic" and (row["units"], row["depth"], row["steps"]) == (30, 3, 40)
        assert row["seconds"] > 0
        for name in sweeps.measure_names(3):
            assert isinstance(row[name], float) and 0 <= row[name] <= 1, (name, row[name])
        # k = ceil(sparsity * 30) units fire in every layer at every step
        assert row["spike_density"] == math.ceil(row["sparsity"] * 30) / 30
    assert ("readout" in rows[0]) == has_readout()


def test_measure_names_say_which_columns_a_row_has():
    assert sweeps.measure_names(2, readout=False) == [
        "spike_density", "spike_density.layer1", "spike_density.layer2",
        "silent", "silent.layer1", "silent.layer2",
        "entropy", "entropy.layer1", "entropy.layer2",
        "overlap", "overlap.layer1", "overlap.layer2",
        "noise_robustness", "noise_robustness.layer1", "noise_robustness.layer2",
        "stability", "stability.layer1", "stability.layer2",
    ]  # fmt: skip
    assert sweeps.measure_names(1, readout=True)[-4:] == [
        "readout",
        "readout.layer1",
        "readout.sensor",
        "readout.untrained",
    ]


def test_a_process_pool_gives_the_same_rows(rows):
    with ProcessPoolExecutor(2) as pool:
        parallel = sweeps.sweep(GRID, executor=pool, **SMALL)
    same_rows(parallel, rows)


def test_the_measures_are_the_benchmark_results_of_the_same_brain_built_by_hand(rows):
    row = rows[3]  # increase 0.02, sparsity 0.1
    task = CyclicTask(steps=40)
    np.random.seed(0)
    brain = build_brain(task, [30, 30, 30], 0.1, (0.02, 0.001))
    bench = Benchmark([SpikeDensity(), SpikeCount(), Entropy(), Overlap()], task.probes(has_readout()))
    (results,) = bench.run([brain], task.inputs())
    for name in ("spike_density", "entropy", "overlap", "noise_robustness", "stability"):
        assert row[name] == results[name].global_result
        assert [row[f"{name}.layer{i}"] for i in (1, 2, 3)] == results[name].per_layer_result
    histograms = results["spike_count"].per_layer_result
    assert [row[f"silent.layer{i}"] for i in (1, 2, 3)] == [h[0] / 30 for h in histograms]
    assert row["silent"] == results["spike_count"].global_result[0] / 90
    assert sweeps.measures(results) == {k: v for k, v in row.items() if k in sweeps.measure_names(3)}
    if has_readout():
        details = results["readout"].details
        assert row["readout"] == details["trained"].overall
        assert [row[f"readout.layer{i}"] for i in (1, 2, 3)] == list(details["trained"].layers)
        assert row["readout.sensor"] == details["trained"].sensor
        assert row["readout.untrained"] == details["untrained"].overall


def test_measures_flatten_nested_layers_histograms_and_skip_what_is_not_a_number():
    results = {
        "spike_count": MetricResults(
            "spike_count", global_result={0: 1, 3: 4}, per_layer_result=[{0: 1, 3: 1}, {3: 3}]
        ),
        "custom": MetricResults("custom", global_result=0.5, per_layer_result=[[0.25, 0.5], 0.75]),
        "curve": MetricResults("curve", per_step_result=[1, 2]),
    }
    assert sweeps.measures(results) == {
        "silent": 0.2,
        "silent.layer1": 0.5,
        "silent.layer2": 0.0,
        "custom": 0.5,
        "custom.layer1": 0.25,
        "custom.layer2": 0.5,
        "custom.layer3": 0.75,
    }


def test_one_seed_one_set_of_initial_weights(rows):
    # learning with both rates 0 changes nothing: the same brain as no learning at all
    off_on = sweeps.sweep({"learning": ["off", "on"]}, increase=0, decrease=0, depth=1, **SMALL)
    same_rows(off_on[:1], off_on[1:], ignore=("seconds", "learning"))
    seeds = sweeps.sweep({"seed": [0, 1]}, learning="off", depth=1, **SMALL)
    again = sweeps.sweep({"units": [30]}, learning="off", depth=1, steps=40)  # seed 0, its default
    same_rows(again, seeds[:1])
    assert seeds[0]["entropy"] != seeds[1]["entropy"]
    if has_readout():  # measured before training: the same for every increase at one seed and sparsity
        assert rows[0]["readout.untrained"] == rows[2]["readout.untrained"]
        assert rows[1]["readout.untrained"] == rows[3]["readout.untrained"]


# --- tables -----------------------------------------------------------------------------


def _with_nan(rows):
    changed = [dict(row) for row in rows]
    changed[1]["overlap"] = math.nan
    return changed


def test_csv_and_json_read_back_exactly_with_nan_as_empty_and_null(rows, tmp_path):
    table = _with_nan(rows)
    sweeps.write_csv(table, tmp_path / "t.csv")
    sweeps.write_json(table, tmp_path / "t.json")
    same_rows(sweeps.read_csv(tmp_path / "t.csv"), table, ignore=())
    same_rows(sweeps.read_json(tmp_path / "t.json"), table, ignore=())
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == list(table[0]) and len(lines) == 5
    assert lines[2].split(",")[list(table[0]).index("overlap")] == ""
    loaded = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert loaded[1]["overlap"] is None and loaded[0] == table[0]


def test_rows_with_different_columns_share_one_header(tmp_path):
    table = [{"task": "cyclic", "steps": 10, "entropy": 0.5}, {"task": "digits", "epochs": 2, "entropy": 0.25}]
    sweeps.write_csv(table, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines() == [
        "task,steps,entropy,epochs",
        "cyclic,10,0.5,",
        "digits,,0.25,2",
    ]
    assert sweeps.read_csv(tmp_path / "t.csv") == table


@pytest.mark.parametrize("write", [sweeps.write_csv, sweeps.write_json], ids=["csv", "json"])
def test_a_failing_write_leaves_the_existing_file_as_it_was(rows, tmp_path, monkeypatch, write):
    path = tmp_path / "table"
    path.write_bytes(b"the old table\n")
    with pytest.raises(ValueError, match=r"column 'entropy': cannot write <object"):
        write([{**rows[0], "entropy": object()}], path)
    with pytest.raises(ValueError, match=r"no rows to write"):
        write([], path)

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match=r"No space left on device") as err:
        write(rows, path)
    assert err.value.filename == str(path)
    assert path.read_bytes() == b"the old table\n"
    assert os.listdir(tmp_path) == ["table"]


def test_reading_a_bad_table_says_which_cell(tmp_path):
    (tmp_path / "t.csv").write_text("units,entropy\nten,0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"units: expected a whole number, got 'ten'"):
        sweeps.read_csv(tmp_path / "t.csv")
    (tmp_path / "t.json").write_text('{"units": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"expected a JSON list of objects"):
        sweeps.read_json(tmp_path / "t.json")


# --- heatmap ----------------------------------------------------------------------------


def _synthetic(sparsities=(0.05, 0.1)):
    """Rows of a 3 x 2 x len(sparsities) grid whose entropy is a known function of the parameters."""
    return [
        {"task": "cyclic", "increase": i, "decrease": d, "sparsity": s, "units": 30, "entropy": i * 10 + d + s}
        for i in (0.02, 0.001, 0.005)
        for d in (0.1, 0.2)
        for s in sparsities
    ]


def _images(figure):
    return [ax for ax in figure.axes if ax.images]


@needs_matplotlib
def test_heatmap_draws_a_panel_per_other_parameter_value_on_one_colour_scale():
    figure = plot.heatmap(_synthetic(), "increase", "decrease", "entropy")
    panels = _images(figure)
    assert [ax.get_title() for ax in panels] == ["sparsity=0.05", "sparsity=0.1"]
    assert figure.get_suptitle() == "entropy by increase and decrease"
    for ax, sparsity in zip(panels, (0.05, 0.1)):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["0.001", "0.005", "0.02"]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["0.1", "0.2"]
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("increase", "decrease")
        data = ax.images[0].get_array()
        expected = [[i * 10 + d + sparsity for i in (0.001, 0.005, 0.02)] for d in (0.1, 0.2)]
        assert np.allclose(data, expected)
        assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.3g}" for v in np.ravel(expected))
        assert ax.images[0].get_clim() == pytest.approx((0.001 * 10 + 0.1 + 0.05, 0.2 + 0.2 + 0.1))
    colorbars = [ax for ax in figure.axes if ax not in panels]
    assert len(colorbars) == 1 and colorbars[0].get_ylabel() == "entropy"
    figure.savefig(os.devnull, format="png")


@needs_matplotlib
def test_heatmap_of_one_panel_leaves_missing_cells_blank_and_averages_repeats():
    table = _synthetic(sparsities=(0.05,))
    table = [r for r in table if not (r["increase"] == 0.005 and r["decrease"] == 0.2)]
    table.append({**table[0], "entropy": table[0]["entropy"] + 1.0})  # the same combination again
    figure = plot.heatmap(table, "decrease", "increase", "entropy", title="mine")
    (ax,) = _images(figure)
    assert ax.get_title() == "" and figure.get_suptitle() == "mine"
    data = np.ma.filled(ax.images[0].get_array(), np.nan)
    assert data.shape == (3, 2)  # increase along the rows now
    assert math.isnan(data[1, 1])  # increase 0.005, decrease 0.2: no row
    assert data[2, 0] == pytest.approx(table[0]["entropy"] + 0.5)  # increase 0.02, decrease 0.1: the mean
    assert len(ax.texts) == 5


@needs_matplotlib
def test_heatmap_reads_rows_read_back_from_a_file(rows, tmp_path):
    sweeps.write_json(_with_nan(rows), tmp_path / "t.json")
    figure = plot.heatmap(sweeps.read_json(tmp_path / "t.json"), "increase", "sparsity", "overlap")
    (ax,) = _images(figure)
    assert len(ax.texts) == 3  # the NaN cell is blank


@needs_matplotlib
@pytest.mark.parametrize(
    "x, y, measure, message",
    [
        ("units2", "decrease", "entropy", r"unknown x 'units2': the rows' parameters are task, increase, decrease"),
        ("increase", "entropy", "entropy", r"unknown y 'entropy': the rows' parameters are task, increase"),
        ("increase", "increase", "entropy", r"x and y are both 'increase'"),
        ("increase", "decrease", "units", r"unknown measure 'units': the rows' measures are entropy$"),
    ],
)
def test_heatmap_refuses_unknown_columns_naming_those_there_are(x, y, measure, message):
    with pytest.raises(ValueError, match=message):
        plot.heatmap(_synthetic(), x, y, measure)


@needs_matplotlib
def test_heatmap_needs_rows():
    with pytest.raises(ValueError, match=r"heatmap needs a non-empty list of rows"):
        plot.heatmap([], "increase", "decrease", "entropy")


@needs_sklearn
def test_a_digits_sweep_has_the_digits_settings():
    (row,) = sweeps.sweep({"pixel_bits": [8]}, task="digits", units=10, depth=1)
    assert row["task"] == "digits" and (row["epochs"], row["pixel_bits"], row["units"]) == (1, 8, 10)
    assert "steps" not in row and "sensor_bits" not in row
    assert 0 <= row["readout"] <= 1 and row["readout.sensor"] > 0.5


def test_the_digits_task_without_scikit_learn_says_how_to_install_it(monkeypatch):
    for name in ("sklearn", "sklearn.datasets", "sklearn.model_selection"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    with pytest.raises(ImportError, match=r"pip install 'protobrain\[evaluate\]'"):
        sweeps.sweep({"units": [10]}, task="digits")


def test_boosting_and_connected_synapses_can_be_swept():
    rows = sweeps.sweep({"boost_strength": [0, 3]}, units=30, depth=1, steps=60, connected="0.5")
    assert [row["boost_strength"] for row in rows] == [0.0, 3.0] and rows[0]["connected"] == 0.5
    assert rows[1]["silent"] <= rows[0]["silent"]  # boosting brings silent units in
    assert sweeps.expand({"connected": ["none", 0.25]}) == [{"connected": "none"}, {"connected": 0.25}]
    with pytest.raises(ValueError, match=r"connected: must be in \[0, 1\] or none, got 1.5"):
        sweeps.expand({"connected": [1.5]})
