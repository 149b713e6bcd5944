"""How evenly the units share the activity: htm.core's normalised entropy (docs/metrics.md)."""

from __future__ import annotations

import math

import numpy as np

from protobrain.metrics.metric import MetricResults, UnitCounts

__all__ = ["Entropy"]


def _binary_entropy(active: np.ndarray, steps: int) -> np.ndarray:
    """``H(f) = -f log2 f - (1-f) log2(1-f)`` of ``f = active / steps``, elementwise.

    ``active`` holds integer counts between 0 and ``steps``; ``H`` is 0.0 (never -0.0)
    where the count is 0 or ``steps``. Both ``f`` and ``1 - f`` are taken from the counts
    with one division each, so ``H(f) == H(1 - f)`` exactly.
    """
    active = np.asarray(active, dtype=np.int64)
    inner = (active > 0) & (active < steps)
    p = np.where(inner, active, 1) / steps
    q = np.where(inner, steps - active, 1) / steps
    return np.where(inner, -(p * np.log2(p)) - q * np.log2(q), 0.0)


class Entropy(UnitCounts):
    """How evenly the units of a layer share the activity: htm.core's normalised entropy.

    With ``f_i`` the fraction of recorded steps in which unit ``i`` was active (value not
    0) and ``H(p) = -p log2 p - (1-p) log2(1-p)`` (``H(0) = H(1) = 0``), the result is the
    mean of ``H(f_i)`` over the units divided by ``H`` of the mean of the ``f_i``: 1.0 when
    every unit is active equally
    often, lower the more the activity concentrates on a few units, and 0.0 when that mean
    is 0 or 1 (nothing or everything active at every step). It is never above 1 (rounding
    that would take it there is clipped).

    ``per_layer_result`` is one float per layer: a single float for a plain group, lists
    nested like the layers for layered groups. ``global_result`` is the same formula over
    all units of all layers together. The per-step fields stay ``None``.

    Only the number of steps each unit was active in is kept, so the results do not depend
    on how the steps were recorded (one at a time or in batches split anywhere).
    """

    def __init__(self) -> None:
        super().__init__("entropy")

    def compute(self) -> MetricResults:
        layout = self._recorded_layout()
        per_layer = [_normalised_entropy(counts, self.steps) for counts in self._counts]
        return MetricResults(
            self.name,
            global_result=_normalised_entropy(np.concatenate(self._counts), self.steps),
            per_layer_result=layout.nest(per_layer),
        )


def _normalised_entropy(counts: np.ndarray, steps: int) -> float:
    """Mean of ``H(counts / steps)`` over the units over ``H`` of their mean frequency."""
    units = counts.size
    total = int(counts.sum())
    if total == 0 or total == steps * units:
        return 0.0
    # H of the mean frequency total / (steps * units), from the integer counts.
    mean_entropy = float(_binary_entropy(np.array([total]), steps * units)[0])
    # Units with the same count have the same H: weigh each distinct count by its share of
    # the units, so equal frequencies give exactly 1.0 and the sum is exactly rounded.
    values, multiplicity = np.unique(counts, return_counts=True)
    terms = (multiplicity / units) * (_binary_entropy(values, steps) / mean_entropy)
    return min(math.fsum(terms.tolist()), 1.0)
