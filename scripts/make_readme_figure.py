"""Draw the pictures of the README and of docs/guide.md into docs/images/.

Run from anywhere, with the ``plot`` extra installed (``pip install -e '.[plot]'``)::

    python scripts/make_readme_figure.py

- ``docs/images/overview.png`` (README): the README's model (three layers of 100 fed
  forward from a 1024-bit cyclic sensor over 0..100, 5% k-winners, Hebbian learning)
  fed 0..99 five times: each layer's raster and spike counts, and the density per step.
- ``docs/images/weights.png`` (guide): how Hebbian learning moves that model's weights.
- ``docs/images/compare.png`` (guide): ``protobrain benchmark``'s five learning set-ups
  side by side.

Everything is seeded, so the pictures only change when the model or the plots do.
"""

from __future__ import annotations

import os

import numpy as np

from protobrain import brain, computation, learning, neuron, plot, sensor
from protobrain.cli.benchmark import build_brains
from protobrain.encoders import numerical
from protobrain.metrics import Benchmark, SpikeCount, SpikeDensity

IMAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs", "images")


def readme_model(rule: learning.HebbianLearning) -> brain.Brain:
    """The README's fifteen-line model (seed it before calling)."""
    layers = [neuron.Neurons(100) for _ in range(3)]
    return brain.Brain(
        neuron.FeedForward(layers),
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 1024)),
        computation=computation.SparseComputation(0.05),
        learning=rule,
    )


def main() -> None:
    os.makedirs(IMAGES, exist_ok=True)
    values = [step % 100 for step in range(500)]

    np.random.seed(0)
    model = readme_model(learning.HebbianLearning(0.005, 0.001))
    figure = plot.overview(
        model, values, title="The README's model: 500 steps of 0..99, k-winners 5%, Hebbian learning"
    )
    plot.save(figure, os.path.join(IMAGES, "overview.png"), dpi=80)

    np.random.seed(0)
    model = readme_model(learning.HebbianLearning())
    figure = plot.weight_distribution(model, [step % 100 for step in range(2000)], every=40, bins=40)
    plot.save(figure, os.path.join(IMAGES, "weights.png"), dpi=80)

    brains = build_brains([100, 100, 100], 1024, 0.05, seed=0)
    results = Benchmark([SpikeDensity(), SpikeCount()]).run([b for _, b in brains], values)
    figure = plot.compare(results, [label for label, _ in brains], title="protobrain benchmark: five learning set-ups")
    plot.save(figure, os.path.join(IMAGES, "compare.png"), dpi=80)

    for name in ("overview.png", "weights.png", "compare.png"):
        path = os.path.join(IMAGES, name)
        print(f"{os.path.relpath(path)}: {os.path.getsize(path) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
