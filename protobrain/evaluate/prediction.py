"""Prediction accuracy: how well each layer's activity tells what comes ``n`` steps later.

:func:`prediction` runs a copy of a brain over a sequence of values (the brain itself is
left as it was), records every layer, and lets an online
:class:`~protobrain.predictor.Predictor` learn, step by step, to map each layer's activity
to the bucket of the value ``n`` steps ahead: the accuracy is the share of steps whose
most likely bucket was right, inferred before that step was learned (htm.core's way of
scoring a temporal memory's predictions). The same predictor reading the sensor's bits is
the baseline: a layer that remembers context (a sequence memory) can beat it on
sequences whose next element depends on more than the current one; a layer that only
recodes its input cannot.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
from typing import Any

import numpy as np

from protobrain.evaluate._codes import sensor_patterns
from protobrain.predictor import prediction_accuracy

__all__ = ["Prediction", "prediction"]


@dataclasses.dataclass(frozen=True)
class Prediction:
    """What :func:`prediction` measured."""

    #: The distance predicted.
    steps: int
    #: The accuracy of each layer (in :attr:`~protobrain.brain.Brain.layers` order).
    layers: np.ndarray
    #: The accuracy of the same predictor reading the sensor's bits: the baseline.
    sensor: float

    @property
    def overall(self) -> float:
        """The last layer's accuracy."""
        return float(self.layers[-1])


def prediction(
    brain: Any,
    values: Any,
    buckets: Any,
    steps: int = 1,
    *,
    learn: bool = False,
    skip: int = 0,
    alpha: float = 0.001,
) -> Prediction:
    """The accuracy of predicting ``buckets`` ``steps`` steps ahead from each layer of
    ``brain`` fed ``values`` (see the module docs).

    ``buckets`` holds one int per value (the class to predict, e.g.
    :func:`~protobrain.evaluate.buckets` of the values). A copy of the brain runs over
    ``values``, learning when ``learn`` (the brain given is not changed either way); a
    fresh predictor per layer learns at rate ``alpha`` as the steps go, and steps before
    ``skip`` are not scored. ValueError for buckets that do not match the values, or when
    ``skip`` and ``steps`` leave no step to score.
    """
    values = list(values)
    targets = np.asarray(buckets)
    if targets.shape != (len(values),):
        raise ValueError(
            f"buckets must hold one bucket per value: {len(values)} values, buckets of shape {targets.shape}"
        )
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    if isinstance(skip, bool) or not isinstance(skip, numbers.Integral) or not 0 <= skip < len(values) - steps:
        raise ValueError(
            f"skip must be an int in [0, {len(values) - steps}) for {len(values)} values {steps} steps ahead, "
            f"got {skip!r}"
        )
    patterns = sensor_patterns(brain, values)
    activity = copy.deepcopy(brain).run(values, learn=bool(learn))
    layers = np.array([prediction_accuracy(a.reshape(len(values), -1), targets, steps, alpha, skip) for a in activity])
    sensor = prediction_accuracy(patterns, targets, steps, alpha, skip)
    return Prediction(int(steps), layers, sensor)
