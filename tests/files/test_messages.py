"""Messages to objects and back (protobrain.messages) and the shipped generated code."""

from __future__ import annotations

import ast
import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, text_format
from helpers import ROOT
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from protobrain import brain, computation, learning, neuron, sensor
from protobrain import messages as pp
from protobrain.encoders import Encoder, numerical
from protobrain.proto import checkpoint_pb2, encoder_pb2, experiment_pb2, sdr_pb2, snapshot_pb2

Enc = encoder_pb2.Encoder


def _encoder(kind, length, min_value=None, max_value=None, sparsity=None, extension=None):
    message = Enc(type=kind, shape=[length])
    ext = extension or (
        encoder_pb2.SimpleEncoder.simple_encoder
        if kind == Enc.NUMERICAL_SIMPLE
        else encoder_pb2.CyclicEncoder.cyclic_encoder
    )
    params = message.Extensions[ext]
    for name, value in (("min_value", min_value), ("max_value", max_value), ("sparsity", sparsity)):
        if value is not None:
            setattr(params, name, value)
    return message


def _full_experiment():
    experiment = experiment_pb2.Experiment(
        encoder=_encoder(Enc.NUMERICAL_CYCLIC, 64, 0, 100, 0.1),
        cortex=experiment_pb2.Cortex(layer=[20, 10]),
        input=[pp.encode_value(v) for v in (1, 2.5, 0.1, 2**40, "text")],
        computation=experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation(fraction=0.25)),
        learning=experiment_pb2.Learning(hebbian=experiment_pb2.HebbianLearning(increase=0.1, decrease=0.01)),
        seed=2**32 - 1,
    )
    return experiment


def _full_snapshot():
    np.random.seed(3)
    brain_ = brain.Brain(
        neuron.FeedForward([neuron.Neurons(6), neuron.Neurons((2, 3))]),
        sensor.Sensor(numerical.SimpleEncoder(0, 10, 12, 0.25)),
        computation=computation.SparseComputation(2),
    )
    brain_.sensor.feed(7)
    brain_.compute()
    return pp.encode_brain(brain_)


ALL_MESSAGES = {
    "Experiment": _full_experiment,
    "Experiment-standard-none": lambda: experiment_pb2.Experiment(
        computation=experiment_pb2.Computation(standard=experiment_pb2.StandardComputation(threshold=1.5)),
        learning=experiment_pb2.Learning(none=experiment_pb2.NoLearning()),
    ),
    "Encoder-simple": lambda: _encoder(Enc.NUMERICAL_SIMPLE, 5, 1, 4, 0.4),
    "Encoder-cyclic": lambda: _encoder(Enc.NUMERICAL_CYCLIC, 5, 1, 5, 0.4),
    "SensorValue": lambda: encoder_pb2.SensorValue(text="héllo"),
    "Cortex": lambda: experiment_pb2.Cortex(layer=[3, 2, 1]),
    "SDR": lambda: sdr_pb2.SparseDistributedRepresentation(shape=[4, 5], on_bits=[0, 7, 19]),
    "Snapshot": _full_snapshot,
    "CorticalSnapshot": lambda: _full_snapshot().cortex,
    "SensorSnapshot": lambda: _full_snapshot().sensor,
}


@pytest.mark.parametrize("make", ALL_MESSAGES.values(), ids=ALL_MESSAGES.keys())
def test_every_message_round_trips_binary_and_text(make):
    message = make()
    assert message.ByteSize() > 0
    assert type(message).FromString(message.SerializeToString()) == message
    assert text_format.Parse(text_format.MessageToString(message), type(message)()) == message


# ------------------------------------------------------------------ field numbers (docs/specification.md §8)


def _fields(message_class):
    """name -> (number, label, type), read from the file descriptor the module registers."""
    file_proto = descriptor_pb2.FileDescriptorProto.FromString(message_class.DESCRIPTOR.file.serialized_pb)
    (message,) = [m for m in file_proto.message_type if m.name == message_class.DESCRIPTOR.name]
    return {f.name: (f.number, f.label, f.type) for f in message.field}


def test_field_numbers_are_those_of_spec_8():
    fd = descriptor_pb2.FieldDescriptorProto
    opt, rep = fd.LABEL_OPTIONAL, fd.LABEL_REPEATED
    assert Enc.DESCRIPTOR.file.package == "protobrain.proto"
    assert {k: v[:2] for k, v in _fields(Enc).items()} == {"type": (1, opt), "shape": (2, rep)}
    assert dict(Enc.EncoderType.items()) == {"UNKNOWN": 0, "NUMERICAL_SIMPLE": 1, "NUMERICAL_CYCLIC": 2}
    assert [tuple(r) for r in Enc.DESCRIPTOR.extension_ranges] == [(100, 501)]
    for cls, name, number in (
        (encoder_pb2.SimpleEncoder, "simple_encoder", 100),
        (encoder_pb2.CyclicEncoder, "cyclic_encoder", 101),
    ):
        extension = getattr(cls, name)
        assert (extension.number, extension.containing_type) == (number, Enc.DESCRIPTOR)
        fields = _fields(cls)
        assert fields["min_value"] == (1, opt, fd.TYPE_FLOAT) and fields["max_value"] == (2, opt, fd.TYPE_FLOAT)
        assert cls().max_value == 10 and cls().min_value == 0
    value_fields = _fields(encoder_pb2.SensorValue)
    assert value_fields["int"] == (1, opt, fd.TYPE_INT32)
    assert value_fields["float"] == (2, opt, fd.TYPE_FLOAT)
    assert value_fields["text"] == (3, opt, fd.TYPE_STRING)
    experiment = _fields(experiment_pb2.Experiment)
    assert (experiment["encoder"][:2], experiment["cortex"][:2], experiment["input"][:2]) == (
        (1, opt),
        (2, opt),
        (3, rep),
    )
    # The original's one field, protobrain 0.1's synapse function (docs/connectivity.md) and
    # 0.2's sequence memory (docs/sequence-memory.md).
    assert _fields(experiment_pb2.Cortex) == {
        "layer": (1, rep, fd.TYPE_INT32),
        "synapses": (2, opt, fd.TYPE_MESSAGE),
        "sequence": (3, opt, fd.TYPE_MESSAGE),
    }
    assert _fields(sdr_pb2.SparseDistributedRepresentation) == {
        "shape": (1, rep, fd.TYPE_INT32),
        "on_bits": (2, rep, fd.TYPE_INT32),
    }
    assert {k: v[:2] for k, v in _fields(snapshot_pb2.Snapshot).items()} == {"cortex": (1, opt), "sensor": (2, opt)}
    assert _fields(snapshot_pb2.CorticalSnapshot)["sdr"][:2] == (1, rep)
    assert {k: v[:2] for k, v in _fields(snapshot_pb2.SensorSnapshot).items()} == {"value": (1, opt), "sdr": (2, opt)}


# ------------------------------------------------------------ generated code is up to date


def _gen_proto():
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _embedded_descriptor(module):
    """The FileDescriptorProto a shipped module registers, read from its source."""
    tree = ast.parse(Path(module.__file__).read_text())
    (data,) = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "AddSerializedFile"
    ]
    return descriptor_pb2.FileDescriptorProto.FromString(data)


def test_generated_modules_match_the_proto_files(tmp_path):
    """Fails when a .proto changes without `python scripts/gen_proto.py`."""
    gen = _gen_proto()
    descriptor_set = tmp_path / "set.pb"
    fresh = gen.generate(tmp_path, ROOT, descriptor_set)
    compiled = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
    for file_proto in compiled.file:  # generated modules leave out the derived JSON names
        for message in file_proto.message_type:
            for field in [*message.field, *message.extension]:
                field.ClearField("json_name")
    shipped = {
        m.DESCRIPTOR.name: _embedded_descriptor(m)
        for m in (checkpoint_pb2, encoder_pb2, experiment_pb2, sdr_pb2, snapshot_pb2)
    }
    # What the .proto files say now is what the shipped modules register.
    assert {f.name: f for f in compiled.file} == shipped
    # With the compiler that wrote them, the shipped files are reproduced byte for byte
    # (module and stub), so nobody hand-edited them.
    shipped_dir = ROOT / "protobrain" / "proto"
    version = gen.GENCODE_VERSION.search((shipped_dir / "encoder_pb2.py").read_text()).group(1)
    if gen.GENCODE_VERSION.search(fresh[0].read_text()).group(1) == version:
        assert gen.drifted() == []
        for path in fresh:
            assert (shipped_dir / path.name).read_bytes() == path.read_bytes(), path.name


def test_generated_modules_import_as_protobrain_proto():
    for module in (encoder_pb2, experiment_pb2, sdr_pb2, snapshot_pb2):
        assert module.__name__.startswith("protobrain.proto.")
        text = Path(module.__file__).read_text()
        assert re.search(r"^from protobrain\.proto import", text, re.M) or module in (encoder_pb2, sdr_pb2)
        assert Path(module.__file__).with_suffix(".pyi").is_file()
    # SensorValue's fields `int` and `float` shadow the builtins; the stub must not mix them up.
    stub = Path(encoder_pb2.__file__).with_suffix(".pyi").read_text()
    assert "    int: _builtins.int\n" in stub and "    float: _builtins.float\n" in stub


# ----------------------------------------------------------------------------- encoders


def test_decode_simple_encoder_spec_vector():
    encoder = pp.decode_encoder(_encoder(Enc.NUMERICAL_SIMPLE, 5, 1, 4, 0.4))
    assert type(encoder) is numerical.SimpleEncoder
    assert [list(encoder.encode(v)) for v in (1, 2, 3, 4)] == [
        [1, 1, 0, 0, 0],
        [0, 1, 1, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 1, 1],
    ]


def test_decode_cyclic_encoder_spec_vector():
    encoder = pp.decode_encoder(_encoder(Enc.NUMERICAL_CYCLIC, 5, 1, 5, 0.4))
    assert type(encoder) is numerical.CyclicEncoder
    assert list(encoder.encode(5)) == [1, 0, 0, 0, 1]


def test_decode_encoder_defaults_of_the_original_project():
    encoder = pp.decode_encoder(Enc(type=Enc.NUMERICAL_CYCLIC, shape=[100]))  # no extension at all
    assert (encoder.min_value, encoder.max_value, encoder.length, encoder.sparsity) == (0, 10, 100, pytest.approx(0.02))
    assert encoder.width == 2


@pytest.mark.parametrize(
    "message, pattern",
    [
        (Enc(shape=[10]), r"unsupported encoder type UNKNOWN \(expected NUMERICAL_SIMPLE or NUMERICAL_CYCLIC\)"),
        (Enc.FromString(b"\x08\x07\x10\x0a"), "unsupported encoder type UNKNOWN"),  # a type from the future
        (Enc(type=Enc.NUMERICAL_SIMPLE), r"one positive length, got \[\]"),
        (Enc(type=Enc.NUMERICAL_SIMPLE, shape=[4, 4]), r"one positive length, got \[4, 4\]"),
        (Enc(type=Enc.NUMERICAL_CYCLIC, shape=[0]), r"one positive length, got \[0\]"),
        (
            _encoder(Enc.NUMERICAL_SIMPLE, 8, 0, 5, extension=encoder_pb2.CyclicEncoder.cyclic_encoder),
            "sets the cyclic_encoder extension",
        ),
        (_encoder(Enc.NUMERICAL_SIMPLE, 8, min_value=5, max_value=1), "min_value must be below max_value"),
        (_encoder(Enc.NUMERICAL_CYCLIC, 8, sparsity=1.5), "sparsity"),
    ],
    ids=[
        "unknown",
        "future-type",
        "no-shape",
        "2d-shape",
        "zero-length",
        "wrong-extension",
        "min-above-max",
        "sparsity",
    ],
)
def test_decode_encoder_errors(message, pattern):
    with pytest.raises(ValueError, match=pattern):
        pp.decode_encoder(message)


# ------------------------------------------------------------------------------ neurons


def test_decode_neurons_builds_a_feed_forward_stack():
    neurons = pp.decode_neurons(experiment_pb2.Cortex(layer=[4, 3, 2]))
    assert isinstance(neurons, neuron.LayeredNeurons)
    assert [layer.shape for layer in neurons.layers] == [(4,), (3,), (2,)]
    assert not neurons.layers[0].input.connected
    assert [layer.input.synapses.shape for layer in neurons.layers[1:]] == [(4, 3), (3, 2)]


@pytest.mark.parametrize(
    "layers, pattern", [([], "no layers"), ([3, 0], "layer 1 has size 0"), ([-2], "layer 0 has size -2")]
)
def test_decode_neurons_errors(layers, pattern):
    with pytest.raises(ValueError, match=pattern):
        pp.decode_neurons(experiment_pb2.Cortex(layer=layers))


# ------------------------------------------------------------------------------- values


@given(st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.text()))
def test_values_read_back_equal_and_of_the_same_type(value):
    message = pp.encode_value(value)
    decoded = pp.decode_value(encoder_pb2.SensorValue.FromString(message.SerializeToString()))
    assert type(decoded) is type(value) and decoded == value


def test_values_use_the_original_fields_when_they_hold_them():
    assert pp.encode_value(7).WhichOneof("value") == "int"
    assert pp.encode_value(-(2**31)).WhichOneof("value") == "int"
    assert pp.encode_value(2**31).WhichOneof("value") == "long"
    assert pp.encode_value(2.5).WhichOneof("value") == "float"
    assert pp.encode_value(np.float32(0.1)).WhichOneof("value") == "float"
    assert pp.encode_value(0.1).WhichOneof("value") == "double"  # float32 would change it
    assert pp.encode_value(1e300).WhichOneof("value") == "double"
    assert pp.encode_value(np.int64(3)).int == 3
    assert math.isnan(pp.decode_value(pp.encode_value(float("nan"))))
    assert pp.decode_value(encoder_pb2.SensorValue()) is None


@pytest.mark.parametrize(
    "value, error, pattern",
    [
        (True, TypeError, "bool"),
        (np.bool_(False), TypeError, "bool"),
        (None, TypeError, "NoneType"),
        ([1], TypeError, "list"),
        (2**63, ValueError, "int64 range"),
    ],
)
def test_encode_value_errors(value, error, pattern):
    with pytest.raises(error, match=pattern):
        pp.encode_value(value)


def test_decode_input():
    inputs = [encoder_pb2.SensorValue(int=3), encoder_pb2.SensorValue(float=0.5), encoder_pb2.SensorValue(text="a")]
    assert pp.decode_input(inputs) == [3, 0.5, "a"]
    with pytest.raises(ValueError, match="input 1 holds no value"):
        pp.decode_input([encoder_pb2.SensorValue(int=3), encoder_pb2.SensorValue()])


# --------------------------------------------------------------------------------- SDRs


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
        elements=st.sampled_from([0.0, 1.0]),
    )
)
def test_sdr_round_trip(array):
    message = pp.encode_sdr(array)
    assert list(message.shape) == list(array.shape)
    assert list(message.on_bits) == list(np.flatnonzero(array))
    decoded = pp.decode_sdr(sdr_pb2.SparseDistributedRepresentation.FromString(message.SerializeToString()))
    assert decoded.dtype == np.float64 and decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


def test_encode_sdr_uses_c_order():
    array = np.zeros((2, 3))
    array[1, 0] = array[0, 2] = 1
    assert list(pp.encode_sdr(array).on_bits) == [2, 3]


@pytest.mark.parametrize(
    "shape, on_bits, pattern",
    [
        ([], [], "needs a shape"),
        ([3, -1], [], "non-negative"),
        ([4], [4], "on-bit 4 is outside the 4 units"),
        ([4], [-1], "on-bit -1"),
        ([2, 2], [1, 3, 1], "on-bit 1 is listed more than once"),
    ],
)
def test_decode_sdr_errors(shape, on_bits, pattern):
    with pytest.raises(ValueError, match=pattern):
        pp.decode_sdr(sdr_pb2.SparseDistributedRepresentation(shape=shape, on_bits=on_bits))


# ----------------------------------------------------------------- neurons, sensor, brain


def test_encode_neurons_one_sdr_per_layer_nested_layers_flattened():
    np.random.seed(0)
    a, b, c = neuron.Neurons(3), neuron.Neurons((2, 2)), neuron.Neurons(5)
    for group, values in ((a, [0, 1, 0]), (b, [[1, 0], [0, 1]]), (c, [1, 0, 0, 0, 1])):
        group.output.values = np.array(values, dtype=float)
    assert [list(s.on_bits) for s in pp.encode_neurons(a).sdr] == [[1]]
    nested = neuron.LayeredNeurons([neuron.LayeredNeurons([a, b]), c])
    cortex = pp.encode_neurons(nested)
    assert [list(s.shape) for s in cortex.sdr] == [[3], [2, 2], [5]]
    assert [list(s.on_bits) for s in cortex.sdr] == [[1], [0, 3], [0, 4]]


def test_encode_sensor_has_value_and_sdr():
    sensor_ = sensor.Sensor(numerical.SimpleEncoder(1, 4, 5, 0.4))
    sensor_.feed(3)
    message = pp.encode_sensor(sensor_)
    assert message.value.WhichOneof("value") == "int" and message.value.int == 3
    assert list(message.sdr.shape) == [5] and list(message.sdr.on_bits) == [2, 3]
    sensor_.feed(2.5)
    assert pp.encode_sensor(sensor_).value.float == 2.5


class _NoDefault(Encoder):
    def __init__(self):
        super().__init__(None, 3)

    def encode(self, value):
        return np.array([1.0, 0.0, 0.0])


def test_encode_sensor_without_a_value_leaves_it_unset():
    message = pp.encode_sensor(sensor.Sensor(_NoDefault()))
    assert not message.HasField("value")
    assert list(message.sdr.shape) == [3] and list(message.sdr.on_bits) == []


def test_encode_brain_and_out_parameter():
    snapshot = _full_snapshot()
    assert [list(s.shape) for s in snapshot.cortex.sdr] == [[6], [2, 3]]
    assert [len(s.on_bits) for s in snapshot.cortex.sdr] == [2, 2]
    assert snapshot.sensor.value.int == 7
    # `out` is cleared, filled and returned, including fields of a parent message.
    out = snapshot_pb2.Snapshot()
    out.cortex.sdr.add(shape=[99], on_bits=[1])
    out.sensor.value.text = "stale"
    np.random.seed(3)
    assert pp.encode_brain(_brain_for_out(), out) is out
    assert out == snapshot
    parent = snapshot_pb2.Snapshot(sensor=snapshot_pb2.SensorSnapshot(value=encoder_pb2.SensorValue(text="x")))
    assert pp.encode_sensor(_brain_for_out().sensor, parent.sensor) is parent.sensor
    assert parent.sensor.value.int == 7


def _brain_for_out():
    np.random.seed(3)
    brain_ = brain.Brain(
        neuron.FeedForward([neuron.Neurons(6), neuron.Neurons((2, 3))]),
        sensor.Sensor(numerical.SimpleEncoder(0, 10, 12, 0.25)),
        computation=computation.SparseComputation(2),
    )
    brain_.sensor.feed(7)
    brain_.compute()
    return brain_


# ------------------------------------------------------------- computation, learning, experiment


def test_decode_computation():
    default = pp.decode_computation(None)
    assert type(default) is computation.SparseComputation and default.n == 5 and type(default.n) is int
    assert pp.decode_computation(experiment_pb2.Computation()).n == 5
    winners = pp.decode_computation(experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation(winners=3)))
    assert winners.n == 3 and type(winners.n) is int
    fraction = pp.decode_computation(experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation(fraction=0.1)))
    assert fraction.n == 0.1 and type(fraction.n) is float
    standard = pp.decode_computation(
        experiment_pb2.Computation(standard=experiment_pb2.StandardComputation(threshold=1.2))
    )
    assert type(standard) is computation.StandardComputation and standard.threshold == 1.2


@pytest.mark.parametrize(
    "message, pattern",
    [
        (experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation()), "neither winners nor fraction"),
        (experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation(winners=0)), "^n: "),
        (experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation(fraction=1.5)), "^n: "),
        (experiment_pb2.Computation(standard=experiment_pb2.StandardComputation()), "no threshold"),
        (experiment_pb2.Computation(standard=experiment_pb2.StandardComputation(threshold=-1)), "threshold"),
    ],
)
def test_decode_computation_errors(message, pattern):
    with pytest.raises(ValueError, match=pattern):
        pp.decode_computation(message)


def test_decode_learning():
    default = pp.decode_learning(None)
    assert type(default) is learning.HebbianLearning and (default.increase, default.decrease) == (0.05, 0.002)
    assert pp.decode_learning(experiment_pb2.Learning(hebbian=experiment_pb2.HebbianLearning())).increase == 0.05
    custom = pp.decode_learning(
        experiment_pb2.Learning(hebbian=experiment_pb2.HebbianLearning(increase=0.1, decrease=0.3))
    )
    assert (custom.increase, custom.decrease) == (0.1, 0.3)
    assert pp.decode_learning(experiment_pb2.Learning(none=experiment_pb2.NoLearning())) is None
    with pytest.raises(ValueError, match="decrease"):
        pp.decode_learning(experiment_pb2.Learning(hebbian=experiment_pb2.HebbianLearning(decrease=-1)))


def _experiment(**overrides):
    experiment = experiment_pb2.Experiment(
        encoder=_encoder(Enc.NUMERICAL_SIMPLE, 50, 0, 10),
        cortex=experiment_pb2.Cortex(layer=[8, 6]),
        input=[pp.encode_value(v) for v in (1, 5, 9.5)],
    )
    for name, value in overrides.items():
        if name == "input":
            del experiment.input[:]
            experiment.input.extend(pp.encode_value(v) for v in value)
        else:
            getattr(experiment, name).CopyFrom(value) if hasattr(value, "CopyFrom") else setattr(
                experiment, name, value
            )
    return experiment


def test_decode_experiment_builds_the_brain_and_seeds_it():
    brain_, inputs = pp.decode_experiment(_experiment(seed=11))
    assert inputs == [1, 5, 9.5]
    assert [layer.shape for layer in brain_.neurons.layers] == [(8,), (6,)]
    assert brain_.neurons.layers[0].input.connected
    assert [type(c) for c in brain_.computation] == [computation.SparseComputation] * 2
    assert [type(c) for c in brain_.learning] == [learning.HebbianLearning] * 2
    again, _ = pp.decode_experiment(_experiment(seed=11))
    for a, b in zip(brain_.neurons.layers, again.neurons.layers):
        np.testing.assert_array_equal(a.input.synapses, b.input.synapses)
    # The same model built in Python, in the original order: sensor, layers, brain.
    np.random.seed(11)
    sensor_ = sensor.Sensor(numerical.SimpleEncoder(0, 10, 50))
    neurons = neuron.FeedForward([neuron.Neurons(8), neuron.Neurons(6)])
    brain.Brain(neurons, sensor_)
    for a, b in zip(brain_.neurons.layers, neurons.layers):
        np.testing.assert_array_equal(a.input.synapses, b.input.synapses)


def test_decode_experiment_without_learning():
    brain_, _ = pp.decode_experiment(_experiment(learning=experiment_pb2.Learning(none=experiment_pb2.NoLearning())))
    assert brain_.learning == [None, None]


@pytest.mark.parametrize(
    "overrides, pattern",
    [
        ({"input": [1, 11]}, r"input 1 \(11\): value 11 is outside the encoder's range \[0, 10\]"),
        ({"input": [1, "x"]}, r"input 1 \('x'\)"),
        ({"cortex": experiment_pb2.Cortex()}, "no layers"),
        ({"cortex": experiment_pb2.Cortex(layer=[8, 4])}, "picks 5 winners but cortex layer 1 has only 4 units"),
        # A layer of no units is that, not "too few units for the winners".
        ({"cortex": experiment_pb2.Cortex(layer=[8, 0])}, "cortex layer 1 has size 0; sizes must be positive"),
    ],
)
def test_decode_experiment_errors(overrides, pattern):
    with pytest.raises(ValueError, match=pattern):
        pp.decode_experiment(_experiment(**overrides))
    with pytest.raises(ValueError, match="no encoder"):
        pp.decode_experiment(experiment_pb2.Experiment(cortex=experiment_pb2.Cortex(layer=[8])))


@pytest.mark.parametrize(
    "overrides",
    [
        {"input": [99]},
        {"cortex": experiment_pb2.Cortex(layer=[8, 0])},
        {
            "cortex": experiment_pb2.Cortex(layer=[8, 0]),
            "computation": experiment_pb2.Computation(sparse=experiment_pb2.SparseComputation(fraction=0.5)),
        },
    ],
)
def test_decode_experiment_checks_before_seeding_the_random_state(overrides):
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    message = r"input 0 \(99\): value 99 is outside" if "input" in overrides else "cortex layer 1 has size 0"
    with pytest.raises(ValueError, match=message):
        pp.decode_experiment(_experiment(seed=1, **overrides))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_the_original_module_path_is_an_alias_of_messages():
    from protobrain.util import proto_parse

    assert proto_parse.__all__ == pp.__all__
    for name in pp.__all__:
        assert getattr(proto_parse, name) is getattr(pp, name)
