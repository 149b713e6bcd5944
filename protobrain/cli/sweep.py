"""``protobrain sweep``: train and measure one brain per combination of a grid of
parameters, write the table (CSV, and JSON with ``--json``) and draw a measure as
heatmaps (``--plot``).

``--grid NAME=V1,V2,...`` sweeps a parameter (:data:`protobrain.evaluate.sweep.PARAMETERS`),
``--set NAME=V`` fixes one the grid does not sweep; the others keep their defaults. Each
combination's brain is built after ``numpy.random.seed(seed)``, trained on the task and
measured (:func:`protobrain.evaluate.sweep.sweep`); ``--jobs N`` runs the combinations on
N processes (one thread each unless ``PROTOBRAIN_THREADS`` is set, as ``protobrain
benchmark`` does) and ``--scheduler ADDRESS`` on a Dask cluster, with the same numbers.
Standard output gets one line per combination with a few measures. Bad arguments (an
unknown parameter, a bad value, a parameter of the other task, a measure the sweep does
not make, an output folder that does not exist) are refused before any work, as usage
errors (exit 2); a file that cannot be written is exit 1. docs/sweeps.md has the details.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, NoReturn

from protobrain import plot
from protobrain.cli import executors
from protobrain.cli.errors import CliError, reason
from protobrain.evaluate import sweep as sweeps
from protobrain.evaluate.tasks import TASKS, has_readout

__all__ = ["add_parser", "format_summary", "run"]

#: The measures the summary shows, when the rows have them.
SUMMARY_MEASURES = ("silent", "entropy", "overlap", "noise_robustness", "stability", "readout")


def _parameter_help() -> str:
    lines = ["parameters (default; task):"]
    for parameter in sweeps.PARAMETERS.values():
        where = f"; {parameter.task} task" if parameter.task else ""
        lines.append(
            f"  {parameter.name:<12} {parameter.meaning} ({parameter.kind}, default {parameter.default}{where})"
        )
    lines.append("")
    lines.append(
        "measures: spike_density, silent, entropy, overlap, noise_robustness, stability and (with scikit-learn) "
        "readout, readout.sensor, readout.untrained; each also per layer as NAME.layer1, NAME.layer2, ...; "
        "and seconds. See docs/sweeps.md."
    )
    return "\n".join(lines)


def _assignment(several: bool) -> Callable[[str], tuple[str, list[str]]]:
    """An argparse ``type`` for ``NAME=V1,V2,...`` (``several``) or ``NAME=V``: the name and
    the values' text, each value checked by the parameter."""
    shape = "NAME=V1,V2,..." if several else "NAME=VALUE"

    def parse(text: str) -> tuple[str, list[str]]:
        name, equals, rest = text.partition("=")
        name = name.strip()
        if not equals or not name or not rest.strip():
            raise argparse.ArgumentTypeError(f"expected {shape}, got {text!r}")
        values = [value.strip() for value in rest.split(",")] if several else [rest.strip()]
        if not all(values):
            raise argparse.ArgumentTypeError(f"an empty value in {text!r}")
        if name not in sweeps.PARAMETERS:
            raise argparse.ArgumentTypeError(
                f"unknown parameter {name!r}; the parameters are {', '.join(sweeps.PARAMETERS)}"
            )
        try:
            for value in values:
                sweeps.PARAMETERS[name].parse(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return name, values

    return parse


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``sweep`` and its arguments on the ``protobrain`` command."""
    parser = subparsers.add_parser(
        "sweep",
        help="train and measure a brain per combination of a grid of parameters",
        description=(
            "Train and measure one brain per combination of a grid of parameters; write the table "
            "(one row per combination: its parameters, then its measures) and draw a measure as heatmaps."
        ),
        epilog=_parameter_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--task", choices=sorted(TASKS), default="cyclic", help="what the brains learn (cyclic)")
    parser.add_argument(
        "--grid",
        type=_assignment(True),
        action="append",
        required=True,
        metavar="NAME=V1,V2,...",
        help="a parameter to sweep and its values; repeat for more (the combinations: every value of each)",
    )
    parser.add_argument(
        "--set",
        type=_assignment(False),
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter the grid does not sweep, fixed at VALUE (the others keep their defaults)",
    )
    parser.add_argument("--out", required=True, metavar="TABLE.csv", help="write the table as CSV to this file")
    parser.add_argument("--json", metavar="TABLE.json", help="also write the table as JSON to this file")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw --measure over --x and --y as heatmaps into FILE (.png, .pdf, .svg, ...; needs "
        "protobrain[plot]); one panel per combination of the other swept parameters",
    )
    parser.add_argument("--x", metavar="NAME", help="with --plot: the swept parameter along the columns")
    parser.add_argument("--y", metavar="NAME", help="with --plot: the swept parameter along the rows")
    parser.add_argument("--measure", metavar="NAME", help="with --plot: the measure the colours show")
    executors.add_arguments(parser, "the combinations")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run, command_parser=parser)
    return parser


def _named(pairs: Sequence[tuple[str, list[str]]], option: str, usage: Callable[[str], NoReturn]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, values in pairs:
        if name in found:
            usage(f"argument {option}: {name} is given twice")
        found[name] = values
    return found


def _check_output(path: str, option: str, usage: Callable[[str], NoReturn]) -> None:
    """Refuse an output path whose folder does not exist, or that is a folder."""
    if os.path.isdir(path):
        usage(f"argument {option}: {path} is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        usage(f"argument {option}: no such directory: {folder}")


def _check_plot(args: argparse.Namespace, grid: dict[str, Any], depth: int, usage: Callable[[str], NoReturn]) -> None:
    """Refuse inconsistent plot options before any work."""
    options = {"--x": args.x, "--y": args.y, "--measure": args.measure}
    if args.plot is None:
        given = [option for option, value in options.items() if value is not None]
        if given:
            usage(f"{' and '.join(given)} {'needs' if len(given) == 1 else 'need'} --plot")
        return
    missing = [option for option, value in options.items() if value is None]
    if missing:
        usage(f"--plot needs {', '.join(missing)}")
    try:
        plot.check_output(args.plot)
    except ImportError as err:
        raise CliError(f"--plot: {err}") from None
    except ValueError as err:
        usage(f"argument --plot: {err}")
    for option, name in (("--x", args.x), ("--y", args.y)):
        if name not in grid:
            usage(f"argument {option}: {name!r} is not a --grid parameter; the grid has {', '.join(grid)}")
    if args.x == args.y:
        usage(f"--x and --y are both {args.x!r}; choose two different --grid parameters")
    names = [*sweeps.measure_names(depth, has_readout()), "seconds"]
    if args.measure not in names:
        usage(f"argument --measure: unknown measure {args.measure!r}; the measures are {', '.join(names)}")


def run(args: argparse.Namespace) -> int:
    """Check every argument, run the sweep, write the table (and plot), print the summary."""
    usage = args.command_parser.error
    grid = _named(args.grid, "--grid", usage)
    fixed = {name: values[0] for name, values in _named(args.set, "--set", usage).items()}
    try:
        combinations = sweeps.settings(grid, args.task, **fixed)
    except ValueError as err:
        usage(str(err))
    _check_plot(args, grid, max(c["depth"] for c in combinations), usage)
    if args.out.lower().endswith(".json"):
        usage("argument --out: writes CSV; use --json for a JSON table")
    outputs = [("--out", args.out), ("--json", args.json), ("--plot", args.plot)]
    outputs = [(option, path) for option, path in outputs if path is not None]
    for option, path in outputs:
        _check_output(path, option, usage)
    for index, (option, path) in enumerate(outputs):
        for other, other_path in outputs[:index]:
            if os.path.abspath(path) == os.path.abspath(other_path):
                usage(f"{other} and {option} name the same file, {path}; each needs its own")

    with executors.executor(args) as (executor, where):
        start = time.perf_counter()
        try:
            rows = sweeps.sweep(grid, args.task, executor=executor, verbose=not args.quiet, **fixed)
        except ImportError as err:
            raise CliError(str(err)) from None
        except (ValueError, MemoryError, BrokenProcessPool) as err:
            raise CliError(f"the sweep failed: {type(err).__name__}: {err}") from None
        wall = time.perf_counter() - start

    _write(args.out, "--out", lambda: sweeps.write_csv(rows, args.out))
    if args.json is not None:
        _write(args.json, "--json", lambda: sweeps.write_json(rows, args.json))
    if args.plot is not None:
        title = f"protobrain sweep, {args.task} task: {args.measure}"
        figure = plot.heatmap(rows, args.x, args.y, args.measure, title=title)
        _write(args.plot, "--plot", lambda: plot.save(figure, args.plot))
    print(format_summary(rows, list(grid), args.task, where, args.measure))
    print(f"wrote {', '.join(path for _, path in outputs)}; wall time {wall:.2f} s")
    return 0


def _write(path: str, option: str, write: Callable[[], None]) -> None:
    try:
        write()
    except OSError as err:
        raise CliError(f"{option}: cannot write {path}: {reason(err)}") from None


def _text(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:g}"
    return str(value)


def format_summary(
    rows: Sequence[dict[str, Any]], swept: Sequence[str], task: str, where: str, measure: str | None = None
) -> str:
    """A heading (combinations, task, fixed settings, where they ran), then one line per
    combination: the swept parameters, a few measures (:data:`SUMMARY_MEASURES` and
    ``measure``) and seconds."""
    shown = [m for m in SUMMARY_MEASURES if any(m in row for row in rows)]
    if measure is not None and measure not in shown and measure != "seconds":
        shown.append(measure)
    counts = " x ".join(f"{len({row[name] for row in rows})} {name}" for name in swept)
    fixed = " ".join(
        f"{name}={_text(rows[0][name])}" for name in sweeps.PARAMETERS if name in rows[0] and name not in swept
    )
    lines = [
        f"protobrain sweep: {len(rows)} combination{'' if len(rows) == 1 else 's'} ({counts}), {task} task, {where}",
        f"fixed: {fixed}",
        "",
    ]
    header = [*swept, *shown, "seconds"]
    table = [header]
    for row in rows:
        cells = [_text(row[name]) for name in swept]
        for name in shown:
            value = row.get(name, math.nan)
            cells.append("-" if math.isnan(value) else f"{value:.3f}")
        cells.append(f"{row['seconds']:.2f}")
        table.append(cells)
    widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
    for cells in table:
        lines.append("  ".join(cell.rjust(width) for cell, width in zip(cells, widths)).rstrip())
    return "\n".join(lines)
