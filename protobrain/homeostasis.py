"""Duty cycles: how often each unit of a group has fired lately (htm.core's duty cycles).

A :class:`~protobrain.computation.SparseComputation` with ``boost_strength > 0`` multiplies
each unit's activation by ``exp((target - duty) * boost_strength)`` before it picks the
k winners, where ``target`` is the share of the group's units that win and ``duty`` the
unit's duty cycle. A group's duty cycles are updated at each of its learning steps (while
its computation boosts): ``duty <- duty + (active - duty) / min(steps, period)``, with
``steps`` counting the updates (the first is 1) and ``period`` the computation's
``duty_cycle_period``. Computing without learning (probes, ``Brain.run(learn=False)``)
reads them and changes nothing, as in htm.core, whose spatial pooler updates duty cycles
only when it learns.

The duty cycles are the group's state (``neurons.duty_cycles``), not the computation's: one
computation set on several layers boosts each layer by its own. They are saved in
checkpoints and pickles and continue bit-identically.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from protobrain import _core

__all__ = ["DutyCycles"]


class DutyCycles:
    """The duty cycles of one group of ``units`` units, shared with the engine."""

    def __init__(self, units: int) -> None:
        self._native = _core.DutyCycles(units)

    @property
    def values(self) -> np.ndarray:
        """A copy of the duty cycles, one per unit (flat, C order), each in [0, 1]."""
        return self._native.values()

    @property
    def steps(self) -> int:
        """How many updates the duty cycles have had."""
        return int(self._native.steps)

    def assign(self, values: Any, steps: int) -> None:
        """Replace the values (as many as units, each in [0, 1]) and the number of updates."""
        array = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        self._native.assign(array, int(steps))

    def __getstate__(self) -> dict[str, Any]:
        return {"values": self.values, "steps": self.steps}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._native = _core.DutyCycles(len(state["values"]))
        self.assign(state["values"], state["steps"])

    def __repr__(self) -> str:
        return f"DutyCycles(units={len(self.values)}, steps={self.steps})"
