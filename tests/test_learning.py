"""SPEC section 4: Hebbian learning."""

import numpy as np
import pytest

from protobrain.computation import SparseComputation
from protobrain.learning import HebbianLearning, Learning
from protobrain.neuron import FeedForward, Neurons

W = [[0.8, 0.4], [0.6, 0.8], [0.5, 0.4]]


def _group(weights, pre, post):
    src = Neurons(len(pre))
    src.output.values = pre
    n = Neurons(len(post))
    n.set("main", src, lambda p, q: np.array(weights, dtype=float))
    n.output.values = post
    return n


def test_spec_vector():
    n = _group(W, [1, 0, 1], [1, 0])
    HebbianLearning(0.1, 0.05)(n)
    assert np.allclose(n.input.synapses, [[0.90, 0.35], [0.55, 0.80], [0.60, 0.35]], rtol=0, atol=1e-15)
    assert np.array_equal(n.input.synapses, [[0.8 + 0.1, 0.4 - 0.05], [0.6 - 0.05, 0.8], [0.5 + 0.1, 0.4 - 0.05]])


def test_dead_synapses_stay_dead_and_weights_stay_in_unit_range():
    n = _group([[0.0, 0.99], [0.02, 0.0]], [1, 0], [1, 1])
    HebbianLearning(0.05, 0.05)(n)
    assert np.array_equal(n.input.synapses, [[0.0, 1.0], [0.0, 0.0]])


def test_weights_outside_the_unit_range_are_clipped_even_far_from_activity():
    n = _group([[0.5, 0.5], [0.5, 3.0]], [1, 0], [1, 0])
    n.input.synapses = np.array([[0.5, 0.5], [0.5, 3.0]])
    HebbianLearning(0.1, 0.1)(n)
    assert np.array_equal(n.input.synapses, [[0.6, 0.4], [0.4, 1.0]])


def test_edits_through_a_held_view_are_clipped_by_later_steps():
    n = _group([[0.5, 0.5], [0.5, 0.5]], [1, 0], [1, 0])
    learn = HebbianLearning(0.1, 0.1)
    view = n.input.synapses
    learn(n)
    view[1, 1] = -2.0  # a silent row and a silent column: only the clip reaches it
    learn(n)
    assert view[1, 1] == 0.0


def test_layered_groups_learn_layer_by_layer():
    layers = [Neurons(3), Neurons(2)]
    stack = FeedForward(layers, synapse_function=lambda p, q: np.full(p + q, 0.5))
    layers[0].output.values = [1, 0, 0]
    layers[1].output.values = [0, 1]
    HebbianLearning(0.1, 0.1)(stack)
    assert np.array_equal(layers[1].input.synapses, [[0.4, 0.6], [0.5, 0.4], [0.5, 0.4]])


@pytest.mark.parametrize("args, name", [((-0.1, 0.0), "increase"), ((0.1, float("nan")), "decrease")])
def test_bad_rates(args, name):
    with pytest.raises(ValueError, match=name):
        HebbianLearning(*args)


def test_user_learning_rule_is_called():
    calls = []

    class Count(Learning):
        def __call__(self, neurons):
            calls.append(neurons)

    with pytest.raises(TypeError):
        Learning()
    n = Neurons(2, computation=SparseComputation(1), learning=Count())
    n.learn()
    assert calls == [n]


def test_infinite_rates_follow_the_reference():
    """inf is a non-negative rate: a weight it touches goes to 0 (or 1), others stay put."""
    import reference
    from helpers import benchmark_brain, step

    rates = (float("inf"), float("inf"))
    ours = benchmark_brain((40, 30), sensor_length=256, rates=rates)
    ref = reference.benchmark_model((40, 30), 256)
    for t in range(60):
        step(ours, t % 100)
        ref.step(t % 100, ("sparse", 0.05), rates)
    for layer, want in zip(ours.neurons.layers, ref.layers):
        got = layer.input.synapses
        assert not np.isnan(got).any()
        assert np.array_equal(got, want.inputs["main"][1])
