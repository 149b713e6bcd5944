"""The original protobrain benchmark model, in the documented API.

Three layers of 100 neurons fed forward from a 1024-bit cyclic sensor over 0..100, with
k-winners (5% of each layer) and Hebbian learning; 500 steps of feed/compute/learn.
Prints how sparse each layer is and how its units share the spikes.
"""

import time

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical

np.random.seed(0)
layers = [neuron.Neurons(100) for _ in range(3)]
neurons = neuron.FeedForward(layers)
sensor_ = sensor.Sensor(numerical.CyclicEncoder(0, 100, 1024))
brain_ = brain.Brain(
    neurons,
    sensor_,
    computation=computation.SparseComputation(0.05),
    learning=learning.HebbianLearning(0.005, 0.001),
)

spikes = [np.zeros(layer.shape) for layer in layers]
start = time.perf_counter()
for value in [v for _ in range(5) for v in range(100)]:
    sensor_.feed(value)
    brain_.compute()
    brain_.learn()
    for count, layer in zip(spikes, layers):
        count += layer.values
elapsed = time.perf_counter() - start

print(f"500 steps in {elapsed:.3f} s ({500 / elapsed:.0f} steps/s)")
for i, count in enumerate(spikes):
    print(
        f"layer {i}: mean density {count.sum() / (500 * count.size):.3f}, "
        f"silent units {(count == 0).mean():.0%}, busiest unit fired {int(count.max())} times"
    )
