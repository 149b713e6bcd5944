"""Recording a brain's codes for given sensor patterns without changing the brain.

Every probe of :mod:`protobrain.evaluate` comes down to :func:`codes`: show the sensor a
pattern, compute every group without learning, note each group's activity, and at the
end put every output of the model (the groups', the sensor's) and the sensor's last
value back as they were. Computing never changes a weight, so the brain is then exactly
as before: its next steps give, bit for bit, what they would have given without the probe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain import _rollback
from protobrain.neuron import Neurons
from protobrain.sensor import Sensor
from protobrain.synapses import Output

__all__ = ["codes", "sensor_patterns"]


def sensor_patterns(brain: Any, values: Any) -> np.ndarray:
    """The sensor's encodings of ``values``: a bool array (values, sensor units).

    ValueError when ``values`` is empty or the encoder refuses one of them (the message
    names it).
    """
    if not isinstance(values, (Sequence, np.ndarray)):
        values = list(values)
    if len(values) == 0:
        raise ValueError("no values to probe with: give at least one")
    encoder = brain.sensor.encoder
    patterns = np.asarray(encoder.encode_batch(values))
    return np.ascontiguousarray(patterns.reshape(len(values), -1) != 0)


def codes(brain: Any, patterns: np.ndarray) -> list[np.ndarray]:
    """Each group's activity (in :attr:`~protobrain.brain.Brain.layers` order, a bool array
    (patterns, units) each) when the sensor shows each row of ``patterns`` and the brain
    computes without learning, each row from the brain's state as it is now.

    The brain is left exactly as it was. When every group reads only the sensor and groups
    computed before it (a feed-forward stack of built-in groups), a step does not depend
    on the one before, and all rows run in one engine call; otherwise each row is computed
    from the saved state, one step at a time.
    """
    patterns = np.ascontiguousarray(patterns, dtype=bool)
    cache = brain._compiled_cache()
    cache.check_connected()
    network, layers = cache.network, cache.layers
    output = getattr(brain.sensor, "output", None)
    if type(output) is not Output:
        raise TypeError(f"probes write patterns into the sensor's output; {type(brain.sensor).__name__} has none")
    if patterns.ndim != 2 or patterns.shape[1] != output.size:
        raise ValueError(f"patterns of shape {patterns.shape} for a sensor of {output.size} units")
    snapshot = _rollback._Snapshot(brain, cache.plan, sensor=True, weights=False)
    try:
        if network.takes_patterns and _feed_forward(brain, layers):
            done, recorded, interrupt, _ = network.run_patterns(patterns, False, [True] * len(layers))
            if interrupt is not None:
                raise interrupt
            return list(recorded)
        return _step_by_step(brain, patterns, snapshot)
    finally:
        snapshot.restore()


def _step_by_step(brain: Any, patterns: np.ndarray, snapshot: _rollback._Snapshot) -> list[np.ndarray]:
    sizes = list(brain._compiled_cache().network.sizes)
    recorded = [np.zeros((len(patterns), size), dtype=bool) for size in sizes]
    sensor_output = brain.sensor.output
    for step, pattern in enumerate(patterns):
        snapshot.restore()
        sensor_output.values = pattern.reshape(sensor_output.shape)
        brain.compute()
        brain._compiled_cache().network.record(recorded, step)  # a user part may have recompiled it
    return recorded


def _feed_forward(brain: Any, layers: Sequence[Any]) -> bool:
    """Whether every group is a plain built-in :class:`Neurons` whose connected inputs read
    only the sensor and the outputs of groups computed before it: then a step's codes
    depend on that step's sensor pattern alone."""
    if type(brain.sensor) is not Sensor:
        return False
    allowed = {id(brain.sensor.output._activity)}
    for group in layers:
        if type(group) is not Neurons or type(group.output) is not Output:
            return False
        for inp in group.inputs.values():
            if not inp.connected:
                continue
            if inp._mirror is not None or any(id(buffer) not in allowed for buffer in inp._reads):
                return False
        allowed.add(id(group.output._activity))
    return True


def overlap_fractions(reference: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``|A ∩ B|`` and ``|A|`` along the last axis of two bool arrays of codes (``other`` may
    carry extra leading axes that broadcast against ``reference``)."""
    shared = np.count_nonzero(reference & other, axis=-1)
    size = np.count_nonzero(reference, axis=-1)
    return shared, size


def mean_fraction(shared: np.ndarray, size: np.ndarray, axis: int = 0) -> np.ndarray:
    """The mean of ``shared / size`` along ``axis`` over the entries whose ``size`` is not 0;
    NaN where every entry's is (an empty reference code has no overlap to speak of)."""
    size = np.broadcast_to(size, shared.shape)
    valid = size > 0
    ratios = np.where(valid, shared / np.where(valid, size, 1), 0.0)
    count = valid.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, ratios.sum(axis=axis) / np.maximum(count, 1), np.nan)
