"""Prediction from a sequence memory on real data: NYC taxi passengers, NAB's classic file.

    python benchmarks/prediction.py --data NAB_DIR [--steps 1 5] [--buckets 20] [--cells 32]

``NAB_DIR`` is a NAB folder (``data/realKnownCause/nyc_taxi.csv``: 10,320 half-hourly
counts of New York taxi passengers, 2014-07 to 2015-01). The set-up is the NAB detector's
(docs/nab.md) with protobrain's own spatial pooler (uniform weights, ``HebbianLearning``),
all in one ``Brain``: the value and its time of day encoded side by side, a 2,048-unit
spatial pooler with 40 winners, and a sequence memory over it, learning as the stream goes. An
online :class:`protobrain.predictor.Predictor` per layer learns to map the layer's activity
to the bucket (``--buckets`` equal-width buckets of the file's range) of the value ``n``
steps later (``--steps``, 1 and 5 by default) at rate ``--alpha`` (0.01, the best of 0.001, 0.01
and 0.1 for every layer here; htm.core's hotgym example uses 0.1), and is scored before it learns each step
(:func:`protobrain.predictor.prediction_accuracy`), over the second half of the file.

Printed beside each layer: the same predictor reading the sensor's bits, and two
baselines that need no learning: *persistence* (the bucket ``n`` steps later is the
current one) and *a day ago* (the bucket of the same time the day before).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import pathlib
import sys
import time

import numpy as np

from protobrain.brain import Brain
from protobrain.evaluate import buckets as to_buckets
from protobrain.evaluate import sensor_patterns
from protobrain.nab.detector import DetectorSettings, detector_brain
from protobrain.predictor import prediction_accuracy

DAY = 48  # half-hourly rows


def read(path: pathlib.Path) -> tuple[list[datetime.datetime], np.ndarray]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    stamps = [datetime.datetime.fromisoformat(row["timestamp"]) for row in rows]
    return stamps, np.array([float(row["value"]) for row in rows])


def brain_for(values: np.ndarray, cells: int) -> Brain:
    """The NAB detector's model with protobrain's own spatial pooler, as one brain."""
    settings = DetectorSettings(sp_init="uniform", sp_learning="hebbian", cells_per_column=cells)
    return detector_brain(values, settings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=pathlib.Path, required=True, help="a NAB folder")
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--buckets", type=int, default=20)
    parser.add_argument("--cells", type=int, default=32)
    parser.add_argument("--alpha", type=float, default=0.01, help="the predictor's rate")
    args = parser.parse_args()
    path = args.data / "data" / "realKnownCause" / "nyc_taxi.csv"
    if not path.is_file():
        print(f"prediction: no {path}", file=sys.stderr)
        return 2
    stamps, values = read(path)
    buckets = to_buckets(values, float(values.min()), float(values.max()), args.buckets)
    brain = brain_for(values, args.cells)
    inputs = list(zip(values.tolist(), stamps))
    patterns = sensor_patterns(brain, inputs)
    start = time.perf_counter()
    pooler, memory = brain.run(inputs)
    seconds = time.perf_counter() - start
    rows = len(values)
    skip = rows // 2
    print(
        f"nyc_taxi: {rows} rows, {args.buckets} buckets, alpha {args.alpha}, run in {seconds:.1f} s; "
        f"scored over rows {skip}-{rows}"
    )
    print(f"{'n':>3} {'sensor':>8} {'pooler':>8} {'memory':>8} {'persist':>8} {'day ago':>8}")
    for n in args.steps:
        layers = (patterns, pooler, memory)
        accuracy = [prediction_accuracy(a.reshape(rows, -1), buckets, n, args.alpha, skip) for a in layers]
        scored = np.arange(skip, rows - n)
        persistence = float(np.mean(buckets[scored] == buckets[scored + n]))
        day_ago = float(np.mean(buckets[scored + n - DAY] == buckets[scored + n]))
        print(f"{n:>3} " + " ".join(f"{a:8.3f}" for a in [*accuracy, persistence, day_ago]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
