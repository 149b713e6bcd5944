"""Similarity preservation: whether inputs that overlap more get codes that overlap more.

Over every pair of the given values, the rank (Spearman) correlation between the overlap
of their sensor encodings and the overlap of their codes, per layer: 1 when the layer
keeps the input's similarity order exactly, 0 when its overlaps have nothing to do with
the input's. scipy (which scikit-learn brings) computes the correlation:
``pip install 'protobrain[evaluate]'``.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from protobrain.evaluate._codes import codes, sensor_patterns

__all__ = ["SimilarityPreservation", "similarity_preservation"]


@dataclasses.dataclass(frozen=True)
class SimilarityPreservation:
    """The result of :func:`similarity_preservation`: Spearman correlations in [-1, 1],
    NaN where one side's overlaps are all equal (no order to compare)."""

    #: Per layer, in :attr:`~protobrain.brain.Brain.layers` order.
    layers: np.ndarray
    #: Over all layers' units together.
    overall: float


def similarity_preservation(brain: Any, values: Any) -> SimilarityPreservation:
    """Rank correlation, over all pairs of ``values`` (at least three), between input overlap
    ``|S_i ∩ S_j|`` and code overlap ``|A_i ∩ A_j|`` per layer. The codes are computed
    without learning; the brain is left exactly as it was."""
    try:
        from scipy.stats import spearmanr  # optional extra: imported when asked for
    except ImportError:
        raise ImportError("similarity_preservation needs scipy: pip install 'protobrain[evaluate]'") from None
    patterns = sensor_patterns(brain, values)
    if len(patterns) < 3:
        raise ValueError(f"similarity preservation needs at least three values (pairs to rank), got {len(patterns)}")
    recorded = codes(brain, patterns)
    upper = np.triu_indices(len(patterns), k=1)

    def pair_overlaps(bits: np.ndarray) -> np.ndarray:
        as_float = bits.astype(np.float64)  # counts are exact in float64; BLAS multiplies fast
        return (as_float @ as_float.T)[upper]

    inputs = pair_overlaps(patterns)

    def correlation(bits: np.ndarray) -> float:
        outputs = pair_overlaps(bits)
        if np.all(outputs == outputs[0]) or np.all(inputs == inputs[0]):
            return float("nan")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(spearmanr(inputs, outputs).statistic)

    layers = np.array([correlation(layer) for layer in recorded])
    overall = correlation(np.concatenate(recorded, axis=1)) if recorded else float("nan")
    return SimilarityPreservation(layers, overall)
