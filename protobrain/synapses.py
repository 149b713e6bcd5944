"""Outputs, inputs and synapses (docs/specification.md §1).

An :class:`Output` holds the current activity of a group or sensor. Its values live in the
Rust engine; reading ``values`` gives a read-only snapshot (a new array after every change,
so arrays kept from earlier steps never change under you), and assigning ``values`` writes
them. An :class:`Input` connects a source to the neurons it feeds through a float64 weight
array of shape ``source.shape + input.shape``; ``input.synapses`` is a writable view of
those weights, so in-place edits are what the next step uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from protobrain import _core, _graph, connectivity
from protobrain._validation import Shape, float_array, normalize_shape, source_shape
from protobrain.connectivity import OneToOne, PotentialPool

__all__ = ["Input", "OneToOne", "Output", "OutputMerge", "OutputSlice", "PotentialPool"]

_log = logging.getLogger(__name__)

SynapseFunction = Callable[[Shape, Shape], Any]
Gather = tuple[list[_core.Activity], np.ndarray, np.ndarray]


class Output:
    """The activity of a group of neurons or a sensor: ``values`` of a fixed ``shape``."""

    @_graph.new_object
    def __init__(self, shape: int | Sequence[int]) -> None:
        self._shape = normalize_shape(shape)
        self._activity = _new_activity(self._shape)

    @property
    def shape(self) -> Shape:
        """The shape given at creation, as a tuple."""
        return self._shape

    @property
    def size(self) -> int:
        """The number of values, the product of the shape."""
        return int(np.prod(self._shape))

    @property
    def values(self) -> np.ndarray:
        """A read-only float64 snapshot of the current values."""
        return self._activity.snapshot()

    @values.setter
    def values(self, new: Any) -> None:
        array = float_array(new, "output values")
        if array.shape != self._shape:
            raise ValueError(f"output values must have shape {self._shape}, got shape {array.shape}")
        self._activity.assign(array)

    def __getitem__(self, key: Any) -> OutputSlice:
        return OutputSlice(self, key)

    def __repr__(self) -> str:
        return f"Output(shape={self._shape})"

    def _gather(self) -> Gather:
        index = np.arange(self.size, dtype=np.int64).reshape(self._shape)
        return [self._activity], np.zeros(self._shape, dtype=np.int64), index

    def _native_source(self) -> _core.Source:
        return _core.Source.whole(self._activity)

    def __getstate__(self) -> dict[str, Any]:
        return {"shape": self._shape, "values": self._activity.snapshot()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._shape = state["shape"]
        self._activity = _core.Activity(list(self._shape))
        self._activity.assign(np.ascontiguousarray(state["values"], dtype=np.float64))


class _Gathered:
    """Shared behaviour of sources made from other outputs (slices and merges)."""

    @property
    def values(self) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def shape(self) -> Shape:
        return tuple(np.shape(self.values))

    def __getitem__(self, key: Any) -> OutputSlice:
        return OutputSlice(self, key)

    def _gather(self) -> Gather:  # pragma: no cover - overridden
        raise NotImplementedError

    def _native_source(self) -> _core.Source:
        parts, part, index = self._gather()
        return _core.Source.gather(list(part.shape), parts, part.ravel(), index.ravel())


class OutputSlice(_Gathered):
    """``output[key]``: numpy indexing of another output's current values."""

    def __init__(self, parent: Any, key: Any) -> None:
        self._parent = parent
        self._key = key
        # Index a stand-in now, so a bad key fails here with numpy's own IndexError.
        np.empty(tuple(parent.shape), dtype=np.int8)[key]

    @property
    def parent(self) -> Any:
        """What is sliced (fixed: connections read it)."""
        return self._parent

    @property
    def key(self) -> Any:
        """The numpy index applied to the parent's values (fixed)."""
        return self._key

    @property
    def values(self) -> np.ndarray:
        """The parent's current values, sliced."""
        return np.asarray(np.asarray(self.parent.values)[self.key])

    @property
    def shape(self) -> Shape:
        """The shape of the slice of the parent's current shape."""
        return np.empty(tuple(self.parent.shape), dtype=np.int8)[self.key].shape

    def _gather(self) -> Gather:
        parts, part, index = _gather_of(self.parent)
        return parts, np.asarray(part[self.key]), np.asarray(index[self.key])

    def __repr__(self) -> str:
        return f"OutputSlice({self.parent!r}, {self.key!r})"


class OutputMerge(_Gathered):
    """The concatenation of several outputs' current values along ``axis``.

    With ``axis=None`` the first axis along which the members concatenate is used.
    """

    def __init__(self, outputs: Sequence[Any], axis: int | None = None) -> None:
        self._outputs = tuple(outputs)
        if not self._outputs:
            raise ValueError("OutputMerge needs at least one output, got an empty list")
        shapes = [tuple(o.shape) for o in self.outputs]
        if axis is None:
            axis = _first_merge_axis(shapes)
        else:
            try:
                np.concatenate([np.empty(s, dtype=np.int8) for s in shapes], axis=axis)
            except ValueError as err:  # numpy's AxisError is a ValueError
                raise ValueError(f"outputs of shapes {shapes} do not concatenate along axis {axis}: {err}") from None
        self._axis = axis

    @property
    def outputs(self) -> tuple[Any, ...]:
        """The merged outputs, in order (fixed: connections read them)."""
        return self._outputs

    @property
    def axis(self) -> int:
        """The axis the members are concatenated along."""
        return self._axis

    @property
    def values(self) -> np.ndarray:
        """The members' current values, concatenated along ``axis``."""
        return np.concatenate([np.asarray(o.values) for o in self.outputs], axis=self.axis)

    @property
    def shape(self) -> Shape:
        """The shape of the members' values once concatenated."""
        shapes = [tuple(o.shape) for o in self.outputs]
        return np.concatenate([np.empty(s, dtype=np.int8) for s in shapes], axis=self.axis).shape

    def _gather(self) -> Gather:
        parts: list[_core.Activity] = []
        picks, indices = [], []
        for member in self.outputs:
            member_parts, part, index = _gather_of(member)
            offset = len(parts)
            parts.extend(member_parts)
            picks.append(part + offset)
            indices.append(index)
        return parts, np.concatenate(picks, axis=self.axis), np.concatenate(indices, axis=self.axis)

    def __repr__(self) -> str:
        return f"OutputMerge({self.outputs!r}, axis={self.axis})"


def _new_activity(shape: Shape) -> _core.Activity:
    try:
        return _core.Activity(list(shape))
    except OverflowError:
        raise MemoryError(f"cannot allocate an output of shape {shape}") from None


def _first_merge_axis(shapes: list[Shape]) -> int:
    ndims = {len(s) for s in shapes}
    if len(ndims) == 1:
        ndim = ndims.pop()
        for axis in range(ndim):
            rest = {s[:axis] + s[axis + 1 :] for s in shapes}
            if len(rest) == 1:
                return axis
    raise ValueError(f"outputs of shapes {shapes} do not concatenate along any axis")


class _NotNative(TypeError):
    """A slice or merge reaches an object that is not backed by a protobrain output."""


def _gather_of(source: Any) -> Gather:
    gather = getattr(source, "_gather", None)
    if gather is None:
        raise _NotNative(f"{type(source).__name__} is not backed by a protobrain output")
    return gather()


class Input:
    """A named input of a group: the source it reads and the synapses from it.

    ``shape`` is the shape of the neurons it feeds (the post-synaptic side).
    """

    @_graph.new_object
    def __init__(self, name: str, shape: int | Sequence[int]) -> None:
        self.name = name
        self._shape = normalize_shape(shape)
        self._source: Any = None
        self._connection: _core.Connection | None = None
        # For sources protobrain does not own (anything with .values and .shape), a private
        # buffer the engine reads, refreshed from source.values before every step.
        self._mirror: _core.Activity | None = None
        self._pending_synapses: np.ndarray | None = None
        # The buffers the connection was built to read, to notice a source that changed.
        self._reads: tuple[_core.Activity, ...] = ()

    @property
    def shape(self) -> Shape:
        """The shape of the group this input feeds (the post-synaptic side)."""
        return self._shape

    @property
    def source(self) -> Any:
        """What the input reads from, or None while unconnected."""
        return self._source

    @property
    def connected(self) -> bool:
        """Whether :meth:`connect` has been called."""
        return self._source is not None

    def connect(self, source: Any, synapse_function: SynapseFunction | None = None) -> None:
        """Connect to ``source`` (anything with ``.values`` and ``.shape``) and draw synapses.

        Connecting again to the very same source logs a warning and changes nothing.
        """
        if self._source is not None and source is self._source:
            _log.warning("input %r is already connected to %r; nothing changed", self.name, source)
            return
        if not (hasattr(source, "values") and hasattr(source, "shape")):
            raise TypeError(f"can only connect to something with .values and .shape, got {type(source).__name__}")
        pre_shape = source_shape(source.shape)
        native_source, mirror = _native_source_of(source, pre_shape)
        connection = connectivity.connect(native_source, pre_shape, self._shape, synapse_function)
        self._source, self._connection, self._mirror = source, connection, mirror
        self._reads = _buffers_read(source)
        self._pending_synapses = None
        _graph.changed()

    @property
    def values(self) -> np.ndarray:
        """The source's current values (IndexError while unconnected)."""
        if self._source is None:
            raise IndexError(f"input {self.name!r} is not connected")
        return np.asarray(self._source.values)

    @property
    def synapses(self) -> np.ndarray:
        """A writable float64 view of the weights, shape ``source.shape + input.shape``.

        While a view is referenced, every learning step checks every weight (to honour
        edits made through it); drop it or copy it to keep learning proportional to activity.
        For a sparse connection (:attr:`sparse`) this is a read-only dense copy, refused
        when it would exceed 2**28 weights (2 GiB): use :attr:`sparse_synapses` there.
        """
        connection = self._native()
        shape = self._pre_shape() + self._shape
        if connection.is_sparse:
            return connectivity.dense_copy(connection, shape, self.name)
        return connection.synapses().reshape(shape)

    @synapses.setter
    def synapses(self, new: Any) -> None:
        connectivity.assign(self._native(), new, self._pre_shape(), self._shape)

    @property
    def sparse(self) -> bool:
        """Whether the engine stores this input's synapses sparsely (IndexError while unconnected)."""
        return bool(self._native().is_sparse)

    @property
    def sparse_synapses(self) -> Any:
        """The weights as a ``scipy.sparse.csr_array`` of shape (source size, input size).

        For a sparse connection it is a view: its ``data`` is the engine's weights, so
        in-place edits (``s.data[...] = ...``, ``s[i, j] = w`` for an existing synapse) are
        what the next step uses; adding a synapse through it is refused. For a dense one it
        is a copy of the non-zero weights. Assigning takes dense or sparse weights; a
        sparse connection keeps its pattern (the same synapses).
        """
        connection = self._native()
        if connection.is_sparse:
            return connectivity.sparse_view(connection)
        return connectivity.sparse_copy(connection)

    @sparse_synapses.setter
    def sparse_synapses(self, new: Any) -> None:
        connectivity.assign(self._native(), new, self._pre_shape(), self._shape)

    def __repr__(self) -> str:
        state = f"connected to {self._source!r}" if self.connected else "unconnected"
        return f"Input({self.name!r}, shape={self._shape}, {state})"

    def _pre_shape(self) -> Shape:
        return source_shape(self._source.shape)

    def _native(self) -> _core.Connection:
        """The engine connection, up to date: mirrors refreshed, rebuilt after unpickling,
        and re-tied when the source now reads other buffers (a stack whose layers changed)."""
        if self._source is None:
            raise IndexError(f"input {self.name!r} is not connected")
        if self._connection is None:
            weights, self._pending_synapses = self._pending_synapses, None
            self._bind(weights)
        elif self._mirror is None and not _same_buffers(self._reads, _buffers_read(self._source)):
            self._bind(connectivity.weights_copy(self._connection))
        if self._mirror is not None:
            values = float_array(self._source.values, f"values of the source of input {self.name!r}")
            self._mirror.assign(values)
        assert self._connection is not None
        return self._connection

    def _bind(self, weights: Any) -> None:
        """Build the engine connection from the source as it is now, with ``weights``
        (dense or scipy.sparse)."""
        pre_shape = self._pre_shape()
        # Kept weights come flat (pre, post) from a copy or a relayering, or shaped from a
        # checkpoint: what must match is the number of source units they were made for.
        pre_size, post_size = int(np.prod(pre_shape)), int(np.prod(self._shape))
        if weights is not None:
            made_for = weights.shape[0] if connectivity.is_sparse(weights) else weights.size // max(post_size, 1)
            if made_for != pre_size:
                raise ValueError(
                    f"the source of input {self.name!r} now has shape {pre_shape} ({pre_size} units), but its "
                    f"synapses were made for {made_for} units; connect it again"
                )
        native_source, self._mirror = _native_source_of(self._source, pre_shape)
        if weights is None:
            self._connection = _core.Connection(native_source, list(self._shape))
        else:
            self._connection = connectivity.from_weights(native_source, pre_shape, self._shape, weights, kept=True)
        self._reads = _buffers_read(self._source)
        _graph.changed()

    def __getstate__(self) -> dict[str, Any]:
        synapses = None
        if self._source is not None:
            synapses = connectivity.weights_copy(self._native())
        return {"name": self.name, "shape": self._shape, "source": self._source, "synapses": synapses}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name = state["name"]
        self._shape = state["shape"]
        self._source = state["source"]
        self._connection = None
        self._mirror = None
        self._reads = ()
        self._pending_synapses = state["synapses"]


def _buffers_read(source: Any) -> tuple[_core.Activity, ...]:
    """The engine buffers ``source`` reads, found without building anything."""
    if isinstance(source, Output):
        return (source._activity,)
    if isinstance(source, OutputSlice):
        return _buffers_read(source.parent)
    if isinstance(source, OutputMerge):
        return tuple(b for member in source.outputs for b in _buffers_read(member))
    output = getattr(source, "output", None)
    if isinstance(output, Output) and hasattr(source, "_native_source"):
        return (output._activity,)
    return ()


def _same_buffers(a: tuple[_core.Activity, ...], b: tuple[_core.Activity, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _engine_source(source: Any) -> _core.Source | None:
    """The engine source reading ``source`` when it is backed by protobrain's buffers (a
    group, a sensor, their slices and merges), else None (an object of yours, or a slice
    of one: it must be read in Python)."""
    native = getattr(source, "_native_source", None)
    if native is None:
        return None
    try:
        return native()
    except _NotNative:
        return None


def _native_source_of(source: Any, pre_shape: Shape) -> tuple[_core.Source, _core.Activity | None]:
    native = _engine_source(source)
    if native is not None:
        return native, None
    mirror = _core.Activity(list(pre_shape))  # refreshed from the object's values each step
    return _core.Source.whole(mirror), mirror
