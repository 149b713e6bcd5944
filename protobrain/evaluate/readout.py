"""Readout: how much of a label a linear decoder can read from a layer's code.

A layer is useful downstream when what matters about its input can still be read from
it. :func:`readout` fits a linear classifier (scikit-learn's logistic regression) on the
codes of one split and scores it on the codes of another, per layer and on the raw
sensor bits, so a layer can be compared with its own input.

scikit-learn is an optional extra: ``pip install 'protobrain[evaluate]'``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain.evaluate._codes import codes, sensor_patterns

__all__ = ["Readout", "buckets", "readout"]


@dataclasses.dataclass(frozen=True)
class Readout:
    """The result of :func:`readout`: test-split accuracies (fractions in [0, 1])."""

    #: Per layer, in :attr:`~protobrain.brain.Brain.layers` order.
    layers: np.ndarray
    #: On the raw sensor bits: the baseline each layer is compared with.
    sensor: float
    #: On all layers' units together.
    overall: float


def buckets(values: Any, low: float, high: float, count: int) -> np.ndarray:
    """The bucket (0 .. count - 1) of each scalar in ``values``: ``count`` equal-width
    buckets over ``[low, high]`` (``high`` falls in the last), the label a readout of a
    scalar input decodes. Values outside the range fall in the first or last bucket."""
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError("buckets: values must be finite")
    if not low < high or count < 1:
        raise ValueError(f"buckets: need low < high and count >= 1, got {low}, {high}, {count}")
    index = np.floor((array - low) / (high - low) * count).astype(np.int64)
    return np.clip(index, 0, count - 1)


def readout(
    brain: Any,
    train_values: Any,
    train_labels: Any,
    test_values: Any,
    test_labels: Any,
    classifier: Any = None,
    sensor: float | None = None,
) -> Readout:
    """Decode ``labels`` from each layer's codes: fit on the train split, score on the test split.

    The codes are computed without learning (the brain is left exactly as it was). The
    classifier defaults to ``LogisticRegression(max_iter=2000)`` (lbfgs, deterministic);
    any scikit-learn classifier may be given, and is cloned for every fit. Fits run with
    one BLAS thread, so results do not depend on the machine's thread count.

    ``sensor``, when given, is taken as the raw sensor bits' accuracy instead of fitting
    it again (their encodings do not change as the brain learns; the benchmark's readout
    probe fits them once, before training).

    Raises ValueError when a split is empty, labels and values differ in length, labels
    are NaN, or the train split holds fewer than two classes; ImportError (naming the
    extra) without scikit-learn.
    """
    try:
        from sklearn.base import clone  # optional extra: imported when a readout is asked for
        from sklearn.linear_model import LogisticRegression  # (same)
        from threadpoolctl import threadpool_limits  # (a scikit-learn dependency)
    except ImportError:
        raise ImportError("readout needs scikit-learn: pip install 'protobrain[evaluate]'") from None
    train_y = _labels(train_labels, train_values, "train")
    test_y = _labels(test_labels, test_values, "test")
    classes = np.unique(train_y)
    if len(classes) < 2:
        only = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
        raise ValueError(f"readout: the train split holds one class only ({only!r}); it needs two or more")
    train_x = sensor_patterns(brain, train_values)
    test_x = sensor_patterns(brain, test_values)
    train_codes = codes(brain, train_x)
    test_codes = codes(brain, test_x)
    model = LogisticRegression(max_iter=2000) if classifier is None else classifier

    def score(train: np.ndarray, test: np.ndarray) -> float:
        fitted = clone(model)
        with threadpool_limits(limits=1):
            fitted.fit(train.astype(np.float64), train_y)
            return float(fitted.score(test.astype(np.float64), test_y))

    layers = np.array([score(a, b) for a, b in zip(train_codes, test_codes)])
    if len(train_codes) == 1:  # all layers together are the one layer: the same fit
        overall = float(layers[0])
    else:
        overall = score(np.concatenate(train_codes, axis=1), np.concatenate(test_codes, axis=1))
    return Readout(layers, score(train_x, test_x) if sensor is None else float(sensor), overall)


def _labels(labels: Any, values: Any, split: str) -> np.ndarray:
    if not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"readout: {split} values must be a sequence or an array, got {type(values).__name__}")
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"readout: {split} labels must be one-dimensional, got shape {array.shape}")
    if len(array) != len(values):
        raise ValueError(f"readout: {len(array)} {split} labels for {len(values)} {split} values")
    if len(array) == 0:
        raise ValueError(f"readout: the {split} split is empty")
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"readout: {split} labels hold NaN at position {int(np.argmax(np.isnan(array)))}")
    return array
