"""Brain.run with the first layer a step ahead on a second core gives what the per-step loop
and tests/reference.py give.

Whether a run is pipelined is read once per process from ``PROTOBRAIN_PIPELINE``
(``on``, ``off``, default ``auto``: when timing says it pays), so these checks run in fresh
processes with the mode set.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import TESTS

CHECK = """
import numpy as np
from helpers import benchmark_brain, step
import reference
from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical

values = [(v * 7) % 100 for v in range(300)]

def weights_of(b):
    return [i.synapses.copy() for layer in b.layers for i in layer.inputs.values() if i.connected]

# The benchmark model against the reference, step by step.
ours = benchmark_brain((60, 50, 40), 512)
ref = reference.benchmark_model((60, 50, 40), 512)
recorded = ours.run(values)
for t, value in enumerate(values):
    expected = ref.step(value, ("sparse", 0.05), (0.005, 0.001))
    for r, want in zip(recorded, expected):
        assert np.array_equal(r[t], want.astype(bool)), t
for a, c in zip(weights_of(ours), [g.inputs["main"][1] for g in ref.layers]):
    assert np.array_equal(a, c)

# Layers that also read themselves, and a later layer feeding an earlier one (not the
# first), against the per-step loop; in pieces, learning and not.
def looped(seed):
    np.random.seed(seed)
    layers = [neuron.Neurons(n) for n in (40, 30, 20)]
    group = neuron.FeedForward(layers)
    for layer in layers:
        layer.set("self", layer)
    layers[1].set("back", layers[2])
    return brain.Brain(
        group,
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 256)),
        computation=computation.SparseComputation(0.1),
        learning=learning.HebbianLearning(0.01, 0.002),
    )

run, loop = looped(3), looped(3)
pieces = [run.run(values[:150]), run.run(values[150:], learn=False)]
for t, value in enumerate(values):
    step(loop, value, learn=t < 150)
    got = pieces[0] if t < 150 else pieces[1]
    for r, layer in zip(got, loop.layers):
        assert np.array_equal(r[t % 150], layer.values.astype(bool)), t
for a, b in zip(weights_of(run), weights_of(loop)):
    assert np.array_equal(a, b)
assert np.array_equal(run.sensor.values, loop.sensor.values)
print("same")
"""


@pytest.mark.parametrize("mode", ["on", "off"])
def test_runs_in_either_mode_equal_the_loop_and_the_reference(mode):
    env = dict(os.environ, PROTOBRAIN_PIPELINE=mode, PYTHONPATH=str(TESTS))
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "same"
