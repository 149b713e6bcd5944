"""What boosting by duty cycles does to the benchmark's Hebbian set-ups, in one run.

For the task given (``cyclic``: 3 x 100 units; ``digits``: 1 x 1000), builds after
``numpy.random.seed(SEED)`` a brain with ``HebbianLearning()`` and one with
``HebbianLearning(0.005, 0.001)``, each with ``SparseComputation(0.05)`` unboosted and
boosted (``boost_strength`` 1, 3, 10; ``duty_cycle_period`` 100 and 1000), trains it on the
task and prints the readout after training (all layers, and per layer), the entropy, the
share of units that never fired and the noise robustness.

    python benchmarks/boosting.py [cyclic|digits] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

from protobrain import computation
from protobrain.evaluate.tasks import CyclicTask, DigitsTask, build_brain
from protobrain.metrics import Benchmark, Entropy, SpikeCount


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["cyclic", "digits"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    task = DigitsTask(seed=args.seed) if args.task == "digits" else CyclicTask()
    layers = [1000] if args.task == "digits" else [100, 100, 100]
    print("rule            strength  period  readout  per layer             entropy  silent  noise")
    for rule in [(0.05, 0.002), (0.005, 0.001)]:
        for strength in [0.0, 1.0, 3.0, 10.0]:
            for period in [1000] if strength == 0 else [100, 1000]:
                np.random.seed(args.seed)
                brain = build_brain(task, layers, 0.05, rule)
                brain.computation = computation.SparseComputation(
                    0.05, boost_strength=strength, duty_cycle_period=period
                )
                results = Benchmark([Entropy(), SpikeCount()], task.probes()).run([brain], task.inputs())[0]
                trained = results["readout"].details["trained"]
                silent = results["spike_count"].global_result[0] / sum(layers)
                per_layer = " ".join(f"{x:.3f}" for x in trained.layers)
                print(
                    f"{rule!s:16}{strength:8.1f}{period:8d}{trained.overall:9.3f}  {per_layer:20}"
                    f"{results['entropy'].global_result:9.3f}{silent:8.3f}{results['noise_robustness'].global_result:7.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
