"""Pictures of synapse weights: their distribution over a run (:class:`WeightHistory`)
and the weight matrix of a connection.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from protobrain.plot._figure import _color, _figure, _grid, _matplotlib
from protobrain.plot.recording import _is_brain

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


def _connected(inputs: Mapping[str, Any], input: str | None) -> list[tuple[str, Any]]:
    """``(name, Input)`` of the connected ones of a group's ``inputs`` (only ``input``, if named)."""
    return [
        (name, connection)
        for name, connection in inputs.items()
        if connection.connected and (input is None or name == input)
    ]


def _no_input(where: str, input: str | None) -> ValueError:
    """The error for ``where`` (the brain, a layer, a group) having no connected input to draw."""
    return ValueError(f"{where} has no connected input{'' if input is None else f' named {input!r}'}")


def _connections(brain: Any, layer: int | None = None, input: str | None = None) -> list[tuple[str, Any]]:
    """``(name, Input)`` of every connected input of the brain's layers (or of one layer/input)."""
    found: list[tuple[str, Any]] = []
    groups = list(brain.layers)
    indices = range(len(groups)) if layer is None else [range(len(groups))[layer]]
    for index in indices:
        inputs = getattr(groups[index], "inputs", None) or {}
        found.extend((f"layer {index} \u2190 {name}", connection) for name, connection in _connected(inputs, input))
    if not found:
        raise _no_input("the brain" if layer is None else f"layer {layer}", input)
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
    connections (default: every connected input of every layer). A sparse connection
    counts the synapses it has, not the pairs of units it does not connect. The bins span [0, 1], or
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
        weights = _stored(connection)
        if weights.size:
            low, high = min(low, float(weights.min())), max(high, float(weights.max()))
        del weights  # a held view makes learning check every weight
    edges = np.linspace(low, high, bins + 1)
    counts: list[list[np.ndarray]] = [[] for _ in connections]
    means: list[list[float]] = [[] for _ in connections]

    def take() -> None:
        for index, (_, connection) in enumerate(connections):
            weights = _stored(connection)
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
    from matplotlib.colors import LogNorm  # matplotlib is optional: imported only when drawing

    if isinstance(source, WeightHistory):
        history = source
    else:
        history = record_weights(source, values, every=every, bins=bins, learn=learn, layer=layer, input=input)
    figure, axes = _grid(len(history.names), 3.9, 2.7, 0.6, 0.7)
    single = len(history.steps) == 1
    for index, ax in enumerate(axes):
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
    elif _is_brain(source):
        panels.extend((name, _matrix(connection)) for name, connection in _connections(source, layer, input))
    elif hasattr(source, "inputs"):
        panels.extend((f"input {name!r}", _matrix(connection)) for name, connection in _connected(source.inputs, input))
        if not panels:
            raise _no_input("the group", input)
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


def _stored(connection: Any) -> np.ndarray:
    """The weights an input has: every weight of a dense connection, the synapses of a
    sparse one (a view either way: drop it after use)."""
    if getattr(connection, "sparse", False):
        return np.asarray(connection.sparse_synapses.data)
    return np.asarray(connection.synapses)


def _matrix(connection: Any) -> np.ndarray:
    """An input's weights as a (pre units, post units) copy."""
    post = math.prod(tuple(connection.shape))
    weights = connection.synapses
    matrix = np.array(weights, dtype=np.float64).reshape(-1, post)
    del weights
    return matrix
