"""Metrics of a model's activity and the benchmark that runs them over brains (docs/specification.md §7).

- :mod:`protobrain.metrics.metric`: :class:`~protobrain.metrics.metric.Metric`,
  :class:`~protobrain.metrics.metric.MetricResults` and the helpers metrics share.
- :mod:`protobrain.metrics.spike_count`: :class:`~protobrain.metrics.spike_count.SpikeCount`.
- :mod:`protobrain.metrics.spike_density`: :class:`~protobrain.metrics.spike_density.SpikeDensity`.
- :mod:`protobrain.metrics.entropy`: :class:`~protobrain.metrics.entropy.Entropy`.
- :mod:`protobrain.metrics.overlap`: :class:`~protobrain.metrics.overlap.Overlap`.
- :mod:`protobrain.metrics.benchmark`: :class:`~protobrain.metrics.benchmark.Benchmark`.
"""

from protobrain.metrics.benchmark import Benchmark
from protobrain.metrics.entropy import Entropy
from protobrain.metrics.metric import LayerMetric, Layout, Metric, MetricResults
from protobrain.metrics.overlap import Overlap
from protobrain.metrics.spike_count import SpikeCount
from protobrain.metrics.spike_density import SpikeDensity

__all__ = [
    "Benchmark",
    "Entropy",
    "LayerMetric",
    "Layout",
    "Metric",
    "MetricResults",
    "Overlap",
    "SpikeCount",
    "SpikeDensity",
]
