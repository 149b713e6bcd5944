"""docs/specification.md §2: groups of neurons and wiring."""

import numpy as np
import pytest

from protobrain import computation, learning, neuron
from protobrain.neuron import FeedBackward, FeedForward, LayeredNeurons, LoopBack, Neurons
from protobrain.synapses import Output


def test_new_group_has_an_unconnected_main_input_and_an_output():
    n = Neurons((2, 3))
    assert Neurons.MAIN_INPUT == "main"
    assert list(n.inputs) == ["main"]
    assert not n.input.connected
    assert n.shape == (2, 3) and n.values.shape == (2, 3)


@pytest.mark.parametrize("shape", [0, -1, (2, 0), 2.5, (2, "a"), (), True])
def test_every_dimension_must_be_a_positive_int(shape):
    with pytest.raises(ValueError, match="shape"):
        Neurons(shape)


def test_input_set_get_and_unknown_names():
    n1, n2 = Neurons(5), Neurons(3)
    n2.input = n1
    assert n2.input.connected and n2.input.source is n1
    assert n2.input.synapses.shape == (5, 3)
    n1.set("feedback", n2)
    assert list(n1.inputs) == ["main", "feedback"]
    assert n1.get("feedback").synapses.shape == (3, 5)
    with pytest.raises(IndexError, match="nope"):
        n1.get("nope")
    with pytest.raises(KeyError, match="no input named 'nope'"):
        n1.get("nope")


def test_set_recreates_the_input_with_new_synapses_and_keeps_its_place():
    n1, n2 = Neurons(4), Neurons(2)
    n2.set("extra", n1)
    first = n2.get("extra")
    n2.set("extra", n1)
    assert n2.get("extra") is not first
    assert not np.array_equal(first.synapses, n2.get("extra").synapses)
    assert list(n2.inputs) == ["main", "extra"]


def test_compute_needs_a_computation_and_learn_without_one_does_nothing():
    n = Neurons(3)
    with pytest.raises(ValueError, match="computation"):
        n.compute()
    n.learn()


def test_compute_sets_output_to_the_computation_of_the_inputs():
    seen = {}

    def comp(**inputs):
        seen.update(inputs)
        return np.array([1, 0, 1])

    n = Neurons(3, computation=comp)
    assert np.array_equal(n.compute(), [1, 0, 1])
    assert np.array_equal(n.values, [1, 0, 1])
    assert set(seen) == {"main"}
    n.computation = lambda **inputs: np.zeros(4)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        n.compute()


def test_layered_neurons_delegate_to_first_and_last_layers():
    layers = [Neurons(4), Neurons(3), Neurons(2)]
    stack = FeedForward(layers)
    assert isinstance(stack, LayeredNeurons)
    assert stack.inputs is layers[0].inputs
    assert stack.output is layers[-1].output and stack.shape == (2,)
    src = Neurons(6)
    stack.set("side", src)
    assert layers[0].get("side").synapses.shape == (6, 4)  # shaped for the first layer
    stack.input = src
    assert stack.get("main").synapses.shape == (6, 4)


def test_computation_and_learning_spread_over_layers():
    layers = [Neurons(4), Neurons(3)]
    stack = LayeredNeurons(layers)
    sparse = computation.SparseComputation(1)
    stack.computation = sparse
    assert stack.computation == [sparse, sparse]
    hebb = [learning.HebbianLearning(), learning.HebbianLearning(0.1, 0.1)]
    stack.learning = hebb
    assert stack.learning == hebb
    with pytest.raises(ValueError, match="3 values for 2 layers"):
        stack.computation = [sparse] * 3


def test_wiring_functions_connect_in_the_documented_directions():
    sf_calls = []

    def sf(pre, post):
        sf_calls.append((pre, post))
        return np.full(pre + post, 0.5)

    layers = [Neurons(n) for n in (10, 8, 6)]
    FeedForward(layers, synapse_function=sf)
    assert layers[1].input.source is layers[0] and layers[2].input.source is layers[1]
    FeedBackward(layers, "feedback", sf)
    assert layers[0].get("feedback").source is layers[1] and layers[1].get("feedback").source is layers[2]
    LoopBack(layers, "neighbors", sf)
    assert all(layer.get("neighbors").source is layer for layer in layers)
    assert sf_calls == [
        ((10,), (8,)),
        ((8,), (6,)),
        ((8,), (10,)),
        ((6,), (8,)),
        ((10,), (10,)),
        ((8,), (8,)),
        ((6,), (6,)),
    ]


def test_feed_forward_draws_in_layer_order():
    np.random.seed(1)
    layers = [Neurons(3), Neurons(2), Neurons(4)]
    FeedForward(layers)
    np.random.seed(1)
    assert np.array_equal(layers[1].input.synapses, np.random.uniform(0, 1, (3, 2)))
    assert np.array_equal(layers[2].input.synapses, np.random.uniform(0, 1, (2, 4)))


def test_layered_groups_nest():
    inner = FeedForward([Neurons(5), Neurons(4)])
    outer = FeedForward([inner, Neurons(3)])
    assert outer.layers[1].input.source is inner
    assert outer.layers[1].input.synapses.shape == (4, 3)
    outer.computation = computation.SparseComputation(1)
    assert outer.computation == [[outer.computation[1]] * 2, outer.computation[1]]
    inner.layers[0].output.values = [1, 0, 0, 0, 0]
    outer.input = Output(6)  # silent, but connected: computing an unconnected input is an error
    assert outer.compute().sum() == 1


def test_loop_back_reads_the_previous_step():
    n = Neurons(2, computation=computation.StandardComputation(0.5))
    LoopBack([n], synapse_function=lambda pre, post: np.array([[0.0, 1.0], [1.0, 0.0]]))
    n.output.values = [1, 0]
    assert np.array_equal(n.compute(), [0, 1])
    assert np.array_equal(n.compute(), [1, 0])


def test_neuron_module_exports():
    for name in ["Neurons", "LayeredNeurons", "FeedForward", "FeedBackward", "LoopBack"]:
        assert hasattr(neuron, name)


def test_a_stack_refuses_an_empty_layer_list_however_it_gets_one():
    stack = neuron.LayeredNeurons([neuron.Neurons(2)])
    with pytest.raises(ValueError, match="at least one layer"):
        stack.layers = []
    assert len(stack.layers) == 1


def test_a_source_with_zero_dimensional_values_is_read():
    """docs/specification.md §1: anything with .values and .shape can be connected, a scalar too."""

    class Scalar:
        values = np.float64(1.0)
        shape = ()

    n = Neurons(2, computation=computation.StandardComputation(0.1))
    n.set("main", Scalar())
    assert n.input.synapses.shape == (2,)
    n.compute()
    expected = (1.0 * n.input.synapses >= 0.1).astype(float)
    assert np.array_equal(n.values, expected)


def test_shapes_have_at_most_32_dimensions():
    from protobrain.synapses import Output

    for make in (Neurons, Output):
        with pytest.raises(ValueError, match="at most 32 dimensions, got 33"):
            make((1,) * 33)
    # 32 work, including the built-in computation called as a function (which panicked
    # in rust-numpy above 32 dimensions).
    n = Neurons((1,) * 31 + (2,), computation=computation.SparseComputation(1))
    n.input = Output(3)
    assert computation.SparseComputation(1)(**n.inputs).shape == n.shape
    assert n.values.shape == n.shape
