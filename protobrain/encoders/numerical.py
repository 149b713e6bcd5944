"""Numerical encoders: a band of ``ceil(sparsity * length)`` active bits whose position
follows the value (docs/specification.md §5).

``SimpleEncoder`` slides the band from the first bit (min) to the last (max).
``CyclicEncoder`` lets it wrap past the end, so max sits next to min: for angles, hours,
any periodic quantity. Values are converted to float before encoding.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from protobrain import _core, _graph
from protobrain._native import NativeState
from protobrain._validation import real_number
from protobrain.encoders import Encoder

__all__ = ["CyclicEncoder", "Encoder", "NumericalEncoder", "SimpleEncoder"]


def _encoder_input(value: Any) -> float:
    # The common cases skip the slower abstract checks.
    if type(value) is float:
        return value
    if type(value) is int and -(2**53) <= value <= 2**53:
        return float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"a numerical encoder encodes real numbers, got {value!r}")
    try:
        return _exactly_float(value, "value")
    except OverflowError:
        raise ValueError(f"value {value!r} is outside any encoder's range (too large for a float)") from None


def _encoder_inputs(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """``values`` as a float64 array for the engine's encoders; ValueError naming the first
    value a numerical encoder refuses (a non-number, an integer float64 cannot hold) and its position."""
    if isinstance(values, np.ndarray):
        array = values
    else:
        array = np.asarray(values)
        if array.dtype.kind in "iuf":  # numpy reads True as 1 among numbers; the encoders refuse bools
            for i, value in enumerate(values):
                if isinstance(value, (bool, np.bool_)):
                    raise ValueError(f"a numerical encoder encodes real numbers, got {value!r} (at position {i})")
    if array.ndim == 1 and array.dtype.kind == "f":
        return np.ascontiguousarray(array, dtype=np.float64)
    if array.ndim == 1 and array.dtype.kind in "iu":
        converted = np.ascontiguousarray(array, dtype=np.float64)
        # Integers beyond 2**53 that float64 rounds are refused, as the encoders refuse them.
        if array.size and np.abs(converted).max() >= 2.0**53:
            for i, value in enumerate(array):
                try:
                    _encoder_input(int(value))
                except ValueError as error:
                    raise ValueError(f"{error} (at position {i})") from None
        return converted
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):
        try:
            out[i] = _encoder_input(value)
        except ValueError as error:
            raise ValueError(f"{error} (at position {i})") from None
    return out


def _exactly_float(number: Any, what: str) -> float:
    """``float(number)``; ValueError for an integer that float64 cannot hold exactly (above
    2**53 in size and not a multiple of a large enough power of two), which the float64
    arithmetic of the encoders would silently round (two different bounds could become
    equal, an out-of-range value could pass)."""
    result = float(number)
    if isinstance(number, numbers.Integral) and int(number) != result:
        raise ValueError(
            f"{what} {number!r} is not exactly a float64 (the nearest is {result!r}); "
            "numerical encoders compute in float64: shift the numbers nearer to 0"
        )
    return result


def _bound(value: Any, what: str) -> float:
    """``min_value`` or ``max_value`` as a float: TypeError for a non-number, ValueError when
    too large for a float or not exactly one."""
    real_number(value, what)
    return _exactly_float(value, what)


class NumericalEncoder(NativeState, Encoder):
    """Shared set-up of the numerical encoders.

    Needs ``min_value < max_value``, ``length >= 1`` and ``0 < sparsity <= 1``; values
    outside ``[min_value, max_value]``, NaN and non-numbers raise ValueError. A subclass
    may implement its own ``encode`` and still use this validation. ``min_value``,
    ``max_value`` and ``sparsity`` may be changed later (validated again); ``length`` is
    fixed. Parameters and values are used as float64; an integer that float64 cannot hold
    exactly (beyond 2**53) raises ValueError rather than being rounded.
    """

    _kind: ClassVar[str | None] = None
    _length: int
    #: (min_value, max_value, sparsity)
    _params: tuple[float, float, float]

    @_graph.new_object
    def __init__(self, min_value: float, max_value: float, length: int, sparsity: float = 0.02) -> None:
        if isinstance(length, bool) or not isinstance(length, numbers.Integral):
            raise ValueError(f"length must be an int >= 1, got {length!r}")
        if not 1 <= length < 2**63:
            raise ValueError(f"length must be at least 1 and fit in memory, got {length}")
        self._length = int(length)
        self._params = (min_value, max_value, sparsity)
        # The engine validates min/max/sparsity for every numerical encoder, whether or not
        # it then encodes with it.
        self._native = self._make_native()
        super().__init__(default_value=min_value, shape=(self._length,))

    @property
    def min_value(self) -> float:
        """The smallest value encoded; assigning checks it against ``max_value``."""
        return self._params[0]

    @min_value.setter
    def min_value(self, value: float) -> None:
        self._set(value, self.max_value, self.sparsity)

    @property
    def max_value(self) -> float:
        """The largest value encoded; assigning checks it against ``min_value``."""
        return self._params[1]

    @max_value.setter
    def max_value(self, value: float) -> None:
        self._set(self.min_value, value, self.sparsity)

    @property
    def sparsity(self) -> float:
        """The fraction of bits set, in (0, 1]; the band is ``ceil(sparsity * length)`` bits wide."""
        return self._params[2]

    @sparsity.setter
    def sparsity(self, value: float) -> None:
        self._set(self.min_value, self.max_value, value)

    @property
    def length(self) -> int:
        """The number of bits (fixed: it is the shape of the sensor's output)."""
        return self._length

    @property
    def range(self) -> float:
        """``max_value - min_value``."""
        return self.max_value - self.min_value

    @property
    def width(self) -> int:
        """The number of active bits, ``ceil(sparsity * length)``."""
        return int(self._native.width)

    def _set(self, min_value: float, max_value: float, sparsity: float) -> None:
        old = self._params
        self._params = (min_value, max_value, sparsity)
        try:
            self._native = self._make_native()
        except Exception:
            self._params = old
            raise
        if self.default_value == old[0]:  # the default is min_value: it follows a new one
            self.default_value = min_value
        _graph.changed()

    def _make_native(self) -> _core.NumericalEncoder:
        return _core.NumericalEncoder(
            self._kind or "simple",
            _bound(self.min_value, "min_value"),
            _bound(self.max_value, "max_value"),
            self._length,
            real_number(self.sparsity, "sparsity"),
        )

    def encode(self, value: Any) -> np.ndarray:
        """The 0/1 float64 encoding of ``value``."""
        if self._kind is None:
            raise NotImplementedError("NumericalEncoder is a base class; use SimpleEncoder or CyclicEncoder")
        return self._native.encode(_encoder_input(value))

    def encode_batch(self, values: Any) -> np.ndarray:
        """The encodings of ``values`` as a bool array of shape ``(len(values), length)``,
        encoded in the engine in one call; ValueError naming the first bad value and its position."""
        if self._kind is None:
            raise NotImplementedError("NumericalEncoder is a base class; use SimpleEncoder or CyclicEncoder")
        if not isinstance(values, (Sequence, np.ndarray)):
            values = list(values)
        return self._native.encode_rows(_encoder_inputs(values))

    def _encode_into(self, value: Any, activity: _core.Activity) -> None:
        self._native.encode_into(_encoder_input(value), activity)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_value={self.min_value!r}, max_value={self.max_value!r}, "
            f"length={self.length!r}, sparsity={self.sparsity!r})"
        )


class SimpleEncoder(NumericalEncoder):
    """start = int((value - min) / range * (length - w)); bits [start, start + w) are 1."""

    _kind = "simple"


class CyclicEncoder(NumericalEncoder):
    """start = int((value - min) / range * (length - 1)); bits [start, start + w) are 1,
    wrapping past the end to the beginning."""

    _kind = "cyclic"
