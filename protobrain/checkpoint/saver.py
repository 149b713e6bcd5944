"""Saving: a model and everything reachable from it, turned into a checkpoint header and arrays.

:func:`save` walks the model breadth-first from the object it is given, through the parts
of each object (:func:`~protobrain._parts.parts`, whose order fixes the node numbers), one
node of the header per object (the first time it is met, so sharing and cycles are kept),
and writes the header and arrays with :func:`~protobrain.checkpoint.format.write_file`.
Objects of exactly a protobrain class that hold only what the format stores are stored
field by field; anything else is a user part, pickled only when allowed.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

import numpy as np

from protobrain._parts import Part, parts
from protobrain._validation import Shape
from protobrain.anomaly import AnomalyLikelihood
from protobrain.brain import Brain
from protobrain.checkpoint.errors import CheckpointError, PickleNotAllowedError
from protobrain.checkpoint.format import DTYPES, PendingArray, write_file
from protobrain.computation import SparseComputation, StandardComputation
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder
from protobrain.learning import HebbianLearning
from protobrain.neuron import LayeredNeurons, Neurons
from protobrain.proto import checkpoint_pb2 as pb
from protobrain.sensor import Sensor
from protobrain.sequence import ColumnInput, SequenceMemory
from protobrain.synapses import Input, Output, OutputMerge, OutputSlice
from protobrain.util.atomic import atomic_write

__all__ = ["save"]

#: The pickle protocol of the user parts.
_PICKLE_PROTOCOL = 5
#: The node kinds format version 2 added.
_VERSION_2_KINDS = frozenset({"sequence", "column_input"})
#: The range of the format's int64 scalars and index items.
_INT64 = (-(2**63), 2**63 - 1)


def save(
    model: Any,
    path: str | os.PathLike[str],
    allow_pickle: bool = False,
    metadata: Mapping[str, bytes | str] | None = None,
) -> None:
    """Write ``model`` and everything reachable from it to ``path``.

    ``model`` is usually a :class:`~protobrain.brain.Brain`, a
    :class:`~protobrain.neuron.Neurons` group or a
    :class:`~protobrain.neuron.LayeredNeurons` stack. User parts (anything that is not
    exactly a protobrain class) are pickled only when ``allow_pickle`` is true; otherwise
    :class:`PickleNotAllowedError` lists them and nothing is written. ``metadata`` is
    stored as given (str values as UTF-8) and returned by :func:`~protobrain.checkpoint.read`.

    The file replaces ``path`` only once it is complete and synced: on any error
    (``OSError`` for a full disk or a missing directory, ``KeyboardInterrupt``, a
    ``ValueError`` for a NaN or infinite weight written through a ``synapses`` view) an
    existing file stays as it was. Saving reads every weight, which applies learning still pending
    in the engine; it changes nothing the model computes.
    """
    saver = _Saver(bool(allow_pickle))
    root = saver.ref(model, _root_name(model))
    saver.traverse()
    header = saver.header
    header.root = root
    header.protobrain_version = _package_version()
    for key, value in (metadata or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be str, got {key!r}")
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"metadata value of {key!r} must be bytes or str, got {type(value).__name__}")
        entry = header.metadata.add()
        entry.key = key
        entry.value = bytes(value)
    saver.pickle_user_parts()
    # Version 2 is needed only for the node kinds it added; other files stay readable by
    # the protobrains that know version 1 only.
    kinds = {node.WhichOneof("kind") for node in header.node}
    version = 2 if kinds & _VERSION_2_KINDS else 1
    with atomic_write(path) as file:
        write_file(file, header, saver.arrays, version)


def _package_version() -> str:
    import protobrain  # the package imports this module: its version is read when saving

    return str(getattr(protobrain, "__version__", "unknown"))


def _root_name(model: Any) -> str:
    if isinstance(model, Brain):
        return "brain"
    if isinstance(model, (Neurons, LayeredNeurons)):
        return "neurons"
    return type(model).__name__.lower()


def _qualname(obj: Any) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


# Instance attributes each protobrain class has; an object with others is a user part.
_ATTRIBUTES: dict[type, frozenset[str]] = {
    Brain: frozenset({"_neurons", "_sensor", "_network_cache"}),
    Neurons: frozenset({"_shape", "_output", "_inputs", "_computation", "_learning", "_duty"}),
    LayeredNeurons: frozenset({"_layers"}),
    Input: frozenset({"name", "_shape", "_source", "_connection", "_mirror", "_pending_synapses", "_reads"}),
    Output: frozenset({"_shape", "_activity"}),
    OutputSlice: frozenset({"_parent", "_key"}),
    OutputMerge: frozenset({"_outputs", "_axis"}),
    Sensor: frozenset({"_encoder", "_output", "_value"}),
    StandardComputation: frozenset({"_native", "_threshold", "_connected"}),
    SparseComputation: frozenset({"_native", "_n", "_connected", "_boost"}),
    HebbianLearning: frozenset({"_native", "_increase", "_decrease"}),
    SimpleEncoder: frozenset({"_native", "_length", "_params", "default_value", "shape"}),
    CyclicEncoder: frozenset({"_native", "_length", "_params", "default_value", "shape"}),
    SequenceMemory: frozenset(
        {"_columns", "_cells", "_params", "likelihood", "_likelihood_score", "_output", "_input", "_native"}
    ),
    ColumnInput: frozenset({"_columns", "_source"}),
}


class _Saver:
    """Turns a model into a header message and a list of arrays.

    Every object gets one node the first time it is met (breadth-first through the parts
    of each object, so deep stacks need no recursion); later meetings reuse the index, which
    keeps sharing and cycles.
    """

    def __init__(self, allow_pickle: bool) -> None:
        self.allow_pickle = allow_pickle
        self.header = pb.Checkpoint()
        self.arrays: list[PendingArray] = []
        self._index: dict[int, int] = {}
        self._builtin: dict[int, int] = {}  # id -> node, for the pickler's persistent ids
        self._keep: list[Any] = []  # keeps every id valid while saving
        self._queue: collections.deque[tuple[Any, int, str]] = collections.deque()
        self._user: list[Any] = []
        self._user_index: dict[int, int] = {}
        self._refused: list[str] = []

    # -- graph

    def ref(self, obj: Any, path: str) -> int:
        """The node index of ``obj``, allocating (and queueing) a node the first time."""
        known = self._index.get(id(obj))
        if known is not None:
            return known
        index = len(self.header.node)
        self.header.node.add().path = path
        self._index[id(obj)] = index
        self._keep.append(obj)
        self._queue.append((obj, index, path))
        return index

    def parts(self, obj: Any, path: str) -> list[tuple[Part, int]]:
        """The parts of ``obj`` (:func:`~protobrain._parts.parts`, in its order), each with
        its node index; ``path`` is the path of ``obj``."""
        return [(part, self.ref(part.obj, f"{path}.{part.label}")) for part in parts(obj)]

    def traverse(self) -> None:
        """Fill every queued node; raise PickleNotAllowedError listing refused user parts."""
        while self._queue:
            obj, index, path = self._queue.popleft()
            node = self.header.node[index]
            kind = type(obj)
            handler = _SAVERS.get(kind)
            if handler is not None and _storable(obj, kind):
                self._builtin[id(obj)] = index
                handler(self, obj, node, path)
            else:
                node.user.index = self.user(obj, path, _why_pickled(obj, kind))
                node.user.type = _qualname(obj)
        if self._refused:
            shown = "; ".join(self._refused[:5])
            more = f" (and {len(self._refused) - 5} more)" if len(self._refused) > 5 else ""
            raise PickleNotAllowedError(
                f"the model has parts protobrain stores only with pickle: {shown}{more}. Pass "
                "allow_pickle=True to save them (loading the file will need allow_pickle=True too)"
            )

    def user(self, obj: Any, path: str, why: str = "") -> int:
        """The index of ``obj`` in the list of pickled user parts (``why``: what makes a
        protobrain object one, for the message when pickling is not allowed)."""
        known = self._user_index.get(id(obj))
        if known is not None:
            return known
        if not self.allow_pickle:
            self._refused.append(f"{path} is a {_qualname(obj)}{why}")
        index = len(self._user)
        self._user.append(obj)
        self._user_index[id(obj)] = index
        self._keep.append(obj)
        return index

    def value(self, value: Any, out: pb.CheckpointValue, path: str) -> None:
        """Store a scalar: None, bool, int (int64), float, str; anything else is a user part."""
        out.Clear()
        if value is None:
            return
        if isinstance(value, (bool, np.bool_)):
            out.boolean = bool(value)
        elif isinstance(value, (int, np.integer)) and _INT64[0] <= int(value) <= _INT64[1]:
            out.int = int(value)
        elif isinstance(value, (float, np.floating)):
            out.float = float(value)
        elif isinstance(value, str):
            out.text = value
        else:
            out.user = self.user(value, path)

    def array(
        self, dtype: pb.CheckpointArray.DType, shape: Shape, owner: str, produce: Callable[[], np.ndarray]
    ) -> int:
        """Register an array of the data section; ``produce`` is called while writing."""
        entry = pb.CheckpointArray(dtype=dtype, owner=owner)
        entry.shape.extend(shape)
        self.header.array.append(entry)
        self.arrays.append(PendingArray(self.header.array[-1], produce))
        return len(self.header.array) - 1

    # -- user parts

    def pickle_user_parts(self) -> None:
        """Pickle the user parts into one BYTES array; built-in nodes they reference are
        stored as references to those nodes, so sharing survives."""
        if not self._user:
            return
        buffer = io.BytesIO()
        pickler = _Pickler(buffer, self._builtin)
        try:
            pickler.dump(self._user)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError) as err:
            raise CheckpointError(f"cannot pickle the model's user parts: {err}") from err
        data = np.frombuffer(buffer.getbuffer(), dtype=np.uint8)
        self.header.pickle = self.array(pb.CheckpointArray.BYTES, (data.size,), "pickled user parts", lambda: data)


class _Pickler(pickle.Pickler):
    def __init__(self, file: BinaryIO, builtin: dict[int, int]) -> None:
        super().__init__(file, protocol=_PICKLE_PROTOCOL)
        self._builtin = builtin

    def persistent_id(self, obj: Any) -> int | None:  # noqa: D102 - pickle's hook
        return self._builtin.get(id(obj))


def _why_pickled(obj: Any, kind: type) -> str:
    """Why a protobrain object is stored by pickle, when that is not plain from its type."""
    if kind is SequenceMemory and _storable(obj, kind):
        return ""
    if (
        kind is SequenceMemory
        and "likelihood" in vars(obj)
        and not (obj.likelihood is None or type(obj.likelihood) is AnomalyLikelihood)
    ):
        return f" whose likelihood is a {_qualname(obj.likelihood)}"
    return ""


def _storable(obj: Any, kind: type) -> bool:
    """Whether ``obj`` (of exactly a protobrain class) holds only what the format stores."""
    try:
        attributes = set(vars(obj))
    except TypeError:
        return False
    if not attributes <= _ATTRIBUTES[kind]:
        return False
    if kind is Neurons:
        return isinstance(obj._inputs, dict) and all(isinstance(key, str) for key in obj._inputs)
    if kind is Input:
        return isinstance(obj.name, str)
    if kind is SequenceMemory:
        return obj.likelihood is None or type(obj.likelihood) is AnomalyLikelihood
    return True


def _save_brain(saver: _Saver, obj: Brain, node: pb.CheckpointNode, path: str) -> None:
    for part, index in saver.parts(obj, path):  # neurons, sensor: fields of those names
        setattr(node.brain, part.field, index)


def _save_neurons(saver: _Saver, obj: Neurons, node: pb.CheckpointNode, path: str) -> None:
    message = node.neurons
    message.shape.extend(obj._shape)
    for part, index in saver.parts(obj, path):
        if part.field == "inputs":  # every input, connected or not, in order
            message.input.add(key=part.key, node=index)
        else:  # output, computation, learning: fields of those names
            setattr(message, part.field, index)
    duty = obj._duty
    if duty is not None:
        values = duty.values
        message.duty_cycles = saver.array(
            pb.CheckpointArray.FLOAT64, values.shape, f"{path}.duty_cycles", lambda: values
        )
        message.duty_steps = duty.steps


def _save_layered(saver: _Saver, obj: LayeredNeurons, node: pb.CheckpointNode, path: str) -> None:
    node.layered.SetInParent()
    node.layered.layer.extend(index for _, index in saver.parts(obj, path))


def _save_input(saver: _Saver, obj: Input, node: pb.CheckpointNode, path: str) -> None:
    message = node.input
    message.name = obj.name
    message.shape.extend(obj._shape)
    source = saver.parts(obj, path)  # nothing while the input is unconnected
    if not source:
        return
    message.source = source[0][1]
    shape = obj._pre_shape() + obj._shape
    if obj._native().is_sparse:
        _save_sparse_synapses(saver, obj, message.sparse, path)
        return

    def weights() -> np.ndarray:
        view = obj._native().synapses()
        array = np.ascontiguousarray(view, dtype=DTYPES[pb.CheckpointArray.FLOAT64])
        # Only a write through a synapses view can make a weight NaN or infinite; a file
        # holding one would not load (weights are finite, as assignment requires), so such
        # a model is refused here, before the file replaces anything.
        flat = array.reshape(-1)
        for start in range(0, flat.size, 1 << 20):  # in pieces: no weights-sized temporary
            piece = flat[start : start + (1 << 20)]
            if np.isfinite(piece).all():
                continue
            where = np.unravel_index(start + int(np.flatnonzero(~np.isfinite(piece))[0]), array.shape)
            raise ValueError(
                f"cannot save {path}: its synapses hold {array[where]} at {tuple(int(i) for i in where)} "
                "(written through a synapses view); checkpoints hold finite weights only"
            )
        return array

    message.synapses = saver.array(pb.CheckpointArray.FLOAT64, shape, f"{path}.synapses", weights)


def _save_sparse_synapses(saver: _Saver, obj: Input, message: pb.SparseSynapses, path: str) -> None:
    connection = obj._native()
    nnz, pre = connection.nnz, int(np.prod(obj._pre_shape()))
    parts = connection.sparse_parts  # views taken while writing, one array at a time
    int64, float64 = pb.CheckpointArray.INT64, pb.CheckpointArray.FLOAT64
    message.indptr = saver.array(int64, (pre + 1,), f"{path}.sparse.indptr", lambda: parts()[0].astype("<i8"))
    message.indices = saver.array(int64, (nnz,), f"{path}.sparse.indices", lambda: parts()[1].astype("<i8"))

    def data() -> np.ndarray:
        array = np.ascontiguousarray(parts()[2], dtype="<f8")
        if not np.isfinite(array).all():  # only a write through a view can do that
            bad = int(np.flatnonzero(~np.isfinite(array))[0])
            raise ValueError(
                f"cannot save {path}: its synapse {bad} holds {array[bad]} (written through a sparse_synapses "
                "view); checkpoints hold finite weights only"
            )
        return array

    message.data = saver.array(float64, (nnz,), f"{path}.sparse.data", data)


def _save_output(saver: _Saver, obj: Output, node: pb.CheckpointNode, path: str) -> None:
    node.output.shape.extend(obj._shape)
    activity = obj._activity
    node.output.values = saver.array(
        pb.CheckpointArray.FLOAT64,
        obj._shape,
        f"{path}.values",
        lambda: np.ascontiguousarray(activity.snapshot(), dtype=DTYPES[pb.CheckpointArray.FLOAT64]),
    )


def _save_slice(saver: _Saver, obj: OutputSlice, node: pb.CheckpointNode, path: str) -> None:
    for _, index in saver.parts(obj, path):  # the parent
        node.slice.parent = index
    key = node.slice.key
    if not _save_key(saver, obj.key, key, f"{path}.key"):
        key.Clear()
        key.user = saver.user(obj.key, f"{path}.key")


def _save_key(saver: _Saver, key: Any, out: pb.IndexKey, path: str) -> bool:
    """Store a numpy index structurally; False when it holds something else."""
    items = key if type(key) is tuple else (key,)
    out.tuple = type(key) is tuple
    arrays: list[tuple[pb.CheckpointArray.DType, Shape, np.ndarray]] = []
    for item in items:
        entry = out.item.add()
        if item is Ellipsis:
            entry.ellipsis = True
        elif item is None:
            entry.new_axis = True
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            if not _INT64[0] <= int(item) <= _INT64[1]:
                return False
            entry.index = int(item)
        elif isinstance(item, slice):
            for name in ("start", "stop", "step"):
                part = getattr(item, name)
                if part is None:
                    continue
                if isinstance(part, (bool, np.bool_)) or not isinstance(part, (int, np.integer)):
                    return False
                if not _INT64[0] <= int(part) <= _INT64[1]:
                    return False
                setattr(entry.slice, name, int(part))
            entry.slice.SetInParent()
        elif isinstance(item, (list, np.ndarray)):
            try:
                array = np.asarray(item)
            except (TypeError, ValueError):
                return False
            if array.dtype.kind == "b":
                dtype = pb.CheckpointArray.BOOL
            elif array.dtype.kind in "iu" and (
                array.size == 0 or (array.min() >= _INT64[0] and array.max() <= _INT64[1])
            ):
                dtype = pb.CheckpointArray.INT64
            elif array.size == 0 and array.dtype.kind == "f":  # np.asarray([]) is float64
                dtype = pb.CheckpointArray.INT64
            else:
                return False
            arrays.append((dtype, array.shape, np.ascontiguousarray(array, dtype=DTYPES[dtype])))
            entry.array = 0  # the real index is set below, once the whole key is storable
        else:
            return False
    slots = [entry for entry in out.item if entry.WhichOneof("item") == "array"]
    for entry, (dtype, shape, array) in zip(slots, arrays):
        entry.array = saver.array(dtype, shape, path, _constant(array))
    return True


def _constant(array: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: array


def _save_merge(saver: _Saver, obj: OutputMerge, node: pb.CheckpointNode, path: str) -> None:
    node.merge.SetInParent()
    node.merge.member.extend(index for _, index in saver.parts(obj, path))
    if obj.axis is not None:
        node.merge.axis = int(obj.axis)


def _save_sensor(saver: _Saver, obj: Sensor, node: pb.CheckpointNode, path: str) -> None:
    for part, index in saver.parts(obj, path):  # encoder, output: fields of those names
        setattr(node.sensor, part.field, index)
    saver.value(obj._value, node.sensor.value, f"{path}.value")


def _save_standard(saver: _Saver, obj: StandardComputation, node: pb.CheckpointNode, path: str) -> None:
    saver.value(obj._threshold, node.standard.threshold, f"{path}.threshold")
    if obj._connected is not None:
        saver.value(obj._connected, node.standard.connected, f"{path}.connected")


def _save_sparse(saver: _Saver, obj: SparseComputation, node: pb.CheckpointNode, path: str) -> None:
    saver.value(obj._n, node.sparse.n, f"{path}.n")
    if obj._connected is not None:
        saver.value(obj._connected, node.sparse.connected, f"{path}.connected")
    if obj._boost != (0.0, 1000):
        node.sparse.boost_strength, node.sparse.duty_cycle_period = obj._boost


def _save_hebbian(saver: _Saver, obj: HebbianLearning, node: pb.CheckpointNode, path: str) -> None:
    node.hebbian.increase = obj._increase
    node.hebbian.decrease = obj._decrease


def _save_encoder(saver: _Saver, obj: SimpleEncoder | CyclicEncoder, node: pb.CheckpointNode, path: str) -> None:
    message = node.numerical_encoder
    message.kind = pb.NumericalEncoderNode.SIMPLE if type(obj) is SimpleEncoder else pb.NumericalEncoderNode.CYCLIC
    min_value, max_value, sparsity = obj.min_value, obj.max_value, obj.sparsity
    saver.value(min_value, message.min_value, f"{path}.min_value")
    saver.value(max_value, message.max_value, f"{path}.max_value")
    saver.value(sparsity, message.sparsity, f"{path}.sparsity")
    saver.value(obj.default_value, message.default_value, f"{path}.default_value")
    message.length = obj.length


def _save_sequence(saver: _Saver, obj: SequenceMemory, node: pb.CheckpointNode, path: str) -> None:
    message = node.sequence
    message.columns, message.cells_per_column = obj.shape
    for part, index in saver.parts(obj, path):  # output, inputs['main']
        if part.field == "output":
            message.output = index
        else:
            message.input = index
    for name, value in obj._params.items():
        setattr(message, name, value)
    state = obj._native.state()
    message.iteration = state.pop("iteration")
    message.next_ordinal = state.pop("next_ordinal")
    message.draws = state.pop("draws")
    message.anomaly = state.pop("anomaly")
    message.plan = state.pop("plan")
    for key, values in state.items():
        dtype = pb.CheckpointArray.FLOAT64 if values.dtype == np.float64 else pb.CheckpointArray.INT64
        array = values.astype(DTYPES[dtype])
        index = saver.array(dtype, array.shape, f"{path}.{key}", _constant(array))
        message.state.add(key=key, array=index)
    if obj.likelihood is not None:
        _save_likelihood(saver, obj.likelihood, message.likelihood, f"{path}.likelihood")
    message.likelihood_score = obj._likelihood_score


def _save_likelihood(saver: _Saver, obj: AnomalyLikelihood, message: pb.AnomalyLikelihoodState, path: str) -> None:
    state = obj._state()
    for name in ("learning_period", "estimation_samples", "historic_window", "reestimation_period", "steps", "total"):
        setattr(message, name, state[name])
    for name in ("history", "window", "recent"):
        array = state[name]
        setattr(message, name, saver.array(pb.CheckpointArray.FLOAT64, array.shape, f"{path}.{name}", _constant(array)))
    if state["distribution"] is not None:
        message.mean, message.variance = state["distribution"]


def _save_column_input(saver: _Saver, obj: ColumnInput, node: pb.CheckpointNode, path: str) -> None:
    node.column_input.columns = obj.shape[0]
    for _, index in saver.parts(obj, path):  # the source, when connected
        node.column_input.source = index


_SAVERS: dict[type, Callable[[_Saver, Any, pb.CheckpointNode, str], None]] = {
    Brain: _save_brain,
    Neurons: _save_neurons,
    LayeredNeurons: _save_layered,
    Input: _save_input,
    Output: _save_output,
    OutputSlice: _save_slice,
    OutputMerge: _save_merge,
    Sensor: _save_sensor,
    StandardComputation: _save_standard,
    SparseComputation: _save_sparse,
    HebbianLearning: _save_hebbian,
    SimpleEncoder: _save_encoder,
    CyclicEncoder: _save_encoder,
    SequenceMemory: _save_sequence,
    ColumnInput: _save_column_input,
}
