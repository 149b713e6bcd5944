"""protobrain's HTM anomaly detector for the Numenta Anomaly Benchmark, built from the
library's parts (docs/nab.md).

For one time series (timestamps and values), after NAB's detectors:

1. **Encoders.** Each row is its value (a :class:`~protobrain.encoders.numerical.SimpleEncoder`
   over the file's range padded by ``value_padding`` on each side, ``value_buckets``
   positions of a ``value_width``-bit band: NuPIC's resolution of range / 130) and its
   time of day (:class:`~protobrain.encoders.composite.TimeOfDayEncoder`, 21 bits over
   9.49 hours), side by side (:class:`~protobrain.encoders.composite.CompositeEncoder`).
2. **Spatial pooler.** ``columns`` units, each reading a ``potential_pct`` potential pool
   of the code (:class:`~protobrain.connectivity.PotentialPool`), exactly
   ``active_columns`` winners counting connected synapses (``connected``), learning with
   ``HebbianLearning(*sp_rates)``.
3. **Sequence memory** (:class:`~protobrain.sequence.SequenceMemory`, the parameters of
   NAB's ``numenta`` detector's temporal memory by default), a layer over the pooler's
   winners: ``FeedForward([pooler, memory])``, the whole file in one ``Brain.run``. Its
   raw anomaly score is the share of winners it did not predict.
4. **Likelihood.** :class:`~protobrain.anomaly.AnomalyLikelihood` of the raw scores, its
   learning period half of NAB's probation and its estimation samples the other half; the
   row's anomaly score is its :func:`~protobrain.anomaly.log_likelihood`, or 1 when the
   value falls more than ``spatial_tolerance`` of the range seen so far outside it.

Every draw comes from ``seed`` (numpy's global state for the pooler's synapses, the
sequence memory's own generator), so a file gives the same scores on any machine and in
any process.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.anomaly import AnomalyLikelihood, log_likelihood
from protobrain.connectivity import PotentialPool
from protobrain.encoders.composite import CompositeEncoder, TimeOfDayEncoder
from protobrain.encoders.numerical import SimpleEncoder
from protobrain.nab.score import probation_length
from protobrain.sequence import SequenceMemory

__all__ = ["DetectorSettings", "Detection", "detect"]


@dataclasses.dataclass(frozen=True)
class DetectorSettings:
    """The detector's set-up; the defaults follow NAB's ``numenta`` detector where protobrain
    has the part (its temporal memory's parameters; docs/nab.md lists what differs)."""

    value_buckets: int = 130
    value_width: int = 21
    value_padding: float = 0.2
    time_of_day: tuple[int, float] = (21, 9.49)
    columns: int = 2048
    active_columns: int = 40
    potential_pct: float = 0.8
    connected: float = 0.2
    sp_rates: tuple[float, float] = (0.003, 0.0005)
    cells_per_column: int = 32
    activation_threshold: int = 13
    min_threshold: int = 10
    max_new_synapses: int = 20
    initial_permanence: float = 0.21
    connected_permanence: float = 0.5
    permanence_increment: float = 0.1
    permanence_decrement: float = 0.1
    predicted_segment_decrement: float = 0.0
    max_segments_per_cell: int = 128
    max_synapses_per_segment: int = 32
    reestimation_period: int = 100
    spatial_tolerance: float = 0.05
    seed: int = 1960


@dataclasses.dataclass(frozen=True)
class Detection:
    """One file's scores: ``anomaly_score`` (what NAB scores) and ``raw_score`` per row."""

    anomaly_score: np.ndarray
    raw_score: np.ndarray


def _value_encoder(values: np.ndarray, settings: DetectorSettings) -> SimpleEncoder:
    low, high = float(values.min()), float(values.max())
    span = high - low
    pad = settings.value_padding * span if span > 0 else 1.0
    length = settings.value_buckets + settings.value_width
    return SimpleEncoder(low - pad, high + pad, length, (settings.value_width - 0.5) / length)


def detect(timestamps: Sequence[Any], values: Sequence[float], settings: DetectorSettings | None = None) -> Detection:
    """The anomaly score of every row of one time series (see the module docs)."""
    settings = settings or DetectorSettings()
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1 or len(timestamps) != series.size or series.size == 0:
        raise ValueError(f"need as many timestamps as values, at least one, got {len(timestamps)} and {series.size}")
    if not np.isfinite(series).all():
        raise ValueError(f"values must be finite, got {series[~np.isfinite(series)][0]}")
    rows = series.size
    encoder = CompositeEncoder(
        {"value": _value_encoder(series, settings), "time": TimeOfDayEncoder(*settings.time_of_day)}
    )
    np.random.seed(settings.seed)
    pooler = neuron.Neurons(
        settings.columns,
        computation.SparseComputation(settings.active_columns, connected=settings.connected),
        learning.HebbianLearning(*settings.sp_rates),
    )
    memory = SequenceMemory(
        settings.columns,
        settings.cells_per_column,
        activation_threshold=settings.activation_threshold,
        min_threshold=settings.min_threshold,
        initial_permanence=settings.initial_permanence,
        connected_permanence=settings.connected_permanence,
        permanence_increment=settings.permanence_increment,
        permanence_decrement=settings.permanence_decrement,
        predicted_segment_decrement=settings.predicted_segment_decrement,
        max_new_synapses=settings.max_new_synapses,
        max_segments_per_cell=settings.max_segments_per_cell,
        max_synapses_per_segment=settings.max_synapses_per_segment,
        seed=settings.seed,
        likelihood=None,  # this detector's likelihood sees the values (below)
    )
    detector = brain.Brain(
        neuron.FeedForward([pooler, memory]),
        sensor.Sensor(encoder),
        synapse_function=PotentialPool(settings.potential_pct),
    )
    _, outputs = detector.run(list(zip(series.tolist(), list(timestamps))), record=False, sequence_outputs=True)
    raw = outputs[0].anomaly
    probation = probation_length(rows)
    learning_period = probation // 2
    likelihood = AnomalyLikelihood(
        learning_period=learning_period,
        estimation_samples=probation - learning_period,
        reestimation_period=settings.reestimation_period,
    )
    score = np.empty(rows)
    low = high = math.nan
    for t in range(rows):
        value = float(series[t])
        spatial = False
        if low == low and high > low:  # not the first row, and a range seen
            tolerance = settings.spatial_tolerance * (high - low)
            spatial = value > high + tolerance or value < low - tolerance
        low = value if low != low else min(low, value)
        high = value if high != high else max(high, value)
        probability = likelihood.update(raw[t], value)  # every row counts in the history
        score[t] = 1.0 if spatial else log_likelihood(probability)
    return Detection(anomaly_score=score, raw_score=raw)
