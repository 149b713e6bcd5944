"""Speed of the sequence memory: steps per second against a plain-Python baseline and
BrainBlocks, in one run.

    python benchmarks/sequence_speed.py [--steps 3000] [--columns 2048] [--brainblocks-python PYTHON]

The stream: ``--columns`` columns, 40 active each step (a spatial pooler's output at NAB's
size), 60 patterns shown in a repeating order with one step in ten replaced by a random
pattern, so the memory keeps learning and predicting. The memory has 32 cells per column
and htm.core's ``TemporalMemory`` defaults (protobrain's defaults), learning every step.

Timed, after a warm-up of the first fifth of the steps (each in a fresh process):

- protobrain's ``SequenceMemory.step`` called from Python each step;
- the engine alone: the same steps handed to the engine's memory directly (the active
  columns as an index array), which is what ``Brain.run`` does for a memory layer in Rust;
- the baseline: ``tests/reference.py``'s ``SequenceMemory``, the same rules in plain Python
  (the results agree bit for bit: checked here on the first 300 steps), on the first
  ``--baseline-steps`` steps only, as it is slow;
- BrainBlocks (C++, ``pip install brainblocks``) when the interpreter given can import it:
  its ``SequenceLearner`` with the same columns, 32 statelets per column, 128 dendrites
  per statelet of 32 receptors (htm.core's limits here), the same stream. Its algorithm
  differs from HTM's temporal memory in its details (integer permanences, dendrites
  allocated up front), so this compares the cost of a step of each, not their results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from _child import run_child

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 7
ACTIVE = 40


def stream(columns: int, steps: int) -> np.ndarray:
    """Row t: the active columns of step t (sorted), 40 of them."""
    rng = np.random.default_rng(SEED)
    patterns = np.array([np.sort(rng.choice(columns, ACTIVE, replace=False)) for _ in range(60)])
    rows = patterns[np.arange(steps) % 60]
    noisy = rng.random(steps) < 0.1
    for t in np.flatnonzero(noisy):
        rows[t] = np.sort(rng.choice(columns, ACTIVE, replace=False))
    return rows


def dense(rows: np.ndarray, columns: int) -> np.ndarray:
    out = np.zeros((len(rows), columns), dtype=bool)
    np.put_along_axis(out, rows, True, axis=1)
    return out


def protobrain_child(mode: str, columns: int, steps: int) -> dict[str, float]:
    from protobrain.sequence import SequenceMemory

    indices = stream(columns, steps).astype(np.uint32)
    rows = dense(indices, columns)
    warm = steps // 5
    memory = SequenceMemory(columns, 32, likelihood=None)
    if mode == "step":
        for row in rows[:warm]:
            memory.step(row)
        start = time.perf_counter()
        for row in rows[warm:]:
            memory.step(row)
        seconds = time.perf_counter() - start
    else:
        native = memory._native  # the engine's memory, as a Brain layer steps it
        for row in indices[:warm]:
            native.compute(row, True)
        start = time.perf_counter()
        for row in indices[warm:]:
            native.compute(row, True)
        seconds = time.perf_counter() - start
    segments, synapses = memory.size
    return {"steps_per_s": (steps - warm) / seconds, "segments": segments, "synapses": synapses}


def baseline_child(columns: int, steps: int) -> dict[str, float]:
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    import reference

    from protobrain.sequence import SequenceMemory

    rows = stream(columns, steps)
    params = SequenceMemory(columns, 32, likelihood=None).params
    ref = reference.SequenceMemory(columns, 32, **params)
    engine = SequenceMemory(columns, 32, likelihood=None)
    for t, row in enumerate(rows[:300]):
        ref.compute(row.tolist(), True)
        values = np.zeros(columns)
        values[row] = 1
        engine.step(values)
        assert np.flatnonzero(engine.active_cells).tolist() == ref.active_cells, f"step {t} differs"
    start = time.perf_counter()
    for row in rows[300:]:
        ref.compute(row.tolist(), True)
    return {"steps_per_s": (steps - 300) / (time.perf_counter() - start)}


def brainblocks_child(columns: int, steps: int) -> dict[str, float]:
    from brainblocks.blocks import BlankBlock, SequenceLearner

    rows = stream(columns, steps)
    warm = steps // 5
    blank = BlankBlock(num_s=columns)
    learner = SequenceLearner(num_c=columns, num_spc=32, num_dps=128, num_rpd=32, d_thresh=13, seed=SEED)
    learner.input.add_child(blank.output, 0)
    learner.init()

    def step(row: np.ndarray) -> None:
        blank.output.bits = dense(row[None, :], columns)[0].astype(np.uint8)
        learner.feedforward(learn=True)

    for row in rows[:warm]:
        step(row)
    start = time.perf_counter()
    for row in rows[warm:]:
        step(row)
    return {"steps_per_s": (steps - warm) / (time.perf_counter() - start)}


def _child(python: str, which: str, args: argparse.Namespace, steps: int) -> dict[str, float] | None:
    options = ["--child", which, "--columns", str(args.columns), "--steps", str(steps)]
    return run_child(python, __file__, options, "brainblocks" if which == "brainblocks" else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--baseline-steps", type=int, default=800)
    parser.add_argument("--brainblocks-python", default=sys.executable, help="an interpreter that has brainblocks")
    parser.add_argument("--child", choices=["step", "engine", "baseline", "brainblocks"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child in ("step", "engine"):
        print(json.dumps(protobrain_child(args.child, args.columns, args.steps)))
        return
    if args.child == "baseline":
        print(json.dumps(baseline_child(args.columns, args.steps)))
        return
    if args.child == "brainblocks":
        print(json.dumps(brainblocks_child(args.columns, args.steps)))
        return
    step = _child(sys.executable, "step", args, args.steps)
    run = _child(sys.executable, "engine", args, args.steps)
    base = _child(sys.executable, "baseline", args, args.baseline_steps)
    assert step is not None and run is not None and base is not None
    print(
        f"sequence memory: {args.columns} columns x 32 cells, {ACTIVE} active columns, {args.steps} steps "
        f"({step['segments']:,} segments, {step['synapses']:,} synapses at the end)"
    )
    print(f"  plain Python (tests/reference.py)  {base['steps_per_s']:10,.1f} steps/s")
    for name, result in (("SequenceMemory.step", step), ("the engine alone", run)):
        ratio = result["steps_per_s"] / base["steps_per_s"]
        print(f"  {name:<34} {result['steps_per_s']:10,.1f} steps/s  ({ratio:,.0f}x the plain Python)")
    theirs = _child(args.brainblocks_python, "brainblocks", args, args.steps)
    if theirs is None:
        print("BrainBlocks is not installed for that interpreter: no comparison (pip install brainblocks)")
        return
    ratio = run["steps_per_s"] / theirs["steps_per_s"]
    print(f"  BrainBlocks SequenceLearner        {theirs['steps_per_s']:10,.1f} steps/s  (the engine {ratio:.1f}x it)")


if __name__ == "__main__":
    main()
