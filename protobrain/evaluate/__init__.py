"""Measuring what a brain represents, without changing it.

The probes compute a brain's codes for chosen inputs without learning and put every
output back afterwards (:func:`codes`), so a probe can be taken at any point of a
training run and the run goes on, bit for bit, as it would have without it.

- :func:`noise_robustness` (:mod:`~protobrain.evaluate.noise`): how much of each layer's
  code survives moving a fraction of the active input bits.
- :func:`stability` (:mod:`~protobrain.evaluate.stability`): how much probe codes move
  between checkpoints of a training run.
- :func:`readout` (:mod:`~protobrain.evaluate.readout`): accuracy of a linear decoder of a
  label, per layer and on the raw sensor bits (needs ``protobrain[evaluate]``).
- :func:`prediction` (:mod:`~protobrain.evaluate.prediction`): accuracy of an online
  predictor of the value ``n`` steps ahead, per layer and on the raw sensor bits.
- :func:`similarity_preservation` (:mod:`~protobrain.evaluate.similarity`): rank correlation
  between input overlap and code overlap over pairs of inputs (needs ``protobrain[evaluate]``).
- :mod:`~protobrain.evaluate.probes`: the same measurements as probes the
  :class:`~protobrain.metrics.benchmark.Benchmark` takes around each brain's run.
- :mod:`~protobrain.evaluate.tasks`: what the benchmark trains on (cyclic inputs,
  handwritten digits) and which probes measure it.
- :mod:`~protobrain.evaluate.sweep`: a grid of parameters expanded into brains, measured,
  written as a table (docs/sweeps.md).

docs/evaluation.md says what each number means and what a good value looks like.
"""

from protobrain.evaluate._codes import codes, sensor_patterns
from protobrain.evaluate.noise import NoiseRobustness, add_noise, noise_robustness
from protobrain.evaluate.prediction import Prediction, prediction
from protobrain.evaluate.probes import (
    DutyCycleProbe,
    LayerDutyCycles,
    NoiseRobustnessProbe,
    PredictionProbe,
    Probe,
    ProbeResults,
    ReadoutProbe,
    SimilarityProbe,
    StabilityProbe,
)
from protobrain.evaluate.readout import Readout, buckets, readout
from protobrain.evaluate.similarity import SimilarityPreservation, similarity_preservation
from protobrain.evaluate.stability import Stability, stability

__all__ = [
    "DutyCycleProbe",
    "LayerDutyCycles",
    "NoiseRobustness",
    "NoiseRobustnessProbe",
    "Prediction",
    "PredictionProbe",
    "Probe",
    "ProbeResults",
    "Readout",
    "ReadoutProbe",
    "SimilarityPreservation",
    "SimilarityProbe",
    "Stability",
    "StabilityProbe",
    "add_noise",
    "buckets",
    "codes",
    "noise_robustness",
    "prediction",
    "readout",
    "sensor_patterns",
    "similarity_preservation",
    "stability",
]
