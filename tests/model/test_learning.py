"""docs/specification.md §4: Hebbian learning."""

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

    with pytest.raises(TypeError, match="abstract"):
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


@pytest.mark.parametrize("use_run", [False, True], ids=["loop", "run"])
def test_rates_changed_between_steps_are_used_from_the_next_step(use_run):
    """docs/behaviour.md: a Brain honours changed parameters of its learning rule. Learning still
    pending in the engine at the change keeps the old rates (bit for bit as the reference
    applies them step by step)."""
    import reference
    from helpers import benchmark_brain, step

    b = benchmark_brain((30, 20), 128)
    ref = reference.benchmark_model((30, 20), 128)
    rule = b.neurons.layers[0].learning
    rates = (0.005, 0.001)
    for phase, new in enumerate([None, (0.05, 0.0), (0.01, 0.003)]):
        if new is not None:
            rule.increase, rule.decrease = new
            rates = new
        values = [(7 * t + 3 * phase) % 100 for t in range(60)]
        if use_run:
            b.run(values)
        else:
            for v in values:
                step(b, v)
        for v in values:
            ref.step(v, ("sparse", 0.05), rates)
        for layer, r in zip(b.layers, ref.layers):
            assert np.array_equal(layer.input.synapses, r.inputs["main"][1])
    with pytest.raises(ValueError, match="decrease: must be a non-negative number, got -1"):
        rule.decrease = -1.0
    assert (rule.increase, rule.decrease) == (0.01, 0.003)
