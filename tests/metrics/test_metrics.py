"""docs/specification.md §7 metrics: MetricResults, Metric, SpikeCount, SpikeDensity, batches."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from protobrain import neuron
from protobrain.metrics import metric, spike_count, spike_density
from protobrain.metrics.metric import Layout, Metric, MetricResults

STEP_ONE = ([1, 0, 0, 0], [1, 1, 0, 0])  # (inner layers, last layer), docs/specification.md §7's example
STEP_TWO = ([1, 0, 1, 0], [1, 1, 0, 1])


def plain():
    return neuron.Neurons(4)


def layered():
    return neuron.FeedForward([neuron.Neurons(4) for _ in range(4)])


def nested():
    """FeedForward([four layers of 4, one of 4]), as in docs/specification.md §7."""
    return neuron.FeedForward([layered(), neuron.Neurons(4)])


def show(group, inner, last=None):
    """Set every leaf layer to ``inner``, the top-level last layer to ``last`` if given."""
    leaves = []
    Layout.of(group)  # the group is well formed
    metric._collect_leaves(group, leaves)
    for leaf in leaves:
        leaf.output.values = np.array(inner, dtype=float)
    if last is not None:
        group.layers[-1].output.values = np.array(last, dtype=float)


# --- MetricResults and Metric -------------------------------------------------------------


def test_metric_results_str_lists_what_is_set_including_falsy_values():
    only_global = MetricResults("m", global_result=0.0)
    assert str(only_global) == "m:\nGlobal: 0.0"
    every = MetricResults(
        "m", global_result=1, per_layer_result=[2], per_step_result=[3], per_layer_per_step_result=[4]
    )
    assert str(every) == "m:\nGlobal: 1\nPer layer:\n[2]\nPer step:\n[3]\nPer layer - per step:\n[4]"
    assert str(MetricResults("empty")) == "empty:"
    assert str(MetricResults("m", per_step_result=[])) == "m:\nPer step:\n[]"


def test_metric_results_fields_are_keyword_only_and_compare_by_value():
    with pytest.raises(TypeError, match="positional argument"):
        MetricResults("m", 1)
    a = MetricResults("m", global_result={0: 1}, per_step_result=[0.5])
    assert a == MetricResults("m", global_result={0: 1}, per_step_result=[0.5])
    assert a != MetricResults("m", global_result={0: 2}, per_step_result=[0.5])
    assert a.per_layer_result is None and a.per_layer_per_step_result is None
    assert pickle.loads(pickle.dumps(a)) == a


def test_metric_is_abstract_and_init_resets():
    with pytest.raises(TypeError, match="abstract"):
        Metric("x")

    class Steps(Metric):
        def reset(self):
            self.seen = 0

        def next(self, neurons):
            self.seen += 1

        def compute(self):
            return MetricResults(self.name, global_result=self.seen)

    m = Steps("steps")
    assert m.name == "steps" and m.seen == 0
    m.next(None)
    assert m.compute() == MetricResults("steps", global_result=1)


@pytest.mark.parametrize("make", [spike_count.SpikeCount, spike_density.SpikeDensity])
def test_compute_before_next_raises_runtime_error_also_after_reset(make):
    m = make()
    with pytest.raises(RuntimeError, match="no steps recorded"):
        m.compute()
    g = plain()
    m.next(g)
    m.compute()
    m.reset()
    with pytest.raises(RuntimeError, match="no steps recorded"):
        m.compute()


def test_names():
    assert spike_count.SpikeCount().name == "spike_count"
    assert spike_density.SpikeDensity().name == "spike_density"


# --- SpikeCount ---------------------------------------------------------------------------


def test_spike_count_spec_example_with_plain_int_keys():
    g, m = plain(), spike_count.SpikeCount()
    show(g, [1, 0, 0, 0])
    m.next(g)
    show(g, [1, 1, 0, 0])
    m.next(g)
    result = m.compute()
    assert result.metric_name == "spike_count"
    assert result.global_result == {0: 2, 1: 1, 2: 1}
    assert result.per_layer_result == {0: 2, 1: 1, 2: 1}
    assert all(type(k) is int and type(v) is int for k, v in result.global_result.items())
    assert result.per_step_result is None and result.per_layer_per_step_result is None


def test_spike_count_key_zero_is_present_even_when_every_unit_spiked_and_absent_counts_are_not_keys():
    g, m = plain(), spike_count.SpikeCount()
    show(g, [1, 1, 1, 1])
    m.next(g)
    m.next(g)
    assert m.compute().global_result == {0: 0, 2: 4}


def test_spike_count_layered_and_nested():
    g, m = layered(), spike_count.SpikeCount()
    show(g, [1, 0, 0, 0])
    m.next(g)
    show(g, [1, 1, 0, 0])
    m.next(g)
    result = m.compute()
    assert result.global_result == {0: 8, 1: 4, 2: 4}
    assert result.per_layer_result == [{0: 2, 1: 1, 2: 1}] * 4

    g, m = nested(), spike_count.SpikeCount()
    show(g, *STEP_ONE)
    m.next(g)
    show(g, *STEP_TWO)
    m.next(g)
    result = m.compute()
    assert result.global_result == {0: 9, 1: 5, 2: 6}
    assert result.per_layer_result == [[{0: 2, 1: 1, 2: 1}] * 4, {0: 1, 1: 1, 2: 2}]
    assert isinstance(result.per_layer_result[0], list)


def test_spike_count_counts_any_nonzero_value_and_multidimensional_groups():
    g, m = neuron.Neurons((2, 3)), spike_count.SpikeCount()
    g.output.values = np.array([[2.0, 0, -1], [0, 0, 0.5]])
    m.next(g)
    g.output.values = np.array([[1.0, 0, 0], [0, 0, 0]])
    m.next(g)
    assert m.compute().global_result == {0: 3, 1: 2, 2: 1}
    assert [c.tolist() for c in m.per_unit()] == [[2, 0, 1, 0, 0, 1]]


# --- SpikeDensity -------------------------------------------------------------------------


def test_spike_density_plain_group():
    g, m = plain(), spike_density.SpikeDensity()
    show(g, [1, 0, 0, 0])
    m.next(g)
    show(g, [1, 1, 0, 0])
    m.next(g)
    result = m.compute()
    assert result.metric_name == "spike_density"
    assert result.per_layer_per_step_result == [0.25, 0.5]
    assert result.per_step_result == [0.25, 0.5]
    assert result.per_layer_result == 0.375
    assert result.global_result == 0.375
    assert result.per_step_result is not result.per_layer_per_step_result


def test_spike_density_layered():
    g, m = layered(), spike_density.SpikeDensity()
    show(g, [1, 0, 0, 0])
    m.next(g)
    show(g, [1, 1, 0, 0])
    m.next(g)
    result = m.compute()
    assert result.per_layer_per_step_result == [(0.25,) * 4, (0.5,) * 4]
    assert result.per_layer_result == [0.375] * 4
    assert result.per_step_result == [0.25, 0.5]
    assert result.global_result == 0.375


def test_spike_density_spec_example_is_unit_weighted_and_exact():
    g, m = nested(), spike_density.SpikeDensity()
    show(g, *STEP_ONE)
    m.next(g)
    show(g, *STEP_TWO)
    m.next(g)
    result = m.compute()
    assert result.per_step_result == [0.3, 0.55]
    assert result.global_result == 0.425  # exact, not approximately
    assert result.per_layer_result == [[0.375] * 4, 0.625]
    assert result.per_layer_per_step_result == [((0.25,) * 4, 0.5), ((0.5,) * 4, 0.75)]
    assert all(type(step) is tuple and type(step[0]) is tuple for step in result.per_layer_per_step_result)
    assert type(result.per_layer_result[0]) is list


def test_spike_density_weights_layers_by_units():
    g = neuron.FeedForward([neuron.Neurons(2), neuron.Neurons(6)])
    g.layers[0].output.values = np.array([1.0, 1.0])
    m = spike_density.SpikeDensity()
    m.next(g)
    result = m.compute()
    assert result.per_layer_per_step_result == [(1.0, 0.0)]
    assert result.per_step_result == [0.25]  # 2 of 8 units, not the mean of 1.0 and 0.0
    assert result.global_result == 0.25


# --- layouts, batches, buffering ------------------------------------------------------------


@pytest.mark.parametrize("make", [spike_count.SpikeCount, spike_density.SpikeDensity])
def test_a_differently_laid_out_group_is_refused_until_reset(make):
    m = make()
    m.next(nested())
    with pytest.raises(ValueError, match="layers changed"):
        m.next(layered())
    m.next(nested())  # another group with the same layout is fine
    m.reset()
    m.next(layered())


@pytest.mark.parametrize("make", [spike_count.SpikeCount, spike_density.SpikeDensity])
def test_the_same_group_relayered_between_steps_is_refused(make):
    group = neuron.FeedForward([neuron.Neurons(4), neuron.Neurons(3)])
    m = make()
    m.next(group)
    group.layers.append(neuron.Neurons(5))
    with pytest.raises(ValueError, match="layers changed"):
        m.next(group)


def random_layout():
    leaf = st.integers(1, 5).map(lambda n: ("leaf", n))
    return st.recursive(leaf, lambda kids: st.lists(kids, min_size=1, max_size=3), max_leaves=5)


def build(spec):
    if isinstance(spec, tuple):
        return neuron.Neurons(spec[1])
    return neuron.LayeredNeurons([build(s) for s in spec])


@given(spec=random_layout(), steps=st.integers(1, 12), split=st.integers(0, 12), seed=st.integers(0, 2**16))
def test_batches_and_steps_in_any_mix_give_the_same_results_as_steps(spec, steps, split, seed):
    group = build(spec)
    layout = Layout.of(group)
    leaves = []
    metric._collect_leaves(group, leaves)
    rng = np.random.default_rng(seed)
    recording = [rng.choice([0.0, 0.0, 1.0, 2.0], size=(steps, size)) for size in layout.sizes]
    split = min(split, steps)

    for make in (spike_count.SpikeCount, spike_density.SpikeDensity):
        stepped, batched, mixed, tiny_buffer = make(), make(), make(), make()
        tiny_buffer.buffer_elements = 1
        for t in range(steps):
            for leaf, rec in zip(leaves, recording):
                leaf.output.values = rec[t]
            stepped.next(group)
            tiny_buffer.next(group)
            if t >= split:
                mixed.next(group)
            if t == split - 1:
                mixed.next_batch(group, [rec[:split] for rec in recording])
        batched.next_batch(group, layout.nest(recording))
        want = stepped.compute()
        assert batched.compute() == want
        assert mixed.compute() == want
        assert tiny_buffer.compute() == want


def test_next_batch_takes_a_plain_array_or_layer_shaped_arrays_and_checks_them():
    g, m = neuron.Neurons((2, 2)), spike_count.SpikeCount()
    m.next_batch(g, np.array([[[1, 0], [0, 0]], [[1, 1], [0, 0]]]))
    assert m.compute().global_result == {0: 2, 1: 1, 2: 1}
    with pytest.raises(ValueError, match="shape"):
        m.next_batch(g, np.zeros((3, 5)))
    two = neuron.FeedForward([neuron.Neurons(2), neuron.Neurons(3)])
    m = spike_density.SpikeDensity()
    with pytest.raises(ValueError, match="steps"):
        m.next_batch(two, [np.zeros((2, 2)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="2 layers"):
        m.next_batch(two, [np.zeros((2, 2))])


def test_default_next_batch_replays_steps_through_next_for_any_metric():
    class LastLayerTotal(Metric):
        """Reads neurons.values (the last layer) and walks .layers, as user metrics do."""

        def reset(self):
            self.totals = []

        def next(self, neurons):
            self.totals.append((float(neurons.values.sum()), [layer.output.values.shape for layer in neurons.layers]))

        def compute(self):
            return MetricResults(self.name, per_step_result=self.totals)

    g = neuron.FeedForward([neuron.Neurons(3), neuron.Neurons((2, 2))])
    m = LastLayerTotal("total")
    m.next_batch(g, [np.zeros((2, 3)), np.array([[[1, 0], [0, 1]], [[1, 1], [1, 0]]])])
    assert m.compute().per_step_result == [(2.0, [(3,), (2, 2)]), (3.0, [(3,), (2, 2)])]


def test_writable_values_are_copied_so_buffered_steps_keep_what_was_shown():
    class InPlace:
        """A duck-typed group that reuses one array, as a user's object might."""

        shape = (3,)

        def __init__(self):
            self.values = np.zeros(3)

    g, m = InPlace(), spike_count.SpikeCount()
    for row in ([1, 0, 0], [1, 1, 0], [0, 0, 0]):
        g.values[:] = row
        m.next(g)
    assert m.compute().global_result == {0: 1, 1: 1, 2: 1}


def test_a_metric_pickled_mid_recording_continues_identically():
    g = nested()
    m = spike_density.SpikeDensity()
    show(g, *STEP_ONE)
    m.next(g)
    copy = pickle.loads(pickle.dumps(m))
    show(g, *STEP_TWO)
    m.next(g)
    copy.next(g)
    assert copy.compute() == m.compute()


@given(st.lists(st.integers(1, 9), min_size=2, max_size=4), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_spike_density_of_layers_of_different_sizes_against_its_definition(sizes, steps, seed):
    """Per step: active units of all layers over all their units (not a mean of layer
    densities); per layer: the mean over steps; global: the mean of the per-step values.
    Stepped through next and given whole through next_batch, the same numbers."""
    rng = np.random.default_rng(seed)
    activity = [rng.integers(0, 2, (steps, size)).astype(float) for size in sizes]
    group = neuron.FeedForward([neuron.Neurons(size) for size in sizes])
    stepped, batched = spike_density.SpikeDensity(), spike_density.SpikeDensity()
    for t in range(steps):
        for layer, values in zip(group.layers, activity):
            layer.output.values = values[t]
        stepped.next(group)
    batched.next_batch(group, activity)
    per_step = [sum(a[t].sum() for a in activity) / sum(sizes) for t in range(steps)]
    per_layer = [a.mean() for a in activity]
    for result in (stepped.compute(), batched.compute()):
        assert np.allclose(result.per_step_result, per_step, rtol=0, atol=1e-12)
        assert np.allclose(result.per_layer_result, per_layer, rtol=0, atol=1e-12)
        assert np.isclose(result.global_result, np.mean(per_step), rtol=0, atol=1e-12)
