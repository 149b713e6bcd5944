"""Checks and conversions of user-given shapes and numbers, shared by the public modules.

Each raises an exception that names the bad value."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

Shape = tuple[int, ...]

#: The most dimensions a group's or output's shape may have: numpy 1's limit for arrays,
#: which leaves room for the steps axis of Brain.run's recordings and for weight views
#: (the source's dimensions and the group's together) within numpy 2's 64.
MAX_DIMENSIONS = 32


def normalize_shape(shape: Any, what: str = "shape") -> Shape:
    """Return ``shape`` (an int or a sequence of ints) as a tuple of positive ints.

    Raises ValueError naming the bad value, as docs/specification.md §2 asks for group shapes.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        dims: tuple[Any, ...] = (shape,)
    else:
        try:
            dims = tuple(shape)
        except TypeError:
            raise ValueError(f"{what} must be an int or a tuple of ints, got {shape!r}") from None
    if not dims:
        raise ValueError(f"{what} must have at least one dimension, got {shape!r}")
    if len(dims) > MAX_DIMENSIONS:
        raise ValueError(f"{what} has at most {MAX_DIMENSIONS} dimensions, got {len(dims)}")
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0:
            raise ValueError(f"{what}: every dimension must be a positive int, got {shape!r}")
    return tuple(int(d) for d in dims)


def source_shape(shape: Any) -> Shape:
    """The shape of something connected as a source: non-negative ints, possibly 0-d."""
    dims = (shape,) if isinstance(shape, numbers.Integral) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        raise ValueError(f"a source's shape must be a tuple of ints, got {shape!r}") from None
    if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0 for d in dims):
        raise ValueError(f"a source's shape must be a tuple of non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def float_array(values: Any, what: str) -> np.ndarray:
    """``values`` as a C-contiguous float64 array; TypeError when they are not numbers."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} must be an array of numbers: {err}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be an array of real numbers, got dtype {array.dtype}")
    # Not np.ascontiguousarray, which turns a 0-d array (a scalar source) into shape (1,).
    return np.asarray(array, dtype=np.float64, order="C")


def count(value: Any, name: str, low: int) -> int:
    """``value`` as an int of at least ``low``; ValueError naming ``name`` otherwise (a bool
    is not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def real_number(value: Any, what: str) -> float:
    """``value`` as a float; TypeError for bools and non-numbers, ValueError when too large."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{what} is too large for a float: {value!r}") from None
