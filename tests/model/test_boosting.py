"""Homeostasis: k-winners boosted by duty cycles (protobrain.homeostasis), against tests/reference.py."""

import copy
import pickle

import numpy as np
import pytest
import reference
from helpers import benchmark_brain
from hypothesis import given, settings
from hypothesis import strategies as st

from protobrain import checkpoint, computation, evaluate, learning, neuron

INPUTS = [v for _ in range(3) for v in range(100)]


def boosting(sizes=(60, 40), strength=2.0, period=50, n=0.05, rates=(0.005, 0.001), sensor_length=1024):
    model = benchmark_brain(sizes, sensor_length=sensor_length, rates=rates)
    model.computation = computation.SparseComputation(n, boost_strength=strength, duty_cycle_period=period)
    return model


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(5, 40), min_size=1, max_size=3),
    st.sampled_from([0.5, 2.0, 10.0]),
    st.integers(1, 30),
    st.sampled_from([0.1, 3]),
    st.booleans(),
)
def test_boosted_k_winners_and_duty_cycles_match_the_reference_step_by_step_and_in_runs(
    sizes, strength, period, n, learns
):
    sizes = tuple(sizes)
    rates = (0.005, 0.001) if learns else None
    ref = reference.benchmark_model(sizes, sensor_length=128)
    stepped = boosting(sizes, strength, period, n, rates, sensor_length=128)
    run = boosting(sizes, strength, period, n, rates, sensor_length=128)
    values = INPUTS[:60]
    recorded = run.run(values)
    for t, value in enumerate(values):
        stepped.sensor.feed(value)
        stepped.compute()
        stepped.learn()
        want = ref.step(value, ("sparse", n, None, (strength, period)), rates or (0.0, 0.0))
        for i, (layer, expected) in enumerate(zip(stepped.neurons.layers, want)):
            assert np.array_equal(layer.values, expected), f"step {t} layer {i}"
            assert np.array_equal(recorded[i][t], expected != 0), f"step {t} layer {i}"
    for a, b, r in zip(stepped.neurons.layers, run.neurons.layers, ref.layers):
        assert np.array_equal(a.duty_cycles.ravel(), r.duty) and np.array_equal(b.duty_cycles.ravel(), r.duty)
        assert a._duty.steps == b._duty.steps == r.duty_steps == len(values)
        assert np.array_equal(a.input.synapses, r.inputs["main"][1])
        assert np.array_equal(b.input.synapses, r.inputs["main"][1])


def test_no_boost_is_todays_model_and_keeps_no_duty_cycles():
    plain, zero = benchmark_brain((50, 30)), benchmark_brain((50, 30))
    zero.computation = computation.SparseComputation(0.05, boost_strength=0.0, duty_cycle_period=7)
    assert all(np.array_equal(a, b) for a, b in zip(plain.run(INPUTS), zero.run(INPUTS)))
    assert all(layer._duty is None for layer in zero.neurons.layers)
    assert not zero.neurons.layers[0].duty_cycles.any()


def test_boosting_uses_more_units():
    plain, boosted = benchmark_brain((100,)), boosting((100,), strength=5.0, period=100)
    silent = [np.count_nonzero(m.run(INPUTS)[0].sum(axis=0) == 0) for m in (plain, boosted)]
    assert silent[1] < silent[0]


def test_only_learning_steps_move_the_duty_cycles():
    model = boosting()
    model.run(INPUTS[:30])
    before = [layer.duty_cycles for layer in model.neurons.layers]
    model.run(INPUTS[30:60], learn=False)
    model.sensor.feed(3)
    model.compute()
    evaluate.noise_robustness(model, range(10), levels=3)
    assert all(np.array_equal(a, layer.duty_cycles) for a, layer in zip(before, model.neurons.layers))
    model.learn()
    assert not np.array_equal(before[0], model.neurons.layers[0].duty_cycles)


def test_a_group_stepped_by_hand_learns_its_duty_cycles_too():
    model, twin = boosting(), boosting()
    model.run(INPUTS[:20])
    for value in INPUTS[:20]:
        twin.sensor.feed(value)
        for layer in twin.neurons.layers:
            layer.compute()
        for layer in twin.neurons.layers:
            layer.learn()
    for a, b in zip(model.neurons.layers, twin.neurons.layers):
        assert np.array_equal(a.duty_cycles, b.duty_cycles) and np.array_equal(a.values, b.values)


def test_one_computation_on_several_layers_boosts_each_by_its_own_duty_cycles():
    model = boosting((40, 40))
    first, second = model.neurons.layers
    assert first.computation is second.computation
    model.run(INPUTS[:50])
    assert not np.array_equal(first.duty_cycles, second.duty_cycles)
    assert first.duty_cycles.shape == (40,)


@pytest.mark.parametrize("how", ["checkpoint", "pickle", "deepcopy"])
def test_saved_boosting_brains_continue_bit_identically(tmp_path, how):
    model = boosting()
    model.run(INPUTS[:40])
    if how == "checkpoint":
        checkpoint.save(model, tmp_path / "b.pbk")
        copy_ = checkpoint.load(tmp_path / "b.pbk")
    elif how == "pickle":
        copy_ = pickle.loads(pickle.dumps(model))
    else:
        copy_ = copy.deepcopy(model)
    assert repr(copy_.computation[0]) == "SparseComputation(n=0.05, boost_strength=2.0, duty_cycle_period=50)"
    for a, b in zip(model.neurons.layers, copy_.neurons.layers):
        assert np.array_equal(a.duty_cycles, b.duty_cycles) and a._duty.steps == b._duty.steps == 40
    later = [model.run(INPUTS[40:100]), copy_.run(INPUTS[40:100])]
    assert all(np.array_equal(a, b) for a, b in zip(*later))
    for a, b in zip(model.neurons.layers, copy_.neurons.layers):
        assert np.array_equal(a.duty_cycles, b.duty_cycles)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"boost_strength": -0.5}, r"boost_strength must be a finite number >= 0, got -0.5"),
        ({"boost_strength": float("nan")}, r"boost_strength must be a finite number >= 0, got nan"),
        ({"boost_strength": float("inf")}, r"boost_strength must be a finite number >= 0, got inf"),
        ({"duty_cycle_period": 0}, r"duty_cycle_period must be an int >= 1, got 0"),
        ({"duty_cycle_period": 2.5}, r"duty_cycle_period must be an int >= 1, got 2.5"),
        ({"duty_cycle_period": True}, r"duty_cycle_period must be an int >= 1, got True"),
    ],
)
def test_bad_boost_parameters_are_refused_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        computation.SparseComputation(0.1, **kwargs)
    comp = computation.SparseComputation(0.1)
    name, value = next(iter(kwargs.items()))
    with pytest.raises(ValueError, match=match):
        setattr(comp, name, value)
    assert (comp.boost_strength, comp.duty_cycle_period) == (0.0, 1000)


def test_a_boosting_computation_called_without_its_group_says_so():
    group = neuron.Neurons(10, computation=computation.SparseComputation(2, boost_strength=1.0))
    with pytest.raises(ValueError, match="needs its group's duty cycles"):
        group.computation(**group.inputs)


def test_duty_cycles_stay_within_zero_and_one_and_follow_the_moving_average():
    model = boosting((30,), period=4, rates=None)
    model.learning = learning.HebbianLearning(0.0, 0.0)
    recorded = model.run(INPUTS[:10])[0]
    duty, steps = np.zeros(30), 0
    for row in recorded:
        duty, steps = reference.update_duty(duty, steps, row, 4)
    assert np.array_equal(model.neurons.layers[0].duty_cycles, duty)
    assert ((duty >= 0) & (duty <= 1)).all()
