"""protobrain.evaluate.similarity against its definition: Spearman's rank correlation, over
every pair i < j of values, between the overlap of their sensor bits and of their codes."""

import sys
from itertools import combinations

import numpy as np
import pytest
from evaluate_brains import assert_same_state, codes_by_hand, cyclic_sensor, feed_forward, loop_back, patterns_by_hand
from scipy.stats import spearmanr

from protobrain import brain, computation, neuron
from protobrain.evaluate import similarity_preservation

#: Values 3 apart: bands of 12 sensor bits overlap for neighbours, not for distant values.
VALUES = list(range(0, 60, 3))


def _overlaps(bits):
    return [int(np.count_nonzero(bits[i] & bits[j])) for i, j in combinations(range(len(bits)), 2)]


def _rho(inputs, outputs):
    if len(set(inputs)) == 1 or len(set(outputs)) == 1:
        return float("nan")
    return float(spearmanr(inputs, outputs).statistic)


def _by_hand(brain_, values):
    inputs = _overlaps(patterns_by_hand(brain_, values))
    found = codes_by_hand(brain_, values)
    return [_rho(inputs, _overlaps(layer)) for layer in found], _rho(inputs, _overlaps(np.concatenate(found, axis=1)))


@pytest.mark.parametrize("make", [feed_forward, loop_back])
def test_the_correlation_of_input_and_code_overlaps_over_all_pairs(make):
    brain_, untouched = make(seed=5), make(seed=5)
    for b in (brain_, untouched):
        b.run(range(0, 100, 7))
    layers, overall = _by_hand(brain_, VALUES)
    result = similarity_preservation(brain_, VALUES)
    np.testing.assert_allclose(result.layers, layers, rtol=1e-12)
    assert result.overall == pytest.approx(overall, rel=1e-12)
    assert all(0 < rho <= 1 for rho in layers)  # similar inputs get similar codes here
    assert_same_state(brain_, untouched)


def test_the_order_of_the_values_does_not_matter():
    brain_ = feed_forward(seed=1)
    shuffled = list(np.random.default_rng(0).permutation(VALUES))
    one, other = similarity_preservation(brain_, VALUES), similarity_preservation(brain_, shuffled)
    np.testing.assert_allclose(one.layers, other.layers, rtol=1e-12)


def test_inputs_that_never_overlap_give_nan():
    result = similarity_preservation(feed_forward(), [0, 25, 50, 75])
    assert np.isnan(result.layers).all() and np.isnan(result.overall)


def test_a_layer_whose_codes_all_overlap_alike_gives_nan_and_the_others_a_number():
    np.random.seed(2)
    layers = [neuron.Neurons(48), neuron.Neurons(16)]
    brain_ = brain.Brain(neuron.FeedForward(layers), cyclic_sensor(), computation=computation.SparseComputation(0.125))
    layers[1].computation = computation.StandardComputation(1000.0)  # never active: every overlap 0
    expected_layers, expected_overall = _by_hand(brain_, VALUES)
    result = similarity_preservation(brain_, VALUES)
    assert not np.isnan(result.layers[0]) and np.isnan(result.layers[1])
    np.testing.assert_allclose(result.layers, expected_layers, rtol=1e-12, equal_nan=True)
    assert result.overall == pytest.approx(expected_overall, rel=1e-12)


def test_without_scipy_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(ImportError, match=r"protobrain\[evaluate\]"):
        similarity_preservation(feed_forward(), VALUES)
