"""docs/specification.md §6 and the original benchmark model, step by step against the reference."""

import pickle

import numpy as np
import pytest
import reference
from helpers import benchmark_brain, step

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical

INPUTS = [v for _ in range(5) for v in range(100)]  # 500 steps, as the original script


@pytest.mark.parametrize("sizes", [(100, 100, 100), (120, 80, 50)])
def test_benchmark_model_is_bit_identical_to_the_reference_at_every_step(sizes):
    ours = benchmark_brain(sizes)
    ref = reference.benchmark_model(sizes)
    for t, value in enumerate(INPUTS):
        step(ours, value)
        expected = ref.step(value, ("sparse", 0.05), (0.005, 0.001))
        for layer, want in zip(ours.neurons.layers, expected):
            assert np.array_equal(layer.values, want), f"step {t}"
    for layer, want in zip(ours.neurons.layers, ref.layers):
        assert np.array_equal(layer.input.synapses, want.inputs["main"][1])


def test_brain_wires_the_sensor_after_the_layers_and_sets_parts_on_every_layer():
    np.random.seed(5)
    layers = [neuron.Neurons(4), neuron.Neurons(3)]
    stack = neuron.FeedForward(layers)
    s = sensor.Sensor(numerical.SimpleEncoder(0, 1, 8))
    sparse, hebb = computation.SparseComputation(1), learning.HebbianLearning()
    b = brain.Brain(stack, s, computation=sparse, learning=hebb)
    np.random.seed(5)
    np.random.uniform(0, 1, (4, 3))
    assert np.array_equal(layers[0].input.synapses, np.random.uniform(0, 1, (8, 4)))
    assert b.computation == [sparse, sparse] and b.learning == [hebb, hebb]
    b.learning = None
    assert b.learning == [None, None]
    b.sensor.feed(0.5)
    assert b.compute().sum() == 1
    b.learn()


def test_brain_keeps_parts_the_neurons_already_have():
    sparse = computation.SparseComputation(2)
    n = neuron.Neurons(6, computation=sparse)
    b = brain.Brain(n, sensor.Sensor(numerical.CyclicEncoder(0, 1, 10)))
    assert b.computation is sparse and b.learning is None


def test_same_seed_same_results():
    runs = []
    for _ in range(2):
        b = benchmark_brain((50, 40), sensor_length=256, seed=11)
        runs.append([(step(b, v), b.neurons.values)[1] for v in range(30)])
    assert all(np.array_equal(x, y) for x, y in zip(*runs))


@pytest.mark.parametrize("what", ["brain", "neurons", "layer", "sensor"])
def test_pickled_objects_continue_bit_identically(what):
    original = benchmark_brain((40, 30, 20), sensor_length=128, seed=3)
    for v in range(20):
        step(original, v)
    copy = pickle.loads(pickle.dumps(original))
    picked = {
        "brain": (original, copy),
        "neurons": (original.neurons, copy.neurons),
        "layer": (original.neurons.layers[1], copy.neurons.layers[1]),
        "sensor": (original.sensor, copy.sensor),
    }[what]
    alone = pickle.loads(pickle.dumps(picked[0]))
    assert type(alone) is type(picked[0])
    for v in range(20, 60):
        step(original, v % 100)
        step(copy, v % 100)
        for a, b in zip(original.neurons.layers, copy.neurons.layers):
            assert np.array_equal(a.values, b.values)
    for a, b in zip(original.neurons.layers, copy.neurons.layers):
        assert np.array_equal(a.input.synapses, b.input.synapses)
    assert copy.sensor.value == original.sensor.value


def test_pickled_loopback_keeps_its_cycle():
    n = neuron.Neurons(5, computation=computation.SparseComputation(2), learning=learning.HebbianLearning(0.1, 0.05))
    neuron.LoopBack([n])
    n.output.values = [1, 0, 1, 0, 0]
    copy = pickle.loads(pickle.dumps(n))
    assert copy.input.source is copy
    for _ in range(5):
        n.compute(), n.learn(), copy.compute(), copy.learn()
        assert np.array_equal(n.values, copy.values)
    assert np.array_equal(n.input.synapses, copy.input.synapses)


def test_compute_returns_what_neurons_values_gives_built_in_or_not():
    """compute() snapshots the last layer's buffer directly for built-in classes; a
    subclass defining its own ``values`` and a relayered brain still get theirs."""
    np.random.seed(2)
    b = brain.Brain(
        neuron.FeedForward([neuron.Neurons(6), neuron.Neurons(4)]),
        sensor.Sensor(numerical.CyclicEncoder(0, 10, 12)),
        computation=computation.SparseComputation(2),
    )
    b.sensor.feed(3)
    out = b.compute()
    assert np.array_equal(out, b.neurons.values) and out.sum() == 2
    assert not out.flags.writeable
    b.sensor.feed(7)
    assert np.array_equal(b.compute(), b.neurons.layers[-1].values)

    class Inverted(neuron.Neurons):
        @property
        def values(self):
            return 1.0 - self.output.values

    np.random.seed(2)
    inverted = Inverted(4)
    inverted.computation = computation.SparseComputation(1)
    b.neurons = inverted
    inverted.input = b.sensor
    b.sensor.feed(5)
    got = b.compute()
    assert got.sum() == 3 and np.array_equal(got, 1.0 - inverted.output.values)


class _Values:
    """A user object used as a source: anything with .shape and .values."""

    def __init__(self):
        self.shape, self.v = (4,), np.zeros(4)

    @property
    def values(self):
        return self.v


def test_an_unpickled_brain_reads_a_user_source_afresh_every_step():
    n = neuron.Neurons(3, computation=computation.StandardComputation(0.5))
    b = brain.Brain(n, sensor.Sensor(numerical.SimpleEncoder(0, 1, 10, 0.2)))
    n.set("extra", _Values(), lambda pre, post: np.ones(pre + post))
    n.input.synapses = np.zeros((10, 3))
    copy = pickle.loads(pickle.dumps(b))
    assert np.array_equal(copy.compute(), [0, 0, 0])
    copy.neurons.inputs["extra"].source.v = np.ones(4)
    assert np.array_equal(copy.compute(), [1, 1, 1])


def test_a_copied_brain_with_a_two_dimensional_layer_steps_like_the_original():
    np.random.seed(4)
    b = brain.Brain(
        neuron.FeedForward([neuron.Neurons((4, 4)), neuron.Neurons(3)]),
        sensor.Sensor(numerical.CyclicEncoder(0, 10, 12)),
        computation=computation.SparseComputation(2),
        learning=learning.HebbianLearning(),
    )
    copy = pickle.loads(pickle.dumps(b))
    for value in [1, 5, 9, 2]:
        assert np.array_equal(step_and_values(b, value), step_and_values(copy, value))
    assert np.array_equal(b.neurons.layers[1].input.synapses, copy.neurons.layers[1].input.synapses)


def step_and_values(b, value):
    b.sensor.feed(value)
    out = b.compute()
    b.learn()
    return out


def test_building_new_objects_between_steps_recompiles_nothing():
    b = benchmark_brain((6, 5), sensor_length=32)
    step(b, 3)
    compiled = b.__dict__["_network_cache"]
    neuron.LayeredNeurons([neuron.Neurons((2, 3)), neuron.Neurons(4)])  # (wiring layers is a change)
    computation.SparseComputation(2), computation.StandardComputation(0.5), learning.HebbianLearning()
    sensor.Sensor(numerical.CyclicEncoder(0, 10, 16))
    step(b, 4)
    assert b.__dict__["_network_cache"] is compiled
    b.neurons.layers[0].computation = computation.SparseComputation(1)  # a change still counts
    step(b, 5)
    assert b.__dict__["_network_cache"] is not compiled
