"""DutyCycleProbe: the share of starved units of every boosting layer, from the duty cycles
the model keeps (protobrain.homeostasis)."""

import math

import numpy as np
import pytest

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical
from protobrain.evaluate import DutyCycleProbe
from protobrain.metrics import Benchmark, SpikeCount


def _brain(boosts):
    np.random.seed(0)
    layers = [neuron.Neurons(60), neuron.Neurons(40)]
    stack = neuron.FeedForward(layers)
    model = brain.Brain(stack, sensor.Sensor(numerical.CyclicEncoder(0, 100, 200)), learning=learning.HebbianLearning())
    for layer, boost in zip(layers, boosts):
        layer.computation = computation.SparseComputation(0.1, boost_strength=boost, duty_cycle_period=20)
    return model


def test_starved_units_are_those_below_a_share_of_the_target():
    model = _brain((3.0, 0.0))
    values = np.random.default_rng(0).uniform(0, 100, 200)
    result = Benchmark([SpikeCount()], [DutyCycleProbe(0.25)]).run([model], values)[0]["starved_units"]
    first, second = result.details
    assert second is None and math.isnan(result.per_layer_result[1])
    assert first.target == 6 / 60
    duty = model.neurons.layers[0].duty_cycles
    assert np.array_equal(first.values, duty)
    want = float(np.mean(duty < 0.25 * 0.1))
    assert first.starved == result.per_layer_result[0] == want == result.global_result


def test_without_boosting_there_is_nothing_to_report():
    model = _brain((0.0, 0.0))
    result = DutyCycleProbe().finish(model)
    assert result.details == [None, None] and math.isnan(result.global_result)


@pytest.mark.parametrize("bad", [-0.1, 1.5, True, "0.1"])
def test_a_bad_share_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match=r"starved must be a number in \[0, 1\], got"):
        DutyCycleProbe(bad)
