"""Checkpoints: save a model to one file and load it back so it continues bit-identically.

:func:`save` stores a brain, a group, a stack of groups (or any other protobrain object)
with everything reachable from it: the wiring graph (which input reads which source,
slices, merges, loop-backs and other cycles, with the same object sharing), every weight,
every output's current activity, the computation, learning and encoder parameters and the
sensor's last value. :func:`load` rebuilds it; stepping the loaded model gives, bit for
bit, what stepping the original would have given.

The file is a 32-byte preamble, a data section of raw little-endian arrays and a protobuf
header (``protobrain/proto/checkpoint.proto``), each protected by a CRC-32; the layout is
documented byte by byte in ``docs/checkpoints.md``. Files are written to a temporary file,
flushed, synced and renamed (:func:`~protobrain.util.atomic.atomic_write`), so a full disk,
an error or Ctrl-C leaves the previous file as it was. Loading checks the magic number,
the format version, the sizes, every checksum and every shape before it returns anything,
and raises a :class:`CheckpointError` (a ValueError) that names what is wrong.

Parts protobrain does not know (a Python computation, learning rule, encoder or source
of your own, a subclass of a protobrain class) can only be stored with :mod:`pickle`,
and unpickling runs code named by the file, so both :func:`save` and :func:`load` refuse
them unless called with ``allow_pickle=True``. The global numpy random state is not part
of a model and is not saved.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import math
import os
import pickle
import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

import numpy as np
from google.protobuf.message import DecodeError

from protobrain import _graph
from protobrain._validation import Shape, normalize_shape, source_shape
from protobrain.brain import Brain
from protobrain.computation import SparseComputation, StandardComputation
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder
from protobrain.learning import HebbianLearning
from protobrain.neuron import LayeredNeurons, Neurons
from protobrain.proto import checkpoint_pb2 as pb
from protobrain.sensor import Sensor
from protobrain.synapses import Input, Output, OutputMerge, OutputSlice, _check_synapses, _new_activity
from protobrain.util.atomic import atomic_write
from protobrain.util.proto_io import read_exactly

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "PREAMBLE_SIZE",
    "CheckpointError",
    "CorruptCheckpointError",
    "LoadedCheckpoint",
    "NotACheckpointError",
    "PickleNotAllowedError",
    "TruncatedCheckpointError",
    "UnsupportedVersionError",
    "load",
    "read",
    "save",
]

#: The first eight bytes of every checkpoint (PNG-style: a high byte catches 7-bit
#: transfers, the newline catches newline translation).
MAGIC = b"\x89PBRAIN\n"
#: The format version this module writes, and the only one it reads.
FORMAT_VERSION = 1
#: magic, version, header length, data length, header CRC-32, preamble CRC-32.
_PREAMBLE = struct.Struct("<8sIIQII")
#: Bytes in the preamble.
PREAMBLE_SIZE = _PREAMBLE.size
#: The pickle protocol of the user parts.
_PICKLE_PROTOCOL = 5
#: Bytes read or CRC'd per call when streaming arrays.
_CHUNK = 1 << 24

_DTYPES = {
    pb.CheckpointArray.FLOAT64: np.dtype("<f8"),
    pb.CheckpointArray.INT64: np.dtype("<i8"),
    pb.CheckpointArray.BOOL: np.dtype("?"),
    pb.CheckpointArray.BYTES: np.dtype("u1"),
}
_INT64 = (-(2**63), 2**63 - 1)


# ------------------------------------------------------------------------------ errors


class CheckpointError(ValueError):
    """A checkpoint cannot be written or read; the message names the file and the fault."""


class NotACheckpointError(CheckpointError):
    """The file does not start with the checkpoint magic number."""


class TruncatedCheckpointError(CheckpointError):
    """The file is shorter than its preamble says (an interrupted copy or download)."""


class CorruptCheckpointError(CheckpointError):
    """A checksum does not match, or the header describes something impossible."""


class UnsupportedVersionError(CheckpointError):
    """The file was written in a format version this protobrain does not read."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


class PickleNotAllowedError(CheckpointError):
    """The model has user parts, which are stored only by pickle, and pickle was not allowed."""


# ------------------------------------------------------------------------------ saving


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
    stored as given (str values as UTF-8) and returned by :func:`read`.

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
    with atomic_write(path) as file:
        _write(file, saver)


def _package_version() -> str:
    import protobrain

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


def _as_bytes(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array (no copy)."""
    return memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]


@dataclasses.dataclass
class _PendingArray:
    """An array of the data section: its header entry and what produces its contents."""

    entry: pb.CheckpointArray
    produce: Callable[[], np.ndarray]


# Instance attributes each protobrain class has; an object with others is a user part.
_ATTRIBUTES: dict[type, frozenset[str]] = {
    Brain: frozenset({"_neurons", "_sensor", "_network_cache"}),
    Neurons: frozenset({"_shape", "_output", "_inputs", "_computation", "_learning"}),
    LayeredNeurons: frozenset({"_layers"}),
    Input: frozenset({"name", "_shape", "_source", "_connection", "_mirror", "_pending_synapses", "_reads"}),
    Output: frozenset({"_shape", "_activity"}),
    OutputSlice: frozenset({"_parent", "_key"}),
    OutputMerge: frozenset({"_outputs", "_axis"}),
    Sensor: frozenset({"_encoder", "_output", "_value"}),
    StandardComputation: frozenset({"_native", "_threshold"}),
    SparseComputation: frozenset({"_native", "_n"}),
    HebbianLearning: frozenset({"_native", "_increase", "_decrease"}),
    SimpleEncoder: frozenset({"_native", "_length", "_params", "default_value", "shape"}),
    CyclicEncoder: frozenset({"_native", "_length", "_params", "default_value", "shape"}),
}


class _Saver:
    """Turns a model into a header message and a list of arrays.

    Every object gets one node the first time it is met (breadth-first, so deep stacks
    need no recursion); later meetings reuse the index, which keeps sharing and cycles.
    """

    def __init__(self, allow_pickle: bool) -> None:
        self.allow_pickle = allow_pickle
        self.header = pb.Checkpoint()
        self.arrays: list[_PendingArray] = []
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
                node.user.index = self.user(obj, path)
                node.user.type = _qualname(obj)
        if self._refused:
            shown = "; ".join(self._refused[:5])
            more = f" (and {len(self._refused) - 5} more)" if len(self._refused) > 5 else ""
            raise PickleNotAllowedError(
                f"the model has parts protobrain stores only with pickle: {shown}{more}. Pass "
                "allow_pickle=True to save them (loading the file will need allow_pickle=True too)"
            )

    def user(self, obj: Any, path: str) -> int:
        """The index of ``obj`` in the list of pickled user parts."""
        known = self._user_index.get(id(obj))
        if known is not None:
            return known
        if not self.allow_pickle:
            self._refused.append(f"{path} is a {_qualname(obj)}")
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

    def array(self, dtype: pb.CheckpointArray.DType, shape: Shape, owner: str, produce: Callable[[], np.ndarray]) -> int:
        """Register an array of the data section; ``produce`` is called while writing."""
        entry = pb.CheckpointArray(dtype=dtype, owner=owner)
        entry.shape.extend(shape)
        self.header.array.append(entry)
        self.arrays.append(_PendingArray(self.header.array[-1], produce))
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
    return True


def _save_brain(saver: _Saver, obj: Brain, node: pb.CheckpointNode, path: str) -> None:
    node.brain.neurons = saver.ref(obj._neurons, f"{path}.neurons")
    node.brain.sensor = saver.ref(obj._sensor, f"{path}.sensor")


def _save_neurons(saver: _Saver, obj: Neurons, node: pb.CheckpointNode, path: str) -> None:
    message = node.neurons
    message.shape.extend(obj._shape)
    message.output = saver.ref(obj._output, f"{path}.output")
    for key, inp in obj._inputs.items():
        entry = message.input.add()
        entry.key = key
        entry.node = saver.ref(inp, f"{path}.inputs[{key!r}]")
    if obj._computation is not None:
        message.computation = saver.ref(obj._computation, f"{path}.computation")
    if obj._learning is not None:
        message.learning = saver.ref(obj._learning, f"{path}.learning")


def _save_layered(saver: _Saver, obj: LayeredNeurons, node: pb.CheckpointNode, path: str) -> None:
    node.layered.SetInParent()
    for i, layer in enumerate(obj._layers):
        node.layered.layer.append(saver.ref(layer, f"{path}.layers[{i}]"))


def _save_input(saver: _Saver, obj: Input, node: pb.CheckpointNode, path: str) -> None:
    message = node.input
    message.name = obj.name
    message.shape.extend(obj._shape)
    if obj._source is None:
        return
    message.source = saver.ref(obj._source, f"{path}.source")
    shape = obj._pre_shape() + obj._shape

    def weights() -> np.ndarray:
        view = obj._native().synapses()
        array = np.ascontiguousarray(view, dtype=_DTYPES[pb.CheckpointArray.FLOAT64])
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


def _save_output(saver: _Saver, obj: Output, node: pb.CheckpointNode, path: str) -> None:
    node.output.shape.extend(obj._shape)
    activity = obj._activity
    node.output.values = saver.array(
        pb.CheckpointArray.FLOAT64,
        obj._shape,
        f"{path}.values",
        lambda: np.ascontiguousarray(activity.snapshot(), dtype=_DTYPES[pb.CheckpointArray.FLOAT64]),
    )


def _save_slice(saver: _Saver, obj: OutputSlice, node: pb.CheckpointNode, path: str) -> None:
    node.slice.parent = saver.ref(obj.parent, f"{path}.parent")
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
            elif array.dtype.kind in "iu" and (array.size == 0 or (array.min() >= _INT64[0] and array.max() <= _INT64[1])):
                dtype = pb.CheckpointArray.INT64
            elif array.size == 0 and array.dtype.kind == "f":  # np.asarray([]) is float64
                dtype = pb.CheckpointArray.INT64
            else:
                return False
            arrays.append((dtype, array.shape, np.ascontiguousarray(array, dtype=_DTYPES[dtype])))
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
    for i, member in enumerate(obj.outputs):
        node.merge.member.append(saver.ref(member, f"{path}.outputs[{i}]"))
    if obj.axis is not None:
        node.merge.axis = int(obj.axis)


def _save_sensor(saver: _Saver, obj: Sensor, node: pb.CheckpointNode, path: str) -> None:
    node.sensor.encoder = saver.ref(obj._encoder, f"{path}.encoder")
    node.sensor.output = saver.ref(obj.output, f"{path}.output")
    saver.value(obj._value, node.sensor.value, f"{path}.value")


def _save_standard(saver: _Saver, obj: StandardComputation, node: pb.CheckpointNode, path: str) -> None:
    saver.value(obj._threshold, node.standard.threshold, f"{path}.threshold")


def _save_sparse(saver: _Saver, obj: SparseComputation, node: pb.CheckpointNode, path: str) -> None:
    saver.value(obj._n, node.sparse.n, f"{path}.n")


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
}


def _write(file: BinaryIO, saver: _Saver) -> None:
    """Preamble placeholder, arrays, header, then the real preamble over the placeholder."""
    file.write(bytes(PREAMBLE_SIZE))
    offset = 0
    for pending in saver.arrays:
        array = pending.produce()
        data = _as_bytes(array)
        expected = math.prod(pending.entry.shape) * _DTYPES[pending.entry.dtype].itemsize
        if data.nbytes != expected:
            raise CheckpointError(f"{pending.entry.owner} changed size while saving ({data.nbytes} != {expected} bytes)")
        crc = 0
        for start in range(0, data.nbytes, _CHUNK):
            piece = data[start : start + _CHUNK]
            crc = zlib.crc32(piece, crc)
            file.write(piece)
        pending.entry.offset = offset
        pending.entry.length = data.nbytes
        pending.entry.crc32 = crc
        offset += data.nbytes
        del array, data
    header = saver.header.SerializeToString(deterministic=True)
    if len(header) > 2**32 - 1:
        raise CheckpointError(f"the checkpoint header is {len(header)} bytes, over the format's 4 GiB limit")
    file.write(header)
    file.seek(0)
    preamble = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(header), offset, zlib.crc32(header), 0)
    file.write(preamble[:-4] + struct.pack("<I", zlib.crc32(preamble[:-4])))


# ----------------------------------------------------------------------------- loading


@dataclasses.dataclass(frozen=True)
class LoadedCheckpoint:
    """What :func:`read` returns."""

    #: The saved object (a Brain, a group, ...), rebuilt with everything it reaches.
    model: Any
    #: The ``metadata`` given to :func:`save`, as bytes.
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
        header, arrays = _read_file(file, name)
        return _Loader(name, header, arrays, bool(allow_pickle)).build()


def _read_file(file: io.BufferedIOBase, name: str) -> tuple[pb.Checkpoint, list[np.ndarray]]:
    """Check the preamble, the length and the header; read and check every array."""
    size = os.fstat(file.fileno()).st_size
    preamble = read_exactly(file, PREAMBLE_SIZE)
    if preamble[: len(MAGIC)] != MAGIC[: len(preamble)] or (not preamble and size):
        raise NotACheckpointError(
            f"{name} is not a protobrain checkpoint: it starts with {preamble[:8]!r}, not {MAGIC!r}"
        )
    if len(preamble) < PREAMBLE_SIZE:
        what = "is empty" if not preamble else f"has only {len(preamble)} bytes"
        raise TruncatedCheckpointError(
            f"checkpoint {name} is truncated: it {what}, less than the {PREAMBLE_SIZE}-byte preamble"
        )
    _, version, header_length, data_length, header_crc, preamble_crc = _PREAMBLE.unpack(preamble)
    if zlib.crc32(preamble[:-4]) != preamble_crc:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: its preamble (bytes 0-{PREAMBLE_SIZE - 1}) fails its CRC-32 check"
        )
    if version != FORMAT_VERSION:
        newer = " (written by a newer protobrain; upgrade to read it)" if version > FORMAT_VERSION else ""
        raise UnsupportedVersionError(
            f"checkpoint {name} has format version {version}; this protobrain reads version {FORMAT_VERSION}{newer}",
            version,
        )
    expected = PREAMBLE_SIZE + data_length + header_length
    if size < expected:
        raise TruncatedCheckpointError(
            f"checkpoint {name} is truncated: it has {size} bytes, its preamble says {expected}"
        )
    if size > expected:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: {size - expected} unexpected bytes after its end at byte {expected}"
        )
    header_start = PREAMBLE_SIZE + data_length
    file.seek(header_start)
    data = read_exactly(file, header_length)
    if len(data) != header_length:
        raise TruncatedCheckpointError(f"checkpoint {name} is truncated: its header ends early")
    if zlib.crc32(data) != header_crc:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: its header (bytes {header_start}-{expected - 1}) fails its CRC-32 check"
        )
    try:
        header = pb.Checkpoint.FromString(data)
    except DecodeError as err:
        raise CorruptCheckpointError(f"checkpoint {name} is corrupt: its header does not parse ({err})") from None
    _check_array_table(header, data_length, name)
    file.seek(PREAMBLE_SIZE)
    return header, [_read_array(file, entry, name) for entry in header.array]


def _check_array_table(header: pb.Checkpoint, data_length: int, name: str) -> None:
    """The arrays must tile the data section exactly, each as long as its shape says.

    This bounds every allocation by the file's size, so a damaged header can never ask
    for more memory than the file holds.
    """
    offset = 0
    for i, entry in enumerate(header.array):
        where = f"checkpoint {name} is corrupt: array {i} ({entry.owner or 'unnamed'})"
        dtype = _DTYPES.get(entry.dtype)
        if dtype is None:
            raise CorruptCheckpointError(f"{where} has unknown dtype {entry.dtype}")
        if entry.offset != offset:
            raise CorruptCheckpointError(f"{where} starts at data byte {entry.offset}, expected {offset}")
        if math.prod(entry.shape) * dtype.itemsize != entry.length:
            raise CorruptCheckpointError(
                f"{where} has shape {list(entry.shape)} of {dtype} but {entry.length} bytes"
            )
        offset += entry.length
        if offset > data_length:
            raise CorruptCheckpointError(f"{where} ends past the data section ({data_length} bytes)")
    if offset != data_length:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: its arrays fill {offset} of the {data_length} bytes of the data section"
        )


def _read_array(file: io.BufferedIOBase, entry: pb.CheckpointArray, name: str) -> np.ndarray:
    array = np.empty(tuple(entry.shape), dtype=_DTYPES[entry.dtype])
    view = _as_bytes(array)
    crc = 0
    for start in range(0, view.nbytes, _CHUNK):
        piece = view[start : start + _CHUNK]
        if file.readinto(piece) != piece.nbytes:
            raise TruncatedCheckpointError(f"checkpoint {name} is truncated inside {entry.owner}")
        crc = zlib.crc32(piece, crc)
    if crc != entry.crc32:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: the data of {entry.owner} (data bytes {entry.offset}-"
            f"{entry.offset + entry.length - 1}) fails its CRC-32 check"
        )
    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    return array


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
}


class _Loader:
    """Rebuilds the objects of a checked header: empty objects first (so references,
    cycles included, resolve), then the user parts, then every object's contents."""

    def __init__(self, name: str, header: pb.Checkpoint, arrays: list[np.ndarray], allow_pickle: bool) -> None:
        self.name = name
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
            raise self.fail(None, f"its root node {header.root if header.HasField('root') else '(unset)'} does not exist")
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
            format_version=FORMAT_VERSION,
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
                obj._layers = _graph.TrackedList(self.node(i, j, "neurons", "layered") for j in node.layered.layer)
            elif kind == "input":
                self._fill_input(i, node.input, obj)
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
                StandardComputation.__init__(obj, self.value(i, node.standard.threshold))
            elif kind == "sparse":
                SparseComputation.__init__(obj, self.value(i, node.sparse.n))
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

    def _fill_input(self, i: int, message: pb.InputNode, obj: Input) -> None:
        obj.name = message.name
        obj._shape = self.shape(i, message.shape, "input shape")
        obj._connection = None
        obj._mirror = None
        obj._reads = ()
        obj._pending_synapses = None
        obj._source = None
        if message.HasField("source") != message.HasField("synapses"):
            raise self.fail(i, "has a source without synapses, or synapses without a source")
        if message.HasField("source"):
            obj._source = self.node(i, message.source)
            obj._pending_synapses = self.array(i, message.synapses, (pb.CheckpointArray.FLOAT64,))

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
            elif kind == "slice":
                np.empty(tuple(obj.parent.shape), dtype=np.int8)[obj.key]
            elif kind == "merge":
                obj.shape  # noqa: B018 - raises ValueError when the members do not concatenate
            elif kind == "sensor" and tuple(obj.encoder.shape) != obj.output.shape:
                raise self.fail(i, f"has an encoder of shape {tuple(obj.encoder.shape)} and an output of shape {obj.output.shape}")
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
