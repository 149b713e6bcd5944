"""protobrain.evaluate.noise against its definition: moving round(x * k) of the k active
input bits, and the mean fraction of each clean code that survives, written plainly here."""

import numpy as np
import pytest
from evaluate_brains import cyclic_sensor, patterns_by_hand
from hypothesis import given
from hypothesis import strategies as st

from protobrain import brain, computation, neuron
from protobrain.evaluate import add_noise, codes, noise_robustness


@st.composite
def _patterns_and_levels(draw):
    bits = draw(st.integers(2, 40))
    count = draw(st.integers(1, 5))
    rows = []
    for _ in range(count):
        active = draw(st.integers(0, bits // 2))  # k <= bits - k
        on = draw(st.permutations(range(bits)))[:active]
        row = np.zeros(bits, dtype=bool)
        row[list(on)] = True
        rows.append(row)
    inner = draw(st.lists(st.floats(0, 1, exclude_min=True), max_size=6))
    levels = np.array(sorted({0.0, *inner}))
    return np.array(rows), levels, draw(st.integers(0, 2**32 - 1))


@given(_patterns_and_levels())
def test_add_noise_moves_round_x_k_active_bits_keeping_their_number_and_nests_the_levels(case):
    patterns, levels, seed = case
    noisy = add_noise(patterns, levels, np.random.default_rng(seed))
    assert noisy.shape == (len(patterns), len(levels), patterns.shape[1]) and noisy.dtype == bool
    assert np.array_equal(noisy, add_noise(patterns, levels, np.random.default_rng(seed)))
    for clean, rows in zip(patterns, noisy):
        k = int(clean.sum())
        assert np.array_equal(rows[0], clean)  # level 0: no bit moved
        for x, row in zip(levels, rows):
            moved = round(float(x) * k)  # Python's round: half to even
            assert int(row.sum()) == k
            assert int((clean & ~row).sum()) == moved  # switched off
            assert int((~clean & row).sum()) == moved  # switched on
        for lower, higher in zip(rows, rows[1:]):
            assert not ((clean & ~lower) & ~(clean & ~higher)).any()  # off at a lower level: off higher too
            assert not ((~clean & lower) & ~(~clean & higher)).any()  # on at a lower level: on higher too


def test_add_noise_rounds_half_to_even():
    clean = np.zeros((1, 12), dtype=bool)
    clean[0, [1, 4, 6, 9]] = True  # k = 4: x * k is exactly 0.5, 1.5, 2.5, 3.5
    levels = np.array([0.0, 0.125, 0.375, 0.625, 0.875, 1.0])
    noisy = add_noise(clean, levels, np.random.default_rng(0))[0]
    assert [int((clean[0] & ~row).sum()) for row in noisy] == [0, 0, 2, 2, 4, 4]


def _brain(thresholds, seed=0):
    """A feed-forward stack from the cyclic sensor: k-winners first, then threshold layers
    (a high threshold leaves some codes, or every code, empty)."""
    np.random.seed(seed)
    layers = [neuron.Neurons(48)] + [neuron.Neurons(24) for _ in thresholds]
    made = brain.Brain(neuron.FeedForward(layers), cyclic_sensor(), computation=computation.SparseComputation(0.125))
    for layer, threshold in zip(layers[1:], thresholds):
        layer.computation = computation.StandardComputation(threshold)
    return made


def _fraction_kept(reference, now):
    """Mean over rows with a non-empty reference of |ref & now| / |ref|; NaN when there is none."""
    kept = [np.count_nonzero(r & n) / np.count_nonzero(r) for r, n in zip(reference, now) if r.any()]
    return float(np.mean(kept)) if kept else float("nan")


def _by_hand(brain_, values, levels, seed):
    clean = patterns_by_hand(brain_, values)
    grid = np.linspace(0, 1, levels)
    noisy = add_noise(clean, grid, np.random.default_rng(seed))
    per_level = [codes(brain_, noisy[:, level, :]) for level in range(levels)]
    curve = np.array([[_fraction_kept(per_level[0][j], level[j]) for j in range(len(level))] for level in per_level])
    together = [np.concatenate(level, axis=1) for level in per_level]
    overall = np.array([_fraction_kept(together[0], level) for level in together])
    return grid, clean, per_level, curve, overall


def test_the_curve_is_the_mean_fraction_of_the_clean_code_kept_per_layer_and_over_all_layers():
    brain_ = _brain([4.0, 1000.0])
    values = list(range(0, 100, 4))
    grid, clean, per_level, curve, overall = _by_hand(brain_, values, levels=6, seed=11)
    empty = [~c.any(axis=1) for c in per_level[0]]
    assert not empty[0].any() and 0 < empty[1].sum() < len(values) and empty[2].all()  # the cases the test is about
    assert np.array_equal(per_level[0][0], codes(brain_, clean)[0])  # level 0 is the clean pattern

    result = noise_robustness(brain_, values, levels=6, seed=11)
    assert np.array_equal(result.levels, grid)
    assert result.curve.shape == (6, 3)
    np.testing.assert_allclose(result.curve, curve, rtol=1e-12, equal_nan=True)
    assert np.isnan(result.curve[:, 2]).all()  # every clean code of layer 2 is empty
    assert np.array_equal(result.curve[0, :2], [1.0, 1.0])
    np.testing.assert_allclose(result.area, curve.mean(axis=0), rtol=1e-12, equal_nan=True)
    assert np.isnan(result.area[2])
    np.testing.assert_allclose(result.overall_curve, overall, rtol=1e-12)
    assert result.overall_area == pytest.approx(overall.mean(), rel=1e-12)
    assert 0 < result.overall_area < 1 and result.curve[-1, 0] < 1  # noise moves codes here


def test_values_whose_every_clean_code_is_empty_are_left_out_of_the_overall_curve():
    np.random.seed(3)
    layers = [neuron.Neurons(24), neuron.Neurons(24)]
    brain_ = brain.Brain(neuron.FeedForward(layers), cyclic_sensor(), computation=computation.StandardComputation(7.5))
    values = list(range(0, 100, 3))
    _, _, per_level, curve, overall = _by_hand(brain_, values, levels=5, seed=2)
    nothing = ~np.concatenate(per_level[0], axis=1).any(axis=1)
    assert 0 < nothing.sum() < len(values)
    result = noise_robustness(brain_, values, levels=5, seed=2)
    np.testing.assert_allclose(result.curve, curve, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(result.overall_curve, overall, rtol=1e-12)


def test_no_code_at_all_gives_nan():
    brain_ = brain.Brain(neuron.Neurons(16), cyclic_sensor(), computation=computation.StandardComputation(1000.0))
    result = noise_robustness(brain_, [1, 50], levels=3)
    assert result.curve.shape == (3, 1) and np.isnan(result.curve).all()
    assert np.isnan(result.area).all() and np.isnan(result.overall_curve).all() and np.isnan(result.overall_area)


def test_the_noise_follows_the_seed():
    brain_ = _brain([4.0])
    values = list(range(0, 100, 10))
    one, again, other = (noise_robustness(brain_, values, levels=5, seed=s) for s in (1, 1, 2))
    assert np.array_equal(one.curve, again.curve)
    assert not np.array_equal(one.curve, other.curve)
