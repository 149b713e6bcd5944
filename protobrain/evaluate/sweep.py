"""Parameter sweeps: a grid of parameters expanded into brains, each trained and measured,
the results one table row per combination (docs/sweeps.md).

``sweep({"increase": [0.001, 0.005, 0.02], "sparsity": [0.02, 0.05, 0.1]})`` builds one
brain per combination of the grid's values (:func:`expand`), with the other parameters
at their defaults or the values given as keywords (``sweep(grid, units=50)``), trains it
on a task (:mod:`protobrain.evaluate.tasks`) while the metrics record it and the task's
probes measure it (:class:`~protobrain.metrics.benchmark.Benchmark`), and returns one row
per combination: ``task``, every parameter of the task, the measures (:func:`measures`)
and ``seconds``. :func:`write_csv` and :func:`write_json` write the rows as a table,
:func:`read_csv` and :func:`read_json` read it back, and
:func:`protobrain.plot.heatmap` draws any measure over two parameters.

Each combination is one task: built, trained and measured by a module-level function,
here or on an executor (a process pool, a Dask ``client.get_executor()``), with
``numpy.random.seed(seed)`` before its brain is built; the rows are the same either way
(but for ``seconds``). Combinations with the same ``seed``, ``units`` and ``depth`` (and
sensor) start from the same weights, so what differs between them comes from the other
parameters.

The readout columns are there only when scikit-learn (``protobrain[evaluate]``) is
installed: without it the task's readout probe is not taken.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import math
import numbers
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from typing import Any

import numpy as np
from tqdm import tqdm

from protobrain.evaluate.probes import ProbeResults
from protobrain.evaluate.readout import Readout
from protobrain.evaluate.tasks import TASKS, build_brain, has_readout, make_task
from protobrain.metrics.benchmark import Benchmark, Results
from protobrain.metrics.entropy import Entropy
from protobrain.metrics.metric import Metric, leaves
from protobrain.metrics.overlap import Overlap
from protobrain.metrics.spike_count import SpikeCount
from protobrain.metrics.spike_density import SpikeDensity
from protobrain.util.atomic import atomic_write

__all__ = [
    "PARAMETERS",
    "Parameter",
    "expand",
    "measure_names",
    "measures",
    "read_csv",
    "read_json",
    "settings",
    "sweep",
    "write_csv",
    "write_json",
]

#: The largest seed ``numpy.random.seed`` takes.
_MAX_SEED = 2**32 - 1


def _number(value: Any, name: str) -> float:
    """``value`` (a real number or its text) as a float; ValueError otherwise."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    return float(value)


def _whole(value: Any, name: str) -> int:
    """``value`` (an integer or its text) as an int; ValueError otherwise."""
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError(f"{name}: expected a whole number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    return int(value)


def _rate(value: Any, name: str) -> float:
    number = _number(value, name)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name}: must be a finite number >= 0, got {number!r}")
    return number


def _fraction(value: Any, name: str) -> float:
    number = _number(value, name)
    if not 0 < number <= 1:  # NaN fails too
        raise ValueError(f"{name}: must be in (0, 1], got {number!r}")
    return number


def _count(value: Any, name: str) -> int:
    number = _whole(value, name)
    if number < 1:
        raise ValueError(f"{name}: must be at least 1, got {number}")
    return number


def _seed(value: Any, name: str) -> int:
    number = _whole(value, name)
    if not 0 <= number <= _MAX_SEED:
        raise ValueError(f"{name}: must be from 0 to {_MAX_SEED}, got {number}")
    return number


def _threshold(value: Any, name: str) -> float | str:
    """A weight threshold in [0, 1], or ``"none"`` (also for None): every synapse counts by
    its weight."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return "none"
    number = _number(value, name)
    if not 0 <= number <= 1:  # NaN fails too
        raise ValueError(f"{name}: must be in [0, 1] or none, got {number!r}")
    return number


def _switch(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return value.strip().lower()
    raise ValueError(f"{name}: expected on or off, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter a sweep's grid (or its fixed settings) may set."""

    name: str
    #: What it sets, for documentation and ``--help``.
    meaning: str
    #: What values it takes, in words.
    kind: str
    #: Its value when neither the grid nor the fixed settings give one.
    default: Any
    #: The task it belongs to; None for every task.
    task: str | None
    _parse: Callable[[Any, str], Any] = dataclasses.field(repr=False)

    def parse(self, value: Any) -> Any:
        """``value`` (of the parameter's type, or its text) checked and in canonical form
        (floats as float, whole numbers as int, on/off as the strings ``'on'``/``'off'``);
        ValueError naming the parameter otherwise."""
        return self._parse(value, self.name)


#: The parameters a grid may use, in the order rows hold them.
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("increase", "HebbianLearning's increase: what a synapse gains when both sides fire", "number >= 0",
                  0.005, None, _rate),
        Parameter("decrease", "HebbianLearning's decrease: what a synapse loses when one side fires alone",
                  "number >= 0", 0.001, None, _rate),
        Parameter("learning", "whether the brain learns (off: no learning rule; increase and decrease unused)",
                  "on or off", "on", None, _switch),
        Parameter("sparsity", "fraction of each layer's units that fire: SparseComputation(sparsity)",
                  "number in (0, 1]", 0.05, None, _fraction),
        Parameter("connected", "SparseComputation's connected: synapses of weight >= this count 1, others 0 "
                  "(none: each counts its weight)", "number in [0, 1] or none", "none", None, _threshold),
        Parameter("boost_strength", "SparseComputation's boost_strength: how strongly units below their share "
                  "of firing are boosted (0: no boosting)", "number >= 0", 0.0, None, _rate),
        Parameter("duty_cycle_period", "SparseComputation's duty_cycle_period: learning steps the duty cycles "
                  "average over", "whole number >= 1", 1000, None, _count),
        Parameter("units", "units per layer", "whole number >= 1", 100, None, _count),
        Parameter("depth", "number of feed-forward layers", "whole number >= 1", 3, None, _count),
        Parameter("seed", "numpy.random.seed before building the brain: its initial weights",
                  f"whole number 0..{_MAX_SEED}", 0, None, _seed),
        Parameter("steps", "cyclic task: training steps (inputs 0..99 cycled)", "whole number >= 1", 500, "cyclic",
                  _count),
        Parameter("sensor_bits", "cyclic task: bits of the cyclic sensor", "whole number >= 1", 1024, "cyclic",
                  _count),
        Parameter("epochs", "digits task: passes over the training images", "whole number >= 1", 1, "digits",
                  _count),
        Parameter("pixel_bits", "digits task: bits per pixel", "whole number >= 1", 16, "digits", _count),
    )
}  # fmt: skip

#: The settings each task takes from the parameters, by task: ``{parameter: task field}``.
_TASK_SETTINGS = {"cyclic": ("steps", "sensor_bits"), "digits": ("epochs", "pixel_bits")}


def _parameters_of(task: str | None) -> list[str]:
    """The parameters ``task`` takes (every parameter for None), in :data:`PARAMETERS` order."""
    return [name for name, p in PARAMETERS.items() if task is None or p.task in (None, task)]


def _check_task(task: Any) -> str:
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"unknown task {task!r}; the tasks are {', '.join(sorted(TASKS))}")
    return task


def _parameter(name: Any, task: str | None) -> Parameter:
    """The parameter called ``name``, if ``task`` takes it; ValueError listing the known ones."""
    if not isinstance(name, str) or name not in PARAMETERS:
        raise ValueError(f"unknown parameter {name!r}; the parameters are {', '.join(_parameters_of(task))}")
    found = PARAMETERS[name]
    if task is not None and found.task not in (None, task):
        raise ValueError(
            f"parameter {name!r} belongs to the {found.task} task, not {task}; "
            f"the {task} task's parameters are {', '.join(_parameters_of(task))}"
        )
    return found


def expand(grid: Mapping[str, Iterable[Any]], task: str | None = None) -> list[dict[str, Any]]:
    """Every combination of the grid's values: one ``{name: value}`` per combination.

    ``grid`` maps parameter names (:data:`PARAMETERS`) to lists of values (of the
    parameter's type, or their text: ``"0.005"``). The combinations come in the order of
    nested loops over the grid's names in the order the grid gives them, the first name
    outermost and each name's values in the order given: ``{"a": [1, 2], "b": [3, 4]}``
    gives a=1 b=3, a=1 b=4, a=2 b=3, a=2 b=4. Values are checked and returned in canonical
    form (:meth:`Parameter.parse`). An empty grid gives one empty combination.

    Raises ValueError for an unknown name (listing the known ones), a name ``task`` does
    not take, a bad value, a name without values or a value given twice.
    """
    if task is not None:
        _check_task(task)
    if not isinstance(grid, Mapping):
        raise ValueError(f"the grid must map parameter names to lists of values, got {type(grid).__name__}")
    axes: list[tuple[str, list[Any]]] = []
    for name, values in grid.items():
        parameter = _parameter(name, task)
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"{name}: the grid needs a list of values, got {values!r}")
        parsed = [parameter.parse(value) for value in values]
        if not parsed:
            raise ValueError(f"{name}: the grid gives no values")
        repeated = sorted({repr(v) for v in parsed if parsed.count(v) > 1})
        if repeated:
            raise ValueError(f"{name}: values given more than once: {', '.join(repeated)}")
        axes.append((name, parsed))
    return [dict(zip([name for name, _ in axes], values)) for values in itertools.product(*(v for _, v in axes))]


def settings(grid: Mapping[str, Iterable[Any]], task: str = "cyclic", **fixed: Any) -> list[dict[str, Any]]:
    """Every combination's full settings, in :func:`expand`'s order: each parameter of
    ``task`` (:data:`PARAMETERS` order) at its grid value, else its ``fixed`` value, else
    its default. ValueError as :func:`expand`, and for a fixed parameter the grid sweeps too."""
    combinations = expand(grid, _check_task(task))
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(f"{', '.join(both)}: given both in the grid and as a fixed value")
    base = {name: PARAMETERS[name].default for name in _parameters_of(task)}
    for name, value in fixed.items():
        base[name] = _parameter(name, task).parse(value)
    return [{name: combination.get(name, default) for name, default in base.items()} for combination in combinations]


def _metrics() -> list[Metric]:
    """The metrics every combination records."""
    return [SpikeDensity(), SpikeCount(), Entropy(), Overlap()]


def measure_names(depth: int, readout: bool | None = None) -> list[str]:
    """The measure columns of a row of a brain of ``depth`` layers, in row order (then
    ``seconds`` follows); ``readout`` (default: :func:`~protobrain.evaluate.tasks.has_readout`)
    says whether the readout columns are there."""
    readout = has_readout() if readout is None else readout
    bases = ["spike_density", "silent", "entropy", "overlap", "noise_robustness", "stability"]
    if readout:
        bases.append("readout")
    names = []
    for base in bases:
        names.append(base)
        names.extend(f"{base}.layer{layer}" for layer in range(1, depth + 1))
    if readout:
        names += ["readout.sensor", "readout.untrained"]
    return names


def _silent(histogram: Mapping[int, int]) -> float:
    """The share of units with no spikes in a SpikeCount histogram."""
    units = sum(histogram.values())
    return histogram.get(0, 0) / units if units else math.nan


def measures(results: Results) -> dict[str, float]:
    """One brain's benchmark results (``{name: MetricResults}``) as flat numbers.

    For each metric or probe with a number as its ``global_result``: that number under its
    name, and each layer's (:attr:`~protobrain.brain.Brain.layers` order, from 1) under
    ``name.layer1``, ``name.layer2``, ...; for results whose ``global_result`` is a spike
    histogram (``spike_count``): the share of units that never fired, as ``silent`` and
    ``silent.layer1``, ...; for the readout probe also ``readout.sensor`` (the accuracy on the
    raw sensor bits) and ``readout.untrained`` (all layers together, before training).
    Other results (none of the built-in ones) are left out. Order: the results' order.
    """
    found: dict[str, float] = {}
    for name, result in results.items():
        overall, per_layer = result.global_result, result.per_layer_result
        if isinstance(overall, Mapping):
            key = "silent" if name == "spike_count" else f"{name}.silent"
            found[key] = _silent(overall)
            for layer, histogram in enumerate(leaves(per_layer), start=1):
                found[f"{key}.layer{layer}"] = _silent(histogram)
            continue
        if isinstance(overall, bool) or not isinstance(overall, numbers.Real):
            continue
        found[name] = float(overall)
        for layer, value in enumerate(leaves(per_layer), start=1):
            found[f"{name}.layer{layer}"] = float(value)
        details = result.details if isinstance(result, ProbeResults) else None
        if isinstance(details, Mapping) and isinstance(details.get("trained"), Readout):
            found[f"{name}.sensor"] = float(details["trained"].sensor)
            if isinstance(details.get("untrained"), Readout):
                found[f"{name}.untrained"] = float(details["untrained"].overall)
    return found


def _run_combination(task: str, setting: dict[str, Any], readout: bool) -> tuple[dict[str, float], float]:
    """An executor task: build, train and measure the brain of one combination's settings;
    return its measures and the seconds that took. numpy's global random state is seeded
    with ``setting["seed"]`` for the build and the run, and put back afterwards."""
    start = time.perf_counter()
    made = make_task(task, **{name: setting[name] for name in _TASK_SETTINGS[task]})
    learns = setting["learning"] == "on"
    state = np.random.get_state()
    try:
        np.random.seed(setting["seed"])
        brain = build_brain(
            made,
            [setting["units"]] * setting["depth"],
            setting["sparsity"],
            (setting["increase"], setting["decrease"]) if learns else None,
            connected=None if setting["connected"] == "none" else setting["connected"],
            boost_strength=setting["boost_strength"],
            duty_cycle_period=setting["duty_cycle_period"],
        )
        (results,) = Benchmark(_metrics(), made.probes(readout)).run([brain], made.inputs(), learning=learns)
    finally:
        np.random.set_state(state)
    return measures(results), time.perf_counter() - start


def sweep(
    grid: Mapping[str, Iterable[Any]],
    task: str = "cyclic",
    executor: Executor | None = None,
    verbose: bool = False,
    **fixed: Any,
) -> list[dict[str, Any]]:
    """Train and measure one brain per combination of ``grid``; one row per combination.

    Args:
        grid: ``{parameter: [values]}`` (:data:`PARAMETERS`); see :func:`expand` for the
            order of the combinations, which is the order of the rows.
        task: ``"cyclic"`` or ``"digits"`` (:mod:`protobrain.evaluate.tasks`).
        executor: run each combination as one task of this executor (a process pool, a
            Dask ``client.get_executor()``, ...) instead of here; the rows are the same
            but for ``seconds``. protobrain must be importable where the tasks run.
        verbose: show a progress bar of the combinations on stderr (hidden when stderr
            is not a terminal).
        fixed: values of parameters the grid does not sweep (``units=50``); the others
            keep their defaults.

    Each row holds ``task``, then every parameter ``task`` takes (:data:`PARAMETERS`
    order), then the measures (:func:`measures`: :func:`measure_names` of the brain's depth,
    the readout columns only with scikit-learn installed), then ``seconds``: what building,
    training and measuring the brain took where it ran.

    Raises ValueError for an unknown task, an unknown parameter or a bad value before
    anything runs; ImportError for the digits task without scikit-learn.
    """
    rows_settings = settings(grid, task, **fixed)
    readout = has_readout()
    make_task(task, **{name: rows_settings[0][name] for name in _TASK_SETTINGS[task]})  # ImportError now, not later
    with tqdm(total=len(rows_settings), unit="brain", desc="sweep", disable=None if verbose else True) as bar:
        if executor is None:
            outcomes = []
            for setting in rows_settings:
                outcomes.append(_run_combination(task, setting, readout))
                bar.update(1)
        else:
            outcomes = _run_on(executor, task, rows_settings, readout, bar)
    return [
        {"task": task, **setting, **found, "seconds": seconds}
        for setting, (found, seconds) in zip(rows_settings, outcomes)
    ]


def _run_on(
    executor: Executor, task: str, rows_settings: list[dict[str, Any]], readout: bool, bar: tqdm
) -> list[tuple[dict[str, float], float]]:
    futures: dict[Future[tuple[dict[str, float], float]], int] = {}
    try:
        for index, setting in enumerate(rows_settings):
            futures[executor.submit(_run_combination, task, setting, readout)] = index
        outcomes: list[Any] = [None] * len(rows_settings)
        for future in as_completed(futures):
            outcomes[futures[future]] = future.result()
            bar.update(1)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return outcomes


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of the rows, in the order they first appear."""
    if isinstance(rows, Mapping) or not rows:
        raise ValueError("no rows to write: expected a non-empty list of rows (dicts)")
    columns: dict[str, None] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            raise ValueError(f"a row must be a dict, got {type(row).__name__}")
        columns.update(dict.fromkeys(row))
    return list(columns)


def _cell(value: Any, column: str) -> Any:
    """A row's value as a JSON value: numbers and text as they are, NaN and infinities as None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"column {column!r}: cannot write {value!r}, expected a number or text")
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


def write_csv(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write ``rows`` to ``path`` as CSV: a header of every key (first-seen order), one line
    per row; NaN (and a key a row lacks) is an empty cell, floats are written so that
    they read back exactly. The file is written whole or not at all (an existing one is
    left as it was on error). ValueError for no rows or a value that is not a number or
    text; OSError when the file cannot be written."""
    columns = _columns(rows)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = [_cell(row.get(column), column) for column in columns]
        writer.writerow(["" if cell is None else cell for cell in cells])
    data = text.getvalue().encode("utf-8")
    with atomic_write(path) as file:
        file.write(data)


def write_json(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write ``rows`` to ``path`` as a JSON list of objects (keys in the rows' order); NaN
    and infinities are ``null``. Whole or not at all, like :func:`write_csv`."""
    _columns(rows)
    table = [{column: _cell(value, column) for column, value in row.items()} for row in rows]
    data = (json.dumps(table, indent=2, allow_nan=False) + "\n").encode("utf-8")
    with atomic_write(path) as file:
        file.write(data)


def _read_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row read back: ``task`` as text, parameters by their type (an empty cell or null
    leaves the parameter out: the row did not have it), anything else a float (NaN for an
    empty cell or null)."""
    found: dict[str, Any] = {}
    for column, value in row.items():
        empty = value is None or value == ""
        if column == "task" or column in PARAMETERS:
            if not empty:
                found[column] = value if column == "task" else PARAMETERS[column].parse(value)
        else:
            found[column] = math.nan if empty else _number(value, column)
    return found


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows :func:`write_csv` wrote: parameters by their type, measures as floats, an
    empty cell as NaN. ValueError for a cell that does not parse."""
    with open(path, encoding="utf-8", newline="") as file:
        return [_read_row(row) for row in csv.DictReader(file)]


def read_json(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows :func:`write_json` wrote, typed as :func:`read_csv` types them (null as NaN)."""
    with open(path, encoding="utf-8") as file:
        table = json.load(file)
    if not isinstance(table, list) or not all(isinstance(row, dict) for row in table):
        raise ValueError(f"{os.fspath(path)}: expected a JSON list of objects")
    return [_read_row(row) for row in table]
