"""One list of a model's parts, which the checkpoint saver and the rollback both follow."""

from __future__ import annotations

import numpy as np

from protobrain import _parts, _rollback, brain, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical
from protobrain.proto import checkpoint_pb2


def labels(obj):
    return [part.label for part in _parts.parts(obj)]


def small_brain():
    np.random.seed(8)
    layers = [neuron.Neurons(4), neuron.Neurons(3)]
    stack = neuron.FeedForward(layers)
    return brain.Brain(
        stack,
        sensor.Sensor(numerical.SimpleEncoder(0, 1, 6)),
        computation=computation.SparseComputation(1),
        learning=learning.HebbianLearning(0.1, 0.05),
    )


def test_each_kind_of_object_lists_its_direct_children_in_order():
    b = small_brain()
    first, second = b.neurons.layers
    first.inputs["spare"] = synapses.Input("spare", 4)
    assert labels(b) == ["neurons", "sensor"]
    assert [part.obj for part in _parts.parts(b)] == [b.neurons, b.sensor]
    assert labels(b.neurons) == ["layers[0]", "layers[1]"]
    assert labels(first) == ["output", "inputs['main']", "inputs['spare']", "computation", "learning"]
    assert labels(first.input) == ["source"] and next(_parts.parts(first.input)).obj is b.sensor
    assert labels(first.get("spare")) == []  # unconnected: no source, but its group lists it
    assert labels(b.sensor) == ["encoder", "output"]
    assert labels(second.output) == labels(b.sensor.encoder) == labels(first.computation) == []
    merge = synapses.OutputMerge([first.output[1:], second])
    assert labels(merge) == ["outputs[0]", "outputs[1]"]
    assert labels(merge.outputs[0]) == ["parent"] and next(_parts.parts(merge.outputs[0])).obj is first.output
    assert labels(neuron.Neurons(2)) == ["output", "inputs['main']"]  # no computation or learning
    assert labels(object()) == labels(None) == []


def test_subclasses_are_listed_through_their_public_attributes():
    class Renamed(neuron.Neurons):
        inputs = property(lambda self: {"only": self._inputs["main"]}, neuron.Neurons.inputs.fset)

    group = Renamed(2)
    assert labels(group) == ["output", "inputs['only']"]


def test_the_saver_and_the_rollback_see_the_same_outputs_and_inputs(tmp_path):
    """Every output and connected input of a saved brain is what the rollback snapshots."""
    b = small_brain()
    first, second = b.neurons.layers
    neuron.LoopBack([second], "self")
    first.set("back", synapses.OutputMerge([second.output[:2], b.sensor]))
    second.inputs["spare"] = synapses.Input("spare", 3)
    b.save(tmp_path / "b.pbk")
    data = (tmp_path / "b.pbk").read_bytes()
    header = checkpoint_pb2.Checkpoint.FromString(data[32 + int.from_bytes(data[16:24], "little") :])
    kinds = [node.WhichOneof("kind") for node in header.node]
    connected = sum(1 for node in header.node if node.WhichOneof("kind") == "input" and node.input.HasField("source"))
    plan = _rollback.plan(b, guard_compute=True, guard_learn=True)
    assert kinds.count("output") == len(plan.activities) == 3
    assert connected == len(plan.inputs) == 4
    assert kinds.count("input") == 5
    assert {id(a) for a in plan.activities} == {id(o._activity) for o in (first.output, second.output, b.sensor.output)}
