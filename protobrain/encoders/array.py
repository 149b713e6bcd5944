"""Arrays of numbers: every element encoded by one numerical encoder, the codes stacked.

``ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (8, 8))`` encodes an 8x8 image of values
in 0..16 as a (8, 8, 16) binary array: pixel ``[i, j]``'s code is ``[i, j, :]``, exactly
what the scalar encoder gives for that pixel. A sensor with it takes whole arrays, and
:meth:`protobrain.brain.Brain.run` a sequence of them (a ``(steps, 8, 8)`` array), encoded
in the engine in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain._validation import normalize_shape
from protobrain.encoders import Encoder
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder

__all__ = ["ArrayEncoder"]


class ArrayEncoder(Encoder):
    """Encodes each element of an array of ``shape`` with ``encoder`` (a
    :class:`~protobrain.encoders.numerical.SimpleEncoder` or
    :class:`~protobrain.encoders.numerical.CyclicEncoder`) and stacks the codes along a last
    axis: the encoding has shape ``shape + (encoder.length,)``.

    Values must have exactly ``shape`` (a batch ``(steps,) + shape``), hold real numbers
    (not bools) and lie in the encoder's range; anything else raises ValueError naming the
    value and its position. The default value (what a new sensor shows) is the element
    encoder's ``min_value`` everywhere, unless another is assigned. The element encoder is
    read at every encoding, so changing its ``min_value``, ``max_value`` or ``sparsity``
    changes this encoder too (and the default value follows ``min_value``).
    """

    def __init__(self, encoder: SimpleEncoder | CyclicEncoder, shape: int | tuple[int, ...]) -> None:
        if type(encoder) not in (SimpleEncoder, CyclicEncoder):
            raise TypeError(f"ArrayEncoder needs a SimpleEncoder or CyclicEncoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.element_shape = normalize_shape(shape, "ArrayEncoder shape")
        self._default: Any = None
        super().__init__(default_value=None, shape=self.element_shape + (encoder.length,))

    @property
    def default_value(self) -> Any:
        """What a new sensor shows: ``min_value`` everywhere unless another value was assigned."""
        if self._default is not None:
            return self._default
        return np.full(self.element_shape, float(self.encoder.min_value))

    @default_value.setter
    def default_value(self, value: Any) -> None:
        self._default = value

    def encode(self, value: Any) -> np.ndarray:
        """The 0/1 float64 encoding of one array of :attr:`element_shape`."""
        array = self._checked([value], one=True)
        return self._encode_checked(array)[0].astype(np.float64)

    def encode_batch(self, values: Any) -> np.ndarray:
        """The encodings of a ``(steps,) + element_shape`` array (or a sequence of arrays),
        as a bool array of shape ``(steps,) + shape``."""
        if not isinstance(values, (Sequence, np.ndarray)):
            values = list(values)
        return self._encode_checked(self._checked(values))

    def _encode_checked(self, array: np.ndarray) -> np.ndarray:
        rows = self.encoder._native.encode_rows(np.ascontiguousarray(array.reshape(-1)))
        return rows.reshape((array.shape[0], *self.shape))

    def _checked(self, values: Any, one: bool = False) -> np.ndarray:
        """``values`` as a float64 array of shape ``(steps,) + element_shape``, every value
        a real number in range (``one``: a batch of one, named without its step)."""
        if not isinstance(values, np.ndarray) and len(values) == 0:
            return np.zeros((0, *self.element_shape))
        what = "value" if one else f"values of shape (steps, *{self.element_shape})"
        try:
            array = np.asarray(values)
        except ValueError as err:  # ragged nesting
            raise ValueError(f"ArrayEncoder: not an array of {what}: {err}") from None
        if array.dtype == object:
            raise ValueError(
                "ArrayEncoder encodes real numbers that fit a float64; got an array of objects "
                "(a non-number, or an integer too large for a float)"
            )
        if array.dtype.kind not in "iuf":
            raise ValueError(f"ArrayEncoder encodes real numbers, got an array of dtype {array.dtype}")
        if array.shape[1:] != self.element_shape:
            raise ValueError(
                f"ArrayEncoder: arrays of shape {self.element_shape} expected, got shape {array.shape[1:]}"
            )
        if not isinstance(values, np.ndarray):
            self._refuse_bools(values, one)
        converted = array.astype(np.float64)
        if array.dtype.kind in "iu" and array.size:
            with np.errstate(invalid="ignore"):  # a float beyond the int range: not exact anyway
                exact = (converted.astype(array.dtype) == array) & (np.abs(converted) < 2.0**63)
            if not exact.all():
                self._refuse(array, ~exact, "is not exactly a float64", one)
        low, high = float(self.encoder.min_value), float(self.encoder.max_value)
        outside = ~((converted >= low) & (converted <= high))  # NaN is outside too
        if outside.any():
            self._refuse(array, outside, f"is outside the encoder's range [{low}, {high}]", one)
        return converted

    @staticmethod
    def _refuse_bools(values: Sequence[Any], one: bool) -> None:
        """numpy reads True as 1 among numbers; the encoders refuse bools."""
        if all(isinstance(item, np.ndarray) for item in values):  # the common case: a list of arrays
            for step, item in enumerate(values):
                if item.dtype == bool:
                    where = "" if one else f" at step {step}"
                    raise ValueError(f"ArrayEncoder encodes real numbers, got an array of bools{where}")
            return
        objects = np.asarray(values, dtype=object)
        is_bool = np.frompyfunc(lambda v: isinstance(v, (bool, np.bool_)), 1, 1)(objects).astype(bool)
        if is_bool.any():
            ArrayEncoder._refuse(objects, is_bool, "is a bool, not a number", one)

    @staticmethod
    def _refuse(array: np.ndarray, bad: np.ndarray, why: str, one: bool = False) -> None:
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        step, element = position[0], position[1:]
        value = array[position]
        shown = value.item() if isinstance(value, np.generic) else value
        where = f"element {element}" if one else f"step {step}, element {element}"
        raise ValueError(f"ArrayEncoder: value {shown!r} at {where} {why}")

    def __repr__(self) -> str:
        return f"ArrayEncoder({self.encoder!r}, {self.element_shape!r})"
