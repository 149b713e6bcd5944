"""Round trips of wiring the other checkpoint tests leave out: inputs that were never
connected, and stacks inside stacks."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import step

import protobrain
from protobrain import brain, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical


@pytest.mark.parametrize("root", ["stack", "brain"])
def test_unconnected_inputs_come_back_in_their_place(tmp_path, root):
    """A LoopBack over layers whose 'main' input is never connected: every layer keeps
    both inputs, in order, and 'main' stays unconnected. (The brain connects the first
    layer's 'main' only.) A walk of the model that followed connected inputs only, as the
    rollback's does, would drop them."""
    np.random.seed(3)
    layers = [neuron.Neurons(4), neuron.Neurons((2, 3))]
    stack = neuron.LoopBack(layers, "self")
    model = stack if root == "stack" else brain.Brain(stack, sensor.Sensor(numerical.SimpleEncoder(0, 1, 8)))
    model.save(tmp_path / "m.pbk")
    loaded = protobrain.load(tmp_path / "m.pbk")
    copies = loaded.layers if root == "stack" else loaded.neurons.layers
    for original, copy in zip(layers, copies):
        assert list(copy.inputs) == ["main", "self"]
        assert copy.get("self").source is copy
        assert np.array_equal(copy.get("self").synapses, original.get("self").synapses)
        assert copy.get("main").connected == original.get("main").connected
        assert copy.get("main").shape == original.get("main").shape
    assert not copies[1].get("main").connected and copies[1].get("main").source is None
    if root == "stack":
        assert not copies[0].get("main").connected
    else:
        assert copies[0].get("main").source is loaded.sensor


def test_an_unconnected_input_can_be_connected_after_loading(tmp_path):
    np.random.seed(4)
    group = neuron.Neurons(5, computation=computation.SparseComputation(2))
    group.inputs["later"] = synapses.Input("later", 5)
    group.input = synapses.Output(3)
    group.save(tmp_path / "g.pbk")
    copy = protobrain.load(tmp_path / "g.pbk")
    assert list(copy.inputs) == ["main", "later"] and not copy.get("later").connected
    source = synapses.Output(2)
    copy.get("later").connect(source)
    assert copy.get("later").synapses.shape == (2, 5)


def test_nested_stacks_come_back_nested_and_continue_identically(tmp_path):
    """A stack of a stack and a group, fed by a sensor; the inner stack is shared, so the
    outer stack's first layer is the very stack a later input reads."""

    def build():
        np.random.seed(5)
        inner = neuron.FeedForward([neuron.Neurons(10), neuron.Neurons(8)])
        last = neuron.Neurons(6)
        outer = neuron.LayeredNeurons([inner, last])
        last.input = inner
        last.set("deep", inner.layers[0])
        return brain.Brain(
            outer,
            sensor.Sensor(numerical.CyclicEncoder(0, 10, 32)),
            computation=computation.SparseComputation(2),
            learning=learning.HebbianLearning(0.1, 0.05),
        )

    original, control = build(), build()
    for v in (1, 4, 7):
        step(original, v)
        step(control, v)
    original.save(tmp_path / "n.pbk")
    loaded = protobrain.load(tmp_path / "n.pbk")
    outer = loaded.neurons
    assert type(outer) is neuron.LayeredNeurons and type(outer.layers[0]) is neuron.LayeredNeurons
    assert [type(layer) for layer in outer.layers[0].layers] == [neuron.Neurons, neuron.Neurons]
    assert outer.layers[1].input.source is outer.layers[0]
    assert outer.layers[1].get("deep").source is outer.layers[0].layers[0]
    assert outer.layers[0].layers[1].input.source is outer.layers[0].layers[0]
    assert outer.layers[0].input.source is loaded.sensor
    assert len(loaded.layers) == 3
    values = [2.0, 9.0, 3.5, 0.0]
    for x, y in zip(control.run(values), loaded.run(values)):
        assert np.array_equal(x, y)
    for group, copy in zip(control.layers, loaded.layers):
        for name, inp in group.inputs.items():
            assert inp.synapses.tobytes() == copy.get(name).synapses.tobytes()


def test_brains_groups_and_stacks_save_through_one_method(tmp_path):
    assert brain.Brain.save is neuron.Neurons.save is neuron.LayeredNeurons.save
    np.random.seed(6)
    stack = neuron.FeedForward([neuron.Neurons(3), neuron.Neurons(2)])
    for model in (stack, stack.layers[1], brain.Brain(stack, sensor.Sensor(numerical.SimpleEncoder(0, 1, 4)))):
        model.save(tmp_path / "s.pbk")
        assert type(protobrain.load(tmp_path / "s.pbk")) is type(model)
