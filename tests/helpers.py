"""Builders shared by the tests: the same model in protobrain and in the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical

#: The repository's root, and the folder of the tests' shared modules (this one's).
ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def benchmark_brain(layer_sizes=(100, 100, 100), sensor_length=1024, seed=0, rates=(0.005, 0.001), n=0.05):
    """The original benchmark script's model, built with the documented API."""
    np.random.seed(seed)
    layers = [neuron.Neurons(size) for size in layer_sizes]
    neurons = neuron.FeedForward(layers)
    encoder = numerical.CyclicEncoder(0, 100, sensor_length)
    sensor_ = sensor.Sensor(encoder)
    learn = learning.HebbianLearning(*rates) if rates is not None else None
    return brain.Brain(neurons, sensor_, computation=computation.SparseComputation(n), learning=learn)


def step(brain_, value, learn=True):
    brain_.sensor.feed(value)
    brain_.compute()
    if learn:
        brain_.learn()
