"""What a metric is, what it returns, and how it reads the activity of every layer (docs/specification.md §7).

A :class:`Metric` records a model's activity one step at a time (``next(neurons)``) or a
whole recording at once (``next_batch(neurons, activity)``), then ``compute()`` turns what
it recorded into :class:`MetricResults`. :class:`LayerMetric` is the base of the built-in
metrics: it finds the layers of a (possibly nested) layered group, checks that every step
comes from the same layout, and hands the subclass flat arrays, one per layer, so the
accumulation is array operations and never a Python loop over units.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = ["LayerMetric", "Layout", "Metric", "MetricResults", "UnitCounts", "leaves"]

T = TypeVar("T")

#: A leaf layer's position in depth-first order, or a tuple of those nested like the layers.
Tree = int | tuple[Any, ...]


@dataclasses.dataclass(eq=True)
class MetricResults:
    """What a metric computed, at up to four levels of aggregation.

    Only the levels a metric fills are set; the others stay ``None``. "Per layer" values
    are a single value for a plain group and lists nested like the layers for layered
    groups; "per step" values are lists with one entry per recorded step.
    """

    metric_name: str
    _: dataclasses.KW_ONLY
    global_result: Any = None
    per_layer_result: Any = None
    per_step_result: Any = None
    per_layer_per_step_result: Any = None

    def __str__(self) -> str:
        """The metric's name, then one entry for each result that is set (not ``None``)."""
        lines = [f"{self.metric_name}:"]
        for label, value in (
            ("Global", self.global_result),
            ("Per layer", self.per_layer_result),
            ("Per step", self.per_step_result),
            ("Per layer - per step", self.per_layer_per_step_result),
        ):
            if value is not None:
                separator = " " if label == "Global" else "\n"
                lines.append(f"{label}:{separator}{value}")
        return "\n".join(lines)


class Metric(abc.ABC):
    """A measurement of a model's activity over the steps of an experiment.

    Subclasses implement :meth:`reset` (forget everything recorded), :meth:`next` (record
    one step of ``neurons``) and :meth:`compute` (return :class:`MetricResults`; raise
    ``RuntimeError`` when nothing has been recorded). ``__init__`` calls :meth:`reset`.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self.reset()

    @property
    def name(self) -> str:
        """The metric's name: the key of its results in a benchmark's result dicts."""
        return self._name

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget every recorded step."""

    @abc.abstractmethod
    def next(self, neurons: Any) -> None:
        """Record the current activity of ``neurons`` as one more step."""

    @abc.abstractmethod
    def compute(self) -> MetricResults:
        """Results over every step recorded since the last reset; ``RuntimeError`` if none."""

    def next_batch(self, neurons: Any, activity: Any) -> None:
        """Record many steps at once from an activity recording of ``neurons``.

        ``activity`` holds, for every layer of ``neurons`` (depth-first, as a flat sequence
        or nested like the layers; a single array for a plain group), an array of shape
        ``(steps, *layer.shape)`` or ``(steps, layer units)``. The result is the same as
        calling :meth:`next` once per step while the layers showed those values.

        This default replays the steps through :meth:`next` on light stand-ins offering
        ``values``, ``shape``, ``output.values`` and ``layers`` (for layered groups);
        :class:`LayerMetric` subclasses accumulate a batch with array operations instead.
        """
        layout = Layout.of(neurons)
        batches = layout.split(activity)
        leaves = [_RecordedGroup(shape) for shape in layout.shapes]
        stand_in = layout.nest(leaves, _RecordedLayers)
        for step in range(layout.steps_in(batches)):
            for leaf, batch in zip(leaves, batches):
                leaf.values = np.asarray(batch[step], dtype=np.float64).reshape(leaf.shape)
            self.next(stand_in)


class Layout:
    """The layers of a group: their shapes, in depth-first order, and how they nest.

    A group is layered when it has a ``layers`` attribute (:class:`~protobrain.neuron.
    LayeredNeurons`), whose entries may be layered themselves; anything else with
    ``values`` and ``shape`` is one layer.
    """

    def __init__(self, shapes: Sequence[tuple[int, ...]], tree: Tree) -> None:
        self.shapes: tuple[tuple[int, ...], ...] = tuple(tuple(s) for s in shapes)
        self.sizes: tuple[int, ...] = tuple(int(math.prod(s)) for s in self.shapes)
        self.tree = tree

    @classmethod
    def of(cls, neurons: Any, leaves: list[Any] | None = None) -> Layout:
        """The layout of ``neurons``; its leaf layers are appended to ``leaves`` when given."""
        leaves = [] if leaves is None else leaves
        tree = _collect_leaves(neurons, leaves)
        return cls([tuple(leaf.shape) for leaf in leaves], tree)

    @property
    def layered(self) -> bool:
        """True for a layered group (even of one layer), False for a plain group."""
        return isinstance(self.tree, tuple)

    @property
    def units(self) -> int:
        """Units over all layers."""
        return sum(self.sizes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layout) and (self.shapes, self.tree) == (other.shapes, other.tree)

    def __hash__(self) -> int:
        return hash((self.shapes, self.tree))

    def __repr__(self) -> str:
        return f"Layout(shapes={list(self.shapes)}, tree={self.tree!r})"

    def split(self, activity: Any) -> list[np.ndarray]:
        """Turn a recording (see :meth:`Metric.next_batch`) into one (steps x units) array per layer."""
        arrays = _flatten(activity)
        if len(arrays) != len(self.sizes):
            raise ValueError(f"activity holds {len(arrays)} arrays for {len(self.sizes)} layers")
        batches = []
        for index, (array, shape, size) in enumerate(zip(arrays, self.shapes, self.sizes)):
            array = np.asarray(array)
            if array.shape[1:] not in (shape, (size,)):
                raise ValueError(
                    f"activity of layer {index} has shape {array.shape}; expected (steps, *{shape}) or (steps, {size})"
                )
            batches.append(array.reshape(array.shape[0], size))
        self.steps_in(batches)
        return batches

    @staticmethod
    def steps_in(batches: Sequence[np.ndarray]) -> int:
        """The number of steps of a split recording; ``ValueError`` if the layers disagree."""
        steps = {batch.shape[0] for batch in batches}
        if len(steps) != 1:
            raise ValueError(f"the layers' recordings have different numbers of steps: {sorted(steps)}")
        return steps.pop()

    def nest(self, flat: Sequence[T], container: Callable[[list[Any]], Any] = list) -> Any:
        """Arrange one item per layer (depth-first) like the layers, using ``container``.

        For a plain group this is the single item itself.
        """

        def build(tree: Tree) -> Any:
            if isinstance(tree, tuple):
                return container([build(child) for child in tree])
            return flat[tree]

        return build(self.tree)


class LayerMetric(Metric):
    """A metric over the activity of every layer, accumulated with array operations.

    It takes the layout of the first group it records, refuses steps from a differently
    laid out group until :meth:`reset`, and counts the steps. Steps recorded with
    :meth:`next` are kept (the read-only snapshots protobrain returns are not copied)
    until about :attr:`buffer_elements` unit values are pending, then handed to the
    subclass together; :meth:`next_batch` hands its recording over at once. Either way
    the subclass's :meth:`_add_batch` receives one ``(steps, units)`` array per layer,
    depth-first, in step order. Subclasses implement :meth:`_add_batch` and
    :meth:`compute` (starting with :meth:`_recorded_layout`), may extend :meth:`_start`
    to set up accumulators, and call ``super().reset()`` when they extend :meth:`reset`.
    """

    #: How many unit values (steps x units) :meth:`next` lets pend before accumulating them.
    buffer_elements: int = 1 << 20

    layout: Layout | None
    steps: int

    def reset(self) -> None:
        self.layout = None
        self.steps = 0
        self._pending: list[list[np.ndarray]] = []

    def next(self, neurons: Any) -> None:
        leaves = self._leaves_of(neurons)
        assert self.layout is not None
        step = []
        for leaf, size in zip(leaves, self.layout.sizes):
            values = np.asarray(leaf.values)
            if values.size != size:
                raise ValueError(f"a layer of {size} units showed {values.size} values")
            if values.flags.writeable:  # not a protobrain snapshot: it may change under us
                values = values.copy()
            step.append(values.reshape(-1))
        self._pending.append(step)
        self.steps += 1
        if len(self._pending) * max(self.layout.units, 1) >= self.buffer_elements:
            self._flush()

    def next_batch(self, neurons: Any, activity: Any) -> None:
        self._leaves_of(neurons)
        assert self.layout is not None
        batches = self.layout.split(activity)
        self._flush()
        self._add_batch(batches)
        self.steps += Layout.steps_in(batches)

    def _leaves_of(self, neurons: Any) -> list[Any]:
        """The leaf layers of ``neurons``, checked against (or taken as) the recorded layout.
        Walked every step: a group's layers may be replaced or added between steps."""
        leaves: list[Any] = []
        tree = _collect_leaves(neurons, leaves)
        shapes = tuple(tuple(leaf.shape) for leaf in leaves)
        if self.layout is None:
            self._start(Layout(shapes, tree))
        elif shapes != self.layout.shapes or tree != self.layout.tree:
            # (Compared without building a Layout: this runs every step.)
            raise ValueError(
                f"the neurons' layers changed between steps: recorded {self.layout!r}, now {Layout(shapes, tree)!r}; "
                "reset() the metric before recording another model"
            )
        return leaves

    def _flush(self) -> None:
        """Accumulate the steps pending from :meth:`next`."""
        if self._pending:
            pending, self._pending = self._pending, []
            self._add_batch([np.stack(layer) for layer in zip(*pending)])

    def _recorded_layout(self) -> Layout:
        """Accumulate pending steps and return the layout; ``RuntimeError`` if no step was recorded."""
        if self.layout is None or self.steps == 0:
            raise RuntimeError(f"{self.name}: no steps recorded; call next() before compute()")
        self._flush()
        return self.layout

    def _start(self, layout: Layout) -> None:
        """Take ``layout`` as the recorded one; extend to set up accumulators for it."""
        self.layout = layout

    @abc.abstractmethod
    def _add_batch(self, batches: list[np.ndarray]) -> None:
        """Accumulate steps: one (steps x units) array per layer, depth-first."""


class UnitCounts(LayerMetric):
    """A layer metric that keeps, per unit, the number of recorded steps in which it was
    active (its value was not 0): exact integers, so the results do not depend on how the
    steps were recorded. Subclasses implement :meth:`compute` from :attr:`_counts`, one
    flat int64 array per layer (depth-first)."""

    _counts: list[np.ndarray]

    def reset(self) -> None:
        super().reset()
        self._counts = []

    def _start(self, layout: Layout) -> None:
        super()._start(layout)
        self._counts = [np.zeros(size, dtype=np.int64) for size in layout.sizes]

    def _add_batch(self, batches: list[np.ndarray]) -> None:
        for counts, batch in zip(self._counts, batches):
            counts += np.count_nonzero(batch, axis=0)

    def per_unit(self) -> list[np.ndarray]:
        """Copies of the active-step count of every unit, one flat int64 array per layer (depth-first)."""
        self._recorded_layout()
        return [counts.copy() for counts in self._counts]


def leaves(nested: Any) -> list[Any]:
    """The items of a result nested like the layers (lists and tuples), depth-first; a
    plain group's single item as a list of one."""
    if isinstance(nested, (list, tuple)):
        return [leaf for item in nested for leaf in leaves(item)]
    return [nested]


def _collect_leaves(group: Any, leaves: list[Any]) -> Tree:
    layers = getattr(group, "layers", None)
    if layers is None:
        leaves.append(group)
        return len(leaves) - 1
    return tuple(_collect_leaves(layer, leaves) for layer in layers)


def _flatten(activity: Any) -> list[Any]:
    if isinstance(activity, (list, tuple)):
        return [array for item in activity for array in _flatten(item)]
    return [activity]


class _RecordedGroup:
    """One layer of a replayed recording: ``values`` is set to each step's values in turn."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.values: np.ndarray = np.zeros(shape)

    @property
    def output(self) -> _RecordedGroup:
        return self


class _RecordedLayers:
    """Layers of a replayed recording, nested like the recorded group's."""

    def __init__(self, layers: list[Any]) -> None:
        self.layers = layers

    @property
    def output(self) -> Any:
        return self.layers[-1].output

    @property
    def values(self) -> np.ndarray:
        return self.layers[-1].values

    @property
    def shape(self) -> tuple[int, ...]:
        return self.layers[-1].shape
