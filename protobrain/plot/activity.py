"""Pictures of activity: rasters, spike-count histograms, density over steps, and the
overview that puts them together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from protobrain.metrics.metric import MetricResults, leaves
from protobrain.metrics.spike_count import histogram as _histogram
from protobrain.plot._figure import _color, _figure, _grid, _matplotlib
from protobrain.plot._results import _metric
from protobrain.plot.recording import ActivitySource, Recording, _layer_names, _recording

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Rasters keep every spike visible in files saved at this dpi or more (figures are 100 dpi).
MIN_DPI = 72

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
    from matplotlib.colors import ListedColormap  # matplotlib is optional: imported only when drawing

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


def _raster_panel(ax: Axes, recording: Recording, index: int, last: bool) -> tuple[Axes, np.ndarray, str]:
    """Title, label and frame ``ax`` as layer ``index``'s raster (``last`` labels the steps);
    returns the job that draws the spikes in it with :func:`_raster_axes`."""
    activity = recording.flat(index)
    steps, units = activity.shape
    density = activity.mean() if activity.size else 0.0
    shape_text = "x".join(map(str, recording.layers[index].shape[1:]))
    name = recording.layer_names[index]
    ax.set_title(f"{name}: {shape_text} units, mean density {density:.3f}", fontsize="medium", loc="left")
    ax.set_ylabel("unit")
    ax.set_xlim(-0.5, steps - 0.5)
    ax.set_ylim(-0.5, units - 0.5)
    ax.set_facecolor("white")
    if last:
        ax.set_xlabel("step")
    return ax, activity, _color(index)


def _draw_counts(ax: Axes, histogram: dict[int, int], name: str, color: str, xlabel: bool = True) -> None:
    from matplotlib.ticker import MaxNLocator  # matplotlib is optional: imported only when drawing

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


# ------------------------------------------------------------------------------ pictures


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
    jobs = [_raster_panel(ax, recording, index, index == count - 1) for index, ax in enumerate(axes)]
    figure.suptitle(title or f"Activity raster, {recording.steps} steps")
    _raster_axes(figure, jobs)
    return figure


def _count_histograms(source: Any, values: Sequence[Any] | None, learn: bool) -> tuple[list[str], list[dict[int, int]]]:
    """The layer names and each layer's spike-count histogram (``{spikes: units}``)."""
    results = _metric(source, "spike_count")
    if results is not None:
        histograms = list(leaves(results.per_layer_result))
        return _layer_names(len(histograms)), histograms
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
    figure, axes = _grid(len(histograms), 3.4, 2.4, 0.4, 0.6)
    for index, ax in enumerate(axes):
        _draw_counts(ax, histograms[index], names[index], _color(index))
    figure.suptitle(title or "Spike count per unit")
    return figure


def _densities(
    source: Any, values: Sequence[Any] | None, learn: bool
) -> tuple[list[str], np.ndarray, list[float] | None]:
    """Per-layer densities ``(steps, layers)``, the layer names and the all-layer density."""
    results = _metric(source, "spike_density")
    if results is not None:
        rows = [list(leaves(step)) for step in results.per_layer_per_step_result]
        per_layer = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
        overall = list(results.per_step_result) if per_layer.shape[1] > 1 else None
        return _layer_names(per_layer.shape[1]), per_layer, overall
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
    from matplotlib.gridspec import GridSpec  # matplotlib is optional: imported only when drawing

    recording = _recording(source, values, learn)
    count = len(recording.layers)
    figure = _figure(11.0, 1.0 + 1.6 * count + 2.2)
    grid = GridSpec(count + 1, 2, figure=figure, width_ratios=(3.2, 1.0), height_ratios=[1.0] * count + [1.25])
    jobs = []
    first: Axes | None = None
    _, histograms = _count_histograms(recording, None, learn)
    for index in range(count):
        ax = figure.add_subplot(grid[index, 0], sharex=first)
        first = first or ax
        jobs.append(_raster_panel(ax, recording, index, False))
        if index < count - 1:
            ax.tick_params(labelbottom=False)
        counts_ax = figure.add_subplot(grid[index, 1])
        _draw_counts(
            counts_ax, histograms[index], recording.layer_names[index], _color(index), xlabel=index == count - 1
        )
    density_ax = figure.add_subplot(grid[count, 0], sharex=first)
    names, per_layer, overall = _densities(recording, None, learn)
    _draw_density(density_ax, per_layer, names, overall)
    density_ax.set_title("spike density per step", fontsize="medium", loc="left")
    figure.suptitle(title or f"{recording.steps} steps, {count} layers")
    _raster_axes(figure, jobs)
    return figure
