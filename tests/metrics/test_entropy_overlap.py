"""docs/metrics.md: Entropy and Overlap, against their definitions, stepped and in batches split anywhere."""

import dataclasses
import math
import pickle

import numpy as np
import pytest
from helpers import step
from hypothesis import given
from hypothesis import strategies as st

from protobrain import computation, learning, neuron, sensor
from protobrain.brain import Brain
from protobrain.encoders import numerical
from protobrain.metrics import Entropy, Overlap
from protobrain.metrics.benchmark import Benchmark
from protobrain.metrics.metric import MetricResults

# --- the definitions, written out over small arrays: the oracle ----------------------------


def binary_entropy(p):
    if p == 0 or p == 1:
        return 0.0
    return -p * math.log2(p) - (1 - p) * math.log2(1 - p)


def entropy_of_units(layers):
    """Mean of H(f_i) over the units of ``layers`` (each steps x units) over H(mean of f_i)."""
    steps = len(layers[0])
    frequencies = []
    for layer in layers:
        for unit in range(layer.shape[1]):
            active = 0
            for t in range(steps):
                if layer[t][unit] != 0:
                    active += 1
            frequencies.append(active / steps)
    mean = sum(frequencies) / len(frequencies)
    if mean == 0 or mean == 1:
        return 0.0
    return (sum(binary_entropy(f) for f in frequencies) / len(frequencies)) / binary_entropy(mean)


def overlap_of_units(layers):
    """Mean over steps t >= 1 with A_t not empty of |A_t & A_(t-1)| / |A_t|; nan if no step qualifies."""

    def active_set(t):
        return {(index, unit) for index, layer in enumerate(layers) for unit in range(layer.shape[1]) if layer[t][unit]}

    ratios = []
    for t in range(1, len(layers[0])):
        now, before = active_set(t), active_set(t - 1)
        if now:
            ratios.append(len(now & before) / len(now))
    if not ratios:
        return float("nan")
    return sum(ratios) / len(ratios)


def oracle(definition, layers):
    """(per layer, depth-first; over all layers together)."""
    return [definition([layer]) for layer in layers], definition(layers)


# --- groups, recordings and comparisons ------------------------------------------------------


def layout_specs():
    """A leaf ``("leaf", units)`` is a plain group; a list is a layered group of its entries."""
    leaf = st.integers(1, 6).map(lambda n: ("leaf", n))
    return st.recursive(leaf, lambda kids: st.lists(kids, min_size=1, max_size=3), max_leaves=5)


def leaf_sizes(spec):
    if isinstance(spec, tuple):
        return [spec[1]]
    return [size for child in spec for size in leaf_sizes(child)]


def nest_like(spec, flat):
    """One item per leaf (depth-first) arranged like ``spec``: the item itself for a plain group."""
    items = iter(flat)

    def build(node):
        if isinstance(node, tuple):
            return next(items)
        return [build(child) for child in node]

    return build(spec)


def build(spec):
    if isinstance(spec, tuple):
        return neuron.Neurons(spec[1])
    return neuron.LayeredNeurons([build(child) for child in spec])


def leaves_of(group):
    if hasattr(group, "layers"):
        return [leaf for layer in group.layers for leaf in leaves_of(layer)]
    return [group]


def show(leaves, layers, t):
    for leaf, layer in zip(leaves, layers):
        leaf.output.values = layer[t]


KINDS = ("random", "sparse", "all", "none", "constant")


@st.composite
def recordings(draw):
    """(spec, one steps x units float array per leaf): layers that are random, sparse, all
    active, never active or the same pattern every step, and steps where every layer is silent."""
    spec = draw(layout_specs())
    sizes = leaf_sizes(spec)
    steps = draw(st.integers(1, 10))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=len(sizes), max_size=len(sizes)))
    silent = sorted(draw(st.sets(st.integers(0, steps - 1), max_size=steps)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers = []
    for size, kind in zip(sizes, kinds):
        if kind == "random":
            on = rng.random((steps, size)) < rng.random()
        elif kind == "sparse":
            on = rng.random((steps, size)) < 0.15
        elif kind == "all":
            on = np.ones((steps, size), dtype=bool)
        elif kind == "none":
            on = np.zeros((steps, size), dtype=bool)
        else:
            on = np.tile(rng.random(size) < 0.5, (steps, 1))
        values = np.where(on, rng.choice([1.0, 2.0, -0.5], size=on.shape), 0.0)
        values[silent] = 0.0
        layers.append(values)
    return spec, layers


def identical(a, b):
    """Equal to the last bit (nan equals nan, 0.0 differs from -0.0), floats being plain floats."""
    if isinstance(a, MetricResults):
        return type(b) is MetricResults and all(
            identical(getattr(a, field.name), getattr(b, field.name)) for field in dataclasses.fields(a)
        )
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        if type(a) is not float or type(b) is not float:
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def close(a, b):
    """Like ``identical`` but floats need only agree to rel_tol=1e-12 (nan with nan)."""
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    assert type(a) is float, a
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12)


METRICS = [(Entropy, entropy_of_units), (Overlap, overlap_of_units)]


# --- against the definitions, and the same whichever way the steps are recorded -----------


@given(
    recording=recordings(),
    cuts=st.lists(st.integers(0, 10), max_size=5),
    as_bool=st.booleans(),
)
def test_steps_and_batches_split_anywhere_give_identical_results_matching_the_definitions(recording, cuts, as_bool):
    spec, layers = recording
    steps = len(layers[0])
    cuts = sorted([min(cut, steps) for cut in cuts] + [0, steps])  # repeated cuts make empty batches
    segments = list(zip(cuts, cuts[1:]))
    group = build(spec)
    leaves = leaves_of(group)

    for make, definition in METRICS:
        stepped, batched, mixed, tiny_buffer = make(), make(), make(), make()
        tiny_buffer.buffer_elements = 1
        for t in range(steps):
            show(leaves, layers, t)
            stepped.next(group)
            tiny_buffer.next(group)
        for index, (first, stop) in enumerate(segments):
            batch = [layer[first:stop] != 0 if as_bool else layer[first:stop] for layer in layers]
            batched.next_batch(group, batch)
            if index % 2:
                for t in range(first, stop):
                    show(leaves, layers, t)
                    mixed.next(group)
            else:
                mixed.next_batch(group, batch)

        want = stepped.compute()
        assert identical(batched.compute(), want)
        assert identical(mixed.compute(), want)
        assert identical(tiny_buffer.compute(), want)
        assert identical(stepped.compute(), want)  # computing again changes nothing

        per_layer, overall = oracle(definition, layers)
        assert want.metric_name == make().name
        assert close(want.per_layer_result, nest_like(spec, per_layer))
        assert close(want.global_result, overall)
        assert want.per_step_result is None and want.per_layer_per_step_result is None


def test_names_and_exports():
    import protobrain.metrics as metrics

    assert Entropy().name == "entropy" and Overlap().name == "overlap"
    assert {"Entropy", "Overlap"} <= set(metrics.__all__)


@pytest.mark.parametrize("make", [Entropy, Overlap])
def test_compute_with_nothing_recorded_raises_also_after_reset_and_after_an_empty_batch(make):
    m = make()
    with pytest.raises(RuntimeError, match="no steps recorded"):
        m.compute()
    group = neuron.FeedForward([neuron.Neurons(3), neuron.Neurons(2)])
    m.next_batch(group, [np.zeros((0, 3), dtype=bool), np.zeros((0, 2), dtype=bool)])
    with pytest.raises(RuntimeError, match="no steps recorded"):
        m.compute()
    m.next(group)
    m.compute()
    m.reset()
    with pytest.raises(RuntimeError, match="no steps recorded"):
        m.compute()


def test_a_worked_example_nested_like_the_layers():
    """Layer one (4 units): {0}, {0, 1}, {1, 2}; layer two (3 units): all, all, none."""
    group = neuron.FeedForward([neuron.LayeredNeurons([neuron.Neurons(4)]), neuron.Neurons(3)])
    recording = [
        np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0]], dtype=bool),
        np.array([[1, 1, 1], [1, 1, 1], [0, 0, 0]], dtype=bool),
    ]
    overlap, entropy = Overlap(), Entropy()
    for m in (overlap, entropy):
        m.next_batch(group, recording)

    result = overlap.compute()
    # Layer one: 1/2 then 1/2. Layer two: 3/3, then a silent step that does not count.
    # Together: (1 + 3) / (2 + 3) = 0.8 and (1 + 0) / (2 + 0) = 0.5.
    assert result.per_layer_result == [[0.5], 1.0]
    assert result.global_result == 0.65

    result = entropy.compute()
    # Layer two: every unit active in 2 of 3 steps, so exactly 1.0.
    h = binary_entropy
    layer_one = (2 * h(2 / 3) + h(1 / 3)) / 4 / h(5 / 12)
    together = (5 * h(2 / 3) + h(1 / 3)) / 7 / h(11 / 21)
    assert type(result.per_layer_result[0]) is list and result.per_layer_result[1] == 1.0
    assert math.isclose(result.per_layer_result[0][0], layer_one, rel_tol=1e-12)
    assert math.isclose(result.global_result, together, rel_tol=1e-12)


# --- Entropy ---------------------------------------------------------------------------------


@given(st.integers(1, 8), st.integers(1, 8), st.booleans(), st.integers(0, 2**32 - 1))
def test_entropy_is_zero_when_every_unit_is_always_or_never_active(units, steps, mixed, seed):
    rng = np.random.default_rng(seed)
    always = rng.random(units) < 0.5 if mixed else np.full(units, rng.random() < 0.5)
    group = neuron.FeedForward([neuron.Neurons(units), neuron.Neurons(3)])
    other = rng.random((steps, 3)) < 0.5
    m = Entropy()
    m.next_batch(group, [np.tile(always, (steps, 1)), other])
    result = m.compute()
    assert identical(result.per_layer_result[0], 0.0)
    for activity in (np.ones((steps, units)), np.zeros((steps, units))):
        m = Entropy()
        m.next_batch(neuron.Neurons(units), activity)
        assert identical(m.compute().per_layer_result, 0.0)
        assert identical(m.compute().global_result, 0.0)


@given(st.integers(1, 8), st.integers(2, 9), st.data())
def test_entropy_is_exactly_one_when_every_unit_is_active_equally_often(units, steps, data):
    times = data.draw(st.integers(1, steps - 1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    activity = np.zeros((steps, units))
    for unit in range(units):
        activity[rng.choice(steps, size=times, replace=False), unit] = 1.0
    group = neuron.Neurons(units)
    m = Entropy()
    for row in activity:
        group.output.values = row
        m.next(group)
    result = m.compute()
    assert identical(result.per_layer_result, 1.0) and identical(result.global_result, 1.0)


def test_entropy_falls_as_the_activity_concentrates():
    steps = 20
    spread = np.zeros((steps, 10))
    spread[np.arange(steps), np.arange(steps) % 10] = 1  # each unit in turn
    concentrated = np.zeros((steps, 10))
    concentrated[:, 0] = 1
    concentrated[::2, 1] = 1
    concentrated[::10, 2:4] = 1
    results = []
    for activity in (spread, concentrated):
        m = Entropy()
        m.next_batch(neuron.Neurons(10), activity)
        results.append(m.compute().global_result)
    assert results[0] == 1.0 and 0 < results[1] < 0.5


# --- Overlap ---------------------------------------------------------------------------------


@given(st.integers(1, 8), st.integers(2, 9), st.integers(0, 2**32 - 1))
def test_overlap_of_a_constant_pattern_is_exactly_one(units, steps, seed):
    rng = np.random.default_rng(seed)
    pattern = rng.random(units) < 0.5
    pattern[rng.integers(units)] = True
    m = Overlap()
    m.next_batch(neuron.Neurons(units), np.tile(pattern, (steps, 1)))
    result = m.compute()
    assert identical(result.per_layer_result, 1.0) and identical(result.global_result, 1.0)


def test_overlap_is_nan_when_no_step_qualifies():
    group = neuron.FeedForward([neuron.Neurons(3), neuron.Neurons(2)])
    m = Overlap()
    m.next_batch(group, [np.array([[1, 1, 0]]), np.array([[1, 0]])])  # one step
    result = m.compute()
    assert math.isnan(result.global_result) and all(math.isnan(r) for r in result.per_layer_result)
    assert type(result.global_result) is float

    m.next_batch(group, [np.zeros((2, 3)), np.array([[1, 1], [0, 1]])])  # only layer two is active later
    result = m.compute()
    assert math.isnan(result.per_layer_result[0])
    assert result.per_layer_result[1] == (1 / 2 + 1 / 1) / 2 == result.global_result

    m = Overlap()
    m.next_batch(neuron.Neurons(3), np.array([[1, 0, 1], [0, 0, 0], [0, 0, 0]]))  # silent after the first
    assert math.isnan(m.compute().global_result)


def test_overlap_skips_silent_steps_but_does_not_bridge_them():
    m = Overlap()
    pattern = [1.0, 0.0, 1.0]
    m.next_batch(neuron.Neurons(3), np.array([pattern, [0.0] * 3, pattern]))
    assert identical(m.compute().global_result, 0.0)  # step 2 shares nothing with the silent step 1


def test_overlap_pairs_the_last_step_of_a_batch_with_the_first_of_the_next_also_after_pickling():
    group = neuron.Neurons(4)
    whole, split = Overlap(), Overlap()
    activity = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]])
    whole.next_batch(group, activity)
    split.next_batch(group, activity[:2])
    split = pickle.loads(pickle.dumps(split))
    split.next_batch(group, activity[2:])
    assert whole.compute().global_result == split.compute().global_result == 0.5


# --- a real brain ----------------------------------------------------------------------------


def brain_(cls=Brain):
    np.random.seed(3)
    layers = [neuron.Neurons(40), neuron.Neurons((5, 6))]
    return cls(
        neuron.FeedForward(layers),
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 256)),
        computation=computation.SparseComputation(0.1),
        learning=learning.HebbianLearning(0.01, 0.002),
    )


def test_brain_run_recordings_in_batches_give_the_results_of_stepping_the_brain():
    inputs = [v % 100 for v in range(150)]
    ran, stepped = brain_(), brain_()
    batched, stepwise = [Entropy(), Overlap()], [Entropy(), Overlap()]
    for first, stop in ((0, 37), (37, 38), (38, 150)):
        recorded = ran.run(inputs[first:stop])
        assert all(array.dtype == bool for array in recorded)
        for m in batched:
            m.next_batch(ran.neurons, recorded)
    for value in inputs:
        step(stepped, value)
        for m in stepwise:
            m.next(stepped.neurons)
    for a, b in zip(batched, stepwise):
        assert identical(a.compute(), b.compute())
    assert np.array_equal(ran.neurons.layers[1].input.synapses, stepped.neurons.layers[1].input.synapses)
    entropy, overlap = (m.compute() for m in batched)
    assert 0 < entropy.global_result <= 1 and 0 <= overlap.global_result <= 1


def test_benchmark_runs_in_rust_and_step_by_step_give_the_same_results():
    class Stepped(Brain):
        def compute(self):
            return super().compute()

    inputs = [v % 100 for v in range(120)]
    fast = Benchmark([Entropy(), Overlap()]).run([brain_()], inputs)
    slow = Benchmark([Entropy(), Overlap()]).run([brain_(Stepped)], inputs)
    assert fast == slow
