"""protobrain.evaluate.prediction: an online predictor reading each layer, against the
sensor's baseline, on a task where only context tells what comes next."""

import copy

import numpy as np
import pytest

from protobrain.brain import Brain
from protobrain.encoders.numerical import SimpleEncoder
from protobrain.evaluate import PredictionProbe, prediction
from protobrain.metrics import Benchmark, SpikeDensity
from protobrain.sensor import Sensor
from protobrain.sequence import SequenceMemory

# Two sequences sharing their middle: after 3 comes 4 or 6, depending on what came before 2.
A, B = [1, 2, 3, 4], [5, 2, 3, 6]


def trained():
    np.random.seed(0)
    memory = SequenceMemory(
        120, 8, activation_threshold=4, min_threshold=3, max_new_synapses=8, predicted_segment_decrement=0.02
    )
    brain = Brain(memory, Sensor(SimpleEncoder(0, 11, 120, 0.05)))
    brain.run([float(v) for _ in range(40) for v in A + B])
    return brain


def laps(count):
    values = [float(v) for _ in range(count) for v in A + B]
    return values, np.array(values, dtype=int)


def test_a_sequence_memory_predicts_what_the_sensor_alone_cannot():
    brain = trained()
    values, buckets = laps(20)
    result = prediction(brain, values, buckets, 1, skip=80)
    assert result.layers.tolist() == [1.0] and result.overall == 1.0
    # The sensor's bits show 3 alike in both sequences: at best 7 of every 8 steps right.
    assert result.sensor <= 7 / 8
    two_ahead = prediction(brain, values, buckets, 2, skip=80)
    assert two_ahead.layers[0] == 1.0 and two_ahead.sensor <= 6 / 8


def test_the_brain_is_left_as_it_was():
    brain = trained()
    twin = copy.deepcopy(brain)
    values, buckets = laps(5)
    prediction(brain, values, buckets, 1, learn=True)
    assert np.array_equal(brain.run(values)[0], twin.run(values)[0])
    assert brain.neurons.segments() == twin.neurons.segments()


def test_the_probe_reports_each_layer_beside_the_metrics():
    values, buckets = laps(20)
    probe = PredictionProbe(values, buckets, skip=80)
    (results,) = Benchmark([SpikeDensity()], [probe]).run([trained()], laps(2)[0])
    assert results["prediction"].per_layer_result == 1.0  # one layer: not a list, as the metrics nest it
    assert results["prediction"].details.sensor <= 7 / 8


def test_bad_arguments_are_refused_naming_them():
    brain = trained()
    values, buckets = laps(2)
    with pytest.raises(ValueError, match=r"one bucket per value: 16 values, buckets of shape \(15,\)"):
        prediction(brain, values, buckets[:-1])
    with pytest.raises(ValueError, match="steps must be an int >= 1, got 0"):
        prediction(brain, values, buckets, 0)
    with pytest.raises(ValueError, match=r"skip must be an int in \[0, 15\)"):
        prediction(brain, values, buckets, 1, skip=15)
    with pytest.raises(ValueError, match="PredictionProbe: buckets must hold one bucket per value"):
        PredictionProbe(values, buckets[:3])
