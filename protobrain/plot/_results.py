"""Benchmark and metric results as the data a picture draws.

What :meth:`~protobrain.metrics.benchmark.Benchmark.run` returns for one brain is a
``{metric name: MetricResults}`` dict; its per-layer results are nested like the layers.
"""

from __future__ import annotations

from typing import Any

from protobrain.metrics.metric import MetricResults


def _metric(source: Any, name: str) -> MetricResults | None:
    """``source`` as the results of metric ``name``, if it is such results (or a Results dict with them)."""
    if isinstance(source, MetricResults):
        if source.metric_name != name:
            raise ValueError(f"expected the results of {name!r}, got those of {source.metric_name!r}")
        return source
    if isinstance(source, dict):
        found = source.get(name)
        if not isinstance(found, MetricResults):
            raise ValueError(f"these benchmark results have no {name!r} metric; they have {sorted(source)}")
        return found
    return None
