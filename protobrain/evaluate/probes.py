"""Probes as the benchmark runs them: measurements taken on a brain before, during and after
its training run, returned as :class:`~protobrain.metrics.metric.MetricResults` beside
the metrics' results.

A :class:`Probe` is told :meth:`~Probe.start` before the first step, :meth:`~Probe.checkpoint`
every :attr:`~Probe.every` steps when it asks for that (and after the last step, when
``every`` does not divide the run), and :meth:`~Probe.finish` after the last step, which
returns its results. None of them changes the brain (see
:func:`protobrain.evaluate.codes`). ``per_layer_result`` holds one number per layer, nested
like the brain's layers as the metrics nest theirs (a flat list, in
:attr:`~protobrain.brain.Brain.layers` order, for a brain whose groups the metrics cannot
map onto its layers); ``global_result`` the same number over all layers' units together;
``details`` the probe's full result (curves, checkpoints, baselines).
"""

from __future__ import annotations

import abc
import dataclasses
import math
import numbers
from typing import Any

import numpy as np

from protobrain.evaluate.noise import noise_robustness
from protobrain.evaluate.prediction import prediction
from protobrain.evaluate.readout import readout
from protobrain.evaluate.similarity import similarity_preservation
from protobrain.evaluate.stability import StabilityTracker
from protobrain.metrics.metric import Layout, MetricResults

__all__ = [
    "DutyCycleProbe",
    "LayerDutyCycles",
    "NoiseRobustnessProbe",
    "PredictionProbe",
    "Probe",
    "ProbeResults",
    "ReadoutProbe",
    "SimilarityProbe",
    "StabilityProbe",
]


@dataclasses.dataclass(eq=True)
class ProbeResults(MetricResults):
    """:class:`~protobrain.metrics.metric.MetricResults` with the probe's full result.

    ``==`` compares the results as for any metric; ``details`` (arrays) are left out."""

    details: Any = dataclasses.field(default=None, compare=False)


class Probe(abc.ABC):
    """A measurement of a brain around its training run (see the module docstring)."""

    #: Steps between checkpoints during training; None for none.
    every: int | None = None

    def __init__(self, name: str) -> None:
        self.name = name

    def start(self, brain: Any) -> None:  # noqa: B027 - most probes need no start
        """Called before the brain's first step."""

    def checkpoint(self, brain: Any, steps: int) -> None:  # noqa: B027 - most probes need no checkpoints
        """Called after every :attr:`every` steps, and after the last (``steps`` done so far)."""

    @abc.abstractmethod
    def finish(self, brain: Any) -> ProbeResults:
        """Called after the last step; returns the results."""

    def _results(self, brain: Any, per_layer: np.ndarray, overall: float, details: Any) -> ProbeResults:
        return ProbeResults(
            self.name,
            global_result=float(overall),
            per_layer_result=nest_like_layers(brain, [float(x) for x in per_layer]),
            details=details,
        )


def nest_like_layers(brain: Any, flat: list[Any]) -> Any:
    """``flat`` (one item per group, :attr:`~protobrain.brain.Brain.layers` order) nested like
    the layers of ``brain.neurons`` as the metrics nest per-layer results; ``flat`` itself
    when the groups are not exactly those layers."""
    layout = Layout.of(brain.neurons)
    groups = brain.layers
    if len(groups) == len(layout.shapes) and all(tuple(g.shape) == s for g, s in zip(groups, layout.shapes)):
        return layout.nest(flat)
    return flat


class NoiseRobustnessProbe(Probe):
    """:func:`~protobrain.evaluate.noise.noise_robustness` of ``values`` after training:
    the area under the curve per layer."""

    def __init__(self, values: Any, levels: int = 21, seed: int = 0, name: str = "noise_robustness") -> None:
        super().__init__(name)
        self.values: list[Any] = list(values)
        self.levels, self.seed = levels, seed
        if not self.values:
            raise ValueError("NoiseRobustnessProbe needs at least one value")
        if isinstance(levels, bool) or not isinstance(levels, numbers.Integral) or levels < 2:
            raise ValueError(f"NoiseRobustnessProbe: levels must be an int >= 2 (it includes 0 and 1), got {levels!r}")

    def finish(self, brain: Any) -> ProbeResults:
        result = noise_robustness(brain, self.values, self.levels, self.seed)
        return self._results(brain, result.area, result.overall_area, result)


class StabilityProbe(Probe):
    """:mod:`~protobrain.evaluate.stability` of ``values``' codes, checkpointed every
    ``every`` training steps: the mean overlap between consecutive checkpoints per layer."""

    def __init__(self, values: Any, every: int, name: str = "stability") -> None:
        super().__init__(name)
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"StabilityProbe: every must be an int >= 1, got {every!r}")
        self.values: list[Any] = list(values)
        self.every: int | None = int(every)
        if not self.values:
            raise ValueError("StabilityProbe needs at least one value")
        self._tracker: StabilityTracker | None = None

    def start(self, brain: Any) -> None:
        self._tracker = StabilityTracker(brain, self.values)
        self._tracker.checkpoint(brain, 0)

    def checkpoint(self, brain: Any, steps: int) -> None:
        assert self._tracker is not None, "start() first"
        self._tracker.checkpoint(brain, steps)

    def finish(self, brain: Any) -> ProbeResults:
        assert self._tracker is not None, "start() first"
        if len(self._tracker.steps) < 2:
            raise ValueError(f"StabilityProbe: the run ended before the first checkpoint ({self.every} steps)")
        result = self._tracker.result()
        return self._results(brain, result.mean, result.overall_mean, result)


class ReadoutProbe(Probe):
    """:func:`~protobrain.evaluate.readout.readout` after training, and before it: the
    learning-off baseline of the same brain. ``details`` is ``{"trained": Readout,
    "untrained": Readout}``; the results are the trained accuracies."""

    def __init__(
        self,
        train_values: Any,
        train_labels: Any,
        test_values: Any,
        test_labels: Any,
        name: str = "readout",
    ) -> None:
        super().__init__(name)
        self.split = (train_values, train_labels, test_values, test_labels)
        self._untrained: Any = None

    def start(self, brain: Any) -> None:
        self._untrained = readout(brain, *self.split)

    def finish(self, brain: Any) -> ProbeResults:
        trained = readout(brain, *self.split, sensor=self._untrained.sensor)
        return self._results(brain, trained.layers, trained.overall, {"trained": trained, "untrained": self._untrained})


class PredictionProbe(Probe):
    """:func:`~protobrain.evaluate.prediction.prediction` after training: per layer, the
    accuracy of an online predictor of ``buckets`` ``steps`` steps ahead, on a copy of the
    brain fed ``values`` (without learning unless ``learn``). ``details`` is the
    :class:`~protobrain.evaluate.prediction.Prediction`, with the sensor's baseline."""

    def __init__(
        self, values: Any, buckets: Any, steps: int = 1, *, learn: bool = False, skip: int = 0, name: str = "prediction"
    ) -> None:
        super().__init__(name)
        self.values = list(values)
        self.buckets = np.asarray(buckets)
        if self.buckets.shape != (len(self.values),):
            raise ValueError(
                f"PredictionProbe: buckets must hold one bucket per value, {len(self.values)} values and "
                f"buckets of shape {self.buckets.shape}"
            )
        self.steps, self.learn, self.skip = steps, learn, skip

    def finish(self, brain: Any) -> ProbeResults:
        result = prediction(brain, self.values, self.buckets, self.steps, learn=self.learn, skip=self.skip)
        return self._results(brain, result.layers, result.overall, result)


class SimilarityProbe(Probe):
    """:func:`~protobrain.evaluate.similarity.similarity_preservation` of ``values`` after training."""

    def __init__(self, values: Any, name: str = "similarity") -> None:
        super().__init__(name)
        self.values = list(values)
        if len(self.values) < 3:
            raise ValueError(f"SimilarityProbe needs at least three values (pairs to rank), got {len(self.values)}")

    def finish(self, brain: Any) -> ProbeResults:
        result = similarity_preservation(brain, self.values)
        return self._results(brain, result.layers, result.overall, result)


@dataclasses.dataclass(frozen=True)
class LayerDutyCycles:
    """One layer's duty cycles after training (see :class:`DutyCycleProbe`)."""

    #: Every unit's duty cycle (the moving average of its activity), in the layer's shape.
    values: np.ndarray
    #: The layer's winner fraction (k / units), the duty cycle boosting steers towards.
    target: float
    #: The share of units whose duty cycle is below ``starved * target``.
    starved: float


class DutyCycleProbe(Probe):
    """The duty cycles of every boosting layer after training (:mod:`protobrain.homeostasis`):
    per layer, the share of *starved* units, whose duty cycle is below ``starved`` (a
    fraction, 0.1 by default) of the layer's target, the winner fraction k / units that
    boosting steers every unit towards. ``details`` holds per layer a
    :class:`LayerDutyCycles` (every unit's duty cycle), or None for a layer whose
    computation does not boost (it keeps no duty cycles; its result is NaN, and the
    global result counts the boosting layers' units only, NaN when there are none)."""

    def __init__(self, starved: float = 0.1, name: str = "starved_units") -> None:
        super().__init__(name)
        if isinstance(starved, bool) or not isinstance(starved, numbers.Real) or not 0 <= starved <= 1:
            raise ValueError(f"DutyCycleProbe: starved must be a number in [0, 1], got {starved!r}")
        self.starved: float = float(starved)

    def finish(self, brain: Any) -> ProbeResults:
        layers: list[LayerDutyCycles | None] = []
        for group in brain.layers:
            computation: Any = getattr(group, "computation", None)
            if getattr(computation, "boost_strength", 0.0) <= 0 or not hasattr(group, "duty_cycles"):
                layers.append(None)
                continue
            values = np.array(group.duty_cycles, dtype=np.float64)
            target = _winners(computation.n, values.size) / values.size
            share = float(np.mean(values < self.starved * target)) if values.size else float("nan")
            layers.append(LayerDutyCycles(values, target, share))
        found = [layer for layer in layers if layer is not None]
        units = sum(layer.values.size for layer in found)
        overall = sum(layer.starved * layer.values.size for layer in found) / units if units else float("nan")
        per_layer = [float("nan") if layer is None else layer.starved for layer in layers]
        return self._results(brain, np.array(per_layer), overall, layers)


def _winners(n: Any, size: int) -> int:
    """k of a k-winners computation of ``n`` (an int, or a fraction of ``size``)."""
    if isinstance(n, numbers.Integral):
        return int(n)
    return math.ceil(float(n) * size)
