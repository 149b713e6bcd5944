"""W4: a 65,536-unit layer reading a 65,536-bit sensor through sparse potential pools.

    python benchmarks/w4_sparse.py [--steps 300] [--units 65536] [--brainblocks-python PYTHON]

``CyclicEncoder(0, 100, units)`` feeds ``Neurons(units)`` through
``PotentialPool(0.02)`` given to ``Brain(..., synapse_function=...)`` (about 86 million
synapses at 65,536), with ``SparseComputation(0.02)`` and
``HebbianLearning(0.005, 0.001)``. Each measurement runs in a fresh process so its peak
memory (``ru_maxrss``) is its own: the time to build the brain, the peak memory against the
bytes of the synapses (a 4-byte unit index and an 8-byte weight each, plus the offsets),
and ``Brain.run`` steps per second after a warm-up.

BrainBlocks (C++, ``pip install brainblocks``) runs the same shape in the same run when the
interpreter given (this one by default) can import it: a ``ScalarTransformer`` of
``units`` bits, ``units * 0.02`` of them active, feeding a ``PatternPooler(units,
units * 0.02, pct_pool=0.02)``. The script prints protobrain's ratio to it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from _child import run_child

SEED = 0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def protobrain_child(units: int, steps: int) -> dict[str, float]:
    import numpy as np

    from protobrain.brain import Brain
    from protobrain.computation import SparseComputation
    from protobrain.connectivity import PotentialPool
    from protobrain.encoders.numerical import CyclicEncoder
    from protobrain.learning import HebbianLearning
    from protobrain.neuron import Neurons
    from protobrain.sensor import Sensor

    base = _peak_mib()
    np.random.seed(SEED)
    start = time.perf_counter()
    brain = Brain(
        Neurons(units),
        Sensor(CyclicEncoder(0, 100, units)),
        SparseComputation(0.02),
        HebbianLearning(0.005, 0.001),
        synapse_function=PotentialPool(0.02),
    )
    build = time.perf_counter() - start
    built = _peak_mib()
    view = brain.neurons.input.sparse_synapses
    nnz, rows = view.nnz, view.shape[0]
    del view
    values = np.random.default_rng(SEED).uniform(0, 100, steps + 20)
    brain.run(values[:20])  # warm-up: every row has been read once
    start = time.perf_counter()
    brain.run(values[20:])
    run = time.perf_counter() - start
    return {
        "build_s": build,
        "synapses": nnz,
        "synapse_mib": (nnz * 12 + (rows + 1) * 8) / 2**20,
        "start_mib": base,
        "built_mib": built,
        "peak_mib": _peak_mib(),
        "steps_per_s": steps / run,
    }


def brainblocks_child(units: int, steps: int) -> dict[str, float]:
    import numpy as np
    from brainblocks.blocks import PatternPooler, ScalarTransformer

    active = round(units * 0.02)
    base = _peak_mib()
    start = time.perf_counter()
    encoder = ScalarTransformer(min_val=0.0, max_val=100.0, num_s=units, num_as=active)
    pooler = PatternPooler(num_s=units, num_as=active, pct_pool=0.02, seed=SEED)
    pooler.input.add_child(encoder.output, 0)
    pooler.init()
    build = time.perf_counter() - start
    built = _peak_mib()
    values = np.random.default_rng(SEED).uniform(0, 100, steps + 20)

    def step(value: float) -> None:
        encoder.set_value(float(value))
        encoder.feedforward()
        pooler.feedforward(learn=True)

    for value in values[:20]:
        step(value)
    start = time.perf_counter()
    for value in values[20:]:
        step(value)
    run = time.perf_counter() - start
    return {
        "build_s": build,
        "start_mib": base,
        "built_mib": built,
        "peak_mib": _peak_mib(),
        "steps_per_s": steps / run,
    }


def _child(python: str, which: str, units: int, steps: int) -> dict[str, float] | None:
    options = ["--child", which, "--units", str(units), "--steps", str(steps)]
    return run_child(python, __file__, options, "brainblocks" if which == "brainblocks" else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=65536)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--brainblocks-python", default=sys.executable, help="an interpreter that has brainblocks")
    parser.add_argument("--child", choices=["protobrain", "brainblocks"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child = protobrain_child if args.child == "protobrain" else brainblocks_child
        print(json.dumps(child(args.units, args.steps)))
        return
    ours = _child(sys.executable, "protobrain", args.units, args.steps)
    assert ours is not None
    print(f"W4: {args.units:,} -> {args.units:,} units, PotentialPool(0.02), {args.steps} steps of Brain.run")
    print(f"  synapses            {ours['synapses']:,.0f} ({ours['synapse_mib']:,.0f} MiB of indices and weights)")
    print(f"  build               {ours['build_s']:.2f} s")
    ratio = ours["peak_mib"] / ours["synapse_mib"]
    print(
        f"  peak memory         {ours['peak_mib']:,.0f} MiB = {ratio:.2f}x the synapses "
        f"(the interpreter and libraries alone: {ours['start_mib']:,.0f} MiB)"
    )
    print(f"  Brain.run           {ours['steps_per_s']:,.1f} steps/s")
    theirs = _child(args.brainblocks_python, "brainblocks", args.units, args.steps)
    if theirs is None:
        print("BrainBlocks is not installed for that interpreter: no comparison (pip install brainblocks)")
        return
    print("BrainBlocks PatternPooler, the same shape:")
    build_ratio, memory_ratio = theirs["build_s"] / ours["build_s"], ours["peak_mib"] / theirs["peak_mib"]
    print(f"  build               {theirs['build_s']:.2f} s  (protobrain {build_ratio:.1f}x faster)")
    print(f"  peak memory         {theirs['peak_mib']:,.0f} MiB  (protobrain {memory_ratio:.2f}x of it)")
    print(
        f"  steps               {theirs['steps_per_s']:,.1f} steps/s  "
        f"(protobrain {ours['steps_per_s'] / theirs['steps_per_s']:.1f}x faster)"
    )


if __name__ == "__main__":
    main()
