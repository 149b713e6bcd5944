"""What every picture shares: importing matplotlib on demand, new figures and grids of
panels, layer colours.

matplotlib is the optional extra ``protobrain[plot]``; it is imported only when a figure
is made, so that ``import protobrain.plot`` works without it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: What to run when matplotlib is missing.
INSTALL_HINT = "pip install 'protobrain[plot]'"

#: One colour per layer (or per brain in :func:`~protobrain.plot.comparison.compare`), cycled:
#: matplotlib's tab10.
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _matplotlib() -> Any:
    """Import matplotlib, or raise an ImportError that says how to install it."""
    try:
        import matplotlib  # matplotlib is optional: imported only when drawing
    except ImportError as err:
        raise ImportError(
            f"protobrain.plot needs matplotlib, which is not installed: {INSTALL_HINT}", name="matplotlib"
        ) from err
    return matplotlib


def _figure(width: float, height: float) -> Figure:
    """A new figure (no pyplot, constrained layout) of ``width`` x ``height`` inches at 100 dpi."""
    _matplotlib()
    from matplotlib.figure import Figure  # matplotlib is optional: imported only when drawing

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _grid(
    count: int, panel_width: float, panel_height: float, extra_width: float, extra_height: float
) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels, three to a row, and the panels' axes in reading order.

    Each panel takes ``panel_width`` x ``panel_height`` inches, the figure ``extra_width`` x
    ``extra_height`` more; the cells left over in the last row are hidden.
    """
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure = _figure(panel_width * columns + extra_width, extra_height + panel_height * rows)
    axes = list(figure.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return figure, axes[:count]


def _color(index: int) -> str:
    return COLORS[index % len(COLORS)]
