"""Sequence memory: HTM temporal memory over columns of cells, as a layer of a brain.

:class:`SequenceMemory` is a group of ``columns x cells_per_column`` cells. Its ``'main'``
input reads a source with one unit per column (a spatial pooler's winners, the sensor
itself): a column is active where its unit is non-zero. Each step, in an active column
the cells predicted at the previous step become active, or every cell of the column when
none was (the column *bursts*). Cells predict the next step through segments of synapses
from other cells, learned as htm.core's ``TemporalMemory`` learns them; the parameters
keep its names (``cellsPerColumn`` is ``cells_per_column``, and so on) and defaults
(docs/sequence-memory.md has the mapping and every rule).

A step has two halves, like every group's: :meth:`~SequenceMemory.compute` activates the
cells (the output), works out the raw anomaly score (the share of active columns no cell
predicted) and updates the anomaly likelihood; :meth:`~SequenceMemory.learn` learns what
that activation decided, once. :attr:`~SequenceMemory.predicted_cells` are the cells
predicted for the next step. It composes like any group: ``FeedForward([pooler, memory])``,
``Brain.run`` (which records its anomaly scores, likelihoods and predictions on request,
see :class:`SequenceOutputs`), probes, checkpoints and plots. :meth:`~SequenceMemory.step`
steps it alone, from an array of active columns.

The engine runs it (``rust/engine/src/sequence.rs`` has the rules, every tie included);
``tests/reference.py`` repeats them in plain Python and the tests compare the two bit for bit.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from protobrain import _core, _graph
from protobrain._validation import count, source_shape
from protobrain.anomaly import AnomalyLikelihood
from protobrain.synapses import Output, _engine_source

__all__ = ["PARAMETERS", "ColumnInput", "SequenceMemory", "SequenceOutputs"]

#: The temporal-memory parameters after ``columns`` and ``cells_per_column``, in the order
#: the engine takes them (:attr:`SequenceMemory.params` has them by name).
PARAMETERS = (
    "activation_threshold",
    "min_threshold",
    "initial_permanence",
    "connected_permanence",
    "permanence_increment",
    "permanence_decrement",
    "predicted_segment_decrement",
    "max_new_synapses",
    "max_segments_per_cell",
    "max_synapses_per_segment",
    "seed",
)

#: The default of ``SequenceMemory(likelihood=...)``: a new :class:`AnomalyLikelihood`.
_NEW_LIKELIHOOD: Any = object()


def _unit(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


class SequenceOutputs(NamedTuple):
    """What :meth:`Brain.run(..., sequence_outputs=True) <protobrain.brain.Brain.run>`
    records of one sequence memory, one row per step."""

    #: The raw anomaly score of each step, float64 ``(steps,)``.
    anomaly: np.ndarray
    #: The anomaly likelihood of each step, float64 ``(steps,)`` (NaN without a likelihood).
    likelihood: np.ndarray
    #: The cells predicted at each step for the next one, bool ``(steps, columns,
    #: cells_per_column)``; None when the layer's activity is not recorded.
    predicted: np.ndarray | None


class ColumnInput:
    """The ``'main'`` input of a :class:`SequenceMemory`: a source with one unit per column,
    read as it is (no synapses: column ``c`` is active where unit ``c`` is non-zero)."""

    name = "main"

    def __init__(self, columns: int) -> None:
        self._columns = columns
        self._source: Any = None

    @property
    def shape(self) -> tuple[int]:
        """``(columns,)``: one source unit per column."""
        return (self._columns,)

    @property
    def source(self) -> Any:
        """What the input reads from, or None while unconnected."""
        return self._source

    @property
    def connected(self) -> bool:
        """Whether :meth:`connect` has been called."""
        return self._source is not None

    def connect(self, source: Any, synapse_function: Any = None) -> None:
        """Read the columns from ``source`` (anything with ``.values`` and ``.shape`` of
        ``columns`` units, in any shape). There are no synapses, so ``synapse_function``
        must be None; ValueError for a source of another size."""
        if synapse_function is not None:
            raise ValueError(
                f"a sequence memory's columns read their source one to one, without synapses; "
                f"got synapse_function={synapse_function!r}"
            )
        if not (hasattr(source, "values") and hasattr(source, "shape")):
            raise TypeError(f"can only connect to something with .values and .shape, got {type(source).__name__}")
        shape = source_shape(source.shape)
        if int(np.prod(shape)) != self._columns:
            raise ValueError(
                f"a sequence memory's main input needs one unit per column: {self._columns} columns, "
                f"but the source has shape {shape} ({int(np.prod(shape))} units)"
            )
        self._source = source
        _graph.changed()

    @property
    def values(self) -> np.ndarray:
        """The source's current values (IndexError while unconnected)."""
        if self._source is None:
            raise IndexError("input 'main' is not connected")
        return np.asarray(self._source.values)

    def _native_source(self) -> _core.Source | None:
        """The engine source the columns are read from, or None when the source is not one
        of protobrain's buffers (then the layer is computed in Python)."""
        return _engine_source(self._source)

    def __repr__(self) -> str:
        state = f"connected to {self._source!r}" if self.connected else "unconnected"
        return f"ColumnInput(columns={self._columns}, {state})"


class SequenceMemory(_graph.TracksStepMethods, _graph.Saveable):
    """HTM temporal memory over ``columns`` columns of ``cells_per_column`` cells (htm.core's
    ``TemporalMemory`` parameters and defaults), a group of shape ``(columns,
    cells_per_column)`` whose ``'main'`` input gives the active columns.

    ``likelihood`` is the :class:`~protobrain.anomaly.AnomalyLikelihood` fed each step's
    raw anomaly score (a new one with NuPIC's defaults unless given; None keeps none).
    """

    MAIN_INPUT = "main"

    @_graph.new_object
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
        likelihood: AnomalyLikelihood | None = _NEW_LIKELIHOOD,
    ) -> None:
        self._columns = count(columns, "columns", 1)
        self._cells = count(cells_per_column, "cells_per_column", 1)
        if self._columns * self._cells >= 2**32:
            raise ValueError(f"columns x cells_per_column must be below 2**32, got {self._columns} x {self._cells}")
        self._params: dict[str, Any] = {
            "activation_threshold": count(activation_threshold, "activation_threshold", 1),
            "min_threshold": count(min_threshold, "min_threshold", 1),
            "initial_permanence": _unit(initial_permanence, "initial_permanence"),
            "connected_permanence": _unit(connected_permanence, "connected_permanence"),
            "permanence_increment": _unit(permanence_increment, "permanence_increment"),
            "permanence_decrement": _unit(permanence_decrement, "permanence_decrement"),
            "predicted_segment_decrement": _unit(predicted_segment_decrement, "predicted_segment_decrement"),
            "max_new_synapses": count(max_new_synapses, "max_new_synapses", 0),
            "max_segments_per_cell": count(max_segments_per_cell, "max_segments_per_cell", 1),
            "max_synapses_per_segment": count(max_synapses_per_segment, "max_synapses_per_segment", 1),
            "seed": count(seed, "seed", 0),
        }
        for name in ("activation_threshold", "max_new_synapses", "max_segments_per_cell", "max_synapses_per_segment"):
            if self._params[name] >= 2**32:
                raise ValueError(f"{name} must be below 2**32, got {self._params[name]}")
        if self._params["seed"] >= 2**64:
            raise ValueError(f"seed must be below 2**64, got {seed!r}")
        if self._params["min_threshold"] > self._params["activation_threshold"]:
            raise ValueError(
                f"min_threshold must not exceed activation_threshold ({self._params['activation_threshold']}), "
                f"got {self._params['min_threshold']}"
            )
        if likelihood is _NEW_LIKELIHOOD:
            likelihood = AnomalyLikelihood()
        elif likelihood is not None and not isinstance(likelihood, AnomalyLikelihood):
            raise TypeError(f"likelihood must be an AnomalyLikelihood or None, got {likelihood!r}")
        self.likelihood = likelihood
        self._likelihood_score = math.nan
        self._output = Output(self.shape)
        self._input = ColumnInput(self._columns)
        self._native = self._new_native()

    def _new_native(self) -> _core.SequenceMemory:
        return _core.SequenceMemory(self._columns, self._cells, *(self._params[name] for name in PARAMETERS))

    # -- the group ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        """``(columns, cells_per_column)``: the shape of the group and of its cell arrays."""
        return (self._columns, self._cells)

    @property
    def columns(self) -> int:
        """The number of columns."""
        return self._columns

    @property
    def cells_per_column(self) -> int:
        """The number of cells in each column."""
        return self._cells

    @property
    def params(self) -> dict[str, Any]:
        """The temporal-memory parameters given (or defaulted), by name."""
        return dict(self._params)

    @property
    def computation(self) -> None:
        """None: a sequence memory computes by its own rules (assigning anything but None
        is an error; a stack's ``computation = c`` leaves its sequence memories alone)."""
        return None

    @computation.setter
    def computation(self, value: Any) -> None:
        if value is not None:
            raise ValueError(f"a sequence memory computes by its own rules; it takes no computation, got {value!r}")

    @property
    def learning(self) -> None:
        """None: a sequence memory learns by its own rules (like :attr:`computation`)."""
        return None

    @learning.setter
    def learning(self, value: Any) -> None:
        if value is not None:
            raise ValueError(f"a sequence memory learns by its own rules; it takes no learning rule, got {value!r}")

    @property
    def output(self) -> Output:
        """The group's :class:`~protobrain.synapses.Output`: the active cells."""
        return self._output

    @property
    def values(self) -> np.ndarray:
        """The active cells as a read-only float64 snapshot of shape :attr:`shape`."""
        return self._output.values

    @property
    def inputs(self) -> Mapping[str, ColumnInput]:
        """The one input, ``'main'`` (read-only: a sequence memory has no other)."""
        return MappingProxyType({self.MAIN_INPUT: self._input})

    @property
    def input(self) -> ColumnInput:
        """The ``'main'`` input; assigning a source (one unit per column) connects it."""
        return self._input

    @input.setter
    def input(self, source: Any) -> None:
        self._input.connect(source)

    def set(self, name: str, source: Any, synapse_function: Any = None) -> ColumnInput:
        """Connect the ``'main'`` input to ``source`` (so :func:`~protobrain.neuron.FeedForward`
        can wire a sequence memory); ValueError for any other name or a synapse function."""
        if name != self.MAIN_INPUT:
            raise ValueError(f"a sequence memory has one input, 'main'; got {name!r}")
        self._input.connect(source, synapse_function)
        return self._input

    def get(self, name: str) -> ColumnInput:
        """The input called ``name`` (only ``'main'`` exists)."""
        if name != self.MAIN_INPUT:
            raise KeyError(f"no input named {name!r}; inputs are ['main']")
        return self._input

    def compute(self) -> np.ndarray:
        """Activate the cells of the columns the main input shows; return the new values.

        (A brain computes a sequence memory in the engine; this is the same step in Python.)
        """
        self._activate_from_input()
        self._noted(math.nan)
        return self.values

    def _activate_from_input(self) -> None:
        """The activation of :meth:`compute`, without the likelihood (a brain feeds it the
        stream's value itself)."""
        if not self._input.connected:
            raise ValueError(
                f"{self!r} cannot compute: its input 'main' is not connected; connect it (layer.input = source)"
            )
        self._activate(self._input.values.reshape(-1))

    def learn(self) -> None:
        """Learn what the last :meth:`compute` decided (once; nothing if it is done)."""
        self._native.learn()

    def step(self, active_columns: Any, learn: bool = True) -> np.ndarray:
        """One whole step of the memory alone, from ``active_columns`` (a 0/1 or bool array
        of shape ``(columns,)``): activate, learn when ``learn``, note the likelihood.
        Returns the active cells, bool ``(columns, cells_per_column)``."""
        values = np.asarray(active_columns)
        if values.shape != (self._columns,):
            raise ValueError(f"active_columns must have shape ({self._columns},), got shape {values.shape}")
        self._activate(values)
        if learn:
            self._native.learn()
        self._noted(math.nan)
        return self.active_cells

    def _activate(self, values: np.ndarray) -> None:
        if values.dtype.kind not in "biuf" or (values.dtype.kind == "f" and not np.isfinite(values).all()):
            raise ValueError(f"the active columns must be finite numbers or bools, got dtype {values.dtype}")
        self._native.activate_into(np.flatnonzero(values).astype(np.uint32), self._output._activity)

    def _noted(self, value: float, raw: float | None = None) -> float:
        """After an activation: feed its raw anomaly score (``raw``, or the last step's)
        and the stream's value (NaN when unknown) to the likelihood; the new likelihood."""
        if self.likelihood is not None:
            score = self._native.anomaly if raw is None else raw
            self._likelihood_score = self.likelihood.update(score, value)
        return self._likelihood_score

    def _noted_batch(self, values: np.ndarray, raws: np.ndarray) -> np.ndarray:
        """:meth:`_noted` for a run's steps at once (their stream values and raw scores, in
        order): each step's likelihood, float64 ``(steps,)``."""
        if self.likelihood is None:
            return np.full(len(raws), self._likelihood_score, dtype=np.float64)
        scores = self.likelihood.update_batch(raws, values)
        if len(scores):
            self._likelihood_score = float(scores[-1])
        return scores

    def reset(self) -> None:
        """Forget the activity and any learning still to do, not what was learned: the next
        step starts a new sequence (nothing is predicted for it). The output is cleared."""
        self._native.reset(self._output._activity)

    # -- what a step shows -------------------------------------------------------------

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
        """The cells predicted for the next step, from the active cells and the synapses as
        they are now (after :meth:`learn`, what it learned counts), same shape."""
        return self._cells_array(self._native.predicted_cells())

    @property
    def anomaly(self) -> float:
        """The raw anomaly score of the last step: the share of active columns no cell
        predicted (0 when no column was active)."""
        return float(self._native.anomaly)

    @property
    def anomaly_likelihood(self) -> float:
        """The anomaly likelihood of the last step (NaN without a :attr:`likelihood`, or
        before the first step)."""
        return self._likelihood_score

    @property
    def learning_pending(self) -> bool:
        """Whether the last activation's learning is still to do."""
        return bool(self._native.learning_pending)

    def segments(self) -> list[tuple[int, list[tuple[int, float]]]]:
        """Every segment as ``(cell, [(presynaptic cell, permanence), ...])``, cells flat,
        ordered by cell then creation, synapses in creation order."""
        return self._native.segments()

    @property
    def size(self) -> tuple[int, int]:
        """(segments, synapses) the memory holds."""
        segments, synapses = self._native.size()
        return int(segments), int(synapses)

    # -- state -------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k != "_native"}
        state["_native_state"] = self._native.state()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        native_state = state.pop("_native_state")
        self.__dict__.update(state)
        self._native = self._new_native().with_state(native_state)

    def __repr__(self) -> str:
        return f"SequenceMemory(columns={self._columns}, cells_per_column={self._cells})"
