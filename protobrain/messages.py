"""Protobuf messages to protobrain objects and back (docs/specification.md §8).

Decoding (message -> object), every function raising ValueError that names the bad value:

- :func:`decode_encoder`: ``Encoder`` -> :class:`~protobrain.encoders.numerical.SimpleEncoder`
  or :class:`~protobrain.encoders.numerical.CyclicEncoder`. ``type`` picks the class, the
  matching extension (``simple_encoder`` / ``cyclic_encoder``) gives ``min_value``,
  ``max_value`` (default 10) and ``sparsity`` (default 0.02), ``shape`` must be one
  positive length. Any other type is a ValueError.
- :func:`decode_neurons`: ``Cortex`` -> a :func:`~protobrain.neuron.FeedForward` stack of
  ``Neurons(size)``, one per ``layer`` entry.
- :func:`decode_input`: repeated ``SensorValue`` -> a list of Python values (int, float or str).
- :func:`decode_value`: one ``SensorValue`` -> its value (None when no member is set).
- :func:`decode_computation`, :func:`decode_learning`: the optional ``Experiment`` settings ->
  ``SparseComputation(5)`` / ``HebbianLearning()`` when unset, as the original project ran.
- :func:`decode_experiment`: a whole ``Experiment`` -> a ready :class:`~protobrain.brain.Brain`
  and its inputs (validated against the encoder before anything is built).
- :func:`decode_sdr`: ``SparseDistributedRepresentation`` -> a float64 0/1 array.

Encoding (object -> message). Each takes an optional ``out`` message, which is cleared and
filled (so ``encode_sensor(s, snapshot.sensor)`` fills a field in place), and returns it:

- :func:`encode_sdr`: array -> ``SparseDistributedRepresentation`` with the array's
  ``shape`` and ``on_bits``, the ascending flat C-order indices of its nonzero entries.
- :func:`encode_neurons`: a group -> ``CorticalSnapshot`` with one SDR per layer, in order
  (a plain ``Neurons`` group is one layer; nested layered groups are flattened depth-first).
- :func:`encode_sensor`: a sensor -> ``SensorSnapshot`` with its last ``value`` (unset if the
  sensor has none) and the SDR of its ``values``.
- :func:`encode_brain`: a brain -> ``Snapshot`` with ``cortex`` (its neurons) and ``sensor``.
- :func:`encode_value`: a Python value -> ``SensorValue``. ints use ``int`` (``long`` beyond
  int32), floats use ``float`` when float32 holds them exactly and ``double`` otherwise, str
  uses ``text``: a value always reads back equal to what was written.
"""

from __future__ import annotations

import math
import numbers
import struct
from collections.abc import Iterable
from typing import Any

import numpy as np

from protobrain import brain as _brain
from protobrain import computation as _computation
from protobrain import connectivity as _connectivity
from protobrain import learning as _learning
from protobrain import neuron as _neuron
from protobrain import sensor as _sensor
from protobrain import sequence as _sequence
from protobrain.encoders import numerical
from protobrain.proto import encoder_pb2, experiment_pb2, sdr_pb2, snapshot_pb2

__all__ = [
    "DEFAULT_COMPUTATION_WINNERS",
    "SensorInput",
    "decode_computation",
    "decode_encoder",
    "decode_experiment",
    "decode_input",
    "decode_learning",
    "decode_neurons",
    "decode_sdr",
    "decode_value",
    "encode_brain",
    "encode_neurons",
    "encode_sdr",
    "encode_sensor",
    "encode_value",
]

#: A value an experiment feeds its sensor.
SensorInput = int | float | str

#: k of the default computation, ``SparseComputation(5)`` (docs/specification.md §8).
DEFAULT_COMPUTATION_WINNERS = 5

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_Encoder = encoder_pb2.Encoder
_NUMERICAL = {
    _Encoder.NUMERICAL_SIMPLE: (numerical.SimpleEncoder, encoder_pb2.SimpleEncoder.simple_encoder),
    _Encoder.NUMERICAL_CYCLIC: (numerical.CyclicEncoder, encoder_pb2.CyclicEncoder.cyclic_encoder),
}


def _enum_name(value: int) -> str:
    try:
        return _Encoder.EncoderType.Name(value)
    except ValueError:
        return str(value)


# ---------------------------------------------------------------------------- decoding


def decode_encoder(encoder_proto: encoder_pb2.Encoder) -> numerical.NumericalEncoder:
    """The numerical encoder an ``Encoder`` message describes.

    Raises ValueError for a type other than NUMERICAL_SIMPLE / NUMERICAL_CYCLIC, for an
    extension of the other type, for a shape that is not one positive length, and for
    parameters the encoder refuses (``min_value >= max_value``, a sparsity outside (0, 1]).
    """
    entry = _NUMERICAL.get(encoder_proto.type)
    if entry is None:
        expected = " or ".join(_enum_name(t) for t in _NUMERICAL)
        raise ValueError(f"unsupported encoder type {_enum_name(encoder_proto.type)} (expected {expected})")
    encoder_class, extension = entry
    for other_type, (_, other_extension) in _NUMERICAL.items():
        if other_extension is not extension and encoder_proto.HasExtension(other_extension):
            raise ValueError(
                f"encoder type {_enum_name(encoder_proto.type)} sets the {other_extension.name} extension "
                f"of type {_enum_name(other_type)}"
            )
    shape = list(encoder_proto.shape)
    if len(shape) != 1 or shape[0] < 1:
        raise ValueError(f"a numerical encoder's shape must be one positive length, got {shape}")
    params = encoder_proto.Extensions[extension]
    return encoder_class(
        min_value=params.min_value, max_value=params.max_value, length=shape[0], sparsity=params.sparsity
    )


def decode_neurons(cortex_proto: experiment_pb2.Cortex) -> _neuron.LayeredNeurons:
    """A feed-forward stack with one ``Neurons(size)`` per ``layer`` entry, in order, and
    a :class:`~protobrain.sequence.SequenceMemory` over the last when ``sequence`` is set.

    Raises ValueError when there are no layers, a size is not positive or a sequence
    memory parameter is out of range.
    """
    layers = [_neuron.Neurons(size) for size in _layer_sizes(cortex_proto)]
    stack = _neuron.FeedForward(layers, synapse_function=decode_synapses(cortex_proto))
    if not cortex_proto.HasField("sequence"):
        return stack
    settings = cortex_proto.sequence
    params = {field.name: getattr(settings, field.name) for field in settings.DESCRIPTOR.fields}
    cells = params.pop("cells_per_column")
    memory = _sequence.SequenceMemory(int(np.prod(layers[-1].shape)), cells, **params)
    memory.input = layers[-1]
    return _neuron.LayeredNeurons([*layers, memory])


def decode_synapses(cortex_proto: experiment_pb2.Cortex) -> Any:
    """The synapse function of a cortex's ``synapses`` (None when unset: dense uniform)."""
    kind = cortex_proto.synapses.WhichOneof("kind") if cortex_proto.HasField("synapses") else None
    if kind == "potential_pool":
        pool = cortex_proto.synapses.potential_pool
        if not pool.HasField("fraction"):
            raise ValueError("the potential pool sets no fraction")
        radius = pool.radius if pool.HasField("radius") else None
        return _connectivity.PotentialPool(pool.fraction, radius, pool.wrap)
    if kind == "one_to_one":
        return _connectivity.OneToOne()
    return None


def _layer_sizes(cortex_proto: experiment_pb2.Cortex) -> list[int]:
    """The layer sizes; ValueError when there are none or one is not positive."""
    sizes = list(cortex_proto.layer)
    if not sizes:
        raise ValueError("the cortex has no layers")
    for index, size in enumerate(sizes):
        if size < 1:
            raise ValueError(f"cortex layer {index} has size {size}; sizes must be positive")
    return sizes


def decode_value(value_proto: encoder_pb2.SensorValue) -> SensorInput | None:
    """The value a ``SensorValue`` holds, or None when none of its members is set."""
    member = value_proto.WhichOneof("value")
    return None if member is None else getattr(value_proto, member)


def decode_input(input_proto: Iterable[encoder_pb2.SensorValue]) -> list[SensorInput]:
    """The values of repeated ``SensorValue`` messages, in order.

    Raises ValueError naming the index of an entry that holds no value.
    """
    values = []
    for index, value_proto in enumerate(input_proto):
        value = decode_value(value_proto)
        if value is None:
            raise ValueError(f"input {index} holds no value")
        values.append(value)
    return values


def decode_computation(computation_proto: experiment_pb2.Computation | None) -> _computation.Computation:
    """The computation an optional ``Computation`` message describes.

    None or an empty message gives ``SparseComputation(5)``, the original project's.
    """
    kind = None if computation_proto is None else computation_proto.WhichOneof("kind")
    if kind is None:
        return _computation.SparseComputation(DEFAULT_COMPUTATION_WINNERS)
    if kind == "sparse":
        sparse = computation_proto.sparse  # type: ignore[union-attr]
        n = sparse.WhichOneof("n")
        if n is None:
            raise ValueError("the sparse computation sets neither winners nor fraction")
        connected = sparse.connected if sparse.HasField("connected") else None
        n_value = sparse.winners if n == "winners" else sparse.fraction
        return _computation.SparseComputation(n_value, connected, sparse.boost_strength, sparse.duty_cycle_period)
    standard = computation_proto.standard  # type: ignore[union-attr]
    if not standard.HasField("threshold"):
        raise ValueError("the standard computation sets no threshold")
    connected = standard.connected if standard.HasField("connected") else None
    return _computation.StandardComputation(standard.threshold, connected)


def decode_learning(learning_proto: experiment_pb2.Learning | None) -> _learning.Learning | None:
    """The learning rule an optional ``Learning`` message describes (None for ``none``).

    None or an empty message gives ``HebbianLearning()``, the original project's.
    """
    rule = None if learning_proto is None else learning_proto.WhichOneof("rule")
    if rule == "none":
        return None
    if rule is None:
        return _learning.HebbianLearning()
    hebbian = learning_proto.hebbian  # type: ignore[union-attr]
    return _learning.HebbianLearning(increase=hebbian.increase, decrease=hebbian.decrease)


def decode_experiment(experiment: experiment_pb2.Experiment) -> tuple[_brain.Brain, list[SensorInput]]:
    """Build the brain an ``Experiment`` describes; return it and the values to feed.

    Everything is checked before the model is built: the encoder, every input against the
    encoder's range, the layers, the computation (k must not exceed any layer) and the
    learning rule. Then, if ``seed`` is set, ``numpy.random.seed(seed)``; then the sensor,
    the feed-forward layers and the brain, in the original project's order, so a seeded
    experiment draws the same synapses as the same model built in Python.
    """
    if not experiment.HasField("encoder"):
        raise ValueError("the experiment has no encoder")
    encoder = decode_encoder(experiment.encoder)
    inputs = decode_input(experiment.input)
    for index, value in enumerate(inputs):
        try:
            encoder.encode(value)
        except ValueError as err:
            raise ValueError(f"input {index} ({value!r}): {err}") from None
    sizes = _layer_sizes(experiment.cortex)
    computation = decode_computation(experiment.computation if experiment.HasField("computation") else None)
    if isinstance(computation, _computation.SparseComputation) and isinstance(computation.n, numbers.Integral):
        for index, size in enumerate(sizes):
            if computation.n > size:
                raise ValueError(
                    f"the sparse computation picks {computation.n} winners but cortex layer {index} has "
                    f"only {size} units"
                )
    learning = decode_learning(experiment.learning if experiment.HasField("learning") else None)
    if experiment.HasField("seed"):
        np.random.seed(experiment.seed)
    sensor = _sensor.Sensor(encoder)
    neurons = decode_neurons(experiment.cortex)
    synapses = decode_synapses(experiment.cortex)
    return _brain.Brain(neurons, sensor, computation, learning, synapse_function=synapses), inputs


def decode_sdr(sdr_proto: sdr_pb2.SparseDistributedRepresentation) -> np.ndarray:
    """The float64 0/1 array an SDR describes (the dtype of protobrain's ``values``).

    Raises ValueError for an SDR without a shape, a negative dimension, or an on-bit that is
    out of range or repeated.
    """
    shape = tuple(sdr_proto.shape)
    if not shape or min(shape) < 0:
        raise ValueError(f"an SDR needs a shape of non-negative dimensions, got {list(shape)}")
    size = math.prod(shape)
    on_bits = np.fromiter(sdr_proto.on_bits, dtype=np.int64, count=len(sdr_proto.on_bits))
    if on_bits.size:
        bad = on_bits[(on_bits < 0) | (on_bits >= size)]
        if bad.size:
            raise ValueError(f"SDR on-bit {int(bad[0])} is outside the {size} units of shape {list(shape)}")
        unique = np.unique(on_bits)
        if unique.size != on_bits.size:
            seen = np.sort(on_bits)
            repeated = int(seen[1:][seen[1:] == seen[:-1]][0])
            raise ValueError(f"SDR on-bit {repeated} is listed more than once")
    values = np.zeros(size, dtype=np.float64)
    values[on_bits] = 1.0
    return values.reshape(shape)


# ---------------------------------------------------------------------------- encoding


def _fits_float32(value: float) -> bool:
    if math.isnan(value):
        return True
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0] == value
    except OverflowError:
        return False


def encode_value(value: Any, out: encoder_pb2.SensorValue | None = None) -> encoder_pb2.SensorValue:
    """A ``SensorValue`` holding ``value`` so that it reads back equal (see the module doc).

    Raises TypeError for bools and for values that are not ints, real numbers or strings,
    ValueError for ints beyond the int64 range.
    """
    message = encoder_pb2.SensorValue() if out is None else out
    message.Clear()
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"a SensorValue holds an int, a float or a str, not the bool {value!r}")
    if isinstance(value, numbers.Integral):
        number = int(value)
        if _INT32[0] <= number <= _INT32[1]:
            message.int = number
        elif _INT64[0] <= number <= _INT64[1]:
            message.long = number
        else:
            raise ValueError(f"the int {number} is outside the int64 range a SensorValue can hold")
    elif isinstance(value, numbers.Real):
        real = float(value)
        if _fits_float32(real):
            message.float = real
        else:
            message.double = real
    elif isinstance(value, str):
        message.text = value
    else:
        raise TypeError(f"a SensorValue holds an int, a float or a str, got {type(value).__name__} {value!r}")
    return message


def encode_sdr(
    array: Any, out: sdr_pb2.SparseDistributedRepresentation | None = None
) -> sdr_pb2.SparseDistributedRepresentation:
    """The SDR of ``array``: its shape and the flat C-order indices of its nonzero entries.

    Raises ValueError when the array is too large for int32 indices.
    """
    values = np.asarray(array)
    if values.size > _INT32[1]:
        raise ValueError(f"an SDR indexes units with int32; an array of shape {values.shape} is too large")
    message = sdr_pb2.SparseDistributedRepresentation() if out is None else out
    message.Clear()
    message.shape.extend(int(d) for d in values.shape)
    message.on_bits.extend(np.flatnonzero(values).tolist())
    return message


def _leaf_layers(neurons: Any) -> Iterable[Any]:
    layers = getattr(neurons, "layers", None)
    if layers is None:
        yield neurons
        return
    for layer in layers:
        yield from _leaf_layers(layer)


def encode_neurons(neurons: Any, out: snapshot_pb2.CorticalSnapshot | None = None) -> snapshot_pb2.CorticalSnapshot:
    """A ``CorticalSnapshot`` with one SDR per layer of ``neurons``, in order.

    A plain group is one layer; nested layered groups are flattened depth-first.
    """
    message = snapshot_pb2.CorticalSnapshot() if out is None else out
    message.Clear()
    for layer in _leaf_layers(neurons):
        encode_sdr(layer.values, message.sdr.add())
    return message


def encode_sensor(sensor: Any, out: snapshot_pb2.SensorSnapshot | None = None) -> snapshot_pb2.SensorSnapshot:
    """A ``SensorSnapshot`` with the sensor's last value (if any) and the SDR of its values."""
    message = snapshot_pb2.SensorSnapshot() if out is None else out
    message.Clear()
    value = sensor.value
    if value is not None:
        encode_value(value, message.value)
    encode_sdr(sensor.values, message.sdr)
    return message


def encode_brain(brain: Any, out: snapshot_pb2.Snapshot | None = None) -> snapshot_pb2.Snapshot:
    """A ``Snapshot`` of the brain: its neurons (``cortex``) and its sensor (``sensor``)."""
    message = snapshot_pb2.Snapshot() if out is None else out
    message.Clear()
    encode_neurons(brain.neurons, message.cortex)
    encode_sensor(brain.sensor, message.sensor)
    return message
