"""Noise robustness: how much of a layer's code survives noise in its input.

Cui, Ahmad and Hawkins (2017, "The HTM spatial pooler") measure a spatial pooler by moving
a fraction of the active input bits: switch off ``round(x * k)`` of the ``k`` active bits
and switch on as many inactive ones (the input's sparsity stays), then compare the
output with the output for the clean input. A robust code keeps most of its units.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from protobrain.evaluate._codes import codes, mean_fraction, overlap_fractions, sensor_patterns

__all__ = ["NoiseRobustness", "add_noise", "noise_robustness"]


@dataclasses.dataclass(frozen=True)
class NoiseRobustness:
    """The result of :func:`noise_robustness`. Per-layer arrays follow
    :attr:`~protobrain.brain.Brain.layers` order."""

    #: The noise levels: the fraction of active input bits moved (``levels``,).
    levels: np.ndarray
    #: Mean overlap ``|A_clean ∩ A_noisy| / |A_clean|`` per level and layer (``levels``, layers).
    curve: np.ndarray
    #: The curve's mean over the levels, per layer: the summary (1 for a code noise never moves).
    area: np.ndarray
    #: The same curve over all layers' units together (``levels``,).
    overall_curve: np.ndarray
    #: ``overall_curve``'s mean.
    overall_area: float


def add_noise(patterns: np.ndarray, levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noisy copies of binary ``patterns`` (values x bits): for each pattern and each level
    ``x``, ``round(x * k)`` of its ``k`` active bits switched off and as many inactive ones
    switched on (at most as many as there are). Returns (values, levels, bits).

    Each pattern's bits are put in one random order, used at every level, so a higher level
    moves the bits a lower one moved and more (the curve is then smooth in the level).
    ``round`` rounds half to even, as Python's does.
    """
    patterns = np.asarray(patterns, dtype=bool)
    count, bits = patterns.shape
    keys = rng.random((count, bits))
    # Rank of each bit among the active (inactive) bits of its pattern, in random order.
    rank_on = _ranks(np.where(patterns, keys, np.inf))
    rank_off = _ranks(np.where(patterns, np.inf, keys))
    active = np.count_nonzero(patterns, axis=1)
    moved = np.minimum(np.rint(np.outer(active, levels)).astype(np.int64), (bits - active)[:, None])
    moved = moved[:, :, None]  # values x levels x 1
    stays_on = patterns[:, None, :] & (rank_on[:, None, :] >= moved)
    turns_on = ~patterns[:, None, :] & (rank_off[:, None, :] < moved)
    return stays_on | turns_on


def _ranks(keys: np.ndarray) -> np.ndarray:
    order = np.argsort(keys, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(keys.shape[1])[None, :], axis=1)  # broadcast over the rows
    return ranks


def noise_robustness(brain: Any, values: Any, levels: int = 21, seed: int = 0) -> NoiseRobustness:
    """Measure how each layer's code for each of ``values`` survives input noise.

    For each value: encode it, then for each noise level ``x`` in
    ``numpy.linspace(0, 1, levels)`` move ``round(x * k)`` of the ``k`` active sensor bits
    (:func:`add_noise`, random with ``numpy.random.default_rng(seed)``), compute without
    learning, and take per layer ``|A_clean ∩ A_noisy| / |A_clean|``. The curve is the
    mean over the values (a value whose clean code is empty in a layer is left out of that
    layer's mean; NaN when all are). The brain is left exactly as it was (see
    :func:`protobrain.evaluate.codes`).
    """
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise ValueError(f"levels must be an int >= 2 (it includes 0 and 1), got {levels!r}")
    clean = sensor_patterns(brain, values)
    grid = np.linspace(0.0, 1.0, int(levels))
    noisy = add_noise(clean, grid, np.random.default_rng(seed))  # values x levels x bits
    count = len(clean)
    recorded = codes(brain, noisy.reshape(count * len(grid), -1))
    curves = []
    shared_all = np.zeros((count, len(grid)), dtype=np.int64)
    size_all = np.zeros((count, 1), dtype=np.int64)
    for layer in recorded:
        by_level = layer.reshape(count, len(grid), -1)
        reference = by_level[:, :1, :]  # level 0: no bit moved
        shared, size = overlap_fractions(reference, by_level)
        curves.append(mean_fraction(shared, size))
        shared_all += shared
        size_all += size
    curve = np.stack(curves, axis=1) if curves else np.zeros((len(grid), 0))
    overall = mean_fraction(shared_all, size_all)
    return NoiseRobustness(grid, curve, curve.mean(axis=0), overall, float(overall.mean()))
