"""Sequence memory: HTM temporal memory over columns of cells (issue 19, first step).

:class:`SequenceMemory` takes, each step, which of its columns are active (for example a
spatial pooler's winners, one column per unit) and activates cells inside them: the cells
predicted at the previous step, or every cell of a column none of whose cells was
predicted (the column *bursts*). Cells predict the next step through segments of synapses
from other cells, learned as htm.core's ``TemporalMemory`` learns them; the parameters
keep its names (``cellsPerColumn`` is ``cells_per_column``, and so on) and defaults. The
raw anomaly score of a step is the share of its active columns that no cell predicted.

The engine runs it (``rust/engine/src/sequence.rs`` has the rules, every tie included);
``tests/reference.py`` repeats them in plain Python and the tests compare the two bit for
bit. It stands alone for now: a ``Brain`` layer, checkpoints and NAB come next.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from protobrain import _core

__all__ = ["SequenceMemory"]


def _count(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _unit(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


class SequenceMemory:
    """HTM temporal memory over ``columns`` columns of ``cells_per_column`` cells (htm.core's
    ``TemporalMemory`` parameters and defaults)."""

    def __init__(
        self,
        columns: int,
        cells_per_column: int = 32,
        *,
        activation_threshold: int = 13,
        min_threshold: int = 10,
        initial_permanence: float = 0.21,
        connected_permanence: float = 0.5,
        permanence_increment: float = 0.1,
        permanence_decrement: float = 0.1,
        predicted_segment_decrement: float = 0.0,
        max_new_synapses: int = 20,
        max_segments_per_cell: int = 255,
        max_synapses_per_segment: int = 255,
        seed: int = 42,
    ) -> None:
        self._columns = _count(columns, "columns", 1)
        self._cells = _count(cells_per_column, "cells_per_column", 1)
        self._params: dict[str, Any] = {
            "activation_threshold": _count(activation_threshold, "activation_threshold", 1),
            "min_threshold": _count(min_threshold, "min_threshold", 1),
            "initial_permanence": _unit(initial_permanence, "initial_permanence"),
            "connected_permanence": _unit(connected_permanence, "connected_permanence"),
            "permanence_increment": _unit(permanence_increment, "permanence_increment"),
            "permanence_decrement": _unit(permanence_decrement, "permanence_decrement"),
            "predicted_segment_decrement": _unit(predicted_segment_decrement, "predicted_segment_decrement"),
            "max_new_synapses": _count(max_new_synapses, "max_new_synapses", 0),
            "max_segments_per_cell": _count(max_segments_per_cell, "max_segments_per_cell", 1),
            "max_synapses_per_segment": _count(max_synapses_per_segment, "max_synapses_per_segment", 1),
            "seed": _count(seed, "seed", 0),
        }
        if self._params["seed"] >= 2**64:
            raise ValueError(f"seed must be below 2**64, got {seed!r}")
        if self._params["min_threshold"] > self._params["activation_threshold"]:
            raise ValueError(
                f"min_threshold must not exceed activation_threshold ({self._params['activation_threshold']}), "
                f"got {self._params['min_threshold']}"
            )
        p = self._params
        self._native = _core.SequenceMemory(
            self._columns,
            self._cells,
            p["activation_threshold"],
            p["min_threshold"],
            p["initial_permanence"],
            p["connected_permanence"],
            p["permanence_increment"],
            p["permanence_decrement"],
            p["predicted_segment_decrement"],
            p["max_new_synapses"],
            p["max_segments_per_cell"],
            p["max_synapses_per_segment"],
            p["seed"],
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(columns, cells per column): the shape of the cell arrays."""
        return (self._columns, self._cells)

    @property
    def params(self) -> dict[str, Any]:
        """The parameters given (or defaulted), by name."""
        return dict(self._params)

    def compute(self, active_columns: Any, learn: bool = True) -> np.ndarray:
        """One step with ``active_columns`` (a 0/1 or bool array of shape ``(columns,)``, a
        column being active where it is non-zero); learns when ``learn``. Returns the active
        cells, a bool array of shape ``(columns, cells_per_column)``."""
        values = np.asarray(active_columns)
        if values.shape != (self._columns,):
            raise ValueError(f"active_columns must have shape ({self._columns},), got shape {values.shape}")
        if values.dtype.kind not in "biuf" or (values.dtype.kind == "f" and not np.isfinite(values).all()):
            raise ValueError(f"active_columns must be finite numbers or bools, got dtype {values.dtype}")
        self._native.compute(np.flatnonzero(values).astype(np.uint32), bool(learn))
        return self.active_cells

    def reset(self) -> None:
        """Forget the activity, not what was learned: the next step starts a new sequence
        (nothing is predicted for it)."""
        self._native.reset()

    def _cells_array(self, cells: np.ndarray) -> np.ndarray:
        out = np.zeros(self._columns * self._cells, dtype=bool)
        out[cells] = True
        return out.reshape(self.shape)

    @property
    def active_cells(self) -> np.ndarray:
        """The cells active at the last step, bool ``(columns, cells_per_column)``."""
        return self._cells_array(self._native.active_cells())

    @property
    def winner_cells(self) -> np.ndarray:
        """The winner cells of the last step (one per active column), same shape."""
        return self._cells_array(self._native.winner_cells())

    @property
    def predicted_cells(self) -> np.ndarray:
        """The cells predicted for the next step, same shape."""
        return self._cells_array(self._native.predicted_cells())

    @property
    def anomaly(self) -> float:
        """The raw anomaly score of the last step: the share of active columns no cell
        predicted (0 when no column was active)."""
        return float(self._native.anomaly)

    def segments(self) -> list[tuple[int, list[tuple[int, float]]]]:
        """Every segment as ``(cell, [(presynaptic cell, permanence), ...])``, cells flat,
        ordered by cell then creation, synapses in creation order."""
        return self._native.segments()

    def __repr__(self) -> str:
        return f"SequenceMemory(columns={self._columns}, cells_per_column={self._cells})"
