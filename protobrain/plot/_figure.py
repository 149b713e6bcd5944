"""What every picture shares: importing matplotlib on demand, new figures, layer colours.

matplotlib is the optional extra ``protobrain[plot]``; it is imported only when a figure
is made, so that ``import protobrain.plot`` works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: What to run when matplotlib is missing.
INSTALL_HINT = "pip install 'protobrain[plot]'"

#: One colour per layer (or per brain in :func:`~protobrain.plot.comparison.compare`), cycled: matplotlib's tab10.
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


def _color(index: int) -> str:
    return COLORS[index % len(COLORS)]
