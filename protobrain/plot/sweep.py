"""A sweep's rows as heatmaps: a measure over two parameters (:func:`heatmap`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from protobrain.evaluate.sweep import PARAMETERS
from protobrain.plot._figure import _grid, _matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The columns of a sweep's rows that say what was run rather than what was measured.
_SETTINGS = ("task", *PARAMETERS)


def _order(value: Any) -> tuple[int, Any]:
    """A sort key putting numbers (in order) before text (in order)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _number(value: Any) -> float:
    """A measure's value as a float; NaN for None, missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return math.nan
    return float(value)


def heatmap(
    rows: Sequence[Mapping[str, Any]],
    x: str,
    y: str,
    measure: str,
    *,
    title: str | None = None,
) -> Figure:
    """``measure`` over parameters ``x`` (columns) and ``y`` (rows, increasing upwards),
    one cell per pair of values, coloured (viridis) and annotated with the value.

    ``rows`` are a sweep's rows (:func:`protobrain.evaluate.sweep.sweep`, or read back with
    :func:`~protobrain.evaluate.sweep.read_csv`/:func:`~protobrain.evaluate.sweep.read_json`).
    When the rows hold other parameters (``task`` included) that take more than one
    value, the figure has one panel per combination of their values (small multiples,
    three to a row, titled with those values, in increasing order of them), all on one
    colour scale with one colour bar. A cell no row fills, or whose value is NaN, is
    left grey and blank; a cell several rows fill (a combination repeated, for example
    rows of two sweeps put together) shows their mean.

    Raises ValueError for no rows, for ``x`` or ``y`` not a parameter of the rows (naming
    those there are), for ``x == y``, and for ``measure`` not a measure of the rows (naming
    those there are).
    """
    _matplotlib()
    rows = list(rows)
    if not rows or not all(isinstance(row, Mapping) for row in rows):
        raise ValueError("heatmap needs a non-empty list of rows (dicts), as sweep() returns")
    columns = list(dict.fromkeys(column for row in rows for column in row))
    parameters = [column for column in columns if column in _SETTINGS]
    measured = [column for column in columns if column not in _SETTINGS]
    for axis, name in (("x", x), ("y", y)):
        if name not in parameters:
            raise ValueError(f"unknown {axis} {name!r}: the rows' parameters are {', '.join(parameters)}")
    if x == y:
        raise ValueError(f"x and y are both {x!r}; choose two different parameters")
    if measure not in measured:
        raise ValueError(f"unknown measure {measure!r}: the rows' measures are {', '.join(measured)}")

    def values_of(name: str) -> list[Any]:
        return sorted({row.get(name) for row in rows if row.get(name) is not None}, key=_order)

    xs, ys = values_of(x), values_of(y)
    others = [p for p in parameters if p not in (x, y) and len({row.get(p) for row in rows}) > 1]
    panels = sorted(
        {tuple(row.get(p) for p in others) for row in rows},
        key=lambda key: tuple(_order(v) for v in key),
    )
    grids = []
    for panel in panels:
        total = np.zeros((len(ys), len(xs)))
        count = np.zeros((len(ys), len(xs)), dtype=np.int64)
        for row in rows:
            value = _number(row.get(measure))
            if tuple(row.get(p) for p in others) != panel or math.isnan(value):
                continue
            if row.get(x) is None or row.get(y) is None:
                continue
            i, j = ys.index(row[y]), xs.index(row[x])
            total[i, j] += value
            count[i, j] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            grids.append(np.where(count > 0, total / np.maximum(count, 1), np.nan))

    finite = np.concatenate([g[np.isfinite(g)] for g in grids])
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5

    matplotlib = _matplotlib()
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#e0e0e0")
    norm = matplotlib.colors.Normalize(vmin=low, vmax=high)
    panel_width = max(3.2, 0.75 * len(xs) + 1.6)
    panel_height = max(2.8, 0.5 * len(ys) + 1.6)
    figure, axes = _grid(len(panels), panel_width, panel_height, 1.0, 0.6)
    image = None
    for ax, panel, data in zip(axes, panels, grids):
        image = ax.imshow(data, origin="lower", cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        if others:
            ax.set_title(", ".join(f"{p}={_label(v)}" for p, v in zip(others, panel)), fontsize="medium")
        for (i, j), value in np.ndenumerate(data):
            if math.isfinite(value):
                red, green, blue, _ = cmap(norm(value))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize="small",
                        color="white" if dark else "black")  # fmt: skip
    assert image is not None  # there is at least one panel
    figure.colorbar(image, ax=axes, label=measure, shrink=0.9)
    figure.suptitle(title if title is not None else f"{measure} by {x} and {y}")
    return figure
