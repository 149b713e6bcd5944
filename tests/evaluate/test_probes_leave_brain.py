"""protobrain.evaluate: a probe leaves the brain bit for bit as it was, so a run goes on as
if it had never been taken; and the codes it reads are the brain's, each from the state
the brain is in (not from the probe's previous row)."""

import copy
import pickle

import numpy as np
import pytest
from evaluate_brains import (
    FEED_FORWARD_KINDS,
    KINDS,
    assert_same_state,
    codes_by_hand,
    loop_back,
    patterns_by_hand,
    values_for,
)

from protobrain.evaluate import (
    NoiseRobustnessProbe,
    ReadoutProbe,
    SimilarityProbe,
    StabilityProbe,
    codes,
    noise_robustness,
    readout,
    sensor_patterns,
    similarity_preservation,
)
from protobrain.evaluate import _codes as codes_module
from protobrain.evaluate.stability import StabilityTracker


def _labels(values):
    """Two classes, alternating in pairs, so both halves of ``values[::2]``/``[1::2]`` hold both."""
    return [(index // 2) % 2 for index in range(len(values))]


def _readout(brain_, values):
    labels = _labels(values)
    return readout(brain_, values[::2], labels[::2], values[1::2], labels[1::2])


def _stability_checkpoint(brain_, values):
    tracker = StabilityTracker(brain_, values)
    tracker.checkpoint(brain_, 0)
    tracker.checkpoint(brain_, 1)
    return tracker.result()


def _probe_objects(brain_, values):
    """Every Probe class, told start, a checkpoint and finish, as a benchmark tells them."""
    labels = _labels(values)
    probes = [
        NoiseRobustnessProbe(values, levels=3),
        StabilityProbe(values, every=1),
        ReadoutProbe(values[::2], labels[::2], values[1::2], labels[1::2]),
        SimilarityProbe(values),
    ]
    for probe in probes:
        probe.start(brain_)
        probe.checkpoint(brain_, 1)
    return [probe.finish(brain_) for probe in probes]


PROBES = {
    "codes": lambda b, v: codes(b, sensor_patterns(b, v)),
    "noise_robustness": lambda b, v: noise_robustness(b, v, levels=4, seed=3),
    "stability_checkpoint": _stability_checkpoint,
    "readout": _readout,
    "similarity": similarity_preservation,
    "probe_objects": _probe_objects,
}


def _outputs(brain_):
    return [group.output.values.copy() for group in brain_.layers]


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_probe_between_steps_changes_nothing_the_run_goes_on_to_see(kind, probe):
    make = KINDS[kind]
    probed, untouched = make(seed=7), make(seed=7)
    warm_up, after, probe_values = values_for(kind, 15, 1), values_for(kind, 12, 2), values_for(kind, 8, 3)
    for brain_ in (probed, untouched):
        brain_.run(warm_up)
    assert_same_state(probed, untouched)

    PROBES[probe](probed, probe_values)
    assert_same_state(probed, untouched)

    # The run goes on: first in one Brain.run call, then step by step.
    ran = probed.run(after[:6])
    expected = untouched.run(after[:6])
    assert len(ran) == len(expected) == len(probed.layers)
    assert all(np.array_equal(a, b) for a, b in zip(ran, expected))
    assert_same_state(probed, untouched)
    for value in after[6:]:
        for brain_ in (probed, untouched):
            brain_.sensor.feed(value)
            brain_.compute()
        assert all(np.array_equal(a, b) for a, b in zip(_outputs(probed), _outputs(untouched)))
        for brain_ in (probed, untouched):
            brain_.learn()
        assert_same_state(probed, untouched)


@pytest.mark.parametrize("probe", ["codes", "noise_robustness", "probe_objects"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_probe_between_compute_and_learn_leaves_what_learning_reads(kind, probe):
    """Learning reads this step's activity: a probe taken in the middle of a step puts it back."""
    make = KINDS[kind]
    probed, untouched = make(seed=3), make(seed=3)
    value = values_for(kind, 1, 4)[0]
    for brain_ in (probed, untouched):
        brain_.run(values_for(kind, 10, 5))
        brain_.sensor.feed(value)
        brain_.compute()
    PROBES[probe](probed, values_for(kind, 6, 6))
    assert_same_state(probed, untouched)
    for brain_ in (probed, untouched):
        brain_.learn()
    assert_same_state(probed, untouched)
    assert all(
        np.array_equal(a, b) for a, b in zip(probed.run(values_for(kind, 5, 7)), untouched.run(values_for(kind, 5, 7)))
    )


@pytest.mark.parametrize("kind", KINDS)
def test_codes_are_what_a_copy_of_the_brain_computes_for_each_pattern(kind):
    brain_ = KINDS[kind](seed=2)
    brain_.run(values_for(kind, 12, 8))
    values = values_for(kind, 7, 9)
    patterns = sensor_patterns(brain_, values)
    assert patterns.dtype == bool and np.array_equal(patterns, patterns_by_hand(brain_, values))
    found = codes(brain_, patterns)
    assert [c.shape for c in found] == [(len(values), group.output.size) for group in brain_.layers]
    assert all(c.dtype == bool for c in found)
    by_hand = codes_by_hand(brain_, values)
    assert all(np.array_equal(a, b) for a, b in zip(found, by_hand))
    # The same through a pickled copy, the pattern written straight into the sensor's output.
    for row, pattern in enumerate(patterns):
        twin = pickle.loads(pickle.dumps(brain_))
        twin.sensor.output.values = pattern.reshape(twin.sensor.output.shape)
        twin.compute()
        assert all(np.array_equal(c[row], g.output.values.reshape(-1) != 0) for c, g in zip(found, twin.layers))


@pytest.mark.parametrize("kind", FEED_FORWARD_KINDS)
def test_feed_forward_stacks_take_one_engine_call_that_gives_the_step_by_step_codes(kind, monkeypatch):
    brain_ = KINDS[kind](seed=4)
    brain_.run(values_for(kind, 10, 1))
    patterns = sensor_patterns(brain_, values_for(kind, 9, 2))
    original = codes_module._step_by_step
    taken = []
    monkeypatch.setattr(codes_module, "_step_by_step", lambda *args: taken.append(1) or original(*args))
    fast = codes(brain_, patterns)
    assert taken == []  # one engine call, not a step per pattern
    monkeypatch.setattr(codes_module, "_feed_forward", lambda brain_, layers: False)
    slow = codes(brain_, patterns)
    assert taken == [1]
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow))


@pytest.mark.parametrize("kind", sorted(set(KINDS) - set(FEED_FORWARD_KINDS)))
def test_other_brains_are_computed_step_by_step(kind, monkeypatch):
    brain_ = KINDS[kind](seed=4)
    original = codes_module._step_by_step
    taken = []
    monkeypatch.setattr(codes_module, "_step_by_step", lambda *args: taken.append(1) or original(*args))
    codes(brain_, sensor_patterns(brain_, values_for(kind, 3)))
    assert taken == [1]


def test_loop_back_codes_start_every_row_from_the_saved_state_not_from_the_row_before():
    brain_ = loop_back(seed=1)
    brain_.run(list(range(0, 100, 7)))
    first, second = 20, 70
    patterns = sensor_patterns(brain_, [first, second])

    # Order matters in this brain: second after first is not second from the saved state.
    chained = copy.deepcopy(brain_)
    for value in (first, second):
        chained.sensor.feed(value)
        chained.compute()
    after_first = [group.output.values.reshape(-1) != 0 for group in chained.layers]
    from_saved = [c[0] for c in codes_by_hand(brain_, [second])]
    assert not all(np.array_equal(a, b) for a, b in zip(after_first, from_saved))

    both = codes(brain_, patterns)
    assert all(np.array_equal(c[1], b) for c, b in zip(both, from_saved))
    assert all(np.array_equal(c[0], b[0]) for c, b in zip(both, codes_by_hand(brain_, [first])))
    swapped = codes(brain_, patterns[::-1])
    assert all(np.array_equal(a, b[::-1]) for a, b in zip(swapped, both))
    alone = codes(brain_, patterns[1:])
    assert all(np.array_equal(a[0], b[1]) for a, b in zip(alone, both))


def test_codes_of_no_patterns_are_empty_and_change_nothing():
    brain_, twin = loop_back(seed=1), loop_back(seed=1)
    for b in (brain_, twin):
        b.run(range(10))
    found = codes(brain_, np.zeros((0, brain_.sensor.output.size), dtype=bool))
    assert [c.shape for c in found] == [(0, 48), (0, 32)]
    assert_same_state(brain_, twin)


def _fails_on_a_full_sensor(**inputs):
    """A user computation that raises for one pattern (every sensor bit on)."""
    main = inputs["main"]
    if main.values.all():
        raise RuntimeError("no code for a full sensor")
    return np.asarray(main.values.reshape(-1) @ main.synapses.reshape(main.values.size, -1) > 6.0)


@pytest.mark.parametrize("kind", ["feed_forward", "loop_back"])
def test_a_part_raising_in_a_probe_leaves_the_brain_as_it_was(kind):
    made = [KINDS[kind](seed=5), KINDS[kind](seed=5)]
    for brain_ in made:
        brain_.layers[0].computation = _fails_on_a_full_sensor
        brain_.run(values_for(kind, 8))
        brain_.sensor.feed(42)
        brain_.compute()
    probed, untouched = made
    patterns = sensor_patterns(probed, [10, 20])
    patterns = np.concatenate([patterns, np.ones_like(patterns[:1])])
    with pytest.raises(RuntimeError, match="no code for a full sensor"):
        codes(probed, patterns)
    assert_same_state(probed, untouched)
    probed.learn()
    untouched.learn()
    assert_same_state(probed, untouched)
