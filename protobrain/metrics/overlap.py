"""How much of each step's code the next step keeps (docs/metrics.md)."""

from __future__ import annotations

import math

import numpy as np

from protobrain.metrics.metric import LayerMetric, MetricResults

__all__ = ["Overlap"]


class Overlap(LayerMetric):
    """The share of each step's active units that were also active the step before.

    With ``A_t`` the set of units active (value not 0) at step ``t``, the result is the
    mean of ``|A_t ∩ A_(t-1)| / |A_t|`` over the recorded steps ``t >= 1`` in which at
    least one unit is active. It is ``float('nan')`` when no step qualifies: only one
    step was recorded, or every step after the first was silent.

    ``per_layer_result`` is one float per layer: a single float for a plain group, lists
    nested like the layers for layered groups. ``global_result`` takes ``A_t`` over all
    units of all layers together (the shared and active units are summed over the layers
    before dividing). The per-step fields stay ``None``.

    Only two integers per layer and step are kept (active units, and active units also
    active the step before; the last step of a batch is kept to pair with the first of
    the next), and every ratio and mean is computed from them in :meth:`compute`, so the
    results do not depend on how the steps were recorded (one at a time or in batches
    split anywhere).
    """

    _active: list[np.ndarray]
    _shared: list[np.ndarray]
    _last: list[np.ndarray] | None

    def __init__(self) -> None:
        super().__init__("overlap")

    def reset(self) -> None:
        super().reset()
        self._active = []
        self._shared = []
        self._last = None

    def _add_batch(self, batches: list[np.ndarray]) -> None:
        if batches[0].shape[0] == 0:
            return
        active, shared, last = [], [], []
        for index, batch in enumerate(batches):
            on = batch if batch.dtype == np.bool_ else batch != 0
            # Active units also active the step before: within the batch, and for its first
            # step against the last step of the previous batch (if there was one).
            within = np.count_nonzero(on[1:] & on[:-1], axis=1)
            if self._last is not None:
                across = np.count_nonzero(on[0] & self._last[index])
                within = np.concatenate([[across], within])
            active.append(np.count_nonzero(on, axis=1))
            shared.append(within)
            last.append(on[-1].copy())
        self._active.append(np.stack(active, axis=1).astype(np.int64, copy=False))
        self._shared.append(np.stack(shared, axis=1).astype(np.int64, copy=False))
        self._last = last

    def compute(self) -> MetricResults:
        layout = self._recorded_layout()
        # Row t - 1 of ``shared`` pairs step t with step t - 1; ``later`` is |A_t| for t >= 1.
        later = np.concatenate(self._active, axis=0)[1:]
        shared = np.concatenate(self._shared, axis=0)
        per_layer = [_mean_ratio(shared[:, layer], later[:, layer]) for layer in range(len(layout.sizes))]
        return MetricResults(
            self.name,
            global_result=_mean_ratio(shared.sum(axis=1), later.sum(axis=1)),
            per_layer_result=layout.nest(per_layer),
        )


def _mean_ratio(shared: np.ndarray, active: np.ndarray) -> float:
    """Mean of ``shared / active`` over the steps with ``active > 0``; nan if there are none."""
    qualifies = active > 0
    if not qualifies.any():
        return math.nan
    return float(np.mean(shared[qualifies] / active[qualifies]))
