"""A fixed model is saved byte for byte as the checkpoint code of format version 1 wrote it.

``data/fixed_model.pbk`` was written by the code as it was before ``protobrain.checkpoint``
became a package and the saver and the rollback shared one list of a model's parts. The
saver's traversal order decides every node index and array offset of a file, so any change
to it (or to what is stored) shows here as a changed byte. The model touches every kind of
node the format has, except pickled user parts (pickle's bytes depend on the Python version).

Regenerate the fixture only for a deliberate format change, with a new format version.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np

import protobrain
from protobrain import brain, checkpoint, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical
from protobrain.proto import checkpoint_pb2

FIXTURE = Path(__file__).parent / "data" / "fixed_model.pbk"
#: sha256 of the fixture, so that rewriting it by accident fails too.
FIXTURE_SHA256 = "2cc22b3563412fdfd47e6c6a89b9ece194649000b458ecb8cd61eb29029957c5"
#: The version the fixture records (the header stores the writer's version).
FIXTURE_VERSION = "0.1.0"


def fixed_model() -> brain.Brain:
    """A brain with a nested stack, a loop-back, a merge of a slice and a second sensor,
    slices with index, slice, ellipsis and array keys, every built-in computation, learning
    rule and encoder, and an unconnected input; stepped a few times."""
    np.random.seed(1234)
    s = sensor.Sensor(numerical.SimpleEncoder(0, 10, 24, 0.25))
    other = sensor.Sensor(numerical.CyclicEncoder(0, 1, 12, 0.25))
    other.feed(0.3)
    a, b, c = neuron.Neurons(6), neuron.Neurons((2, 3)), neuron.Neurons(5)
    inner = neuron.FeedForward([a, b])
    stack = neuron.LayeredNeurons([inner, c])
    c.set("main", b)
    neuron.LoopBack([c], "self")
    c.set("side", synapses.OutputMerge([s.output[::2], other]))
    b.set("picked", a.output[np.array([0, 2, 4])])
    b.set("corner", b.output[..., 1:])
    a.set("first", c.output[0])
    model = brain.Brain(
        stack, s, computation=computation.SparseComputation(2), learning=learning.HebbianLearning(0.1, 0.05)
    )
    c.computation = computation.StandardComputation(1.5)
    model.run([1.0, 2.5, 7.0, 9.5])
    # Added after stepping: built-in computations need every input connected to compute.
    a.inputs["spare"] = synapses.Input("spare", 6)
    return model


def test_the_fixture_is_the_recorded_one():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == FIXTURE_SHA256


def test_a_fixed_model_saves_byte_identically_to_the_fixture(tmp_path, monkeypatch):
    monkeypatch.setattr(protobrain, "__version__", FIXTURE_VERSION)
    checkpoint.save(fixed_model(), tmp_path / "m.pbk", metadata={"note": "fixed"})
    saved = (tmp_path / "m.pbk").read_bytes()
    expected = FIXTURE.read_bytes()
    assert saved == expected, _first_difference(saved, expected)


def _first_difference(saved: bytes, expected: bytes) -> str:
    """Where two checkpoint files first differ: the byte, and the first node that differs."""
    first = next((i for i, (x, y) in enumerate(zip(saved, expected)) if x != y), min(len(saved), len(expected)))
    where = f"the file differs from the fixture from byte {first} on ({len(saved)} vs {len(expected)} bytes)"
    headers = []
    for data in (saved, expected):
        data_length = struct.unpack_from("<Q", data, 16)[0]
        headers.append(checkpoint_pb2.Checkpoint.FromString(data[checkpoint.PREAMBLE_SIZE + data_length :]))
    for i, (x, y) in enumerate(zip(headers[0].node, headers[1].node)):
        if x != y:
            return f"{where}; node {i} differs:\n{x}\nexpected:\n{y}"
    return where


def test_the_fixture_loads_and_continues_like_the_model():
    model, loaded = fixed_model(), protobrain.load(FIXTURE)
    assert [list(layer.inputs) for layer in loaded.layers] == [list(layer.inputs) for layer in model.layers]
    del model.neurons.layers[0].layers[0].inputs["spare"], loaded.neurons.layers[0].layers[0].inputs["spare"]
    values = [3.0, 0.5, 8.0]
    for x, y in zip(model.run(values), loaded.run(values)):
        assert np.array_equal(x, y)
    for group, copy in zip(model.layers, loaded.layers):
        for name, inp in group.inputs.items():
            assert np.array_equal(inp.synapses, copy.get(name).synapses)
