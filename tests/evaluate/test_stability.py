"""protobrain.evaluate.stability against its definition: the probes' codes at checkpoints
0, every, 2 every, ... and the last step, each compared with the one before
(mean over probes of |A_before ∩ A_now| / |A_before|); the brain ends as brain.run leaves it."""

import numpy as np
import pytest
from evaluate_brains import KINDS, assert_same_state, codes_by_hand, feed_forward, values_for

from protobrain.evaluate import stability
from protobrain.evaluate.stability import StabilityTracker


def _fraction_kept(before, now):
    kept = [np.count_nonzero(b & n) / np.count_nonzero(b) for b, n in zip(before, now) if b.any()]
    return float(np.mean(kept)) if kept else float("nan")


def _by_hand(brain_, values, probes, every):
    """Checkpoint steps and per-layer / overall overlaps, training a copy in plain runs."""
    steps = list(range(0, len(values), every)) + [len(values)]
    taken = []
    for start, end in zip([0] + steps[1:], steps[1:] + [None]):
        taken.append(codes_by_hand(brain_, probes))
        if end is not None:
            brain_.run(values[start:end])
    per_layer = [[_fraction_kept(b, n) for b, n in zip(before, now)] for before, now in zip(taken, taken[1:])]
    together = [np.concatenate(codes, axis=1) for codes in taken]
    overall = [_fraction_kept(b, n) for b, n in zip(together, together[1:])]
    return steps, np.array(per_layer), np.array(overall)


@pytest.mark.parametrize(
    "kind, count, every",
    [("feed_forward", 23, 5), ("feed_forward", 20, 5), ("loop_back", 17, 4), ("python_computation", 9, 20)],
)
def test_stability_compares_each_checkpoint_with_the_one_before(kind, count, every):
    values, probes = values_for(kind, count, 1), values_for(kind, 9, 2)
    steps, per_layer, overall = _by_hand(KINDS[kind](seed=6), values, probes, every)
    expected_steps = list(range(0, count, every)) + [count]
    assert steps == expected_steps  # (the definition, as the helper above reads it)

    result = stability(KINDS[kind](seed=6), values, probes, every)
    assert result.steps.tolist() == expected_steps
    assert result.overlap.shape == (len(expected_steps) - 1, 2)
    np.testing.assert_allclose(result.overlap, per_layer, rtol=1e-12)
    np.testing.assert_allclose(result.mean, per_layer.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.overall, overall, rtol=1e-12)
    assert result.overall_mean == pytest.approx(overall.mean(), rel=1e-12)
    assert (result.overlap < 1).any()  # learning moved some codes here


@pytest.mark.parametrize("kind", KINDS)
def test_the_brain_ends_exactly_as_brain_run_leaves_it(kind):
    measured, trained = KINDS[kind](seed=2), KINDS[kind](seed=2)
    values = values_for(kind, 14, 3)
    stability(measured, values, values_for(kind, 6, 4), every=3)
    trained.run(values)
    assert_same_state(measured, trained)
    later = values_for(kind, 5, 5)
    assert all(np.array_equal(a, b) for a, b in zip(measured.run(later), trained.run(later)))


def test_every_step_a_checkpoint_and_one_beyond_the_end():
    values = values_for("feed_forward", 4, 1)
    assert stability(feed_forward(), values, [1, 2], every=1).steps.tolist() == [0, 1, 2, 3, 4]
    assert stability(feed_forward(), values, [1, 2], every=10).steps.tolist() == [0, 4]
    assert stability(feed_forward(), np.array(values), [1, 2], every=2).steps.tolist() == [0, 2, 4]


def test_without_learning_feed_forward_codes_do_not_move():
    brain_, untouched = feed_forward(), feed_forward()
    result = stability(brain_, values_for("feed_forward", 12), list(range(0, 100, 9)), every=4, learn=False)
    assert np.array_equal(result.overlap, np.ones((3, 2))) and result.overall_mean == 1.0
    assert all(np.array_equal(a.input.synapses, b.input.synapses) for a, b in zip(brain_.layers, untouched.layers))


def test_the_tracker_compares_the_checkpoints_it_is_given():
    brain_ = feed_forward(seed=4)
    probes = list(range(0, 100, 11))
    tracker = StabilityTracker(brain_, probes)
    tracker.checkpoint(brain_, 0)
    with pytest.raises(ValueError, match="at least two checkpoints"):
        tracker.result()
    values = values_for("feed_forward", 10)
    brain_.run(values[:7])
    tracker.checkpoint(brain_, 7)
    brain_.run(values[7:])
    tracker.checkpoint(brain_, 10)
    steps, per_layer, overall = _by_hand(feed_forward(seed=4), values, probes, 7)
    result = tracker.result()
    assert result.steps.tolist() == steps == [0, 7, 10]
    np.testing.assert_allclose(result.overlap, per_layer, rtol=1e-12)
    np.testing.assert_allclose(result.overall, overall, rtol=1e-12)
