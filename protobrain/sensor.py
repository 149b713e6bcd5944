"""Sensors: an encoder and the output it writes (docs/specification.md §5)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from protobrain import _graph
from protobrain._validation import Shape, normalize_shape
from protobrain.encoders import Encoder
from protobrain.encoders.numerical import CyclicEncoder, NumericalEncoder, SimpleEncoder
from protobrain.synapses import Output

__all__ = ["Encoder", "Sensor"]

_BUILTIN_ENCODERS = (SimpleEncoder, CyclicEncoder)


class Sensor(_graph.TracksStepMethods):
    """Feeds encoded values to the neurons connected to it.

    A new sensor reads its encoder's ``default_value`` (when not None), so ``value`` and
    ``values`` always agree.
    """

    @_graph.new_object
    def __init__(self, encoder: Encoder) -> None:
        _check_encoder(encoder)
        self._encoder = encoder
        self._output = Output(encoder.shape)
        self._value: Any = None
        default = getattr(encoder, "default_value", None)
        if default is not None:
            self.feed(default)

    @property
    def output(self) -> Output:
        """The sensor's :class:`~protobrain.synapses.Output` (fixed: connections read it)."""
        return self._output

    @property
    def encoder(self) -> Encoder:
        """The encoder; a new one must have the sensor's shape."""
        return self._encoder

    @encoder.setter
    def encoder(self, encoder: Encoder) -> None:
        _check_encoder(encoder)
        if normalize_shape(encoder.shape) != self.output.shape:
            raise ValueError(f"the new encoder's shape {tuple(encoder.shape)} is not the sensor's {self.output.shape}")
        self._encoder = encoder
        _graph.changed()

    def feed(self, value: Any) -> None:
        """Encode ``value`` and set it as the sensor's output."""
        encoder = self._encoder
        if type(encoder) in _BUILTIN_ENCODERS:
            cast(NumericalEncoder, encoder)._encode_into(value, self._output._activity)
        else:
            self._output.values = encoder.encode(value)
        self.__dict__["_value"] = value  # not a step method: skip the tracking __setattr__

    @property
    def value(self) -> Any:
        """The last value fed; assigning feeds it."""
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        self.feed(value)

    @property
    def values(self) -> np.ndarray:
        """The encoding of the last value fed (a read-only float64 snapshot)."""
        return self.output.values

    @property
    def shape(self) -> Shape:
        """The encoder's shape."""
        return self.output.shape

    def _gather(self) -> Any:
        return self.output._gather()

    def _native_source(self) -> Any:
        return self.output._native_source()

    def __repr__(self) -> str:
        return f"Sensor({self.encoder!r})"


def _check_encoder(encoder: Any) -> None:
    if not (hasattr(encoder, "encode") and hasattr(encoder, "shape")):
        raise TypeError(f"encoder must have .encode and .shape, got {type(encoder).__name__}")
