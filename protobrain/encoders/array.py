"""Arrays of numbers: every element encoded by one numerical encoder, the codes stacked.

``ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (8, 8))`` encodes an 8x8 image of values
in 0..16 as a (8, 8, 16) binary array: pixel ``[i, j]``'s code is ``[i, j, :]``, exactly
what the scalar encoder gives for that pixel. A sensor with it takes whole arrays, and
:meth:`protobrain.brain.Brain.run` a sequence of them (a ``(steps, 8, 8)`` array), encoded
in the engine in one call.
"""

from __future__ import annotations

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
    value and its position. The default value (what a new sensor shows) is ``min_value``
    everywhere. The element encoder is read at every encoding, so changing its
    ``min_value``, ``max_value`` or ``sparsity`` changes this encoder too.
    """

    def __init__(self, encoder: SimpleEncoder | CyclicEncoder, shape: int | tuple[int, ...]) -> None:
        if type(encoder) not in (SimpleEncoder, CyclicEncoder):
            raise TypeError(f"ArrayEncoder needs a SimpleEncoder or CyclicEncoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.element_shape = normalize_shape(shape, "ArrayEncoder shape")
        super().__init__(
            default_value=np.full(self.element_shape, float(encoder.min_value)),
            shape=self.element_shape + (encoder.length,),
        )

    def encode(self, value: Any) -> np.ndarray:
        """The 0/1 float64 encoding of one array of :attr:`element_shape`."""
        return self.encode_batch(np.asarray(value)[np.newaxis])[0].astype(np.float64)

    def encode_batch(self, values: Any) -> np.ndarray:
        """The encodings of a ``(steps,) + element_shape`` array (or a sequence of arrays),
        as a bool array of shape ``(steps,) + shape``."""
        array = self._checked(values)
        steps = array.shape[0]
        rows = self.encoder._native.encode_rows(np.ascontiguousarray(array.reshape(-1)))
        return rows.reshape((steps, *self.shape))

    def _checked(self, values: Any) -> np.ndarray:
        """``values`` as a float64 array of shape ``(steps,) + element_shape``, every value
        a real number in range."""
        try:
            array = np.asarray(values)
        except ValueError as err:  # ragged nesting
            raise ValueError(
                f"ArrayEncoder: values are not an array of shape (steps, *{self.element_shape}): {err}"
            ) from None
        if array.dtype.kind not in "iuf":
            raise ValueError(f"ArrayEncoder encodes real numbers, got an array of dtype {array.dtype}")
        if array.shape[1:] != self.element_shape:
            raise ValueError(
                f"ArrayEncoder: values of shape {array.shape[1:]} (after the steps axis) for arrays of shape "
                f"{self.element_shape}"
            )
        converted = array.astype(np.float64)
        if array.dtype.kind in "iu" and array.size:
            exact = converted.astype(array.dtype) == array
            if not exact.all():
                self._refuse(array, ~exact, "is not exactly a float64")
        low, high = float(self.encoder.min_value), float(self.encoder.max_value)
        outside = ~((converted >= low) & (converted <= high))  # NaN is outside too
        if outside.any():
            self._refuse(array, outside, f"is outside the encoder's range [{low}, {high}]")
        return converted

    @staticmethod
    def _refuse(array: np.ndarray, bad: np.ndarray, why: str) -> None:
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        step, element = position[0], position[1:]
        raise ValueError(f"ArrayEncoder: value {array[position].item()!r} at step {step}, element {element} {why}")

    def __repr__(self) -> str:
        return f"ArrayEncoder({self.encoder!r}, {self.element_shape!r})"
