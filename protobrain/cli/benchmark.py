"""``protobrain benchmark``: compare learning set-ups on a task, with measures that tell them apart.

Builds, after one ``numpy.random.seed(seed)`` and in this order (so each brain draws its
own weights), brains of feed-forward layers fed by the task's sensor, computing with
``SparseComputation(0.05)`` and learning with, in turn: nothing, ``HebbianLearning()``,
``HebbianLearning(0.005, 0.001)``, ``HebbianLearning(0.002, 0.0002)`` and
``HebbianLearning(0.001, 0.0001)`` (the original benchmark script's five set-ups).

Tasks (:mod:`protobrain.evaluate.tasks`): ``cyclic`` (the original script: layers 100,
100, 100 by default, a cyclic sensor over 0..100 of 1024 bits seeing 0, 1, ..., 99, 0,
... for 500 steps) and ``digits`` (scikit-learn's handwritten digits: one layer of 1000
units by default, trained on half of the images for ``--epochs`` epochs, read out on the
other half).

While each brain trains, :class:`~protobrain.metrics.spike_density.SpikeDensity`,
:class:`~protobrain.metrics.spike_count.SpikeCount`, :class:`~protobrain.metrics.entropy.Entropy`
and :class:`~protobrain.metrics.overlap.Overlap` record it, and the task's probes
(:mod:`protobrain.evaluate.probes`: noise robustness, stability, and with scikit-learn
installed the readout, before training and after) measure it without changing it
(``--no-probes`` skips them). The command prints a table per brain, or JSON with
``--json``. ``--jobs N`` runs the brains on N processes and ``--scheduler ADDRESS`` on a
Dask cluster; the numbers are the same either way. The N processes run one brain each at
a time, on one thread each (``PROTOBRAIN_THREADS=1`` in the workers), unless
``PROTOBRAIN_THREADS`` is set: N brains at once already keep N cores busy, and a brain
that also split its layers over every core would compete with the others for them.
``--plot FILE`` also draws the brains side by side (:func:`protobrain.plot.compare`).
docs/evaluation.md says what each number means.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from typing import Any, NoReturn, cast

import numpy as np

from protobrain import brain, plot
from protobrain.cli import executors
from protobrain.cli.errors import CliError, check_plot_output, fraction, reason, whole_number
from protobrain.evaluate.probes import ProbeResults
from protobrain.evaluate.tasks import TASKS, CyclicTask, DigitsTask, Task, build_brain, has_readout
from protobrain.metrics.benchmark import Benchmark, Results
from protobrain.metrics.entropy import Entropy
from protobrain.metrics.metric import leaves
from protobrain.metrics.overlap import Overlap
from protobrain.metrics.spike_count import SpikeCount
from protobrain.metrics.spike_density import SpikeDensity

__all__ = ["LEARNING_RULES", "add_parser", "build_brains", "format_report", "run", "summarize"]

#: The original script's learning set-ups, in its order: None for no learning, else
#: the arguments of ``HebbianLearning`` (empty for its defaults).
LEARNING_RULES: tuple[tuple[float, ...] | None, ...] = (
    None,
    (),
    (0.005, 0.001),
    (0.002, 0.0002),
    (0.001, 0.0001),
)

#: Each task's layers when ``--layers`` is not given.
DEFAULT_LAYERS = {"cyclic": [100, 100, 100], "digits": [1000]}

#: The measures the probes add, in the order the report shows them.
PROBE_MEASURES = ("noise_robustness", "stability", "readout")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``benchmark`` and its arguments on the ``protobrain`` command."""
    parser = subparsers.add_parser(
        "benchmark",
        help="compare learning set-ups on a task (cyclic inputs, handwritten digits)",
        description=(
            "Compare brains with no learning and four Hebbian set-ups on a task: activity (density, spike counts, "
            "entropy, overlap) while they train, and probes (noise robustness, stability, readout accuracy) "
            "that measure them without changing them."
        ),
    )
    count = whole_number(1)
    parser.add_argument(
        "--task",
        choices=sorted(TASKS),
        default="cyclic",
        help="cyclic: a cyclic sensor fed 0..99 repeatedly (the original benchmark); digits: scikit-learn's "
        "handwritten digits, read out on a held-out half (needs protobrain[evaluate]) (cyclic)",
    )
    parser.add_argument(
        "--layers",
        type=count,
        nargs="+",
        default=None,
        metavar="UNITS",
        help="layer sizes (cyclic: 100 100 100; digits: 1000)",
    )
    parser.add_argument(
        "--sensor", type=count, default=None, metavar="BITS", help="cyclic task: sensor length in bits (1024)"
    )
    parser.add_argument("--steps", type=count, default=None, help="cyclic task: inputs fed, 0..99 cycled (500)")
    parser.add_argument("--epochs", type=count, default=None, help="digits task: passes over the training images (1)")
    parser.add_argument(
        "--no-probes",
        action="store_true",
        help="skip the probes (noise robustness, stability, readout): activity measures only",
    )
    parser.add_argument(
        "--seed", type=whole_number(0, 2**32 - 1), default=0, help="numpy.random.seed before building the brains (0)"
    )
    parser.add_argument(
        "--sparsity", type=fraction, default=0.05, help="fraction of active units, SparseComputation(SPARSITY) (0.05)"
    )
    parser.add_argument(
        "--repeat",
        type=count,
        default=1,
        metavar="K",
        help="build the five set-ups K times, each with its own weights: 5*K brains (1)",
    )
    executors.add_arguments(parser, "the brains")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw the brains side by side (density, spike counts, and the measures: entropy, overlap, "
        "noise robustness, stability, readout) into FILE "
        "(.png, .pdf, .svg, ...; needs protobrain[plot])",
    )
    parser.set_defaults(func=run, command_parser=parser)
    return parser


def make_task(args: argparse.Namespace) -> Task:
    """The task ``args`` ask for; a usage error (exit 2) for a setting of the other task,
    CliError for a missing extra."""
    task_name = getattr(args, "task", "cyclic")
    usage = args.command_parser.error if hasattr(args, "command_parser") else _raise
    if task_name == "cyclic":
        if getattr(args, "epochs", None) is not None:
            usage("--epochs applies to the digits task; the cyclic task takes --steps")
        return CyclicTask(sensor_bits=args.sensor or 1024, steps=args.steps or 500)
    for flag, value in (("--steps", args.steps), ("--sensor", args.sensor)):
        if value is not None:
            usage(f"{flag} applies to the cyclic task; the digits task takes --epochs")
    try:
        return DigitsTask(epochs=getattr(args, "epochs", None) or 1, seed=args.seed)
    except ImportError as err:
        raise CliError(str(err)) from None


def _raise(message: str) -> NoReturn:
    raise CliError(message)


def run(args: argparse.Namespace) -> int:
    """Build the brains, run the benchmark, print the tables or JSON (``args`` as the
    parser made them: its argument types check every value)."""
    plot_to = getattr(args, "plot", None)
    if plot_to is not None:
        check_plot_output(plot_to)
    task = make_task(args)
    layers = list(args.layers or DEFAULT_LAYERS[task.name])
    try:
        brains = build_brains(layers, 0, args.sparsity, args.seed, args.repeat, task=task)
    except (ValueError, MemoryError) as err:
        raise CliError(f"cannot build the brains: {err}") from None
    inputs = task.inputs()
    readout = has_readout()
    probes = [] if getattr(args, "no_probes", False) else task.probes(readout=readout)
    bench = Benchmark([SpikeDensity(), SpikeCount(), Entropy(), Overlap()], probes)
    with executors.executor(args) as (executor, where):
        start = time.perf_counter()
        results = bench.run([b for _, b in brains], inputs, verbose=not args.quiet, executor=executor)
        wall = time.perf_counter() - start
    summaries = [
        summarize(label, result, layers, len(inputs), seconds, probing)
        for (label, _), result, seconds, probing in zip(
            brains, results, bench.last_run_seconds, bench.last_probe_seconds
        )
    ]
    settings = {
        "task": task.name,
        "description": task.describe(),
        "layers": layers,
        "sensor": task.sensor_bits if isinstance(task, CyclicTask) else None,
        "steps": len(inputs),
        "seed": args.seed,
        "sparsity": args.sparsity,
        "brains": len(brains),
        "executor": where,
        "probes": [probe.name for probe in probes],
        "readout": None if readout or not probes else "not measured: pip install 'protobrain[evaluate]'",
    }
    if args.json:
        report = {"settings": settings, "wall_seconds": wall, "brains": summaries}
        print(json.dumps(_json_safe(report), indent=2))
    else:
        print(format_report(settings, summaries, wall))
    if plot_to is not None:
        _write_plot(results, [label for label, _ in brains], settings, plot_to)
        if not args.json:
            print(f"wrote {plot_to}")
    return 0


def _write_plot(results: list[Results], labels: list[str], settings: dict[str, Any], path: str) -> None:
    """Write :func:`protobrain.plot.compare` of the brains' results to ``path``."""
    title = (
        f"protobrain benchmark: {settings['description']}, layers {' '.join(map(str, settings['layers']))}, "
        f"SparseComputation({settings['sparsity']})"
    )
    try:
        plot.save(plot.compare(results, labels, title=title), path)
    except OSError as err:
        raise CliError(f"--plot: cannot write {path}: {reason(err)}") from None


def build_brains(
    layers: Sequence[int], sensor_bits: int, sparsity: float, seed: int, repeat: int = 1, task: Task | None = None
) -> list[tuple[str, brain.Brain]]:
    """The benchmark's brains with their labels, built in order after one ``numpy.random.seed``
    (for ``task``, by default the cyclic task with a sensor of ``sensor_bits``)."""
    task = CyclicTask(sensor_bits=sensor_bits) if task is None else task
    np.random.seed(seed)
    brains = []
    for _ in range(repeat):
        for rule in LEARNING_RULES:
            built = build_brain(task, layers, sparsity, rule)
            brains.append(("no learning" if rule is None else repr(built.learning[0]), built))
    return brains


def summarize(
    label: str, results: Results, layers: Sequence[int], steps: int, seconds: float, probe_seconds: float = 0.0
) -> dict[str, Any]:
    """One brain's numbers: per layer and over all layers, plus its speed (training steps
    per second; the probes' time is ``probe_seconds``).

    Each layer row holds the spike statistics and, for every other measure present
    (entropy, overlap, the probes'), its value; ``readout_untrained`` is the readout of the
    same brain before it trained. ``readout_sensor`` is the readout of the raw sensor bits.
    """
    density = results["spike_density"]
    counts = results["spike_count"]
    rows = [
        _layer_summary(str(index), units, mean, histogram)
        for index, (units, mean, histogram) in enumerate(
            zip(layers, density.per_layer_result, counts.per_layer_result), start=1
        )
    ]
    rows.append(_layer_summary("all", sum(layers), density.global_result, counts.global_result))
    for name in ("entropy", "overlap", *PROBE_MEASURES):
        if name in results:
            per_layer = leaves(results[name].per_layer_result) + [results[name].global_result]
            for row, value in zip(rows, per_layer):
                row[name] = value
    summary = {
        "learning": label,
        "steps": steps,
        "seconds": seconds,
        "steps_per_second": steps / seconds if seconds > 0 else math.inf,
        "probe_seconds": probe_seconds,
        "layers": rows,
        "density_per_step": density.per_step_result,
    }
    if "readout" in results:
        details = cast(ProbeResults, results["readout"]).details
        untrained = details["untrained"]
        for row, value in zip(rows, [*untrained.layers, untrained.overall]):
            row["readout_untrained"] = float(value)
        summary["readout_sensor"] = details["trained"].sensor
    return summary


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _layer_summary(name: str, units: int, mean_density: float, histogram: dict[int, int]) -> dict[str, Any]:
    spikes = np.repeat(np.fromiter(histogram.keys(), dtype=np.int64), np.fromiter(histogram.values(), dtype=np.int64))
    return {
        "layer": name,
        "units": units,
        "mean_density": mean_density,
        "silent_share": histogram[0] / units,
        "spikes_min": int(spikes.min()),
        "spikes_median": float(np.median(spikes)),
        "spikes_max": int(spikes.max()),
        "spikes_sd": float(spikes.std()),
        "histogram": {str(k): v for k, v in histogram.items()},
    }


#: The report's optional columns: (summary key, heading, format).
_MEASURE_COLUMNS = (
    ("entropy", "entropy", "{:.3f}"),
    ("overlap", "overlap", "{:.3f}"),
    ("noise_robustness", "noise", "{:.3f}"),
    ("stability", "stable", "{:.3f}"),
    ("readout", "readout", "{:.1%}"),
    ("readout_untrained", "untrained", "{:.1%}"),
)


def format_report(settings: dict[str, Any], summaries: list[dict[str, Any]], wall: float) -> str:
    """The human-readable report: a heading, then a table per brain."""
    heading = f"protobrain benchmark: {settings['brains']} brains, layers {' '.join(map(str, settings['layers']))}, "
    if settings.get("task", "cyclic") == "cyclic":
        heading += f"sensor {settings['sensor']} bits, {settings['steps']} steps, "
    else:
        heading += f"{settings['description']}, "
    heading += f"seed {settings['seed']}, SparseComputation({settings['sparsity']}), {settings['executor']}"
    lines = [heading]
    if settings.get("readout"):
        lines.append(f"readout {settings['readout']}")
    header = ("layer", "units", "mean density", "silent units", "spikes/unit min", "median", "max", "sd")
    for number, summary in enumerate(summaries, start=1):
        lines.append("")
        sensor_readout = summary.get("readout_sensor")
        lines.append(
            f"brain {number}: {summary['learning']}   "
            f"{summary['steps']} steps, {summary['steps_per_second']:,.0f} steps/s"
            + ("" if sensor_readout is None else f", readout of the sensor bits {sensor_readout:.1%}")
        )
        columns = [c for c in _MEASURE_COLUMNS if c[0] in summary["layers"][0]]
        table = [header + tuple(heading for _, heading, _ in columns)] + [
            (
                row["layer"],
                str(row["units"]),
                f"{row['mean_density']:.4f}",
                f"{row['silent_share']:.1%}",
                str(row["spikes_min"]),
                f"{row['spikes_median']:g}",
                str(row["spikes_max"]),
                f"{row['spikes_sd']:.1f}",
            )
            + tuple(_cell(row[key], style) for key, _, style in columns)
            for row in summary["layers"]
        ]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
        for cells in table:
            first = cells[0].ljust(widths[0])
            rest = "  ".join(cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
            lines.append(f"  {first}  {rest}")
    lines.append("")
    lines.append(f"wall time {wall:.2f} s")
    return "\n".join(lines)


def _cell(value: Any, style: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return style.format(value)
