"""Checkpoints: save/load continues bit-identically; damaged files give their own errors."""

from __future__ import annotations

import errno
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import benchmark_brain, step
from hypothesis import given
from hypothesis import strategies as st

import protobrain
from protobrain import brain, checkpoint, computation, learning, neuron, sensor, synapses
from protobrain.encoders import Encoder, numerical
from protobrain.proto import checkpoint_pb2
from protobrain.util import atomic


def state_of(b):
    """Every group's activity and every weight, in a fixed order (copies)."""
    values = [layer.values.copy() for layer in b.layers] + [b.sensor.values.copy()]
    weights = [inp.synapses.copy() for layer in b.layers for inp in layer.inputs.values() if inp.connected]
    return values, weights


def assert_same_state(a, b):
    (va, wa), (vb, wb) = state_of(a), state_of(b)
    assert len(va) == len(vb) and len(wa) == len(wb)
    for x, y in zip(va + wa, vb + wb):
        assert x.shape == y.shape and np.array_equal(x, y)
        assert x.tobytes() == y.tobytes()  # bit for bit (e.g. -0.0 against 0.0)


@st.composite
def models(draw):
    """A random brain: 1-3 groups of random shapes, any mix of wiring and built-in parts."""
    seed = draw(st.integers(0, 2**32 - 1))
    sizes = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
    length = draw(st.integers(1, 40))
    cyclic = draw(st.booleans())
    sparsity = draw(st.sampled_from([0.02, 0.1, 0.3, 1.0]))
    comp = draw(
        st.one_of(
            st.builds(computation.SparseComputation, st.integers(1, min(sizes))),
            st.builds(computation.SparseComputation, st.floats(0.05, 1.0)),
            st.builds(computation.StandardComputation, st.floats(0.0, 3.0)),
        )
    )
    learn = draw(st.one_of(st.none(), st.builds(learning.HebbianLearning, st.floats(0, 0.3), st.floats(0, 0.3))))
    loop = draw(st.booleans())
    feedback = draw(st.booleans()) and len(sizes) > 1
    side = draw(st.sampled_from([None, "slice", "merge"]))
    shape_2d = draw(st.booleans())

    def build():
        np.random.seed(seed)
        shapes = [(s, 2) if shape_2d and i == 0 else s for i, s in enumerate(sizes)]
        layers = [neuron.Neurons(shape) for shape in shapes]
        stack = neuron.FeedForward(layers)
        if loop:
            neuron.LoopBack(layers[-1:], "self")
        if feedback:
            layers[0].set("feedback", layers[-1])
        encoder = (numerical.CyclicEncoder if cyclic else numerical.SimpleEncoder)(0, 10, length, sparsity)
        s = sensor.Sensor(encoder)
        if side == "slice":
            layers[-1].set("side", s.output[: max(1, length // 2)])
        elif side == "merge":
            layers[-1].set(
                "side", synapses.OutputMerge([s.output, layers[0].output[..., 0] if shape_2d else layers[0]])
            )
        return brain.Brain(stack, s, computation=comp, learning=learn)

    before = draw(st.lists(st.floats(0, 10), max_size=8))
    after = draw(st.lists(st.floats(0, 10), min_size=1, max_size=8))
    return build, before, after


@given(models(), st.booleans())
def test_save_load_then_continue_equals_never_stopping(model, use_run):
    build, before, after = model
    original, control = build(), build()
    for v in before:
        step(original, v)
        step(control, v)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.pbk")
        original.save(path)
        loaded = protobrain.load(path)
    assert_same_state(loaded, control)
    assert loaded.sensor.value == control.sensor.value
    if use_run:
        control.run(after)
        loaded.run(after)
    else:
        for v in after:
            step(control, v)
            step(loaded, v)
    assert_same_state(loaded, control)
    assert loaded.sensor.value == control.sensor.value


def test_sharing_cycles_slices_and_merges_come_back(tmp_path):
    b = benchmark_brain((12, 10, 8), sensor_length=64, seed=1)
    a, m, z = b.neurons.layers
    neuron.LoopBack([m], "self")
    merge = synapses.OutputMerge([a.output[2:], b.sensor])
    z.set("context", merge)
    z.set("again", merge)
    a.set("feedback", z.output[1:5])
    for v in range(10):
        step(b, v)
    b.save(tmp_path / "b.pbk")
    c = checkpoint.load(tmp_path / "b.pbk")
    ca, cm, cz = c.neurons.layers
    assert cm.get("self").source is cm
    assert cz.get("context").source is cz.get("again").source
    assert cz.get("context").source.outputs[0].parent is ca.output
    assert cz.get("context").source.outputs[1] is c.sensor
    assert ca.get("feedback").source.parent is cz.output and ca.get("feedback").source.key == slice(1, 5)
    assert c.computation[0] is c.computation[1] is c.computation[2]
    assert c.learning[0] is c.learning[2]
    assert ca.input.source is c.sensor and cm.input.source is ca
    for v in range(10, 40):
        step(b, v)
        step(c, v)
    assert_same_state(b, c)


@pytest.mark.parametrize("root", ["neurons", "layer"])
def test_groups_save_and_load_with_everything_they_read(tmp_path, root):
    b = benchmark_brain((10, 8), sensor_length=32, seed=2)
    for v in range(5):
        step(b, v)
    group = b.neurons if root == "neurons" else b.neurons.layers[1]
    group.save(tmp_path / "g.pbk")
    copy = protobrain.load(tmp_path / "g.pbk")
    assert type(copy) is type(group)
    layer = copy if root == "layer" else copy.layers[1]
    assert layer.input.source.input.source.encoder.length == 32  # the sensor came along
    assert np.array_equal(layer.values, b.neurons.layers[1].values)
    for original, restored in [(group, copy)]:
        original.compute(), restored.compute(), original.learn(), restored.learn()
        assert np.array_equal(original.values, restored.values)


def test_saved_parameters_and_types(tmp_path):
    encoder = numerical.SimpleEncoder(-5, 5, 30, sparsity=0.1)
    encoder.default_value = 2
    s = sensor.Sensor(encoder)
    s.feed(np.float64(1.5))
    n = neuron.Neurons(
        (3, 4), computation=computation.StandardComputation(0.7), learning=learning.HebbianLearning(0.2, 0.01)
    )
    n.set("extra", s.output[np.array([1, 3, 5])])
    n.set("bits", s.output[np.arange(30) % 2 == 0])
    n.set("odd", s.output[np.newaxis, ..., 3:-2:2])
    b = brain.Brain(n, s)
    b.save(tmp_path / "p.pbk")
    c = protobrain.load(tmp_path / "p.pbk")
    assert type(c.sensor.encoder) is numerical.SimpleEncoder
    e = c.sensor.encoder
    assert (e.min_value, e.max_value, e.length, e.sparsity, e.default_value) == (-5, 5, 30, 0.1, 2)
    assert c.sensor.value == 1.5
    assert c.computation.threshold == 0.7 and (c.learning.increase, c.learning.decrease) == (0.2, 0.01)
    assert list(c.neurons.inputs) == ["main", "extra", "bits", "odd"]
    for name in ("extra", "bits", "odd"):
        assert np.array_equal(c.neurons.get(name).values, b.neurons.get(name).values)
        assert np.array_equal(c.neurons.get(name).synapses, b.neurons.get(name).synapses)
    assert c.neurons.shape == (3, 4)


def test_metadata_and_versions(tmp_path):
    b = benchmark_brain((5,), sensor_length=16)
    checkpoint.save(b, tmp_path / "m.pbk", metadata={"note": "hello", "raw": b"\x00\x01"})
    loaded = checkpoint.read(tmp_path / "m.pbk")
    assert loaded.metadata == {"note": b"hello", "raw": b"\x00\x01"}
    assert loaded.format_version == 1  # version 2 only for files with sequence memories
    assert checkpoint.FORMAT_VERSION == 2
    assert loaded.protobrain_version == protobrain.__version__
    with pytest.raises(TypeError, match="metadata"):
        checkpoint.save(b, tmp_path / "n.pbk", metadata={"x": 3})
    assert not (tmp_path / "n.pbk").exists()


def test_loading_draws_nothing_from_the_random_state(tmp_path):
    benchmark_brain((20, 10), sensor_length=64).save(tmp_path / "r.pbk")
    np.random.seed(7)
    protobrain.load(tmp_path / "r.pbk")
    assert np.random.uniform() == np.random.RandomState(7).uniform()


# ------------------------------------------------------------------ user parts and pickle


class Halves(computation.Computation):
    """A user computation that keeps a reference to a group of the model."""

    def __init__(self, watch):
        self.watch = watch
        self.calls = 0

    def __call__(self, **inputs):
        self.calls += 1
        total = sum(np.tensordot(i.values, i.synapses, axes=i.values.ndim) for i in inputs.values() if i.connected)
        return total > np.median(total)


class Parity(Encoder):
    def __init__(self):
        super().__init__(0, 6)

    def encode(self, value):
        return np.array([(int(value) >> i) & 1 for i in range(6)], dtype=float)


def user_brain():
    np.random.seed(4)
    layers = [neuron.Neurons(8), neuron.Neurons(6)]
    stack = neuron.FeedForward(layers)
    layers[1].computation = Halves(layers[0])
    layers[0].computation = computation.SparseComputation(2)
    stack.learning = learning.HebbianLearning(0.1, 0.02)
    return brain.Brain(stack, sensor.Sensor(Parity()))


def test_user_parts_need_allow_pickle_both_ways(tmp_path):
    b = user_brain()
    path = tmp_path / "u.pbk"
    path.write_bytes(b"older checkpoint")
    with pytest.raises(checkpoint.PickleNotAllowedError, match="stores only with pickle") as info:
        b.save(path)
    message = str(info.value)
    assert "brain.neurons.layers[1].computation is a test_checkpoint.Halves" in message
    assert "brain.sensor.encoder is a test_checkpoint.Parity" in message and "allow_pickle=True" in message
    assert path.read_bytes() == b"older checkpoint"  # nothing written
    assert isinstance(info.value, ValueError)

    for v in range(6):
        step(b, v)
    b.save(path, allow_pickle=True)
    with pytest.raises(checkpoint.PickleNotAllowedError, match=r"layers\[1\].computation \(test_checkpoint.Halves\)"):
        protobrain.load(path)
    c = protobrain.load(path, allow_pickle=True)
    assert c.neurons.layers[1].computation.watch is c.neurons.layers[0]  # sharing kept through pickle
    assert c.neurons.layers[1].computation.calls == 6
    for v in range(6, 30):
        step(b, v)
        step(c, v)
    assert_same_state(b, c)


def test_unpicklable_user_part_is_a_clear_error_and_writes_nothing(tmp_path):
    n = neuron.Neurons(4, computation=lambda **inputs: np.ones(4))
    with pytest.raises(checkpoint.CheckpointError, match="cannot pickle"):
        n.save(tmp_path / "l.pbk", allow_pickle=True)
    assert os.listdir(tmp_path) == []


def test_extra_attributes_make_an_object_a_user_part(tmp_path):
    n = neuron.Neurons(3)
    n.label = "mine"
    with pytest.raises(checkpoint.PickleNotAllowedError, match="neurons is a protobrain.neuron.Neurons"):
        n.save(tmp_path / "x.pbk")
    n.save(tmp_path / "x.pbk", allow_pickle=True)
    assert protobrain.load(tmp_path / "x.pbk", allow_pickle=True).label == "mine"


# --------------------------------------------------------------------- damaged files


@pytest.fixture
def saved(tmp_path):
    b = benchmark_brain((20, 10), sensor_length=64, seed=9)
    for v in range(5):
        step(b, v)
    path = tmp_path / "d.pbk"
    b.save(path)
    return path


def _layout(data: bytes):
    _, version, header_length, data_length, _, _ = struct.unpack("<8sIIQII", data[:32])
    return version, header_length, data_length


def _repack(data: bytes, header: bytes | None = None, version: int | None = None) -> bytes:
    """Rewrite a checkpoint with another header or version and valid checksums, as a
    (future or buggy) writer would."""
    old_version, header_length, data_length = _layout(data)
    body = data[32 : 32 + data_length]
    header = data[32 + data_length :] if header is None else header
    version = old_version if version is None else version
    preamble = struct.pack("<8sIIQI", checkpoint.MAGIC, version, len(header), len(body), zlib.crc32(header))
    return preamble + struct.pack("<I", zlib.crc32(preamble)) + body + header


def _flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def test_a_flipped_byte_in_the_weights_names_the_array(saved):
    data = saved.read_bytes()
    _, header_length, data_length = _layout(data)
    header = checkpoint_pb2.Checkpoint.FromString(data[32 + data_length :])
    weights = next(a for a in header.array if a.owner == "brain.neurons.layers[1].inputs['main'].synapses")
    saved.write_bytes(_flip(data, 32 + weights.offset + 17))
    with pytest.raises(checkpoint.CorruptCheckpointError, match="fails its CRC-32 check") as info:
        protobrain.load(saved)
    assert "brain.neurons.layers[1].inputs['main'].synapses" in str(info.value)
    assert "CRC-32" in str(info.value) and str(saved) in str(info.value)


@pytest.mark.parametrize("where", ["preamble", "header"])
def test_a_flipped_byte_in_the_preamble_or_header(saved, where):
    data = saved.read_bytes()
    _, _, data_length = _layout(data)
    position = 20 if where == "preamble" else 32 + data_length + 3
    saved.write_bytes(_flip(data, position))
    with pytest.raises(checkpoint.CorruptCheckpointError, match=f"its {where}.*CRC-32"):
        protobrain.load(saved)


@given(st.data())
def test_any_flipped_byte_is_detected(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.pbk"
        benchmark_brain((6, 4), sensor_length=16, seed=1).save(path)
        original = path.read_bytes()
        position = data.draw(st.integers(0, len(original) - 1))
        mask = data.draw(st.integers(1, 255))
        path.write_bytes(_flip(original, position, mask))
        with pytest.raises(checkpoint.CheckpointError, match=r"f\.pbk"):  # every error names the file
            protobrain.load(path)


@pytest.mark.parametrize("keep", [0, 5, 31, 100, -1])
def test_a_truncated_file(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[: keep if keep >= 0 else len(data) - 1])
    with pytest.raises(checkpoint.TruncatedCheckpointError, match="truncated") as info:
        protobrain.load(saved)
    assert str(saved) in str(info.value)
    if keep > 32 or keep < 0:
        assert f"has {len(saved.read_bytes())} bytes, its preamble says {len(data)}" in str(info.value)


def test_a_wrong_version(saved):
    saved.write_bytes(_repack(saved.read_bytes(), version=3))
    with pytest.raises(
        checkpoint.UnsupportedVersionError, match="format version 3; this protobrain reads versions 1 to 2"
    ) as info:
        protobrain.load(saved)
    assert info.value.version == 3 and "newer protobrain" in str(info.value)


def test_not_a_checkpoint_and_trailing_bytes(saved, tmp_path):
    other = tmp_path / "o.bin"
    other.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(checkpoint.NotACheckpointError, match="not a protobrain checkpoint"):
        protobrain.load(other)
    saved.write_bytes(saved.read_bytes() + b"\x00")
    with pytest.raises(checkpoint.CorruptCheckpointError, match="1 unexpected bytes after its end"):
        protobrain.load(saved)


def test_headers_that_lie_are_refused_before_allocating(saved):
    data = saved.read_bytes()
    _, _, data_length = _layout(data)
    header = checkpoint_pb2.Checkpoint.FromString(data[32 + data_length :])
    header.array[0].shape[:] = [2**40, 2**20]  # 8 EiB: must be refused, not allocated
    with pytest.raises(checkpoint.CorruptCheckpointError, match="array 0"):
        saved.write_bytes(_repack(data, header.SerializeToString()))
        protobrain.load(saved)

    header = checkpoint_pb2.Checkpoint.FromString(data[32 + data_length :])
    layer = next(i for i, n in enumerate(header.node) if n.path == "brain.neurons.layers[1]")
    header.node[layer].neurons.shape[:] = [11]
    saved.write_bytes(_repack(data, header.SerializeToString()))
    with pytest.raises(checkpoint.CorruptCheckpointError, match=r"brain.neurons.layers\[1\].*shape \(11,\)"):
        protobrain.load(saved)

    header = checkpoint_pb2.Checkpoint.FromString(data[32 + data_length :])
    source = next(i for i, n in enumerate(header.node) if n.path == "brain.neurons.layers[1].inputs['main']")
    header.node[source].input.source = len(header.node) + 5
    saved.write_bytes(_repack(data, header.SerializeToString()))
    with pytest.raises(checkpoint.CorruptCheckpointError, match="does not exist"):
        protobrain.load(saved)


# --------------------------------------------------------------- whole or not at all


@pytest.mark.parametrize("fault", [OSError, KeyboardInterrupt])
def test_a_failed_save_keeps_the_previous_file_and_the_model(tmp_path, monkeypatch, fault):
    b = benchmark_brain((10, 8), sensor_length=32)
    path = tmp_path / "s.pbk"
    b.save(path)
    before = path.read_bytes()
    step(b, 3)
    twin = benchmark_brain((10, 8), sensor_length=32)
    step(twin, 3)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device") if fault is OSError else KeyboardInterrupt()

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(fault, match="No space left on device" if fault is OSError else "^$"):
        b.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["s.pbk"]
    step(b, 4)
    step(twin, 4)
    assert_same_state(b, twin)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_weight_made_non_finite_through_a_view_is_refused_on_save(tmp_path, bad):
    """A file with such a weight would not load, so save refuses it and writes nothing."""
    b = benchmark_brain((10, 5), 32)
    path = tmp_path / "model.pbk"
    b.save(path)
    before = path.read_bytes()
    w = b.layers[1].input.synapses
    w[3, 2] = bad
    with pytest.raises(ValueError, match=rf"layers\[1\].*synapses hold {bad} at \(3, 2\)"):
        b.save(path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["model.pbk"]
    w[3, 2] = 0.5
    b.save(path)
    assert protobrain.load(path).layers[1].input.synapses[3, 2] == 0.5
