"""Pictures of what a network does: rasters, spike counts, density, weights, comparisons.

Needs matplotlib, the optional extra ``protobrain[plot]`` (``pip install 'protobrain[plot]'``);
every function here raises :class:`ImportError` saying so when it is missing. Importing
this module works without it.

Each plotting function returns a :class:`matplotlib.figure.Figure` made without pyplot
(no window, no global state, safe in scripts, servers and threads); save it with
``figure.savefig('out.png')`` or :func:`save`, or let Jupyter show it. The data can come
from:

- a live :class:`~protobrain.brain.Brain` and the ``values`` to feed it: the brain is
  stepped through them with :meth:`~protobrain.brain.Brain.run` (it learns unless
  ``learn=False``), so the picture shows those steps;
- recorded activity: what ``Brain.run(values, record=True)`` returns (one bool array of
  shape ``(steps,) + layer.shape`` per layer, in ``brain.layers`` order), a single such
  array, or a :class:`Recording`;
- a snapshot file written by ``protobrain experiment`` (a path, read with
  :func:`read_snapshots`);
- results of :meth:`~protobrain.metrics.benchmark.Benchmark.run` (for
  :func:`spike_counts`, :func:`density` and :func:`compare`), or one metric's
  :class:`~protobrain.metrics.metric.MetricResults`.

Layers are numbered from 0 in ``brain.layers`` order (the order of ``Brain.run``'s
recording, of a snapshot's ``cortex.sdr`` and of ``protobrain inspect``); units are flat
C-order indices, like a snapshot's ``on_bits``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from protobrain.metrics.metric import MetricResults
from protobrain.metrics.spike_count import histogram as _histogram

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "INSTALL_HINT",
    "MIN_DPI",
    "Recording",
    "WeightHistory",
    "check_output",
    "compare",
    "density",
    "overview",
    "raster",
    "read_snapshots",
    "record",
    "record_weights",
    "save",
    "spike_counts",
    "weight_distribution",
    "weight_matrix",
]

#: What to run when matplotlib is missing.
INSTALL_HINT = "pip install 'protobrain[plot]'"

#: One colour per layer (or per brain in :func:`compare`), cycled: matplotlib's tab10.
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip

#: Rasters keep every spike visible in files saved at this dpi or more (figures are 100 dpi).
MIN_DPI = 72

#: Anything :func:`raster`, :func:`spike_counts`, :func:`density` and :func:`overview`
#: take: a Brain (with ``values``), a Recording, a recording as returned by ``Brain.run``
#: (a list of arrays, or one array), or the path of a snapshot file.
ActivitySource = Union["Recording", Sequence[np.ndarray], np.ndarray, str, "os.PathLike[str]", Any]


def _matplotlib() -> Any:
    """Import matplotlib, or raise an ImportError that says how to install it."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            f"protobrain.plot needs matplotlib, which is not installed: {INSTALL_HINT}", name="matplotlib"
        ) from err
    return matplotlib


def _figure(width: float, height: float) -> Figure:
    """A new figure (no pyplot, constrained layout) of ``width`` x ``height`` inches at 100 dpi."""
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _color(index: int) -> str:
    return COLORS[index % len(COLORS)]


# ------------------------------------------------------------------------------ data


@dataclasses.dataclass
class Recording:
    """The activity of a model's layers over a run of steps.

    Args:
        layers: one array per layer, of shape ``(steps,) + layer shape`` (any dtype; a unit
            is active where the value is not 0), all with the same number of steps.
        names: a name per layer; ``"layer 0"``, ``"layer 1"``, ... by default.
        values: the value fed at each step, when known.
        sensor: the sensor's activity, shape ``(steps,) + sensor shape``, when known.

    The arrays are kept as bool arrays; :meth:`flat` gives one as ``(steps, units)``.
    """

    layers: list[np.ndarray]
    names: list[str] | None = None
    values: list[Any] | None = None
    sensor: np.ndarray | None = None

    def __post_init__(self) -> None:
        if isinstance(self.layers, np.ndarray):
            self.layers = [self.layers]
        arrays = [np.asarray(layer) for layer in self.layers]
        if not arrays:
            raise ValueError("a recording needs at least one layer")
        for index, array in enumerate(arrays):
            if array.ndim < 2:
                raise ValueError(
                    f"layer {index}: a recording has shape (steps,) + layer shape, got an array of shape {array.shape}"
                )
        steps = {array.shape[0] for array in arrays}
        if len(steps) != 1:
            raise ValueError(f"the layers' recordings have different numbers of steps: {sorted(steps)}")
        self.layers = [array != 0 if array.dtype != np.bool_ else array for array in arrays]
        if self.names is None:
            self.names = [f"layer {index}" for index in range(len(arrays))]
        elif len(self.names) != len(arrays):
            raise ValueError(f"{len(self.names)} names for {len(arrays)} layers")
        if self.values is not None and len(self.values) != self.steps:
            raise ValueError(f"{len(self.values)} values for {self.steps} steps")
        if self.sensor is not None:
            self.sensor = np.asarray(self.sensor) != 0
            if self.sensor.shape[0] != self.steps:
                raise ValueError(f"the sensor's recording has {self.sensor.shape[0]} steps, the layers {self.steps}")

    @property
    def steps(self) -> int:
        """The number of recorded steps."""
        return int(self.layers[0].shape[0])

    @property
    def layer_names(self) -> list[str]:
        """The name of every layer, in order."""
        assert self.names is not None
        return list(self.names)

    def flat(self, layer: int) -> np.ndarray:
        """Layer ``layer``'s activity as a ``(steps, units)`` bool array."""
        array = self.layers[layer]
        return array.reshape(array.shape[0], -1)

    def spike_counts(self) -> list[np.ndarray]:
        """Per layer, how many steps each unit was active in (flat int64 arrays)."""
        return [np.count_nonzero(self.flat(i), axis=0).astype(np.int64) for i in range(len(self.layers))]

    def densities(self) -> np.ndarray:
        """The fraction of active units, shape ``(steps, layers)``."""
        return np.stack([self.flat(i).mean(axis=1) for i in range(len(self.layers))], axis=1)


def record(brain: Any, values: Sequence[Any], learn: bool = True) -> Recording:
    """Step ``brain`` through ``values`` with ``brain.run`` and return what every layer did.

    The brain learns at every step unless ``learn`` is False (its weights change).
    """
    activity = brain.run(values, learn=learn, record=True)
    return Recording(activity, values=list(values))


def read_snapshots(path: str | os.PathLike[str]) -> Recording:
    """Read a snapshot stream (``protobrain experiment``'s output) into a :class:`Recording`.

    Holds ``steps x units`` bytes per layer. Raises ``OSError`` when the file cannot be read,
    ``ValueError`` (:class:`~protobrain.util.proto_io.ProtoStreamError` included) for a
    truncated or corrupt stream, a stream with no steps, and layers that change shape.
    """
    from protobrain.proto import snapshot_pb2
    from protobrain.util.proto_io import ProtoReader
    from protobrain.messages import decode_sdr, decode_value

    layers: list[list[np.ndarray]] = []
    shapes: list[tuple[int, ...]] = []
    sensor: list[np.ndarray] = []
    values: list[Any] = []
    with open(path, "rb") as file:
        for step, snapshot in enumerate(ProtoReader(file, snapshot_pb2.Snapshot)):
            sdrs = list(snapshot.cortex.sdr)
            if step == 0:
                shapes = [tuple(sdr.shape) for sdr in sdrs]
                layers = [[] for _ in sdrs]
            if [tuple(sdr.shape) for sdr in sdrs] != shapes:
                raise ValueError(f"step {step}: the layers' shapes changed from {shapes}")
            for frames, sdr in zip(layers, sdrs):
                frames.append(decode_sdr(sdr) != 0)
            if snapshot.sensor.HasField("sdr") and len(sensor) == step:
                sensor.append(decode_sdr(snapshot.sensor.sdr) != 0)
            values.append(decode_value(snapshot.sensor.value))
    if not values:
        raise ValueError(f"{os.fspath(path)} holds no snapshots")
    if not layers:
        raise ValueError(f"the snapshots in {os.fspath(path)} hold no layers")
    steps = len(values)
    return Recording(
        [np.stack(frames) for frames in layers],
        values=values,
        sensor=np.stack(sensor) if len(sensor) == steps else None,
    )


def _recording(source: ActivitySource, values: Sequence[Any] | None, learn: bool) -> Recording:
    """Turn any activity source (see :data:`ActivitySource`) into a Recording."""
    if isinstance(source, Recording):
        return source
    if isinstance(source, (str, os.PathLike)):
        return read_snapshots(source)
    if hasattr(source, "run") and hasattr(source, "layers"):
        if values is None:
            raise TypeError("to plot a live brain, pass the values to feed it: plot.raster(brain, values)")
        return record(source, values, learn=learn)
    if isinstance(source, np.ndarray):
        return Recording([source])
    if isinstance(source, (list, tuple)):
        return Recording(list(source))
    raise TypeError(
        "expected a Brain (with values), a Recording, a list of recorded arrays or a snapshot file path, "
        f"got {type(source).__name__}"
    )


def _leaves(nested: Any) -> Iterator[Any]:
    """The items of a result nested like the layers (lists/tuples), depth-first."""
    if isinstance(nested, (list, tuple)):
        for item in nested:
            yield from _leaves(item)
    else:
        yield nested


def _metric(source: Any, name: str) -> MetricResults | None:
    """``source`` as the results of metric ``name``, if it is such results (or a Results dict with them)."""
    if isinstance(source, MetricResults):
        if source.metric_name != name:
            raise ValueError(f"expected the results of {name!r}, got those of {source.metric_name!r}")
        return source
    if isinstance(source, dict):
        found = source.get(name)
        if not isinstance(found, MetricResults):
            raise ValueError(f"these benchmark results have no {name!r} metric; they have {sorted(source)}")
        return found
    return None


# ------------------------------------------------------------------------------ drawing helpers


#: Pixels (at :data:`MIN_DPI`; points at any dpi) a raster keeps clear inside each edge of
#: its axes, so the frame (0.8 points wide, half of it inside) covers no spike.
_MARGIN = 2


def _raster_axes(figure: Figure, jobs: Sequence[tuple[Axes, np.ndarray, str]]) -> None:
    """Draw each ``(axes, (steps, units) bool activity, colour)`` as a raster image.

    Runs the layout first, then OR-pools the steps and units that would share a pixel when
    the figure is saved at :data:`MIN_DPI`, so no spike is lost to resampling at that dpi or
    above: a pixel has ink when any step and unit it covers was active. The image keeps
    :data:`_MARGIN` pixels clear of each edge, where the axes' frame is drawn over it, and
    spans the rest exactly (no more cells than pixels, so each covers at least one; a
    pooled spike lands less than a pixel from its step and unit).
    """
    from matplotlib.colors import ListedColormap

    engine = figure.get_layout_engine()
    if engine is not None:
        engine.execute(figure)  # place the axes as saving will, without drawing anything
    scale = min(1.0, MIN_DPI / figure.dpi)
    for ax, activity, color in jobs:
        steps, units = activity.shape
        box = ax.get_window_extent()
        # Pixels at MIN_DPI for the image, inside the margins.
        width = max(box.width * scale - 2 * _MARGIN, 1.0)
        height = max(box.height * scale - 2 * _MARGIN, 1.0)
        step_bin = max(1, math.ceil(steps / width))
        unit_bin = max(1, math.ceil(units / height))
        pooled = _pool(activity, step_bin, unit_bin)
        ax.imshow(
            pooled.T,
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=ListedColormap(["white", color]),
            vmin=0,
            vmax=1,
            extent=(-0.5, steps - 0.5, -0.5, units - 0.5),
        )
        # The margins, in data units (steps or units per pixel times _MARGIN pixels).
        pad_x, pad_y = _MARGIN * steps / width, _MARGIN * units / height
        ax.set_xlim(-0.5 - pad_x, steps - 0.5 + pad_x)
        ax.set_ylim(-0.5 - pad_y, units - 0.5 + pad_y)


def _pool(activity: np.ndarray, step_bin: int, unit_bin: int) -> np.ndarray:
    """OR-reduce blocks of ``step_bin`` steps x ``unit_bin`` units (zero-padded at the ends)."""
    steps, units = activity.shape
    if step_bin == 1 and unit_bin == 1:
        return activity
    padded = np.zeros((math.ceil(steps / step_bin) * step_bin, math.ceil(units / unit_bin) * unit_bin), dtype=bool)
    padded[:steps, :units] = activity
    rows, cols = padded.shape[0] // step_bin, padded.shape[1] // unit_bin
    return np.asarray(padded.reshape(rows, step_bin, cols, unit_bin).any(axis=(1, 3)))


def _decorate_raster(ax: Axes, name: str, activity: np.ndarray, shape: tuple[int, ...], last: bool) -> None:
    steps, units = activity.shape
    density = activity.mean() if activity.size else 0.0
    shape_text = "x".join(map(str, shape))
    ax.set_title(f"{name}: {shape_text} units, mean density {density:.3f}", fontsize="medium", loc="left")
    ax.set_ylabel("unit")
    ax.set_xlim(-0.5, steps - 0.5)
    ax.set_ylim(-0.5, units - 0.5)
    ax.set_facecolor("white")
    if last:
        ax.set_xlabel("step")


def _draw_counts(ax: Axes, histogram: dict[int, int], name: str, color: str, xlabel: bool = True) -> None:
    from matplotlib.ticker import MaxNLocator

    spikes = np.fromiter(histogram.keys(), dtype=np.int64)
    units = np.fromiter(histogram.values(), dtype=np.int64)
    total = int(units.sum())
    ax.bar(spikes, units, width=1.0, color=color, edgecolor=color, linewidth=0.3)
    silent = histogram.get(0, 0)
    ax.set_title(f"{name}: {silent} of {total} silent" if total else name, fontsize="medium", loc="left")
    ax.set_ylabel("units")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if xlabel:
        ax.set_xlabel("spikes per unit (steps active)")
    ax.set_xlim(-0.5 - 0.02 * max(spikes.max(), 1), spikes.max() + 0.5 + 0.02 * max(spikes.max(), 1))


def _draw_density(ax: Axes, per_layer: np.ndarray, names: Sequence[str], overall: Sequence[float] | None) -> None:
    steps = np.arange(per_layer.shape[0])
    for index, name in enumerate(names):
        ax.plot(steps, per_layer[:, index], color=_color(index), linewidth=1.0, label=name)
    if overall is not None:
        ax.plot(steps, overall, color="black", linewidth=1.2, linestyle="--", label="all layers")
    ax.set_xlabel("step")
    ax.set_ylabel("active units (fraction)")
    highest = float(np.nanmax(per_layer)) if per_layer.size else 0.0
    ax.set_ylim(0, highest * 1.3 if highest > 0 else 1.0)  # room for the legend above the lines
    ax.set_xlim(-0.5, max(per_layer.shape[0] - 0.5, 0.5))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize="small", ncols=min(len(names) + (overall is not None), 4))


# ------------------------------------------------------------------------------ activity


def raster(
    source: ActivitySource,
    values: Sequence[Any] | None = None,
    *,
    learn: bool = True,
    title: str | None = None,
) -> Figure:
    """Activity raster: one panel per layer, a mark where a unit (y) is active at a step (x).

    Args:
        source: a brain (stepped through ``values``), a recording, or a snapshot file path.
        values: the values to feed a live brain.
        learn: whether a live brain learns while it is stepped.
        title: the figure's title.

    Units are flat C-order indices. When a panel has fewer pixels than steps or units,
    neighbouring steps/units share a pixel, inked when any of them was active.
    """
    _matplotlib()
    recording = _recording(source, values, learn)
    count = len(recording.layers)
    figure = _figure(9.0, 0.6 + 1.7 * count)
    axes = figure.subplots(count, 1, sharex=True, squeeze=False)[:, 0]
    jobs = []
    for index, ax in enumerate(axes):
        flat = recording.flat(index)
        _decorate_raster(ax, recording.layer_names[index], flat, recording.layers[index].shape[1:], index == count - 1)
        jobs.append((ax, flat, _color(index)))
    figure.suptitle(title or f"Activity raster, {recording.steps} steps")
    _raster_axes(figure, jobs)
    return figure


def _count_histograms(
    source: Any, values: Sequence[Any] | None, learn: bool
) -> tuple[list[str], list[dict[int, int]]]:
    results = _metric(source, "spike_count")
    if results is not None:
        histograms = list(_leaves(results.per_layer_result))
        return [f"layer {i}" for i in range(len(histograms))], histograms
    recording = _recording(source, values, learn)
    return recording.layer_names, [_histogram(counts) for counts in recording.spike_counts()]


def spike_counts(
    source: ActivitySource | MetricResults | dict[str, MetricResults],
    values: Sequence[Any] | None = None,
    *,
    learn: bool = True,
    title: str | None = None,
) -> Figure:
    """Spike-count histogram per layer: how many units (y) were active in how many steps (x).

    The :class:`~protobrain.metrics.spike_count.SpikeCount` metric as a picture. ``source``
    is anything :func:`raster` takes, a ``SpikeCount`` result, or one brain's
    ``Benchmark.run`` results (``{metric name: MetricResults}``, using ``'spike_count'``).
    """
    _matplotlib()
    names, histograms = _count_histograms(source, values, learn)
    count = len(histograms)
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure = _figure(3.4 * columns + 0.4, 0.6 + 2.4 * rows)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for index, ax in enumerate(axes):
        if index >= count:
            ax.set_visible(False)
            continue
        _draw_counts(ax, histograms[index], names[index], _color(index))
    figure.suptitle(title or "Spike count per unit")
    return figure


def _densities(
    source: Any, values: Sequence[Any] | None, learn: bool
) -> tuple[list[str], np.ndarray, list[float] | None]:
    """Per-layer densities ``(steps, layers)``, the layer names and the all-layer density."""
    results = _metric(source, "spike_density")
    if results is not None:
        rows = [list(_leaves(step)) for step in results.per_layer_per_step_result]
        per_layer = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
        overall = list(results.per_step_result) if per_layer.shape[1] > 1 else None
        return [f"layer {i}" for i in range(per_layer.shape[1])], per_layer, overall
    recording = _recording(source, values, learn)
    per_layer = recording.densities()
    overall = None
    if len(recording.layers) > 1:
        active = sum(np.count_nonzero(recording.flat(i), axis=1) for i in range(len(recording.layers)))
        units = sum(recording.flat(i).shape[1] for i in range(len(recording.layers)))
        overall = (np.asarray(active) / units).tolist()
    return recording.layer_names, per_layer, overall


def density(
    source: ActivitySource | MetricResults | dict[str, MetricResults],
    values: Sequence[Any] | None = None,
    *,
    learn: bool = True,
    title: str | None = None,
) -> Figure:
    """Density over steps: the fraction of each layer's units active at every step.

    With several layers a dashed black line gives the density over all units together.
    ``source`` is anything :func:`raster` takes, a
    :class:`~protobrain.metrics.spike_density.SpikeDensity` result, or one brain's
    ``Benchmark.run`` results (using ``'spike_density'``).
    """
    _matplotlib()
    names, per_layer, overall = _densities(source, values, learn)
    figure = _figure(9.0, 3.2)
    ax = figure.subplots()
    _draw_density(ax, per_layer, names, overall)
    figure.suptitle(title or "Spike density over steps")
    return figure


def overview(
    source: ActivitySource,
    values: Sequence[Any] | None = None,
    *,
    learn: bool = True,
    title: str | None = None,
) -> Figure:
    """One figure of a run: per layer its raster and spike-count histogram, then the density.

    ``source`` is anything :func:`raster` takes. This is the picture ``protobrain inspect
    SNAPSHOTS --plot out.png`` writes.
    """
    _matplotlib()
    from matplotlib.gridspec import GridSpec

    recording = _recording(source, values, learn)
    count = len(recording.layers)
    figure = _figure(11.0, 1.0 + 1.6 * count + 2.2)
    grid = GridSpec(count + 1, 2, figure=figure, width_ratios=(3.2, 1.0), height_ratios=[1.0] * count + [1.25])
    jobs = []
    first: Axes | None = None
    histograms = [_histogram(counts) for counts in recording.spike_counts()]
    for index in range(count):
        ax = figure.add_subplot(grid[index, 0], sharex=first)
        first = first or ax
        flat = recording.flat(index)
        _decorate_raster(ax, recording.layer_names[index], flat, recording.layers[index].shape[1:], False)
        if index < count - 1:
            ax.tick_params(labelbottom=False)
        jobs.append((ax, flat, _color(index)))
        counts_ax = figure.add_subplot(grid[index, 1])
        _draw_counts(counts_ax, histograms[index], recording.layer_names[index], _color(index), xlabel=index == count - 1)
    density_ax = figure.add_subplot(grid[count, 0], sharex=first)
    names, per_layer, overall = _densities(recording, None, learn)
    _draw_density(density_ax, per_layer, names, overall)
    density_ax.set_title("spike density per step", fontsize="medium", loc="left")
    figure.suptitle(title or f"{recording.steps} steps, {count} layers")
    _raster_axes(figure, jobs)
    return figure


# ------------------------------------------------------------------------------ weights


@dataclasses.dataclass
class WeightHistory:
    """Histograms of a brain's synapse weights, taken at checkpoints of a run.

    Attributes:
        steps: the step at each checkpoint (0 = before the first value was fed).
        edges: the bin edges shared by every histogram (``bins + 1`` values).
        names: a name per connection, ``"layer L <- input"``.
        counts: per connection, an int64 array ``(checkpoints, bins)`` of synapse counts.
        means: per connection, the mean weight at each checkpoint.

    Weights outside the edges are counted in the first or last bin.
    """

    steps: np.ndarray
    edges: np.ndarray
    names: list[str]
    counts: list[np.ndarray]
    means: list[np.ndarray]


def _connections(brain: Any, layer: int | None = None, input: str | None = None) -> list[tuple[str, Any]]:
    """``(name, Input)`` of every connected input of the brain's layers (or of one layer/input)."""
    found = []
    groups = list(brain.layers)
    indices = range(len(groups)) if layer is None else [range(len(groups))[layer]]
    for index in indices:
        inputs = getattr(groups[index], "inputs", None) or {}
        for name, connection in inputs.items():
            if connection.connected and (input is None or name == input):
                found.append((f"layer {index} \u2190 {name}", connection))
    if not found:
        where = "the brain" if layer is None else f"layer {layer}"
        raise ValueError(f"{where} has no connected input{'' if input is None else f' named {input!r}'}")
    return found


def record_weights(
    brain: Any,
    values: Sequence[Any] | None = None,
    *,
    every: int | None = None,
    bins: int = 50,
    learn: bool = True,
    layer: int | None = None,
    input: str | None = None,
) -> WeightHistory:
    """Step ``brain`` through ``values`` and histogram its weights every ``every`` steps.

    Checkpoints are step 0 (before anything is fed), every ``every`` steps (default: about
    50 checkpoints over the run) and the last step. ``layer`` / ``input`` pick the
    connections (default: every connected input of every layer). The bins span [0, 1], or
    wider when the weights at step 0 do. The brain learns unless ``learn`` is False.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    values = [] if values is None else list(values)
    if every is None:
        every = max(1, math.ceil(len(values) / 50))
    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}")
    connections = _connections(brain, layer, input)
    low, high = 0.0, 1.0
    for _, connection in connections:
        weights = connection.synapses
        if weights.size:
            low, high = min(low, float(weights.min())), max(high, float(weights.max()))
        del weights  # a held view makes learning check every weight
    edges = np.linspace(low, high, bins + 1)
    counts: list[list[np.ndarray]] = [[] for _ in connections]
    means: list[list[float]] = [[] for _ in connections]

    def take() -> None:
        for index, (_, connection) in enumerate(connections):
            weights = connection.synapses
            flat = np.clip(weights.reshape(-1), low, high)
            counts[index].append(np.histogram(flat, bins=edges)[0].astype(np.int64))
            means[index].append(float(flat.mean()) if flat.size else math.nan)
            del weights, flat

    steps = [0]
    take()
    for start in range(0, len(values), every):
        chunk = values[start : start + every]
        brain.run(chunk, learn=learn, record=False)
        steps.append(start + len(chunk))
        take()
    return WeightHistory(
        steps=np.array(steps, dtype=np.int64),
        edges=edges,
        names=[name for name, _ in connections],
        counts=[np.stack(c) for c in counts],
        means=[np.array(m) for m in means],
    )


def weight_distribution(
    source: Any,
    values: Sequence[Any] | None = None,
    *,
    every: int | None = None,
    bins: int = 50,
    learn: bool = True,
    layer: int | None = None,
    input: str | None = None,
    title: str | None = None,
) -> Figure:
    """Weight distribution over time: per connection, how many synapses (colour) have
    each weight (y) at each step (x), with the mean weight as a white line.

    ``source`` is a :class:`WeightHistory` or a brain, which is first stepped through
    ``values`` with :func:`record_weights` (same keyword arguments). With a single
    checkpoint (a brain and no values) each panel is a plain histogram of the weights now.
    """
    _matplotlib()
    from matplotlib.colors import LogNorm

    if isinstance(source, WeightHistory):
        history = source
    else:
        history = record_weights(source, values, every=every, bins=bins, learn=learn, layer=layer, input=input)
    count = len(history.names)
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure = _figure(3.9 * columns + 0.6, 0.7 + 2.7 * rows)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    single = len(history.steps) == 1
    for index, ax in enumerate(axes):
        if index >= count:
            ax.set_visible(False)
            continue
        counts = history.counts[index]
        total = int(counts[0].sum())
        ax.set_title(f"{history.names[index]} ({total:,} synapses)", fontsize="medium", loc="left")
        if single:
            ax.stairs(counts[0], history.edges, fill=True, color=_color(index))
            ax.set_xlabel("weight")
            ax.set_ylabel("synapses")
            continue
        step_edges = _step_edges(history.steps)
        mesh = ax.pcolormesh(
            step_edges,
            history.edges,
            np.ma.masked_equal(counts.T, 0),
            norm=LogNorm(vmin=1, vmax=max(int(counts.max()), 2)),
            cmap="viridis",
            shading="flat",
        )
        ax.plot(history.steps, history.means[index], color="white", linewidth=1.2, label="mean weight")
        ax.set_facecolor("#f4f4f4")
        ax.set_xlabel("step")
        ax.set_ylabel("weight")
        ax.legend(loc="upper right", fontsize="x-small", framealpha=0.6)
        figure.colorbar(mesh, ax=ax, label="synapses")
    figure.suptitle(title or ("Weight distribution" if single else "Weight distribution over steps"))
    return figure


def _step_edges(steps: np.ndarray) -> np.ndarray:
    """Edges around each checkpoint step: halfway to its neighbours (half a gap at the ends)."""
    steps = steps.astype(np.float64)
    middles = (steps[:-1] + steps[1:]) / 2
    return np.concatenate(([steps[0] - (middles[0] - steps[0])], middles, [steps[-1] + (steps[-1] - middles[-1])]))


def weight_matrix(
    source: Any,
    *,
    layer: int | None = None,
    input: str | None = None,
    title: str | None = None,
) -> Figure:
    """Weight matrix heat map: the weight (colour) from each pre-synaptic unit (y) to each
    post-synaptic unit (x).

    ``source`` is a brain (every connected input of every layer, or the one ``layer`` /
    ``input`` picks), a group of neurons (its inputs, or ``input``), one
    :class:`~protobrain.synapses.Input`, or a 2-d array of weights. N-d weights are shown
    with their pre- and post-synaptic dims flattened in C order.
    """
    _matplotlib()
    panels: list[tuple[str, np.ndarray]] = []
    if isinstance(source, np.ndarray):
        if source.ndim != 2:
            raise ValueError(f"a weight array must be 2-d (pre units x post units), got shape {source.shape}")
        panels.append(("weights", np.asarray(source, dtype=np.float64)))
    elif hasattr(source, "synapses") and hasattr(source, "connected"):
        panels.append((f"input {source.name!r}", _matrix(source)))
    elif hasattr(source, "run") and hasattr(source, "layers"):
        panels.extend((name, _matrix(connection)) for name, connection in _connections(source, layer, input))
    elif hasattr(source, "inputs"):
        for name, connection in source.inputs.items():
            if connection.connected and (input is None or name == input):
                panels.append((f"input {name!r}", _matrix(connection)))
        if not panels:
            raise ValueError(f"the group has no connected input{'' if input is None else f' named {input!r}'}")
    else:
        raise TypeError(f"expected a brain, a group of neurons, an Input or an array, got {type(source).__name__}")
    low = min(0.0, *(float(m.min()) for _, m in panels if m.size))
    high = max(1.0, *(float(m.max()) for _, m in panels if m.size))
    count = len(panels)
    figure = _figure(min(4.2 * count, 14.0) + 0.8, 4.6)
    axes = figure.subplots(1, count, squeeze=False)[0]
    image = None
    for ax, (name, matrix) in zip(axes, panels):
        image = ax.imshow(
            matrix, aspect="auto", origin="lower", interpolation="nearest", cmap="viridis", vmin=low, vmax=high
        )
        ax.set_title(f"{name}: {matrix.shape[0]} \u00d7 {matrix.shape[1]}", fontsize="medium", loc="left")
        ax.set_xlabel("post-synaptic unit")
        ax.set_ylabel("pre-synaptic unit")
    assert image is not None
    figure.colorbar(image, ax=list(axes), label="weight", shrink=0.9)
    figure.suptitle(title or "Weight matrix")
    return figure


def _matrix(connection: Any) -> np.ndarray:
    """An input's weights as a (pre units, post units) copy."""
    post = math.prod(tuple(connection.shape))
    weights = connection.synapses
    matrix = np.array(weights, dtype=np.float64).reshape(-1, post)
    del weights
    return matrix


# ------------------------------------------------------------------------------ benchmarks


def _box_stats(histogram: dict[int, int], label: str) -> dict[str, Any]:
    spikes = np.repeat(
        np.fromiter(histogram.keys(), dtype=np.float64), np.fromiter(histogram.values(), dtype=np.int64)
    )
    q1, median, q3 = np.percentile(spikes, [25, 50, 75])
    return {
        "label": label,
        "med": median,
        "q1": q1,
        "q3": q3,
        "whislo": spikes.min(),
        "whishi": spikes.max(),
        "fliers": [],
        "mean": spikes.mean(),
    }


def compare(
    results: Sequence[dict[str, MetricResults]],
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Side-by-side comparison of several brains from ``Benchmark.run`` results.

    Panels, for the metrics present: mean density per layer (grouped bars, from
    ``'spike_density'``), density over steps over all layers (one line per brain), and the
    spread of spikes per unit over all layers (a box per brain: quartiles, whiskers at the
    minimum and maximum, the mean as a diamond, the share of silent units above it; from
    ``'spike_count'``). ``labels`` name the brains (default ``brain 1``, ``brain 2``, ...).
    """
    _matplotlib()
    results = list(results)
    if not results:
        raise ValueError("no results to compare")
    labels = [f"brain {i + 1}" for i in range(len(results))] if labels is None else list(labels)
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} brains")
    has_density = all(isinstance(r.get("spike_density"), MetricResults) for r in results)
    has_counts = all(isinstance(r.get("spike_count"), MetricResults) for r in results)
    if not (has_density or has_counts):
        raise ValueError("compare needs 'spike_density' or 'spike_count' results for every brain")
    panels = 2 * has_density + has_counts
    figure = _figure(4.4 * panels + 0.6, 4.4)
    axes = list(figure.subplots(1, panels, squeeze=False)[0])
    brains = len(results)
    if has_density:
        bars_ax, lines_ax = axes.pop(0), axes.pop(0)
        per_layer = [list(_leaves(r["spike_density"].per_layer_result)) for r in results]
        layers = max(len(p) for p in per_layer)
        width = 0.8 / brains
        for b, means in enumerate(per_layer):
            positions = np.arange(len(means)) + (b - (brains - 1) / 2) * width
            bars_ax.bar(positions, means, width=width, color=_color(b), label=labels[b])
        bars_ax.set_xticks(range(layers), [f"layer {i}" for i in range(layers)])
        bars_ax.set_ylabel("mean active units (fraction)")
        bars_ax.set_title("mean density per layer", fontsize="medium", loc="left")
        bars_ax.grid(True, axis="y", alpha=0.3)
        for b, r in enumerate(results):
            per_step = r["spike_density"].per_step_result
            lines_ax.plot(np.arange(len(per_step)), per_step, color=_color(b), linewidth=1.0, label=labels[b])
        lines_ax.set_xlabel("step")
        lines_ax.set_ylabel("active units, all layers (fraction)")
        lines_ax.set_ylim(bottom=0)
        lines_ax.set_title("density over steps", fontsize="medium", loc="left")
        lines_ax.grid(True, alpha=0.3)
    if has_counts:
        box_ax = axes.pop(0)
        histograms = [r["spike_count"].global_result for r in results]
        stats = [_box_stats(h, str(b + 1)) for b, h in enumerate(histograms)]
        boxes = box_ax.bxp(
            stats,
            showmeans=True,
            patch_artist=True,
            widths=0.6,
            medianprops={"color": "black", "linewidth": 1.5},
            meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black", "markersize": 5},
        )
        for b, patch in enumerate(boxes["boxes"]):
            patch.set_facecolor(_color(b))
            patch.set_alpha(0.75)
        top = max(s["whishi"] for s in stats)
        for b, h in enumerate(histograms):
            silent = h.get(0, 0) / max(sum(h.values()), 1)
            box_ax.annotate(
                f"{silent:.0%}\nsilent", (b + 1, top), xytext=(0, 4), textcoords="offset points",
                ha="center", va="bottom", fontsize="x-small",
            )  # fmt: skip
        box_ax.set_ylim(top=top * 1.2 + 1)
        box_ax.set_xlabel("brain")
        box_ax.set_ylabel("spikes per unit, all layers")
        box_ax.set_title("spike counts", fontsize="medium", loc="left")
        box_ax.grid(True, axis="y", alpha=0.3)
    handles = [_legend_patch(_color(b), f"{b + 1}: {labels[b]}") for b in range(brains)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(brains, 3), fontsize="small")
    figure.suptitle(title or f"Benchmark: {brains} brains")
    return figure


def _legend_patch(color: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=color, label=label)


# ------------------------------------------------------------------------------ files


def check_output(path: str | os.PathLike[str]) -> str:
    """The image format ``path``'s extension names (``png``, ``pdf``, ``svg``, ...).

    Raises ImportError when matplotlib is missing and ValueError for an extension
    matplotlib cannot write, so a command can refuse before doing any work.
    """
    _matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    supported = FigureCanvasBase.get_supported_filetypes()
    if extension not in supported:
        raise ValueError(
            f"cannot tell the image format of {os.fspath(path)!r}: use one of the extensions "
            + ", ".join(f".{e}" for e in sorted(supported))
        )
    return extension


def save(figure: Figure, path: str | os.PathLike[str], dpi: float | None = None) -> None:
    """Write ``figure`` to ``path`` in the format its extension names, whole or not at all.

    The file appears only once complete (an existing file is replaced then, or left as it
    was on error). Raises ValueError for an unknown extension, OSError when the file cannot
    be written.
    """
    from protobrain.util.atomic import atomic_write

    fmt = check_output(path)
    with atomic_write(path) as file:
        figure.savefig(file, format=fmt, dpi=dpi if dpi is not None else "figure")
