"""``connected``: a synapse counts 1 when its weight reaches the threshold, 0 otherwise
(HTM's overlap), for both built-in computations, against tests/reference.py."""

import pickle

import numpy as np
import pytest
import reference
from helpers import benchmark_brain
from hypothesis import given
from hypothesis import strategies as st

from protobrain import checkpoint, computation, messages, neuron, synapses
from protobrain.proto import experiment_pb2

INPUTS = [v for _ in range(3) for v in range(100)]


@st.composite
def cases(draw):
    pre, post = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    grid = draw(st.sampled_from([None, 8]))  # on a grid of eighths, weights hit the threshold exactly
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0, 1, (pre, post))
    if grid:
        weights = np.round(weights * grid) / grid
    weights[rng.random((pre, post)) < 0.2] = 0.0  # dead synapses
    values = np.where(rng.random(pre) < 0.4, rng.choice([1.0, 0.5, 2.0, -1.0], pre), 0.0)
    threshold = draw(st.sampled_from([0.0, 0.125, 0.5, 0.875, 1.0]))
    return weights, values, threshold


def _group(weights, values, comp):
    pre, post = weights.shape
    source = synapses.Output(pre)
    source.values = values
    group = neuron.Neurons(post)
    group.input.connect(source, lambda a, b: weights)
    group.computation = comp
    return group


@given(cases(), st.integers(0, 3))
def test_activation_counts_connected_synapses_like_the_reference(case, k):
    weights, values, threshold = case
    post = weights.shape[1]
    act = reference.activation([(values, weights)], post, threshold)
    # The threshold at 0 fires every unit whose count is above 0; k-winners picks by count.
    standard = _group(weights, values, computation.StandardComputation(0.0, connected=threshold))
    assert np.array_equal(standard.compute(), reference.standard(act, 0.0))
    n = min(k + 1, post)
    sparse = _group(weights, values, computation.SparseComputation(n, connected=threshold))
    assert np.array_equal(sparse.compute(), reference.sparse(act, n))
    called = computation.SparseComputation(n, connected=threshold)(**sparse.inputs)
    assert np.array_equal(called, reference.sparse(act, n))


def test_a_weight_exactly_at_the_threshold_is_connected():
    weights = np.array([[0.5, 0.4999999999999999, 1.0]])
    group = _group(weights, np.array([1.0]), computation.StandardComputation(0.5, connected=0.5))
    assert group.compute().tolist() == [True, False, True]


def test_a_learning_brain_with_connected_synapses_matches_the_reference_step_by_step_and_in_runs():
    ref = reference.benchmark_model((60, 40))
    stepped = benchmark_brain((60, 40))
    stepped.computation = computation.SparseComputation(0.05, connected=0.5)
    run = benchmark_brain((60, 40))
    run.computation = computation.SparseComputation(0.05, connected=0.5)
    recorded = run.run(INPUTS)
    for t, value in enumerate(INPUTS):
        stepped.sensor.feed(value)
        stepped.compute()
        stepped.learn()
        want = ref.step(value, ("sparse", 0.05, 0.5), (0.005, 0.001))
        for i, (layer, expected) in enumerate(zip(stepped.neurons.layers, want)):
            assert np.array_equal(layer.values, expected), f"step {t}"
            assert np.array_equal(recorded[i][t], expected != 0), f"step {t}"
    for a, b, r in zip(stepped.neurons.layers, run.neurons.layers, ref.layers):
        assert np.array_equal(a.input.synapses, r.inputs["main"][1])
        assert np.array_equal(b.input.synapses, r.inputs["main"][1])


def test_connected_changes_the_codes_and_none_keeps_todays():
    plain, counted = benchmark_brain((50,)), benchmark_brain((50,))
    counted.computation = computation.SparseComputation(0.05, connected=0.5)
    assert not np.array_equal(plain.run(INPUTS[:50]), counted.run(INPUTS[:50]))
    same = benchmark_brain((50,))
    same.computation = computation.SparseComputation(0.05, connected=None)
    assert np.array_equal(benchmark_brain((50,)).run(INPUTS[:50]), same.run(INPUTS[:50]))


@pytest.mark.parametrize("bad", [-0.01, 1.5, float("nan"), float("inf")])
@pytest.mark.parametrize("make", [computation.SparseComputation, computation.StandardComputation])
def test_a_connected_threshold_outside_zero_to_one_is_refused_naming_it(make, bad):
    with pytest.raises(ValueError, match=rf"connected must be in \[0, 1\] \(a weight threshold\), got {bad!r}"):
        make(0.5, connected=bad)
    comp = make(0.5)
    with pytest.raises(ValueError, match="connected must be in"):
        comp.connected = bad
    assert comp.connected is None  # unchanged


def test_a_non_number_is_a_type_error():
    with pytest.raises(TypeError, match="connected must be a real number"):
        computation.SparseComputation(3, connected="0.5")


def test_repr_pickle_and_assignment():
    comp = computation.SparseComputation(3, connected=0.25)
    assert repr(comp) == "SparseComputation(n=3, connected=0.25)"
    assert repr(computation.StandardComputation(1.0)) == "StandardComputation(threshold=1.0)"
    copy = pickle.loads(pickle.dumps(comp))
    assert copy.connected == 0.25 and copy.n == 3
    comp.connected = None
    assert repr(comp) == "SparseComputation(n=3)"


def test_checkpoints_keep_connected(tmp_path):
    model = benchmark_brain((30, 20))
    model.computation = computation.StandardComputation(2.0, connected=0.75)
    model.run(INPUTS[:20])
    checkpoint.save(model, tmp_path / "m.pbk")
    loaded = checkpoint.load(tmp_path / "m.pbk")
    assert [c.connected for c in loaded.computation] == [0.75, 0.75]
    assert np.array_equal(
        np.concatenate(model.run(INPUTS[20:60]), axis=1), np.concatenate(loaded.run(INPUTS[20:60]), axis=1)
    )


def test_experiment_files_take_connected():
    message = experiment_pb2.Computation()
    message.sparse.fraction = 0.1
    message.sparse.connected = 0.5
    assert repr(messages.decode_computation(message)) == "SparseComputation(n=0.1, connected=0.5)"
    message = experiment_pb2.Computation()
    message.standard.threshold = 3
    message.standard.connected = 0.2
    assert repr(messages.decode_computation(message)) == "StandardComputation(threshold=3.0, connected=0.2)"
