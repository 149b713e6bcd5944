"""protobrain's HTM anomaly detector for the Numenta Anomaly Benchmark, built from the
library's parts (docs/nab.md).

For one time series (timestamps and values), after NAB's detectors:

1. **Encoders.** Each row is its value (a :class:`~protobrain.encoders.numerical.SimpleEncoder`
   over the file's range padded by ``value_padding`` on each side, ``value_buckets``
   positions of a ``value_width``-bit band: NuPIC's resolution of range / 130) and its
   time of day (:class:`~protobrain.encoders.composite.TimeOfDayEncoder`, 21 bits over
   9.49 hours), side by side (:class:`~protobrain.encoders.composite.CompositeEncoder`).
2. **Spatial pooler.** ``columns`` units, each reading a ``potential_pct`` potential pool
   of the code (the pools of :class:`~protobrain.connectivity.PotentialPool`), exactly
   ``active_columns`` winners counting connected synapses (``connected``). By default it
   is NuPIC's spatial pooler, as NAB's ``numenta`` detector ran it:

   * ``sp_init="nupic"``: each potential synapse starts connected with probability
     ``sp_connected_pct`` (NuPIC's 0.5), then uniform in ``[connected, connected +
     sp_rates[0] / 4)``, else uniform in ``[0, connected)``: NuPIC's
     ``initPermConnected`` / ``initPermNonConnected`` as nupic.core had them in 2015
     (NAB 1.0), so a few steps connect or disconnect a synapse. ``"uniform"``: weights
     uniform in [0, 1) (80% connected at 0.2), protobrain's default and the detector's
     before. (nupic.core 0.4.10, behind NAB's published 70.1, draws the connected ones
     uniform in ``[connected, 1)`` instead: measured, 64.93 / 57.57 / 69.72, and 62.62
     against 65.09 with ``seed=7``, so the 2015 draw is kept.)
   * ``sp_learning="nupic"``: only the winners learn: each winner's potential synapses
     gain ``sp_rates[0]`` from active inputs and lose ``sp_rates[1]`` from inactive
     ones, clipped to [0, 1]; one below ``sp_rates[0] / 2`` is set to 0 but stays in the
     pool and may grow again (NuPIC's ``adaptSynapses`` and ``synPermTrimThreshold``).
     ``"hebbian"``: ``HebbianLearning(*sp_rates)``, which also weakens the active inputs
     of the losing units and never revives a weight of 0.

   Measured on the whole corpus (scores standard / low FP / low FN), the two together
   score 65.16 / 57.57 / 69.59 against 63.45 / 58.03 / 67.30 for ``"uniform"`` and
   ``"hebbian"`` (with ``seed=7`` 65.09 / 57.97 / 69.54 against 62.53 / 55.96 / 66.74,
   with ``seed=1956`` 65.49 / 58.18 / 69.81 against 63.56 / 57.78 / 67.66); each alone
   scores below the old pair: NuPIC's weights with the Hebbian rule 50.83 / 49.95 / 53.04
   (they start just above the threshold, and the Hebbian rule weakens the active inputs
   of every losing unit), uniform weights with NuPIC's rule 62.47 / 54.87 / 67.22. NuPIC's
   rule runs in Python, so a run takes about twice as long (the corpus with ``--jobs 2``
   on a 2-core machine: 54 s against 29 s).
3. **Sequence memory** (:class:`~protobrain.sequence.SequenceMemory`, the parameters of
   NAB's ``numenta`` detector's temporal memory by default), over the pooler's winners.
   With ``sp_learning="hebbian"`` both are ``FeedForward([pooler, memory])``, the whole
   file in one ``Brain.run``; with NuPIC's rule (a learning rule in Python) the pooler
   runs over the file first and the memory then steps through its winners, which gives
   the same scores as one brain would (the pooler never reads the memory) without
   copying the memory at every step. Its raw anomaly score is the share of winners it
   did not predict.
4. **Likelihood.** :class:`~protobrain.anomaly.AnomalyLikelihood` of the raw scores, its
   learning period half of NAB's probation and its estimation samples the other half; the
   row's anomaly score is its :func:`~protobrain.anomaly.log_likelihood`, or 1 when the
   value falls more than ``spatial_tolerance`` of the range seen so far outside it.

Every draw comes from ``seed`` (numpy's global state for the pooler's pools and
synapses, the sequence memory's own generator), so a file gives the same scores on any
machine and in any process.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.anomaly import AnomalyLikelihood, log_likelihood
from protobrain.connectivity import PotentialPool
from protobrain.encoders.composite import CompositeEncoder, TimeOfDayEncoder
from protobrain.encoders.numerical import SimpleEncoder
from protobrain.nab.score import probation_length
from protobrain.sequence import SequenceMemory

if TYPE_CHECKING:
    from scipy import sparse as _sparse

__all__ = ["DetectorSettings", "Detection", "detect", "detector_brain"]


@dataclasses.dataclass(frozen=True)
class DetectorSettings:
    """The detector's set-up; the defaults follow NAB's ``numenta`` detector where protobrain
    has the part (its spatial pooler's initial permanences and learning, its temporal
    memory's parameters; docs/nab.md lists what differs).

    The spatial pooler (the module docs): ``sp_init`` ``"nupic"`` (the default) draws
    NuPIC's initial permanences, ``sp_connected_pct`` of each pool connected just above
    ``connected`` and the rest below it; ``"uniform"`` draws weights uniform in [0, 1) as
    :class:`~protobrain.connectivity.PotentialPool` does (the detector before). ``sp_learning``
    ``"nupic"`` (the default) lets only the winners learn, NuPIC's rule with ``sp_rates``
    as ``(synPermActiveInc, synPermInactiveDec)``; ``"hebbian"`` is
    :class:`~protobrain.learning.HebbianLearning` with ``sp_rates`` (the detector before:
    ``sp_init="uniform", sp_learning="hebbian"`` scored 63.45 / 58.03 / 67.30, NuPIC's
    pair 65.16 / 57.57 / 69.59)."""

    value_buckets: int = 130
    value_width: int = 21
    value_padding: float = 0.2
    time_of_day: tuple[int, float] = (21, 9.49)
    columns: int = 2048
    active_columns: int = 40
    potential_pct: float = 0.8
    connected: float = 0.2
    sp_rates: tuple[float, float] = (0.003, 0.0005)
    sp_init: Literal["nupic", "uniform"] = "nupic"
    sp_connected_pct: float = 0.5
    sp_learning: Literal["nupic", "hebbian"] = "nupic"
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


class _NupicPermanences:
    """Synapse function: the pools of ``PotentialPool(fraction)`` with NuPIC's initial
    permanences (the module docs). Each synapse's uniform draw ``u`` in [0, 1), made by the
    pool from numpy's global state, decides both: connected when ``u < connected_pct``, at
    ``connected + v * increment / 4``, else at ``connected * v``, where ``v`` is ``u``
    rescaled to [0, 1) within its branch (uniform there, so the draw is NuPIC's)."""

    def __init__(self, fraction: float, connected: float, increment: float, connected_pct: float) -> None:
        if not 0.0 < connected_pct < 1.0:
            raise ValueError(f"sp_connected_pct must be in (0, 1), got {connected_pct!r}")
        self.pool = PotentialPool(fraction)
        self.connected, self.increment, self.connected_pct = connected, increment, connected_pct

    def __call__(self, source_shape: Any, group_shape: Any) -> _sparse.csr_array:
        weights = self.pool(source_shape, group_shape)
        draws = np.asarray(weights.data, dtype=np.float64)
        on = draws < self.connected_pct
        within = np.where(on, draws / self.connected_pct, (draws - self.connected_pct) / (1.0 - self.connected_pct))
        weights.data = np.where(on, self.connected + within * self.increment / 4.0, self.connected * within)
        return weights


class _NupicLearning(learning.Learning):
    """NuPIC's spatial-pooler learning for one group with one input (the module docs): each
    winner's potential synapses gain ``increment`` from active inputs and lose
    ``decrement`` from inactive ones, clipped to [0, 1]; a permanence below
    ``increment / 2`` becomes 0 and stays in the pool. The pool is the synapses with a
    non-zero weight at the first step (every synapse :class:`_NupicPermanences` or
    :class:`~protobrain.connectivity.PotentialPool` draws); the rule writes the engine's
    weights in place, dense or sparse."""

    def __init__(self, increment: float, decrement: float) -> None:
        self.increment, self.decrement, self.trim = increment, decrement, increment / 2.0
        self._state: tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _start(self, group: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        (given,) = group.inputs.values()
        if given.sparse:
            view = given.sparse_synapses
            weights = view.data  # the engine's weights
            rows = np.repeat(np.arange(view.shape[0]), np.diff(view.indptr))
            units, places = np.asarray(view.indices, dtype=np.int64), np.arange(weights.size)
        else:
            weights = given.synapses.reshape(-1)  # a view of the engine's weights
            places = np.flatnonzero(weights)
            rows, units = np.divmod(places, int(np.prod(given.shape)))
        order = np.lexsort((rows, units))  # unit by unit
        starts = np.searchsorted(units[order], np.arange(int(np.prod(given.shape)) + 1))
        weights[places[weights[places] < self.trim]] = 0.0
        return given, weights, starts, places[order], rows[order]

    def __call__(self, neurons: Any) -> None:
        if self._state is None:
            self._state = self._start(neurons)
        given, weights, starts, places, rows = self._state
        change = np.where(given.values.reshape(-1) > 0, self.increment, -self.decrement)  # per input
        winners = np.flatnonzero(neurons.output.values.reshape(-1))
        first, counts = starts[winners], starts[winners + 1] - starts[winners]
        pick = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        at = np.take(places, pick)  # the winners' synapses, unit by unit
        new = np.take(weights, at) + np.take(change, np.take(rows, pick))
        np.clip(new, 0.0, 1.0, out=new)
        new[new < self.trim] = 0.0
        np.put(weights, at, new)


def _value_encoder(values: np.ndarray, settings: DetectorSettings) -> SimpleEncoder:
    low, high = float(values.min()), float(values.max())
    span = high - low
    pad = settings.value_padding * span if span > 0 else 1.0
    length = settings.value_buckets + settings.value_width
    return SimpleEncoder(low - pad, high + pad, length, (settings.value_width - 0.5) / length)


def detector_brain(values: Sequence[float] | np.ndarray, settings: DetectorSettings | None = None) -> brain.Brain:
    """The detector's model for a series of ``values`` (the value encoder spans their
    range): a sensor of the value and its time of day feeding
    ``FeedForward([pooler, memory])``, the memory keeping no likelihood (the detector's
    own sees the values). Seeds numpy's global state with ``settings.seed`` and draws the
    pooler's synapses from it. Fed ``(value, timestamp)`` pairs; with
    ``sp_learning="hebbian"`` every part is built in, so ``Brain.run`` stays in Rust."""
    settings = settings or DetectorSettings()
    if settings.sp_learning not in ("nupic", "hebbian"):
        raise ValueError(f"sp_learning must be 'nupic' or 'hebbian', got {settings.sp_learning!r}")
    if settings.sp_init not in ("nupic", "uniform"):
        raise ValueError(f"sp_init must be 'nupic' or 'uniform', got {settings.sp_init!r}")
    series = np.asarray(values, dtype=np.float64)
    encoder = CompositeEncoder(
        {"value": _value_encoder(series, settings), "time": TimeOfDayEncoder(*settings.time_of_day)}
    )
    np.random.seed(settings.seed)
    rule: learning.Learning
    if settings.sp_learning == "nupic":
        rule = _NupicLearning(*settings.sp_rates)
    else:
        rule = learning.HebbianLearning(*settings.sp_rates)
    pooler = neuron.Neurons(
        settings.columns,
        computation.SparseComputation(settings.active_columns, connected=settings.connected),
        rule,
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
        likelihood=None,
    )
    pools: Any = PotentialPool(settings.potential_pct)
    if settings.sp_init == "nupic":
        pools = _NupicPermanences(
            settings.potential_pct, settings.connected, settings.sp_rates[0], settings.sp_connected_pct
        )
    return brain.Brain(neuron.FeedForward([pooler, memory]), sensor.Sensor(encoder), synapse_function=pools)


def detect(timestamps: Sequence[Any], values: Sequence[float], settings: DetectorSettings | None = None) -> Detection:
    """The anomaly score of every row of one time series (see the module docs)."""
    settings = settings or DetectorSettings()
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1 or len(timestamps) != series.size or series.size == 0:
        raise ValueError(f"need as many timestamps as values, at least one, got {len(timestamps)} and {series.size}")
    if not np.isfinite(series).all():
        raise ValueError(f"values must be finite, got {series[~np.isfinite(series)][0]}")
    rows = series.size
    detector = detector_brain(series, settings)
    pooler, memory = detector.layers
    rows_in = list(zip(series.tolist(), list(timestamps)))
    if settings.sp_learning == "hebbian":  # all built in: the whole file in one run, in Rust
        _, outputs = detector.run(rows_in, record=False, sequence_outputs=True)
        raw = outputs[0].anomaly
    else:  # the pooler over the file, then the memory over its winners (the module docs)
        codes = detector.sensor.encoder.encode_batch(rows_in).reshape(rows, -1)
        code = detector.sensor.output
        winners = np.empty((rows, settings.columns), dtype=bool)
        for t in range(rows):
            code.values = codes[t]
            pooler.compute()
            pooler.learn()
            winners[t] = pooler.values.reshape(-1)
        raw = np.empty(rows)
        for t in range(rows):
            memory.step(winners[t])
            raw[t] = memory.anomaly
    probation = probation_length(rows)
    learning_period = probation // 2
    likelihood = AnomalyLikelihood(
        learning_period=learning_period,
        estimation_samples=probation - learning_period,
        reestimation_period=settings.reestimation_period,
    )
    probabilities = likelihood.update_batch(raw, series)  # every row counts in the history
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
        score[t] = 1.0 if spatial else log_likelihood(float(probabilities[t]))
    return Detection(anomaly_score=score, raw_score=raw)
