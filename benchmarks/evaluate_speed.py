"""What the evaluation measures cost, against the run they measure, in one run.

On W2 (a 2048-bit cyclic sensor over 0..100, three feed-forward layers of 1024 units,
SparseComputation(0.05), HebbianLearning(0.005, 0.001)):

1. ``Brain.run`` of 10,000 learning steps with its recordings, alone and followed by the
   Entropy and Overlap metrics taking those recordings (``next_batch`` then ``compute``):
   the metrics' share of the run. Target: at most 10%.
2. A noise robustness probe of 100 values x 21 noise levels (2,100 probe steps without
   learning, the brain restored afterwards) against 2,100 learning steps of ``Brain.run``
   on the same brain. Target: the probe takes no longer.

Each measurement is repeated (``--repeat``, default 5) on brains built after the same
seed, alternating the two sides; medians are compared. Prints the numbers and ratios, and
exits 1 when a target is missed (``--json`` for machines).

    python benchmarks/evaluate_speed.py [--steps 10000] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders.numerical import CyclicEncoder
from protobrain.evaluate import noise_robustness
from protobrain.metrics import Entropy, Overlap


def w2() -> brain.Brain:
    np.random.seed(0)
    group = neuron.FeedForward([neuron.Neurons(1024) for _ in range(3)])
    return brain.Brain(
        group,
        sensor.Sensor(CyclicEncoder(0, 100, 2048)),
        computation=computation.SparseComputation(0.05),
        learning=learning.HebbianLearning(0.005, 0.001),
    )


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    values = [i % 100 for i in range(args.steps)]
    warm = w2()
    warm.run(values[:200])  # first-touch costs of the engine and numpy, outside the timings

    run_alone, run_and_metrics, metrics_only = [], [], []
    for _ in range(args.repeat):
        model = w2()
        run_alone.append(timed(lambda model=model: model.run(values)))
        model = w2()
        metrics = [Entropy(), Overlap()]

        def measured(model=model, metrics=metrics) -> None:
            recorded = model.run(values)
            began = time.perf_counter()
            for metric in metrics:
                metric.next_batch(model.neurons, recorded)
                metric.compute()
            metrics_only.append(time.perf_counter() - began)

        run_and_metrics.append(timed(measured))

    probe, learning_steps = [], []
    probe_values = list(range(100))
    for _ in range(args.repeat):
        model = w2()
        model.run(values[:500])
        probe.append(timed(lambda model=model: noise_robustness(model, probe_values, levels=21)))
        learning_steps.append(timed(lambda model=model: model.run(values[:2100], record=False)))

    median = statistics.median
    metric_share = median(metrics_only) / median(run_alone)
    probe_ratio = median(probe) / median(learning_steps)
    report = {
        "run_seconds": median(run_alone),
        "run_and_metrics_seconds": median(run_and_metrics),
        "metrics_seconds": median(metrics_only),
        "metrics_share_of_run": metric_share,
        "noise_probe_seconds": median(probe),
        "learning_2100_steps_seconds": median(learning_steps),
        "probe_over_learning": probe_ratio,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"W2, {args.steps} steps, median of {args.repeat}")
        print(f"Brain.run alone:                        {report['run_seconds']:8.3f} s")
        print(f"Brain.run, then Entropy + Overlap:      {report['run_and_metrics_seconds']:8.3f} s")
        print(f"  of which the two metrics:             {report['metrics_seconds']:8.3f} s")
        print(f"  metrics / run:                        {metric_share:8.1%}   (target <= 10%)")
        print(f"noise robustness, 100 values x 21:      {report['noise_probe_seconds']:8.3f} s")
        print(f"2,100 learning steps of Brain.run:      {report['learning_2100_steps_seconds']:8.3f} s")
        print(f"  probe / learning steps:               {probe_ratio:8.2f}x   (target <= 1)")
    if metric_share > 0.10 or probe_ratio > 1.0:
        sys.exit(1)


if __name__ == "__main__":
    main()
