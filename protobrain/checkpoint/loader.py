"""Loading: a checked checkpoint header and its arrays, turned back into the model.

:func:`read` has :func:`~protobrain.checkpoint.format.read_file` check the file, then
rebuilds the objects: empty objects first (so references, cycles included, resolve), then
the user parts (unpickled only when allowed), then every object's contents, then the checks
that span objects (shapes that must agree, connections that must build). Nothing is
returned until all of it passed.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import pickle
from typing import Any, BinaryIO

import numpy as np

from protobrain import _graph, sequence
from protobrain._validation import Shape, normalize_shape, source_shape
from protobrain.anomaly import AnomalyLikelihood
from protobrain.brain import Brain
from protobrain.checkpoint.errors import CheckpointError, CorruptCheckpointError, PickleNotAllowedError
from protobrain.checkpoint.format import read_file
from protobrain.computation import SparseComputation, StandardComputation
from protobrain.connectivity import check_compressed
from protobrain.connectivity import check_dense as _check_synapses
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder
from protobrain.homeostasis import DutyCycles
from protobrain.learning import HebbianLearning
from protobrain.neuron import LayeredNeurons, Neurons
from protobrain.proto import checkpoint_pb2 as pb
from protobrain.sensor import Sensor
from protobrain.sequence import ColumnInput, SequenceMemory
from protobrain.synapses import Input, Output, OutputMerge, OutputSlice, _new_activity

__all__ = ["LoadedCheckpoint", "load", "read"]


@dataclasses.dataclass
class _SparseParts:
    """Sparse synapses as read from a file, before the source's shape is known."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def matrix(self, pre_shape: Shape, post_shape: Shape) -> Any:
        """The ``csr_array`` of these parts (ValueError when they do not fit the shapes)."""
        from scipy import sparse  # imported on first use: scipy is slow to import

        shape = (int(np.prod(pre_shape)), int(np.prod(post_shape)))
        if self.indices.shape != self.data.shape or self.indices.ndim != 1:
            raise ValueError(f"has {self.indices.size} sparse units for {self.data.size} weights")
        check_compressed(self.indptr, self.indices, shape[0])
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= shape[1]):
            raise ValueError(f"has sparse units outside [0, {shape[1]})")
        # A file holds each input's units strictly ascending, as the saver writes them.
        starts = np.zeros(self.indices.size, dtype=bool)
        starts[self.indptr[:-1][np.diff(self.indptr) > 0]] = True
        rising = np.diff(self.indices) > 0
        if not (rising | starts[1:]).all():
            raise ValueError("has sparse units that are not strictly ascending within an input")
        return sparse.csr_array((self.data, self.indices, self.indptr), shape=shape, copy=False)


@dataclasses.dataclass(frozen=True)
class LoadedCheckpoint:
    """What :func:`read` returns."""

    #: The saved object (a Brain, a group, ...), rebuilt with everything it reaches.
    model: Any
    #: The ``metadata`` given to :func:`~protobrain.checkpoint.save`, as bytes.
    metadata: dict[str, bytes]
    #: The format version of the file.
    format_version: int
    #: The protobrain version that wrote it.
    protobrain_version: str


def load(path: str | os.PathLike[str], allow_pickle: bool = False) -> Any:
    """The model saved in ``path`` (see :func:`read`)."""
    return read(path, allow_pickle).model


def read(path: str | os.PathLike[str], allow_pickle: bool = False) -> LoadedCheckpoint:
    """Read a checkpoint: the model, its metadata and versions.

    Everything is checked before the model is returned: the magic number
    (:class:`NotACheckpointError`), the preamble's checksum, the file's length
    (:class:`TruncatedCheckpointError` when shorter), the format version
    (:class:`UnsupportedVersionError`), the header's and every array's checksum, and every
    shape and reference (:class:`CorruptCheckpointError`). A file with pickled user parts
    needs ``allow_pickle=True`` (:class:`PickleNotAllowedError` otherwise): unpickling runs
    code named by the file, so only allow it for files you trust. The numpy random state
    is not touched. ``OSError`` if the file cannot be opened.
    """
    name = os.fspath(path)
    with open(name, "rb") as file:
        header, arrays, version = read_file(file, name)
        return _Loader(name, header, arrays, bool(allow_pickle), version).build()


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, nodes: list[Any], builtin: set[int]) -> None:
        super().__init__(file)
        self._nodes = nodes
        self._builtin = builtin

    def persistent_load(self, pid: Any) -> Any:  # noqa: D102 - pickle's hook
        if type(pid) is not int or pid not in self._builtin:
            raise pickle.UnpicklingError(f"reference to node {pid!r}, which is not a protobrain object of the file")
        return self._nodes[pid]


_CLASSES: dict[str, type] = {
    "brain": Brain,
    "neurons": Neurons,
    "layered": LayeredNeurons,
    "input": Input,
    "output": Output,
    "slice": OutputSlice,
    "merge": OutputMerge,
    "sensor": Sensor,
    "standard": StandardComputation,
    "sparse": SparseComputation,
    "hebbian": HebbianLearning,
    "sequence": SequenceMemory,
    "column_input": ColumnInput,
}

#: The engine state arrays of a sequence memory, by name: FLOAT64 or INT64.
_SEQUENCE_ARRAYS: dict[str, type[np.float64] | type[np.uint32] | type[np.uint64]] = {
    "active_cells": np.uint32,
    "winner_cells": np.uint32,
    "segment_cells": np.uint32,
    "segment_ordinals": np.uint64,
    "segment_last_used": np.uint64,
    "segment_ends": np.uint64,
    "synapse_cells": np.uint32,
    "synapse_permanences": np.float64,
    "plan_columns": np.uint32,
    "plan_prev_active": np.uint32,
    "plan_prev_winners": np.uint32,
    "plan_active": np.uint32,
    "plan_matching": np.uint32,
    "plan_potential": np.uint32,
    "plan_burst_best": np.uint32,
    "plan_burst_winner": np.uint32,
}


class _Loader:
    """Rebuilds the objects of a checked header: empty objects first (so references,
    cycles included, resolve), then the user parts, then every object's contents."""

    def __init__(
        self, name: str, header: pb.Checkpoint, arrays: list[np.ndarray], allow_pickle: bool, version: int
    ) -> None:
        self.name = name
        self.version = version
        self.header = header
        self.arrays: list[np.ndarray | None] = list(arrays)
        self.allow_pickle = allow_pickle
        self.objects: list[Any] = [None] * len(header.node)
        self.user: list[Any] = []

    def fail(self, index: int | None, message: str) -> CorruptCheckpointError:
        where = ""
        if index is not None:
            path = self.header.node[index].path if 0 <= index < len(self.header.node) else ""
            where = f" node {index}" + (f" ({path})" if path else "")
        return CorruptCheckpointError(f"checkpoint {self.name} is corrupt:{where} {message}")

    def build(self) -> LoadedCheckpoint:
        header = self.header
        if not header.HasField("root") or header.root >= len(header.node):
            raise self.fail(
                None, f"its root node {header.root if header.HasField('root') else '(unset)'} does not exist"
            )
        users = [(i, n) for i, n in enumerate(header.node) if n.WhichOneof("kind") == "user"]
        if header.HasField("pickle") and not self.allow_pickle:
            parts = ", ".join(f"{n.path} ({n.user.type})" for _, n in users[:5]) or "user values"
            raise PickleNotAllowedError(
                f"checkpoint {self.name} holds parts stored by pickle: {parts}. Unpickling runs code "
                "named by the file: pass allow_pickle=True only for files you trust"
            )
        for i, node in enumerate(header.node):
            self.objects[i] = self._empty(i, node)
        if header.HasField("pickle"):
            self._unpickle()
        for i, node in enumerate(header.node):
            self._fill(i, node)
        for i, node in enumerate(header.node):
            self._check(i, node)
        _graph.changed()
        return LoadedCheckpoint(
            model=self.objects[header.root],
            metadata={entry.key: entry.value for entry in header.metadata},
            format_version=self.version,
            protobrain_version=header.protobrain_version,
        )

    # -- references

    def node(self, owner: int, index: int, *kinds: str) -> Any:
        if index >= len(self.objects):
            raise self.fail(owner, f"refers to node {index}, which does not exist")
        kind = self.header.node[index].WhichOneof("kind")
        if kinds and kind not in kinds and kind != "user":
            raise self.fail(owner, f"refers to node {index}, a {kind}, where a {' or '.join(kinds)} belongs")
        return self.objects[index]

    def array(self, owner: int, index: int, dtypes: tuple[int, ...]) -> np.ndarray:
        if index >= len(self.arrays):
            raise self.fail(owner, f"refers to array {index}, which does not exist")
        if self.header.array[index].dtype not in dtypes:
            raise self.fail(owner, f"refers to array {index} of the wrong dtype")
        array = self.arrays[index]
        if array is None:
            raise self.fail(owner, f"refers to array {index}, which another node already uses")
        self.arrays[index] = None  # each array has one owner; dropping it frees it early
        return array

    def value(self, owner: int, message: pb.CheckpointValue) -> Any:
        member = message.WhichOneof("value")
        if member is None:
            return None
        if member == "user":
            if message.user >= len(self.user):
                raise self.fail(owner, f"refers to user part {message.user}, which does not exist")
            return self.user[message.user]
        return getattr(message, member)

    def shape(self, owner: int, dims: Any, what: str) -> Shape:
        try:
            return normalize_shape(tuple(dims), what)
        except ValueError as err:
            raise self.fail(owner, str(err)) from None

    # -- phases

    def _empty(self, i: int, node: pb.CheckpointNode) -> Any:
        kind = node.WhichOneof("kind")
        if kind is None:
            raise self.fail(i, "is of a kind this protobrain does not know")
        if kind in ("sequence", "column_input") and self.version < 2:
            raise self.fail(i, f"is a {kind} node, which format version {self.version} cannot hold")
        if kind == "output":
            shape = self.shape(i, node.output.shape, "output shape")
            values = self.array(i, node.output.values, (pb.CheckpointArray.FLOAT64,))
            if values.shape != shape:
                raise self.fail(i, f"has values of shape {values.shape} for an output of shape {shape}")
            if not np.isfinite(values).all():
                raise self.fail(i, "has values that are not finite")
            output = Output.__new__(Output)
            output._shape = shape
            output._activity = _new_activity(shape)
            output._activity.assign(np.ascontiguousarray(values, dtype=np.float64))
            return output
        if kind == "numerical_encoder":
            kinds = {pb.NumericalEncoderNode.SIMPLE: SimpleEncoder, pb.NumericalEncoderNode.CYCLIC: CyclicEncoder}
            encoder_class = kinds.get(node.numerical_encoder.kind)
            if encoder_class is None:
                raise self.fail(i, f"has unknown encoder kind {node.numerical_encoder.kind}")
            return object.__new__(encoder_class)
        if kind == "user":
            return None  # filled in by _unpickle
        return object.__new__(_CLASSES[kind])

    def _unpickle(self) -> None:
        builtin = {i for i, node in enumerate(self.header.node) if node.WhichOneof("kind") != "user"}
        data = self.array(self.header.root, self.header.pickle, (pb.CheckpointArray.BYTES,))
        try:
            user = _Unpickler(io.BytesIO(data.tobytes()), self.objects, builtin).load()
        except Exception as err:  # unpickling can raise anything; name it
            raise CheckpointError(
                f"checkpoint {self.name}: cannot unpickle its user parts ({type(err).__name__}: {err})"
            ) from err
        if not isinstance(user, list):
            raise self.fail(None, "its pickled user parts are not a list")
        self.user = user
        for i, node in enumerate(self.header.node):
            if node.WhichOneof("kind") == "user":
                if node.user.index >= len(user):
                    raise self.fail(i, f"refers to user part {node.user.index}, which does not exist")
                self.objects[i] = user[node.user.index]

    def _fill(self, i: int, node: pb.CheckpointNode) -> None:
        kind = node.WhichOneof("kind")
        obj = self.objects[i]
        try:
            if kind == "brain":
                obj._neurons = self.node(i, self.required(i, node.brain, "neurons"))
                obj._sensor = self.node(i, self.required(i, node.brain, "sensor"))
            elif kind == "neurons":
                self._fill_neurons(i, node.neurons, obj)
            elif kind == "layered":
                if not node.layered.layer:
                    raise self.fail(i, "is a stack without layers")
                obj._layers = _graph.TrackedList(
                    self.node(i, j, "neurons", "layered", "sequence") for j in node.layered.layer
                )
            elif kind == "input":
                self._fill_input(i, node.input, obj)
            elif kind == "sequence":
                self._fill_sequence(i, node.sequence, obj)
            elif kind == "column_input":
                obj._columns = self.required(i, node.column_input, "columns")
                has_source = node.column_input.HasField("source")
                obj._source = self.node(i, node.column_input.source) if has_source else None
            elif kind == "slice":
                obj._parent = self.node(i, self.required(i, node.slice, "parent"))
                obj._key = self._key(i, node.slice.key)
            elif kind == "merge":
                if not node.merge.member:
                    raise self.fail(i, "is a merge of no outputs")
                obj._outputs = tuple(self.node(i, j) for j in node.merge.member)
                obj._axis = node.merge.axis if node.merge.HasField("axis") else None
            elif kind == "sensor":
                obj._encoder = self.node(i, self.required(i, node.sensor, "encoder"))
                obj._output = self.node(i, self.required(i, node.sensor, "output"), "output")
                obj._value = self.value(i, node.sensor.value)
            elif kind == "standard":
                connected = self.value(i, node.standard.connected) if node.standard.HasField("connected") else None
                StandardComputation.__init__(obj, self.value(i, node.standard.threshold), connected)
            elif kind == "sparse":
                connected = self.value(i, node.sparse.connected) if node.sparse.HasField("connected") else None
                strength = node.sparse.boost_strength if node.sparse.HasField("boost_strength") else 0.0
                period = node.sparse.duty_cycle_period if node.sparse.HasField("duty_cycle_period") else 1000
                try:
                    SparseComputation.__init__(obj, self.value(i, node.sparse.n), connected, strength, period)
                except (TypeError, ValueError) as err:
                    raise self.fail(i, f"has a bad computation: {err}") from None
            elif kind == "hebbian":
                HebbianLearning.__init__(obj, node.hebbian.increase, node.hebbian.decrease)
            elif kind == "numerical_encoder":
                message = node.numerical_encoder
                type(obj).__init__(
                    obj,
                    self.value(i, message.min_value),
                    self.value(i, message.max_value),
                    message.length,
                    self.value(i, message.sparsity),
                )
                obj.default_value = self.value(i, message.default_value)
        except (TypeError, ValueError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise self.fail(i, f"holds parameters protobrain refuses: {err}") from None

    def required(self, i: int, message: Any, field: str) -> int:
        if not message.HasField(field):
            raise self.fail(i, f"has no {field}")
        return int(getattr(message, field))

    def _fill_neurons(self, i: int, message: pb.NeuronsNode, obj: Neurons) -> None:
        obj._shape = self.shape(i, message.shape, "group shape")
        obj._output = self.node(i, self.required(i, message, "output"), "output")
        inputs = _graph.TrackedDict()
        for entry in message.input:
            if entry.key in inputs:
                raise self.fail(i, f"has two inputs named {entry.key!r}")
            inputs[entry.key] = self.node(i, entry.node, "input")
        obj._inputs = inputs
        obj._computation = self.node(i, message.computation) if message.HasField("computation") else None
        obj._learning = self.node(i, message.learning) if message.HasField("learning") else None
        if message.HasField("duty_cycles"):
            values = self.array(i, message.duty_cycles, (pb.CheckpointArray.FLOAT64,))
            duty = DutyCycles(int(np.prod(obj._shape)))
            try:
                duty.assign(values, message.duty_steps)
            except ValueError as err:
                raise self.fail(i, f"has bad duty cycles: {err}") from None
            obj._duty = duty

    def _fill_sequence(self, i: int, message: pb.SequenceMemoryNode, obj: SequenceMemory) -> None:
        params = {name: getattr(message, name) for name in sequence.PARAMETERS}
        columns = self.required(i, message, "columns")
        cells = self.required(i, message, "cells_per_column")
        SequenceMemory.__init__(obj, columns, cells, likelihood=None, **params)
        obj._output = self.node(i, self.required(i, message, "output"), "output")
        obj._input = self.node(i, self.required(i, message, "input"), "column_input")
        state: dict[str, Any] = {
            "iteration": message.iteration,
            "next_ordinal": message.next_ordinal,
            "draws": message.draws,
            "anomaly": message.anomaly,
            "plan": message.plan,
        }
        for entry in message.state:
            if entry.key not in _SEQUENCE_ARRAYS or entry.key in state:
                raise self.fail(i, f"has an unknown or repeated state array {entry.key!r}")
            dtype = _SEQUENCE_ARRAYS[entry.key]
            wanted = pb.CheckpointArray.FLOAT64 if dtype is np.float64 else pb.CheckpointArray.INT64
            values = self.array(i, entry.array, (wanted,))
            top = 2**32 - 1 if dtype is np.uint32 else 2**63 - 1
            if dtype is not np.float64 and values.size and (values.min() < 0 or values.max() > top):
                raise self.fail(i, f"has {entry.key} out of range")
            state[entry.key] = np.ascontiguousarray(values.reshape(-1), dtype=dtype)
        missing = [name for name in _SEQUENCE_ARRAYS if name not in state]
        if missing:
            raise self.fail(i, f"has no state array {missing[0]!r}")
        try:
            obj._native = obj._new_native().with_state(state)
        except (KeyError, ValueError) as err:
            raise self.fail(i, f"has a sequence memory state the engine refuses: {err}") from None
        if message.HasField("likelihood"):
            obj.likelihood = self._likelihood(i, message.likelihood)
        score = message.likelihood_score if message.HasField("likelihood_score") else float("nan")
        if not (math.isnan(score) or 0.0 <= score <= 1.0):
            raise self.fail(i, f"has a last anomaly likelihood of {score}, outside [0, 1]")
        obj._likelihood_score = score

    def _likelihood(self, i: int, message: pb.AnomalyLikelihoodState) -> AnomalyLikelihood:
        float64 = (pb.CheckpointArray.FLOAT64,)
        state: dict[str, Any] = {
            name: getattr(message, name)
            for name in ("learning_period", "estimation_samples", "historic_window", "reestimation_period", "steps")
        }
        state["total"] = message.total
        for name in ("history", "window", "recent"):
            state[name] = self.array(i, self.required(i, message, name), float64)
        has_distribution = message.HasField("mean") and message.HasField("variance")
        state["distribution"] = (message.mean, message.variance) if has_distribution else None
        try:
            return AnomalyLikelihood._from_state(state)
        except ValueError as err:
            raise self.fail(i, f"has an anomaly likelihood that does not fit: {err}") from None

    def _fill_input(self, i: int, message: pb.InputNode, obj: Input) -> None:
        obj.name = message.name
        obj._shape = self.shape(i, message.shape, "input shape")
        obj._connection = None
        obj._mirror = None
        obj._reads = ()
        obj._pending_synapses = None
        obj._source = None
        has_synapses = message.HasField("synapses") or message.HasField("sparse")
        if message.HasField("synapses") and message.HasField("sparse"):
            raise self.fail(i, "has both dense and sparse synapses")
        if message.HasField("source") != has_synapses:
            raise self.fail(i, "has a source without synapses, or synapses without a source")
        if message.HasField("sparse"):
            obj._source = self.node(i, message.source)
            obj._pending_synapses = self._sparse(i, message.sparse)
        elif message.HasField("source"):
            obj._source = self.node(i, message.source)
            obj._pending_synapses = self.array(i, message.synapses, (pb.CheckpointArray.FLOAT64,))

    def _sparse(self, i: int, message: pb.SparseSynapses) -> Any:
        """The (indptr, indices, data) arrays of sparse synapses, checked when bound."""
        int64, float64 = (pb.CheckpointArray.INT64,), (pb.CheckpointArray.FLOAT64,)
        parts = (self.array(i, message.indptr, int64), self.array(i, message.indices, int64))
        return _SparseParts(*parts, self.array(i, message.data, float64))

    def _key(self, i: int, message: pb.IndexKey) -> Any:
        if message.HasField("user"):
            if message.user >= len(self.user):
                raise self.fail(i, f"refers to user part {message.user}, which does not exist")
            return self.user[message.user]
        items: list[Any] = []
        for entry in message.item:
            member = entry.WhichOneof("item")
            if member == "index":
                items.append(entry.index)
            elif member == "slice":
                s = entry.slice
                items.append(
                    slice(
                        s.start if s.HasField("start") else None,
                        s.stop if s.HasField("stop") else None,
                        s.step if s.HasField("step") else None,
                    )
                )
            elif member == "ellipsis":
                items.append(Ellipsis)
            elif member == "new_axis":
                items.append(None)
            elif member == "array":
                items.append(self.array(i, entry.array, (pb.CheckpointArray.INT64, pb.CheckpointArray.BOOL)))
            else:
                raise self.fail(i, "has an index item of a kind this protobrain does not know")
        if message.tuple:
            return tuple(items)
        if len(items) != 1:
            raise self.fail(i, f"has a key of {len(items)} items that is not a tuple")
        return items[0]

    def _check(self, i: int, node: pb.CheckpointNode) -> None:
        """Shapes agree across references; connections are built (so they are checked now)."""
        kind = node.WhichOneof("kind")
        obj = self.objects[i]
        try:
            if kind == "neurons" and isinstance(obj._output, Output) and obj._output.shape != obj._shape:
                raise self.fail(i, f"is a group of shape {obj._shape} with an output of shape {obj._output.shape}")
            elif kind == "sequence" and (obj._output.shape != obj.shape or obj._input.shape != (obj.columns,)):
                raise self.fail(i, "is a sequence memory whose output or input does not fit its columns and cells")
            elif kind == "column_input" and obj._source is not None:
                size = int(np.prod(source_shape(obj._source.shape)))
                if size != obj._columns:
                    raise self.fail(i, f"reads a source of {size} units for {obj._columns} columns")
            elif kind == "slice":
                np.empty(tuple(obj.parent.shape), dtype=np.int8)[obj.key]
            elif kind == "merge":
                obj.shape  # noqa: B018 - raises ValueError when the members do not concatenate
            elif kind == "sensor" and tuple(obj.encoder.shape) != obj.output.shape:
                raise self.fail(
                    i, f"has an encoder of shape {tuple(obj.encoder.shape)} and an output of shape {obj.output.shape}"
                )
            elif kind == "input" and isinstance(obj._pending_synapses, _SparseParts):
                parts = obj._pending_synapses
                obj._pending_synapses = parts.matrix(source_shape(obj._source.shape), obj._shape)
                obj._native()  # the engine checks the pattern and takes the weights now
            elif kind == "input" and obj._source is not None:
                expected = source_shape(obj._source.shape) + obj._shape
                if obj._pending_synapses.shape != expected:
                    raise self.fail(
                        i, f"has synapses of shape {obj._pending_synapses.shape}; its source and group need {expected}"
                    )
                obj._pending_synapses = _check_synapses(obj._pending_synapses, expected)
                obj._native()  # the engine takes the weights now, so the file's array is freed
        except (IndexError, TypeError, ValueError) as err:
            if isinstance(err, CheckpointError):
                raise
            raise self.fail(i, f"does not fit the objects it refers to: {err}") from None
