"""``protobrain inspect SNAPSHOTS``: summarise a snapshot stream written by an experiment.

Reports the number of steps, the sensor (shape, mean density, range of the values fed)
and, per cortical layer, its shape, mean density (active units / units, averaged over
steps), the most and least active units (by the number of steps in which they fired; ties
go to the lower index) and how many units never fired. Units are flat C-order indices,
like the ``on_bits`` of the snapshots. ``--json`` prints the same as one JSON object.
``--plot FILE`` also draws the run (:func:`protobrain.plot.overview`) into an image file.

The stream is read once, message by message, so files of any length fit in memory; a
truncated or corrupt file is an error naming the byte offset of the bad record.
"""

from __future__ import annotations

import argparse
import json
import math
import numbers
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from protobrain import plot
from protobrain.cli.errors import CliError, check_plot_output, reason, whole_number
from protobrain.messages import decode_value
from protobrain.proto import sdr_pb2, snapshot_pb2
from protobrain.util.proto_io import ProtoReader, ProtoStreamError

__all__ = ["add_parser", "format_summary", "run", "summarise"]


#: More units than any snapshot of a real run holds; a larger shape means a corrupt file.
_MAX_UNITS = 1 << 31


@dataclass
class _Counts:
    """Per-unit spike counts of one SDR position (a layer, or the sensor)."""

    what: str
    shape: tuple[int, ...]
    counts: np.ndarray = field(init=False)
    active_total: int = 0

    def __post_init__(self) -> None:
        if not self.shape or any(d <= 0 for d in self.shape) or math.prod(self.shape) > _MAX_UNITS:
            raise CliError(f"{self.what} has an impossible shape {list(self.shape)}")
        self.counts = np.zeros(math.prod(self.shape), dtype=np.int64)

    def add(self, sdr: sdr_pb2.SparseDistributedRepresentation, step: int) -> None:
        shape = tuple(sdr.shape)
        if shape != self.shape:
            raise CliError(f"step {step}: {self.what} has shape {list(shape)}, earlier steps had {list(self.shape)}")
        on_bits = np.fromiter(sdr.on_bits, dtype=np.int64, count=len(sdr.on_bits))
        size = self.counts.size
        if on_bits.size and (on_bits.min() < 0 or on_bits.max() >= size):
            bad = int(on_bits[(on_bits < 0) | (on_bits >= size)][0])
            raise CliError(f"step {step}: {self.what} lists unit {bad}, outside its {size} units")
        if np.unique(on_bits).size != on_bits.size:
            raise CliError(f"step {step}: {self.what} lists a unit more than once")
        self.counts[on_bits] += 1
        self.active_total += int(on_bits.size)

    def mean_density(self, steps: int) -> float:
        units = self.counts.size
        return self.active_total / (steps * units) if steps and units else 0.0

    def summary(self, steps: int, top: int) -> dict[str, Any]:
        units = int(self.counts.size)
        # Stable sorts keep ties in ascending unit order.
        most = np.argsort(-self.counts, kind="stable")[:top]
        least = np.argsort(self.counts, kind="stable")[:top]
        return {
            "shape": list(self.shape),
            "units": units,
            "mean_density": self.mean_density(steps),
            "most_active": [{"unit": int(u), "steps": int(self.counts[u])} for u in most],
            "least_active": [{"unit": int(u), "steps": int(self.counts[u])} for u in least],
            "silent_units": int(np.count_nonzero(self.counts == 0)),
        }


def summarise(path: str, top: int = 5) -> dict[str, Any]:
    """Read the snapshot stream at ``path`` and return its summary as a JSON-ready dict.

    Raises CliError for an unreadable, truncated or corrupt file, and for snapshots whose
    layers change number or shape from one step to the next.
    """
    layers: list[_Counts] | None = None
    sensor: _Counts | None = None
    numbers_fed: list[float] = []
    other_values = 0
    steps = 0
    try:
        with open(path, "rb") as file:
            for snapshot in ProtoReader(file, snapshot_pb2.Snapshot):
                sdrs = list(snapshot.cortex.sdr)
                if layers is None:
                    layers = [_Counts(f"layer {i}", tuple(s.shape)) for i, s in enumerate(sdrs)]
                elif len(sdrs) != len(layers):
                    raise CliError(f"step {steps}: {len(sdrs)} layers, earlier steps had {len(layers)}")
                for counts, sdr in zip(layers, sdrs):
                    counts.add(sdr, steps)
                if snapshot.HasField("sensor") and snapshot.sensor.HasField("sdr"):
                    if sensor is None:
                        sensor = _Counts("the sensor", tuple(snapshot.sensor.sdr.shape))
                    sensor.add(snapshot.sensor.sdr, steps)
                value = decode_value(snapshot.sensor.value)
                if isinstance(value, numbers.Real):
                    numbers_fed.append(float(value))
                elif value is not None:
                    other_values += 1
                steps += 1
    except OSError as err:
        raise CliError(f"cannot read snapshots {path}: {reason(err)}") from None
    except ProtoStreamError as err:
        raise CliError(f"snapshots {path}: {err}") from None
    except MemoryError:
        raise CliError(f"snapshots {path}: a snapshot's layer shapes are too large for memory") from None

    sensor_summary = None
    if sensor is not None:
        # NaN has no place in a range: it is counted apart (and a min/max over it would
        # depend on the order).
        ordered = [v for v in numbers_fed if not math.isnan(v)]
        sensor_summary = {
            "shape": list(sensor.shape),
            "units": int(sensor.counts.size),
            "mean_density": sensor.mean_density(steps),
            "values": {
                "numbers": len(numbers_fed),
                "other": other_values,
                "nan": len(numbers_fed) - len(ordered),
                "min": min(ordered) if ordered else None,
                "max": max(ordered) if ordered else None,
            },
        }
    return {
        "file": path,
        "steps": steps,
        "sensor": sensor_summary,
        "layers": [{"layer": i, **counts.summary(steps, top)} for i, counts in enumerate(layers or [])],
    }


def _units(entries: list[dict[str, int]]) -> str:
    return ", ".join(f"{e['unit']} ({e['steps']})" for e in entries) or "-"


def _strict_json(value: Any) -> Any:
    """``value`` with infinite floats as the strings ``"inf"`` and ``"-inf"``, which JSON
    (unlike Python's ``json`` by default) has no number for."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict_json(v) for v in value]
    return value


def format_summary(summary: dict[str, Any]) -> str:
    """The readable form of :func:`summarise`'s result."""
    lines = [f"{summary['file']}: {summary['steps']} steps, {len(summary['layers'])} layers"]
    sensor = summary["sensor"]
    if sensor is not None:
        values = sensor["values"]
        if values["min"] is not None:
            fed = f"values {values['min']:g} to {values['max']:g}"
        else:
            fed = "no numeric values" if not values["numbers"] else "no values other than NaN"
        if values["nan"] and values["min"] is not None:
            fed += f", {values['nan']} NaN"
        if values["other"]:
            fed += f", {values['other']} non-numeric"
        lines.append(f"sensor: shape {tuple(sensor['shape'])}, mean density {sensor['mean_density']:.4f}, {fed}")
    for layer in summary["layers"]:
        lines.append(
            f"layer {layer['layer']}: shape {tuple(layer['shape'])}, mean density {layer['mean_density']:.4f}, "
            f"{layer['silent_units']} of {layer['units']} units never active"
        )
        lines.append(f"  most active (unit (steps)):  {_units(layer['most_active'])}")
        lines.append(f"  least active (unit (steps)): {_units(layer['least_active'])}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """The command: ``args.snapshots``, ``args.json``, ``args.top``, ``args.plot``."""
    plot_to = getattr(args, "plot", None)
    if plot_to is not None:
        check_plot_output(plot_to)
    summary = summarise(args.snapshots, top=args.top)
    if args.json:
        json.dump(_strict_json(summary), sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(format_summary(summary))
    if plot_to is not None and summary["steps"]:
        _write_plot(args.snapshots, plot_to)
    elif plot_to is not None:
        raise CliError(f"--plot: {args.snapshots} holds no snapshots to draw")
    return 0


def _write_plot(snapshots: str, path: str) -> None:
    """Write :func:`protobrain.plot.overview` of the snapshot file to ``path``."""
    try:
        plot.save(plot.overview(plot.read_snapshots(snapshots), title=f"{snapshots}"), path)
    except OSError as err:
        raise CliError(f"--plot: cannot write {path}: {reason(err)}") from None
    except ValueError as err:
        raise CliError(f"--plot: {err}") from None


def add_parser(subparsers: Any) -> None:
    """Register ``protobrain inspect``."""
    parser = subparsers.add_parser(
        "inspect",
        help="summarise a snapshot file",
        description="Summarise a snapshot stream written by `protobrain experiment`: steps, layers, "
        "per-layer mean density, most and least active units.",
    )
    parser.add_argument("snapshots", metavar="SNAPSHOTS", help="the snapshot file to read")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--top",
        type=whole_number(0),
        default=5,
        metavar="K",
        help="how many most/least active units to list (default 5)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw each layer's raster and spike counts and the density per step into FILE "
        "(.png, .pdf, .svg, ...; needs protobrain[plot])",
    )
    parser.set_defaults(func=run, command_parser=parser)
