"""An htm.core-style spatial pooler built from protobrain's parts, against the dense
Hebbian model, measured with the evaluation measures, in one run.

    python benchmarks/spatial_pooler.py [digits|cyclic] [--seeds 5] [--epochs 1]

Every set-up is one layer (1,000 units on digits, 300 on the cyclic task) computing
``SparseComputation(0.05, ...)``; over ``--seeds`` seeds (``numpy.random.seed(seed)``
before each brain, and the task's own split and order from the seed) it prints the
mean and standard deviation of the readout accuracy after training (scikit-learn's
logistic regression on the layer's codes; the untrained brain's beside it), the entropy,
the share of units that never fired while training, the noise robustness and, for
boosting set-ups, the share of starved units (duty cycle below a tenth of the target,
:class:`~protobrain.evaluate.DutyCycleProbe`; nan without boosting). The
spatial pooler set-ups are docs/spatial-pooler.md's table: potential pools
(``PotentialPool``), connected synapses (``connected=``), boosting by duty cycles and
htm.core's learning rates.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from protobrain.connectivity import PotentialPool
from protobrain.evaluate import DutyCycleProbe
from protobrain.evaluate.tasks import CyclicTask, DigitsTask, build_brain
from protobrain.metrics import Benchmark, Entropy, SpikeCount


@dataclass(frozen=True)
class SetUp:
    name: str
    rule: tuple[float, float] | None
    pool: float | None = None  # PotentialPool fraction (None: dense)
    connected: float | None = None
    boost: float = 0.0


SET_UPS = [
    SetUp("dense, no learning", None),
    SetUp("dense Hebbian (0.005, 0.001)", (0.005, 0.001)),
    SetUp("dense Hebbian (0.05, 0.002)", (0.05, 0.002)),
    SetUp("pool 0.5, connected 0.5, no learning", None, 0.5, 0.5),
    SetUp("SP: pool 0.5, conn 0.5, (0.05, 0.008)", (0.05, 0.008), 0.5, 0.5),
    SetUp("SP: pool 0.5, conn 0.5, (0.05, 0.008), boost 2", (0.05, 0.008), 0.5, 0.5, 2.0),
    SetUp("SP: pool 0.1, conn 0.5, (0.14, 0.02), boost 7", (0.14, 0.02), 0.1, 0.5, 7.0),
    SetUp("SP: pool 0.5, conn 0.5, (0.005, 0.001), boost 2", (0.005, 0.001), 0.5, 0.5, 2.0),
    SetUp("SP: pool 0.1, conn 0.5, (0.05, 0.008), boost 7", (0.05, 0.008), 0.1, 0.5, 7.0),
    SetUp("dense Hebbian (0.005, 0.001), boost 7", (0.005, 0.001), None, None, 7.0),
]


def measure(task: Any, layers: list[int], setup: SetUp, seed: int) -> dict[str, float]:
    np.random.seed(seed)
    brain = build_brain(
        task,
        layers,
        0.05,
        setup.rule,
        connected=setup.connected,
        boost_strength=setup.boost,
        synapse_function=None if setup.pool is None else PotentialPool(setup.pool),
    )
    probes = [*task.probes(), DutyCycleProbe()]
    results = Benchmark([Entropy(), SpikeCount()], probes).run([brain], task.inputs())[0]
    readout = results["readout"].details
    return {
        "readout": readout["trained"].overall,
        "untrained": readout["untrained"].overall,
        "raw": readout["trained"].sensor,
        "entropy": results["entropy"].global_result,
        "silent": results["spike_count"].global_result[0] / sum(layers),
        "noise": results["noise_robustness"].global_result,
        "starved": results["starved_units"].global_result,
    }


def _cell(values: list[float]) -> str:
    if any(math.isnan(v) for v in values):
        return "-"
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.3f} ({sd:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", nargs="?", default="digits", choices=["digits", "cyclic"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    layers = [1000] if args.task == "digits" else [300]
    print(f"task {args.task}, one layer of {layers[0]} units, SparseComputation(0.05), {args.seeds} seeds: mean (sd)")
    names = ("readout", "untrained", "entropy", "silent", "noise", "starved")
    print(f"{'set-up':50}" + "".join(f"{name:>16}" for name in names))
    raw: list[float] = []
    for setup in SET_UPS:
        rows = []
        start = time.perf_counter()
        for seed in range(args.seeds):
            task = DigitsTask(seed=seed, epochs=args.epochs) if args.task == "digits" else CyclicTask()
            rows.append(measure(task, layers, setup, seed))
        raw = [row["raw"] for row in rows]
        cells = [_cell([row[key] for row in rows]) for key in names]
        print(f"{setup.name:50}" + "".join(f"{c:>16}" for c in cells) + f"   {time.perf_counter() - start:.0f} s")
    print(f"{'raw sensor bits':50}{_cell(raw):>16}")


if __name__ == "__main__":
    main()
