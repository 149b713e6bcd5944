"""The original protobrain benchmark model, in the documented API.

Three layers of 100 neurons fed forward from a 1024-bit cyclic sensor over 0..100, with
k-winners (5% of each layer) and Hebbian learning. First 500 steps of the documented
feed/compute/learn loop, then 5,000 more in one ``Brain.run`` call (the same steps,
bit for bit, without leaving Rust), both watched by the ``SpikeDensity`` and
``SpikeCount`` metrics. Prints the speed of each and what every layer did.
"""

import time

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical
from protobrain.metrics import SpikeCount, SpikeDensity

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
density, counts = SpikeDensity(), SpikeCount()

# The documented loop: one call each to feed, compute and learn per step.
start = time.perf_counter()
for value in [v % 100 for v in range(500)]:
    sensor_.feed(value)
    brain_.compute()
    brain_.learn()
    density.next(neurons)
    counts.next(neurons)
loop_seconds = time.perf_counter() - start

# The same kind of steps, 5,000 of them in one call; the metrics take the recording whole.
values = [v % 100 for v in range(500, 5500)]
start = time.perf_counter()
recorded = brain_.run(values)  # one (steps, 100) bool array per layer
run_seconds = time.perf_counter() - start
density.next_batch(neurons, recorded)
counts.next_batch(neurons, recorded)

print(f"per-step loop: {500:>5} steps in {loop_seconds:.3f} s ({500 / loop_seconds:,.0f} steps/s)")
print(f"Brain.run:     {len(values):>5} steps in {run_seconds:.3f} s ({len(values) / run_seconds:,.0f} steps/s)")
steps = 500 + len(values)
for i, (mean, histogram) in enumerate(zip(density.compute().per_layer_result, counts.compute().per_layer_result)):
    busiest = max(spikes for spikes, units in histogram.items() if units)
    print(
        f"layer {i}: mean density {mean:.3f}, {histogram.get(0, 0)} of 100 units never fired, "
        f"the busiest fired in {busiest} of {steps} steps"
    )
