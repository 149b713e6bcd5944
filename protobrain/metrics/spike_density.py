"""The fraction of units active at each step (docs/specification.md §7)."""

from __future__ import annotations

import numpy as np

from protobrain.metrics.metric import LayerMetric, MetricResults

__all__ = ["SpikeDensity"]


class SpikeDensity(LayerMetric):
    """Fraction of units active (value not 0), per layer and step.

    For a plain group, ``per_layer_per_step_result`` and ``per_step_result`` are the list
    of per-step densities, and ``per_layer_result`` and ``global_result`` their mean. For
    layered groups, each step's entry of ``per_layer_per_step_result`` is a tuple nested
    like the layers; ``per_layer_result`` holds the per-layer means as nested lists;
    ``per_step_result`` is the density over all layers' units together (each layer
    weighted by its number of units) and ``global_result`` its mean.

    Only the number of active units per layer and step is kept. Every density and mean is
    computed from those integer counts with a single division, so it is the correctly
    rounded value (for example the mean of 0.3 and 0.55 is exactly 0.425).
    """

    _active: list[np.ndarray]

    def __init__(self) -> None:
        super().__init__("spike_density")

    def reset(self) -> None:
        super().reset()
        self._active = []

    def _add_batch(self, batches: list[np.ndarray]) -> None:
        active = [np.count_nonzero(batch, axis=1) for batch in batches]
        self._active.append(np.stack(active, axis=1).astype(np.int64, copy=False))

    def active_units(self) -> np.ndarray:
        """The number of active units per step (rows) and layer (columns, depth-first)."""
        self._recorded_layout()
        return np.concatenate(self._active, axis=0)

    def compute(self) -> MetricResults:
        layout = self._recorded_layout()
        active = self.active_units()
        steps = active.shape[0]
        sizes = np.array(layout.sizes, dtype=np.int64)
        units = int(sizes.sum())

        per_layer_per_step = (active / sizes).tolist()
        per_layer = (active.sum(axis=0) / (steps * sizes)).tolist()
        per_step = (active.sum(axis=1) / units).tolist()
        global_result = float(active.sum() / (steps * units))

        if not layout.layered:
            return MetricResults(
                self.name,
                global_result=global_result,
                per_layer_result=per_layer[0],
                per_step_result=per_step,
                per_layer_per_step_result=[row[0] for row in per_layer_per_step],
            )
        return MetricResults(
            self.name,
            global_result=global_result,
            per_layer_result=layout.nest(per_layer),
            per_step_result=per_step,
            per_layer_per_step_result=[layout.nest(row, tuple) for row in per_layer_per_step],
        )
