"""How many steps each unit was active in (docs/specification.md §7)."""

from __future__ import annotations

import numpy as np

from protobrain.metrics.metric import MetricResults, UnitCounts

__all__ = ["SpikeCount", "histogram"]


def histogram(counts: np.ndarray) -> dict[int, int]:
    """``{spikes: number of units}`` for per-unit spike counts; key 0 is always present.

    Keys and values are plain ints; only spike counts that some unit has appear, besides 0.
    """
    tally = np.bincount(np.asarray(counts, dtype=np.int64).reshape(-1), minlength=1)
    (present,) = np.nonzero(tally)
    result = {0: int(tally[0])}
    result.update((int(spikes), int(tally[spikes])) for spikes in present)
    return result


class SpikeCount(UnitCounts):
    """Counts, per unit, the steps in which it was active (its value was not 0).

    ``global_result`` is the histogram ``{spikes: number_of_units}`` over all layers;
    ``per_layer_result`` is that histogram for a plain group, and a list nested like the
    layers of histograms for layered groups. ``per_unit()`` gives the raw counts.
    """

    def __init__(self) -> None:
        super().__init__("spike_count")

    def compute(self) -> MetricResults:
        layout = self._recorded_layout()
        per_layer = layout.nest([histogram(counts) for counts in self._counts])
        return MetricResults(
            self.name,
            global_result=histogram(np.concatenate(self._counts)),
            per_layer_result=per_layer,
        )
