"""``protobrain benchmark``: the original benchmark script, as a command.

Builds, after one ``numpy.random.seed(seed)`` and in this order (so each brain draws its
own weights), brains of feed-forward layers (100, 100, 100 by default) fed by a cyclic
sensor over 0..100 (1024 bits), computing with ``SparseComputation(0.05)`` and learning
with, in turn: nothing, ``HebbianLearning()``, ``HebbianLearning(0.005, 0.001)``,
``HebbianLearning(0.002, 0.0002)`` and ``HebbianLearning(0.001, 0.0001)``. Each brain sees
the inputs 0, 1, ..., 99, 0, 1, ... (500 steps by default) while
:class:`~protobrain.metrics.spike_density.SpikeDensity` and
:class:`~protobrain.metrics.spike_count.SpikeCount` record it; the command prints a table
per brain, or JSON with ``--json``. ``--jobs N`` runs the brains on N processes and
``--scheduler ADDRESS`` on a Dask cluster; the numbers are the same either way. The N
processes run one brain each at a time, on one thread each (``PROTOBRAIN_THREADS=1`` in
the workers), unless ``PROTOBRAIN_THREADS`` is set: N brains at once already keep N cores
busy, and a brain that also split its layers over every core would compete with the
others for them.
``--plot FILE`` also draws the brains side by side (:func:`protobrain.plot.compare`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np

from protobrain import brain, computation, learning, neuron, plot, sensor
from protobrain.cli.errors import CliError, check_plot_output, fraction, reason, whole_number
from protobrain.encoders import numerical
from protobrain.metrics.benchmark import Benchmark, Results
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

#: The sensor's encoder covers 0..100; inputs cycle through 0..99.
SENSOR_RANGE = (0, 100)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``benchmark`` and its arguments on the ``protobrain`` command."""
    parser = subparsers.add_parser(
        "benchmark",
        help="compare learning set-ups on the original benchmark model",
        description=(
            "Run the original protobrain benchmark: brains with no learning and four Hebbian set-ups, "
            "fed 0..99 repeatedly, measuring spike density and spike counts per layer."
        ),
    )
    count = whole_number(1)
    parser.add_argument(
        "--layers", type=count, nargs="+", default=[100, 100, 100], metavar="UNITS", help="layer sizes (100 100 100)"
    )
    parser.add_argument("--sensor", type=count, default=1024, metavar="BITS", help="sensor length in bits (1024)")
    parser.add_argument("--steps", type=count, default=500, help="inputs fed to each brain: 0..99 cycled (500)")
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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=count, default=1, metavar="N", help="run the brains on N processes (1: here)")
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the brains on the Dask cluster at ADDRESS, e.g. tcp://host:8786 (needs protobrain[distributed])",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw the brains side by side (density per layer and step, spikes per unit) into FILE "
        "(.png, .pdf, .svg, ...; needs protobrain[plot])",
    )
    parser.set_defaults(func=run, command_parser=parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the brains, run the benchmark, print the tables or JSON (``args`` as the
    parser made them: its argument types check every value)."""
    plot_to = getattr(args, "plot", None)
    if plot_to is not None:
        check_plot_output(plot_to)
    try:
        brains = build_brains(args.layers, args.sensor, args.sparsity, args.seed, args.repeat)
    except (ValueError, MemoryError) as err:
        raise CliError(f"cannot build the brains: {err}") from None
    inputs = [step % SENSOR_RANGE[1] for step in range(args.steps)]
    bench = Benchmark([SpikeDensity(), SpikeCount()])
    with _executor(args) as (executor, where):
        start = time.perf_counter()
        results = bench.run([b for _, b in brains], inputs, verbose=not args.quiet, executor=executor)
        wall = time.perf_counter() - start
    summaries = [
        summarize(label, result, args.layers, args.steps, seconds)
        for (label, _), result, seconds in zip(brains, results, bench.last_run_seconds)
    ]
    settings = {
        "layers": list(args.layers),
        "sensor": args.sensor,
        "steps": args.steps,
        "seed": args.seed,
        "sparsity": args.sparsity,
        "brains": len(brains),
        "executor": where,
    }
    if args.json:
        print(json.dumps({"settings": settings, "wall_seconds": wall, "brains": summaries}, indent=2))
    else:
        print(format_report(settings, summaries, wall))
    if plot_to is not None:
        _write_plot(results, [label for label, _ in brains], settings, plot_to)
    return 0


def _write_plot(results: list[Results], labels: list[str], settings: dict[str, Any], path: str) -> None:
    """Write :func:`protobrain.plot.compare` of the brains' results to ``path``."""
    title = (
        f"protobrain benchmark: layers {' '.join(map(str, settings['layers']))}, sensor {settings['sensor']} bits, "
        f"{settings['steps']} steps, SparseComputation({settings['sparsity']})"
    )
    try:
        plot.save(plot.compare(results, labels, title=title), path)
    except OSError as err:
        raise CliError(f"--plot: cannot write {path}: {reason(err)}") from None


def build_brains(
    layers: Sequence[int], sensor_bits: int, sparsity: float, seed: int, repeat: int = 1
) -> list[tuple[str, brain.Brain]]:
    """The benchmark's brains with their labels, built in order after one ``numpy.random.seed``."""
    np.random.seed(seed)
    brains = []
    for _ in range(repeat):
        for rule in LEARNING_RULES:
            learn = None if rule is None else learning.HebbianLearning(*rule)
            group = neuron.FeedForward([neuron.Neurons(size) for size in layers])
            sensor_ = sensor.Sensor(numerical.CyclicEncoder(*SENSOR_RANGE, sensor_bits))
            built = brain.Brain(group, sensor_, computation=computation.SparseComputation(sparsity), learning=learn)
            brains.append(("no learning" if learn is None else repr(learn), built))
    return brains


@contextlib.contextmanager
def _executor(args: argparse.Namespace) -> Iterator[tuple[Executor | None, str]]:
    if args.scheduler:
        try:
            from distributed import Client  # Dask is an optional extra: imported only when asked for
        except ImportError:
            raise CliError("--scheduler needs Dask: pip install 'protobrain[distributed]'") from None
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise CliError(f"cannot reach the Dask scheduler at {args.scheduler}: {err}") from None
        with client:
            yield client.get_executor(), f"dask {args.scheduler}"
    elif args.jobs > 1:
        one_thread = None if "PROTOBRAIN_THREADS" in os.environ else _one_thread
        with ProcessPoolExecutor(max_workers=args.jobs, initializer=one_thread) as pool:
            yield pool, f"{args.jobs} processes"
    else:
        yield None, "serial"


def _one_thread() -> None:
    """A worker process's start: its brains run on one thread (read at their first step)."""
    os.environ["PROTOBRAIN_THREADS"] = "1"


def summarize(label: str, results: Results, layers: Sequence[int], steps: int, seconds: float) -> dict[str, Any]:
    """One brain's numbers: per layer and over all layers, plus its speed."""
    density = results["spike_density"]
    counts = results["spike_count"]
    rows = [
        _layer_summary(str(index), units, mean, histogram)
        for index, (units, mean, histogram) in enumerate(
            zip(layers, density.per_layer_result, counts.per_layer_result), start=1
        )
    ]
    rows.append(_layer_summary("all", sum(layers), density.global_result, counts.global_result))
    return {
        "learning": label,
        "steps": steps,
        "seconds": seconds,
        "steps_per_second": steps / seconds if seconds > 0 else math.inf,
        "layers": rows,
        "density_per_step": density.per_step_result,
    }


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


def format_report(settings: dict[str, Any], summaries: list[dict[str, Any]], wall: float) -> str:
    """The human-readable report: a heading, then a table per brain."""
    lines = [
        f"protobrain benchmark: {settings['brains']} brains, layers {' '.join(map(str, settings['layers']))}, "
        f"sensor {settings['sensor']} bits, {settings['steps']} steps, seed {settings['seed']}, "
        f"SparseComputation({settings['sparsity']}), {settings['executor']}",
    ]
    header = ("layer", "units", "mean density", "silent units", "spikes/unit min", "median", "max", "sd")
    for number, summary in enumerate(summaries, start=1):
        lines.append("")
        lines.append(
            f"brain {number}: {summary['learning']}   "
            f"{summary['steps']} steps, {summary['steps_per_second']:,.0f} steps/s"
        )
        table = [header] + [
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
            for row in summary["layers"]
        ]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
        for cells in table:
            first = cells[0].ljust(widths[0])
            rest = "  ".join(cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
            lines.append(f"  {first}  {rest}")
    lines.append("")
    lines.append(f"wall time {wall:.2f} s")
    return "\n".join(lines)
