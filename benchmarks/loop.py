"""Steps per second of the documented loop on the original benchmark model.

Runs the same model (numpy.random.seed(0), three layers, a cyclic sensor over 0..100,
SparseComputation(0.05), HebbianLearning(0.005, 0.001)) in protobrain and in the plain
numpy model of docs/specification.md kept in tests/reference.py, in one run; checks that both give the
same activity at every step and prints steps/s and the ratio.

    python benchmarks/loop.py [--layers 100 100 100] [--sensor 1024] [--steps 500]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import reference  # noqa: E402
from helpers import benchmark_brain as build  # noqa: E402  (the benchmark model, as the tests build it)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[100, 100, 100])
    parser.add_argument("--sensor", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    inputs = [i % 100 for i in range(args.steps)]

    ours = build(args.layers, args.sensor)
    recorded = []
    start = time.perf_counter()
    for value in inputs:
        ours.sensor.feed(value)
        ours.compute()
        ours.learn()
        recorded.append([layer.values for layer in ours.neurons.layers])
    ours_time = time.perf_counter() - start

    ref = reference.benchmark_model(args.layers, args.sensor)
    start = time.perf_counter()
    expected = [ref.step(value, ("sparse", 0.05), (0.005, 0.001)) for value in inputs]
    ref_time = time.perf_counter() - start

    identical = all(np.array_equal(a, b) for step_a, step_b in zip(recorded, expected) for a, b in zip(step_a, step_b))
    print(f"model: sensor {args.sensor}, layers {args.layers}, {args.steps} steps of feed/compute/learn")
    print(f"numpy reference (tests/reference.py): {args.steps / ref_time:10.1f} steps/s")
    print(f"protobrain per-step loop:             {args.steps / ours_time:10.1f} steps/s")
    print(f"ratio: {ref_time / ours_time:.1f}x; identical activity at every step: {identical}")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
