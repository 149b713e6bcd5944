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
import math
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

    @property
    def boosts(self) -> bool:
        """Whether the computation boosts units by their duty cycles (only a
        :class:`SparseComputation` with ``boost_strength > 0`` does)."""
        return False

    def _compute_into(self, neurons: Any) -> None:
        """The fast path: compute straight into the group's output buffer (reading the
        group's duty cycles when the computation boosts)."""
        duty = neurons._duty_cycles()._native if self.boosts else None
        self._native.compute_into(neurons._connections(), neurons.output._activity, duty)


class StandardComputation(_Builtin):
    """A unit fires when its activation is strictly above ``threshold`` (>= 0).

    With ``connected`` (in [0, 1]) a synapse counts 1 when its weight is at least
    ``connected`` and 0 otherwise, so the activation counts active inputs through
    connected synapses (HTM's overlap); with the default uniform weights, about
    ``1 - connected`` of the synapses are connected at first."""

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

    ``connected`` counts connected synapses as :class:`StandardComputation`'s does.

    With ``boost_strength > 0`` each unit's activation is first multiplied by
    ``exp((target - duty) * boost_strength)``, ``target`` being k / units and ``duty`` the
    unit's duty cycle, a moving average of its activity over ``duty_cycle_period`` learning
    steps (:mod:`protobrain.homeostasis`): units that fire less than their share are raised.
    The default, 0, boosts nothing and keeps no duty cycles.
    """

    _boost: tuple[float, int] = (0.0, 1000)

    @_graph.new_object
    def __init__(
        self,
        n: float,
        connected: float | None = None,
        boost_strength: float = 0.0,
        duty_cycle_period: int = 1000,
    ) -> None:
        boost = _boost_of(boost_strength, duty_cycle_period)
        _with_boost(_with_connected(self._native_for(n), connected), boost)  # check all before setting any
        self._connected = connected
        self._boost = boost
        self.n = n

    @property
    def boost_strength(self) -> float:
        """How strongly units below their share are boosted (>= 0; 0: no boosting)."""
        return self._boost[0]

    @boost_strength.setter
    def boost_strength(self, value: float) -> None:
        self._set_boost(_boost_of(value, self._boost[1]))

    @property
    def duty_cycle_period(self) -> int:
        """The number of learning steps the duty cycles average over, at most (>= 1)."""
        return self._boost[1]

    @duty_cycle_period.setter
    def duty_cycle_period(self, value: int) -> None:
        self._set_boost(_boost_of(self._boost[0], value))

    @property
    def boosts(self) -> bool:
        """Whether the computation boosts (``boost_strength > 0``) and so needs duty cycles."""
        return self._boost[0] > 0

    def _set_boost(self, boost: tuple[float, int]) -> None:
        self._native = _with_boost(_with_connected(self._native_for(self._n), self._connected), boost)
        self._boost = boost
        _graph.changed()

    def _make_native(self) -> _core.Computation:
        return _with_boost(super()._make_native(), self._boost)

    @property
    def n(self) -> float:
        """k (an int) or the fraction of units that fire (a float in (0, 1]); assigning checks it."""
        return self._n

    @n.setter
    def n(self, value: float) -> None:
        self._native = _with_boost(_with_connected(self._native_for(value), self._connected), self._boost)
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
        """The 0/1 activity of the group fed by ``inputs``: 1 for the k most activated units.

        Called directly, a boosting computation has no group and so no duty cycles: it
        raises ValueError (a group computes it with its own duty cycles)."""
        if self.boosts:
            raise ValueError("a boosting SparseComputation needs its group's duty cycles: compute the group")
        connections, shape = _connections_and_shape(inputs)
        return self._native.compute(connections, shape)

    def __repr__(self) -> str:
        boost = ""
        if self._boost != (0.0, 1000):
            boost = f", boost_strength={self._boost[0]!r}, duty_cycle_period={self._boost[1]!r}"
        return f"SparseComputation(n={self._n!r}{self._connected_repr()}{boost})"


def _with_connected(native: _core.Computation, connected: Any) -> _core.Computation:
    """``native`` counting only synapses of weight >= ``connected`` (None: all, by weight);
    ValueError naming a ``connected`` outside [0, 1], TypeError for a non-number."""
    if connected is None:
        return native
    value = real_number(connected, "connected")
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"connected must be in [0, 1] (a weight threshold), got {connected!r}")
    return native.with_connected(value)


def _boost_of(strength: Any, period: Any) -> tuple[float, int]:
    """``(boost_strength, duty_cycle_period)`` checked: ValueError naming a bad one."""
    value = real_number(strength, "boost_strength")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"boost_strength must be a finite number >= 0, got {strength!r}")
    if isinstance(period, bool) or not isinstance(period, numbers.Integral) or not 1 <= int(period) < 2**63:
        raise ValueError(f"duty_cycle_period must be an int >= 1, got {period!r}")
    return value, int(period)


def _with_boost(native: _core.Computation, boost: tuple[float, int]) -> _core.Computation:
    return native if boost[0] == 0 else native.with_boost(*boost)


#: The exact types whose computation runs straight into the output buffer. A subclass is
#: called through ``__call__`` like any user computation, so its overrides are honoured.
BUILTIN = (StandardComputation, SparseComputation)
