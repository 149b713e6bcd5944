"""Computations: how a group turns its inputs into new activity (docs/specification.md §3).

The activation of post unit j sums, over every connected input in order and then over the
pre units i with a non-zero value in ascending order, ``v[i] * W[i, j]``. That fixed order
makes results bit-identical whatever the thread count. The built-in computations run in
Rust; a Python subclass of :class:`Computation` is called as written.

Both built-in computations take ``connected``: when set, a synapse counts 1 in the
activation if its weight is at least ``connected`` and 0 otherwise (HTM's overlap of
connected synapses, htm.core's ``synPermConnected``), so the activation of unit j sums
``v[i] * (W[i, j] >= connected)`` in the same order.
"""

from __future__ import annotations

import abc
import numbers
from typing import Any

import numpy as np

from protobrain import _core, _graph
from protobrain._native import NativeState
from protobrain._validation import real_number

__all__ = ["BUILTIN", "Computation", "SparseComputation", "StandardComputation"]


class Computation(abc.ABC):
    """Base class: ``__call__(**inputs)`` gets the group's inputs by name and returns its
    new output values."""

    @abc.abstractmethod
    def __call__(self, **inputs: Any) -> Any:
        """Return the new values of the group fed by ``inputs``."""


def _connections_and_shape(inputs: dict[str, Any]) -> tuple[list[_core.Connection], list[int]]:
    if not inputs:
        raise ValueError("a computation needs the group's inputs (got none) to know its shape")
    shapes = {tuple(i.shape) for i in inputs.values()}
    if len(shapes) != 1:
        raise ValueError(f"inputs feed groups of different shapes: {sorted(shapes)}")
    return [i._native() for i in inputs.values() if i.connected], list(shapes.pop())


class _Builtin(NativeState, Computation):
    _native: _core.Computation
    _connected: float | None = None

    @property
    def connected(self) -> float | None:
        """When set (a number in [0, 1]), a synapse counts 1 if its weight is at least this
        and 0 otherwise; None (the default) counts the weights themselves."""
        return self._connected

    @connected.setter
    def connected(self, value: float | None) -> None:
        self._native = _with_connected(self._rule_native(), value)
        self._connected = value
        _graph.changed()

    def _rule_native(self) -> _core.Computation:
        raise NotImplementedError  # pragma: no cover - every subclass overrides it

    def _make_native(self) -> _core.Computation:
        return _with_connected(self._rule_native(), self._connected)

    def _connected_repr(self) -> str:
        return "" if self._connected is None else f", connected={self._connected!r}"

    def _compute_into(self, neurons: Any) -> None:
        """The fast path: compute straight into the group's output buffer."""
        self._native.compute_into(neurons._connections(), neurons.output._activity)


class StandardComputation(_Builtin):
    """A unit fires when its activation is strictly above ``threshold`` (>= 0)."""

    @_graph.new_object
    def __init__(self, threshold: float, connected: float | None = None) -> None:
        _with_connected(_core.Computation.threshold(real_number(threshold, "threshold")), connected)  # check both
        self._connected = connected
        self.threshold = threshold

    @property
    def threshold(self) -> float:
        """The threshold an activation must exceed; assigning checks it (>= 0, not NaN)."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        native = _core.Computation.threshold(real_number(value, "threshold"))
        self._native = _with_connected(native, self._connected)
        self._threshold = value
        _graph.changed()

    def _rule_native(self) -> _core.Computation:
        return _core.Computation.threshold(float(self._threshold))

    def __call__(self, **inputs: Any) -> np.ndarray:
        """The boolean activity of the group fed by ``inputs``: activation > threshold."""
        connections, shape = _connections_and_shape(inputs)
        return self._native.compute(connections, shape).astype(bool)

    def __repr__(self) -> str:
        return f"StandardComputation(threshold={self._threshold!r}{self._connected_repr()})"


class SparseComputation(_Builtin):
    """k-winners: the k most activated units fire, ties to the lower index.

    An int ``n`` means k = n; a float ``n`` in (0, 1] means k = ceil(n * number_of_units).
    """

    @_graph.new_object
    def __init__(self, n: float, connected: float | None = None) -> None:
        _with_connected(self._native_for(n), connected)  # check both before setting either
        self._connected = connected
        self.n = n

    @property
    def n(self) -> float:
        """k (an int) or the fraction of units that fire (a float in (0, 1]); assigning checks it."""
        return self._n

    @n.setter
    def n(self, value: float) -> None:
        self._native = _with_connected(self._native_for(value), self._connected)
        self._n = value
        _graph.changed()

    @staticmethod
    def _native_for(n: Any) -> _core.Computation:
        if isinstance(n, bool) or not isinstance(n, numbers.Real):
            raise TypeError(f"n must be an int or a float, got {n!r}")
        if isinstance(n, numbers.Integral):
            if not 0 < int(n) < 2**63:
                raise ValueError(f"n: must be positive (an int n is at most the group's size), got {n}")
            return _core.Computation.k_winners(int(n))
        return _core.Computation.k_fraction(float(n))

    def _rule_native(self) -> _core.Computation:
        return self._native_for(self._n)

    def __call__(self, **inputs: Any) -> np.ndarray:
        """The 0/1 activity of the group fed by ``inputs``: 1 for the k most activated units."""
        connections, shape = _connections_and_shape(inputs)
        return self._native.compute(connections, shape)

    def __repr__(self) -> str:
        return f"SparseComputation(n={self._n!r}{self._connected_repr()})"


def _with_connected(native: _core.Computation, connected: Any) -> _core.Computation:
    """``native`` counting only synapses of weight >= ``connected`` (None: all, by weight);
    ValueError naming a ``connected`` outside [0, 1], TypeError for a non-number."""
    if connected is None:
        return native
    value = real_number(connected, "connected")
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"connected must be in [0, 1] (a weight threshold), got {connected!r}")
    return native.with_connected(value)


#: The exact types whose computation runs straight into the output buffer. A subclass is
#: called through ``__call__`` like any user computation, so its overrides are honoured.
BUILTIN = (StandardComputation, SparseComputation)
