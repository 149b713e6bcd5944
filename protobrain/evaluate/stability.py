"""Stability: whether a layer's codes stay put while it learns.

A representation that keeps changing under learning cannot be read by anything
downstream. :func:`stability` trains a brain and, at checkpoints, computes the codes of a
fixed set of probe values without learning; each probe's code is compared with its code
at the previous checkpoint.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain.evaluate._codes import codes, mean_fraction, overlap_fractions, sensor_patterns

__all__ = ["Stability", "StabilityTracker", "stability"]


@dataclasses.dataclass(frozen=True)
class Stability:
    """The result of :func:`stability`. Per-layer arrays follow
    :attr:`~protobrain.brain.Brain.layers` order."""

    #: Training steps done at each checkpoint (the first is the start, 0 steps).
    steps: np.ndarray
    #: Mean overlap ``|A_before ∩ A_now| / |A_before|`` of the probes' codes between each
    #: checkpoint and the one before it, per layer (checkpoints - 1, layers).
    overlap: np.ndarray
    #: ``overlap``'s mean over the checkpoints, per layer: 1 for codes learning never moves.
    mean: np.ndarray
    #: The same comparison over all layers' units together (checkpoints - 1,).
    overall: np.ndarray
    #: ``overall``'s mean.
    overall_mean: float


class StabilityTracker:
    """Takes the probe codes of a brain at each :meth:`checkpoint` and compares each with
    the previous; :meth:`result` sums up. :func:`stability` and the benchmark's
    :class:`~protobrain.evaluate.probes.StabilityProbe` use it."""

    def __init__(self, brain: Any, probes: Any) -> None:
        self.patterns = sensor_patterns(brain, probes)
        self.steps: list[int] = []
        self.previous: list[np.ndarray] | None = None
        self.per_layer: list[np.ndarray] = []
        self.overall: list[float] = []

    def checkpoint(self, brain: Any, steps: int) -> None:
        """Record the probes' codes now (the brain is left as it was), ``steps`` steps into training."""
        now = codes(brain, self.patterns)
        if self.previous is not None:
            layers = []
            shared_all = np.zeros(len(self.patterns), dtype=np.int64)
            size_all = np.zeros(len(self.patterns), dtype=np.int64)
            for before, after in zip(self.previous, now):
                shared, size = overlap_fractions(before, after)
                layers.append(float(mean_fraction(shared, size)))
                shared_all += shared
                size_all += size
            self.per_layer.append(np.array(layers))
            self.overall.append(float(mean_fraction(shared_all, size_all)))
        self.previous = now
        self.steps.append(int(steps))

    def result(self) -> Stability:
        """The comparisons so far; ValueError before two checkpoints."""
        if len(self.steps) < 2:
            raise ValueError("stability needs at least two checkpoints to compare")
        overlap = np.stack(self.per_layer)
        overall = np.array(self.overall)
        return Stability(np.array(self.steps), overlap, overlap.mean(axis=0), overall, float(overall.mean()))


def stability(brain: Any, values: Any, probes: Any, every: int, learn: bool = True) -> Stability:
    """Train ``brain`` on ``values`` (:meth:`~protobrain.brain.Brain.run`, learning when
    ``learn``) and measure how the codes of ``probes`` move.

    The probes' codes are taken without learning before training and after every
    ``every`` steps (and after the last step when ``every`` does not divide the number of
    values); each checkpoint is compared with the one before. The probes change nothing:
    the brain ends exactly as ``brain.run(values, learn=learn)`` would have left it.
    """
    if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
        raise ValueError(f"every must be an int >= 1 (steps between checkpoints), got {every!r}")
    if not isinstance(values, (Sequence, np.ndarray)):
        values = list(values)
    if len(values) == 0:
        raise ValueError("no values to train on: give at least one")
    tracker = StabilityTracker(brain, probes)
    tracker.checkpoint(brain, 0)
    for first in range(0, len(values), int(every)):
        chunk = values[first : first + int(every)]
        brain.run(chunk, learn=learn, record=False)
        tracker.checkpoint(brain, first + len(chunk))
    return tracker.result()
