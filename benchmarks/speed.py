"""Speed and memory of protobrain against the numpy baseline, in one run.

Workloads (cyclic sensor over 0..100, SparseComputation(0.05),
HebbianLearning(0.005, 0.001), three feed-forward layers):

    W1  sensor 1024, layers 3 x 100   (the original benchmark size)
    W2  sensor 2048, layers 3 x 1024
    W3  sensor 4096, layers 3 x 4096

The numpy baseline is what the original pure-numpy library did each step: a dense
``values @ W``, ``argsort`` for k-winners, ``np.ix_`` masked Hebbian updates, a full-matrix
``W == 0`` mask and ``np.clip``. protobrain is timed on the documented per-step loop
(``sensor.feed(v); brain.compute(); brain.learn()``) and on ``Brain.run``. Each
measurement runs in a fresh subprocess, so its peak memory (ru_maxrss) is its own.
Construction is not timed, nor is one warm-up step each mode takes first (its one-off
costs, such as the first touch of numpy's temporaries, would otherwise weigh on the few
numpy steps W3 times). Also checks, on W1, that ``Brain.run``, the per-step loop and
``tests/reference.py`` agree bit for bit.

    python benchmarks/speed.py [--only W1 W2] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = {"W1": (1024, (100, 100, 100)), "W2": (2048, (1024, 1024, 1024)), "W3": (4096, (4096, 4096, 4096))}
# Steps timed per mode: enough for a second or more of work each. Both protobrain modes
# time the same steps from the same start, so their ratio compares like with like.
STEPS = {
    "W1": {"numpy": 500, "step": 20000, "run": 20000},
    "W2": {"numpy": 40, "step": 2000, "run": 2000},
    "W3": {"numpy": 6, "step": 200, "run": 200},
}
MODES = ("numpy", "step", "run")


def inputs(steps: int) -> list[int]:
    return [i % 100 for i in range(steps)]


# -- the numpy baseline: the original library's step --------------------------------------
def numpy_model(sensor: int, layers: tuple[int, ...]) -> list[np.ndarray]:
    np.random.seed(0)
    weights = [np.random.uniform(0, 1, (a, b)) for a, b in zip(layers, layers[1:])]
    return [np.random.uniform(0, 1, (sensor, layers[0]))] + weights


def numpy_step(weights: list[np.ndarray], sensor: int, value: float) -> None:
    width = math.ceil(0.02 * sensor)
    start = int(value / 100 * (sensor - 1))
    x = np.zeros(sensor)
    x[(start + np.arange(width)) % sensor] = 1
    pres, posts = [], []
    for w in weights:
        a = x @ w
        k = math.ceil(0.05 * a.size)
        out = np.zeros(a.size)
        out[np.argsort(-a, kind="stable")[:k]] = 1
        pres.append(x)
        posts.append(out)
        x = out
    for w, pre_values, post_values in zip(weights, pres, posts):
        pre, post = pre_values == 1, post_values == 1
        dead = w == 0
        w[np.ix_(pre, ~post)] -= 0.001
        w[np.ix_(~pre, post)] -= 0.001
        w[np.ix_(pre, post)] += 0.005
        w[dead] = 0
        np.clip(w, 0, 1, out=w)


# -- protobrain ----------------------------------------------------------------------------
def protobrain_model(sensor: int, layers: tuple[int, ...]):
    """The benchmark model as the tests build it (``tests/helpers.py``)."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    from helpers import benchmark_brain

    return benchmark_brain(layers, sensor)


def worker(workload: str, mode: str, steps: int) -> dict[str, float]:
    """Build one model, time ``steps`` steps of ``mode``, report steps/s and peak memory."""
    sensor, layers = WORKLOADS[workload]
    # One untimed warm-up step, then the timed ones (the same values in every mode).
    every = inputs(steps + 1)
    warm_up, values = every[:1], every[1:]
    if mode == "numpy":
        weights = numpy_model(sensor, layers)
        numpy_step(weights, sensor, warm_up[0])
        start = time.perf_counter()
        for v in values:
            numpy_step(weights, sensor, v)
    else:
        b = protobrain_model(sensor, layers)
        if mode == "step":
            s = b.sensor

            def steps_of(vs: list[int]) -> None:
                for v in vs:
                    s.feed(v)
                    b.compute()
                    b.learn()

            steps_of(warm_up)
            start = time.perf_counter()
            steps_of(values)
        else:
            b.run(warm_up, record=True)
            start = time.perf_counter()
            b.run(values, record=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"steps_per_s": steps / seconds, "peak_bytes": peak, "steps": steps}


def check_identical() -> bool:
    """W1, 300 steps: Brain.run, the per-step loop and tests/reference.py agree exactly."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    import reference

    sensor, layers = WORKLOADS["W1"]
    values = inputs(300)
    by_run = protobrain_model(sensor, layers)
    recorded = by_run.run(values)
    by_step = protobrain_model(sensor, layers)
    ref = reference.benchmark_model(layers, sensor)
    for t, v in enumerate(values):
        by_step.sensor.feed(v)
        by_step.compute()
        by_step.learn()
        expected = ref.step(v, ("sparse", 0.05), (0.005, 0.001))
        for r, layer, want in zip(recorded, by_step.layers, expected):
            if not (np.array_equal(r[t], want.astype(bool)) and np.array_equal(layer.values, want)):
                return False
    for a, b, r in zip(by_run.layers, by_step.layers, ref.layers):
        if not (
            np.array_equal(a.input.synapses, b.input.synapses) and np.array_equal(a.input.synapses, r.inputs["main"][1])
        ):
            return False
    return True


def measure(workload: str, mode: str, steps: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", workload, mode, str(steps)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{workload} {mode} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="a tenth of the steps")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", nargs=3, metavar=("WORKLOAD", "MODE", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        workload, mode, steps = args.worker
        print(json.dumps(worker(workload, mode, int(steps))))
        return

    results: dict[str, dict[str, dict[str, float]]] = {}
    for w in args.only:
        results[w] = {}
        for mode in MODES:
            steps = STEPS[w][mode]
            if args.quick:
                steps = max(2, steps // 10)
            results[w][mode] = measure(w, mode, steps)
    identical = check_identical()
    if args.json:
        print(json.dumps({"results": results, "identical": identical}, indent=2))
        return

    threads = os.environ.get("PROTOBRAIN_THREADS", "all cores")
    print(f"protobrain vs the numpy baseline ({os.cpu_count()} cores, PROTOBRAIN_THREADS={threads})")
    print()
    print(
        "| workload | numpy steps/s | per-step loop steps/s | ratio | Brain.run steps/s | ratio "
        "| peak memory / weights |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for w, r in results.items():
        sensor, layers = WORKLOADS[w]
        weights = 8 * (sensor * layers[0] + sum(a * b for a, b in zip(layers, layers[1:])))
        base = r["numpy"]["steps_per_s"]
        step, run = r["step"]["steps_per_s"], r["run"]["steps_per_s"]
        peak = max(r["step"]["peak_bytes"], r["run"]["peak_bytes"])
        print(
            f"| {w}: {sensor} + 3x{layers[0]} | {base:,.1f} | {step:,.0f} | {step / base:.0f}x | {run:,.0f} | "
            f"{run / base:.0f}x | {peak / 2**20:,.0f} MiB / {weights / 2**20:,.0f} MiB = {peak / weights:.2f}x |"
        )
    print()
    print(f"Brain.run, the per-step loop and tests/reference.py bit-identical on W1: {identical}")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
