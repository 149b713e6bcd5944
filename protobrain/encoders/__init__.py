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
