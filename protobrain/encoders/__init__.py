"""Encoders: turn raw values into binary arrays a sensor feeds to the brain (docs/specification.md §5)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain._validation import Shape, normalize_shape

__all__ = ["Encoder"]


class Encoder(abc.ABC):
    """Base class: ``encode(value)`` returns a binary array of ``shape``.

    ``default_value`` is what a new :class:`~protobrain.sensor.Sensor` reads before anything
    is fed (``None`` leaves its output all zeros).
    """

    def __init__(self, default_value: Any, shape: int | Sequence[int]) -> None:
        self.default_value = default_value
        self.shape: Shape = normalize_shape(shape)

    @abc.abstractmethod
    def encode(self, value: Any) -> np.ndarray:
        """The binary representation of ``value``."""

    def encode_batch(self, values: Any) -> np.ndarray:
        """The encodings of ``values``, in order, as a bool array of shape
        ``(len(values),) + shape`` (True where the encoding is not 0).

        This default calls :meth:`encode` once per value; the built-in encoders encode the
        whole batch with array operations, and :meth:`protobrain.brain.Brain.run` feeds
        such a batch to the engine in one call.
        """
        rows = [np.asarray(self.encode(value)) != 0 for value in values]
        if not rows:
            return np.zeros((0, *self.shape), dtype=bool)
        return np.stack(rows).reshape((len(rows), *self.shape))
