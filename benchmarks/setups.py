"""The five learning set-ups of ``protobrain benchmark`` over several seeds: which
differences are larger than seed-to-seed noise.

For each seed, builds the benchmark's five brains (``numpy.random.seed(seed)``: new
initial weights, and for the digits task a new split and training order) and runs them
with every measure. Prints, per set-up and measure, the mean and standard deviation over
the seeds (of the value over all layers, and of the first and last layer), and marks a
set-up's mean with ``*`` when it differs from the no-learning brains' by more than twice
the standard error of the difference (Welch): a difference larger than seed noise.

    python benchmarks/setups.py [--task cyclic|digits] [--seeds 5] [--jobs 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from protobrain.cli.benchmark import DEFAULT_LAYERS, LEARNING_RULES, build_brains, summarize
from protobrain.evaluate.tasks import CyclicTask, DigitsTask, has_readout
from protobrain.metrics import Benchmark, Entropy, Overlap, SpikeCount, SpikeDensity

MEASURES = (
    "readout_sensor",
    "silent_share",
    "entropy",
    "overlap",
    "noise_robustness",
    "stability",
    "readout",
    "readout_untrained",
)


def one_thread() -> None:
    os.environ["PROTOBRAIN_THREADS"] = "1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["cyclic", "digits"], default="cyclic")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--layers", type=int, nargs="+")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    layers = args.layers or DEFAULT_LAYERS[args.task]
    # values[set-up][measure][row] = one value per seed; rows: "all", "first", "last"
    values: list[dict[str, dict[str, list[float]]]] = [
        {m: {"all": [], "first": [], "last": []} for m in MEASURES} for _ in LEARNING_RULES
    ]
    labels: list[str] = []
    with ProcessPoolExecutor(args.jobs, initializer=one_thread) as pool:
        for seed in range(args.seeds):
            task = CyclicTask() if args.task == "cyclic" else DigitsTask(seed=seed)
            brains = build_brains(layers, 0, 0.05, seed, task=task)
            labels = [label for label, _ in brains]
            bench = Benchmark([SpikeDensity(), SpikeCount(), Entropy(), Overlap()], task.probes(has_readout()))
            results = bench.run([b for _, b in brains], task.inputs(), executor=pool)
            for index, ((label, _), result) in enumerate(zip(brains, results)):
                summary = summarize(label, result, layers, len(task.inputs()), 1.0)
                rows = summary["layers"]
                for row in rows:
                    row["readout_sensor"] = summary.get("readout_sensor")
                for measure in MEASURES:
                    if rows[-1].get(measure) is not None:
                        cells = values[index][measure]
                        cells["all"].append(rows[-1][measure])
                        cells["first"].append(rows[0][measure])
                        cells["last"].append(rows[-2][measure])
            print(f"seed {seed} done", file=sys.stderr, flush=True)
    report: dict[str, Any] = {"task": args.task, "layers": layers, "seeds": args.seeds, "set_ups": []}
    for label, measures in zip(labels, values):
        entry: dict[str, Any] = {"learning": label}
        for measure, rows in measures.items():
            if rows["all"]:
                entry[measure] = {row: {"mean": _mean(v), "sd": _sd(v), "values": v} for row, v in rows.items()}
        report["set_ups"].append(entry)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    base = report["set_ups"][0]
    print(f"\n{args.task} task, layers {layers}, {args.seeds} seeds: mean (sd) over seeds; * differs from no learning")
    for row in ("all", "first", "last"):
        print(f"\n[{row} layer{'s' if row == 'all' else ''}]")
        shown = [m for m in MEASURES if m in base]
        print("set-up".ljust(52) + "".join(m[:16].rjust(18) for m in shown))
        for entry in report["set_ups"]:
            cells = []
            for m in shown:
                stats = entry[m][row]
                mark = "*" if entry is not base and _differs(stats["values"], base[m][row]["values"]) else " "
                cells.append(f"{stats['mean']:.3f} ({stats['sd']:.3f}){mark}".rjust(18))
            print(entry["learning"][:52].ljust(52) + "".join(cells))


def _mean(v: list[float]) -> float:
    return statistics.fmean(v)


def _sd(v: list[float]) -> float:
    return statistics.stdev(v) if len(v) > 1 else 0.0


def _differs(a: list[float], b: list[float]) -> bool:
    """Whether the means differ by more than twice the standard error of the difference."""
    se = math.sqrt(_sd(a) ** 2 / len(a) + _sd(b) ** 2 / len(b))
    gap = abs(_mean(a) - _mean(b))
    return gap > 2 * se if se > 0 else gap > 0


if __name__ == "__main__":
    main()
