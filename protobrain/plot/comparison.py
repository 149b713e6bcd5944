"""Several brains' ``Benchmark.run`` results side by side (:func:`compare`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from protobrain.metrics.metric import MetricResults, leaves
from protobrain.plot._figure import _color, _figure, _matplotlib
from protobrain.plot.recording import _layer_names

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _box_stats(histogram: dict[int, int], label: str) -> dict[str, Any]:
    spikes = np.repeat(np.fromiter(histogram.keys(), dtype=np.float64), np.fromiter(histogram.values(), dtype=np.int64))
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
    ``'spike_count'``). A second row shows the measures that tell set-ups apart, for those
    present (:data:`MEASURES`: entropy, overlap, noise robustness, stability, readout), each
    as grouped bars per layer and brain on a 0..1 scale; the readout panel marks the raw
    sensor bits' accuracy with a dashed line. ``labels`` name the brains (default
    ``brain 1``, ``brain 2``, ...).
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
    measures = [name for name, _ in MEASURES if all(isinstance(r.get(name), MetricResults) for r in results)]
    columns = max(panels, len(measures))
    rows = 2 if measures else 1
    figure = _figure(4.4 * columns + 0.6, 4.4 * rows)
    grid = figure.subplots(rows, columns, squeeze=False)
    axes = list(grid[0][:panels])
    measure_axes = list(grid[1][: len(measures)]) if measures else []
    for ax in [*grid[0][panels:], *(grid[1][len(measures) :] if measures else [])]:
        ax.remove()
    brains = len(results)
    if has_density:
        bars_ax, lines_ax = axes.pop(0), axes.pop(0)
        per_layer = [list(leaves(r["spike_density"].per_layer_result)) for r in results]
        layers = max(len(p) for p in per_layer)
        width = 0.8 / brains
        for b, means in enumerate(per_layer):
            positions = np.arange(len(means)) + (b - (brains - 1) / 2) * width
            bars_ax.bar(positions, means, width=width, color=_color(b), label=labels[b])
        bars_ax.set_xticks(range(layers), _layer_names(layers))
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
    for ax, name in zip(measure_axes, measures):
        _measure_panel(ax, results, name)
    handles = [_legend_patch(_color(b), f"{b + 1}: {labels[b]}") for b in range(brains)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(brains, 3), fontsize="small")
    figure.suptitle(title or f"Benchmark: {brains} brains")
    return figure


#: The measures :func:`compare` draws in its second row, with their panel titles.
MEASURES = (
    ("entropy", "entropy (1: every unit used equally)"),
    ("overlap", "overlap with the previous step"),
    ("noise_robustness", "noise robustness (area)"),
    ("stability", "stability across checkpoints"),
    ("readout", "readout accuracy (held out)"),
)


def _measure_panel(ax: Any, results: Sequence[dict[str, MetricResults]], name: str) -> None:
    """Grouped bars of measure ``name`` per layer (and over all layers) for every brain."""
    brains = len(results)
    per_layer = [[*leaves(r[name].per_layer_result), r[name].global_result] for r in results]
    layers = max(len(p) for p in per_layer)
    width = 0.8 / brains
    for b, values in enumerate(per_layer):
        positions = np.arange(len(values)) + (b - (brains - 1) / 2) * width
        ax.bar(positions, np.nan_to_num(np.asarray(values, dtype=float)), width=width, color=_color(b))
    ax.set_xticks(range(layers), [*_layer_names(layers - 1), "all"])
    ax.set_ylim(0, 1.05)
    if name == "readout":
        details = getattr(results[0][name], "details", None)
        if isinstance(details, dict) and "trained" in details:
            ax.axhline(details["trained"].sensor, color="black", linestyle="--", linewidth=1.0)
            ax.annotate(
                "sensor bits", (layers - 0.5, details["trained"].sensor), xytext=(0, 3), textcoords="offset points",
                ha="right", va="bottom", fontsize="x-small",
            )  # fmt: skip
    ax.set_title(dict(MEASURES)[name], fontsize="medium", loc="left")
    ax.grid(True, axis="y", alpha=0.3)


def _legend_patch(color: str, label: str) -> Any:
    from matplotlib.patches import Patch  # matplotlib is optional: imported only when drawing

    return Patch(facecolor=color, label=label)
