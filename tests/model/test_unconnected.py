"""Computing with an input that was made but never connected is an error, not silence."""

import numpy as np
import pytest

from protobrain import brain, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical


def test_a_lone_group_with_nothing_connected_names_itself_and_the_input():
    group = neuron.Neurons(4, computation=computation.StandardComputation(0.5))
    with pytest.raises(ValueError, match=r"Neurons\(shape=\(4,\).*input 'main' is not connected.*group.input = source"):
        group.compute()
    with pytest.raises(IndexError, match="main"):
        group.input.values  # noqa: B018 - reading an unconnected input, as specified


@pytest.mark.parametrize("make", [lambda: computation.SparseComputation(1), lambda: computation.StandardComputation(0)])
def test_any_unconnected_input_of_a_built_in_computation_is_named(make):
    group = neuron.Neurons(3, computation=make())
    group.input = synapses.Output(2)
    group.inputs["context"] = synapses.Input("context", 3)
    with pytest.raises(ValueError, match=r"input 'context' is not connected.*group.set\('context', source\)"):
        group.compute()
    del group.inputs["context"]  # the way out the message names
    group.compute()


def test_a_user_computation_gets_the_input_and_decides():
    """User computations receive every Input; reading an unconnected one raises IndexError."""

    class Ignores(computation.Computation):
        def __call__(self, **inputs):
            return np.ones(3)

    class Reads(computation.Computation):
        def __call__(self, **inputs):
            return inputs["main"].values.sum(axis=0) > 0

    assert neuron.Neurons(3, computation=Ignores()).compute().tolist() == [1, 1, 1]
    with pytest.raises(IndexError, match="input 'main' is not connected"):
        neuron.Neurons(3, computation=Reads()).compute()


def _loop_back_brain():
    """A LoopBack stack: only the first layer's 'main' is fed by the sensor."""
    np.random.seed(0)
    layers = [neuron.Neurons(8), neuron.Neurons(6)]
    stack = neuron.LoopBack(layers, "self")
    return brain.Brain(
        stack,
        sensor.Sensor(numerical.CyclicEncoder(0, 10, 32)),
        computation=computation.SparseComputation(2),
        learning=learning.HebbianLearning(0.1, 0.05),
    )


def test_brain_compute_and_run_name_the_group_and_input():
    b = _loop_back_brain()
    before = [layer.input.synapses.copy() for layer in b.neurons.layers if layer.input.connected]
    with pytest.raises(
        ValueError, match=r"Neurons\(shape=\(6,\), inputs=\['main', 'self'\]\).*'main' is not connected"
    ):
        b.compute()
    with pytest.raises(ValueError, match=r"Neurons\(shape=\(6,\).*'main' is not connected"):
        b.run([1, 2, 3])
    # nothing ran: no weight changed, no activity appeared
    assert all(np.array_equal(w, layer.input.synapses) for w, layer in zip(before, b.neurons.layers))
    assert not any(layer.values.any() for layer in b.neurons.layers)
    # connecting it is all it takes (the brain recompiles on the structural change)
    neuron.FeedForward(b.neurons.layers)
    b.compute()
    assert b.run([1, 2, 3])[1].shape == (3, 6)


def test_an_unconnected_input_of_a_group_called_back_from_run_is_named_too():
    """A group with a user learning rule keeps its built-in computation in the engine;
    a subclass of Neurons is called back from Brain.run: both are checked."""

    class MyNeurons(neuron.Neurons):
        pass

    np.random.seed(0)
    layers = [neuron.Neurons(8), MyNeurons(6)]
    stack = neuron.FeedForward(layers)
    layers[1].inputs["extra"] = synapses.Input("extra", 6)
    b = brain.Brain(
        stack, sensor.Sensor(numerical.CyclicEncoder(0, 10, 32)), computation=computation.SparseComputation(2)
    )
    with pytest.raises(
        ValueError, match=r"Neurons\(shape=\(6,\), inputs=\['main', 'extra'\]\) cannot compute: its input 'extra'"
    ):
        b.run([1.0])
