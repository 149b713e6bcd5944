"""Categories: one band of bits per category, no two overlapping.

``CategoryEncoder(["cat", "dog", "fish"], width=4)`` encodes "dog" as 12 bits of which
bits 4..7 are set. Two categories share no bit, so their codes overlap in nothing: the
encoder says which category, never how similar two are.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from protobrain.encoders import Encoder

__all__ = ["CategoryEncoder"]


class CategoryEncoder(Encoder):
    """``width`` bits per category, in the order given: category ``i`` sets bits
    ``[i * width, (i + 1) * width)`` of ``len(categories) * width``.

    Categories must be hashable and distinct (``1`` and ``1.0`` are the same category, as
    in a dict). Encoding anything else raises ValueError naming it. A new sensor shows no
    bit set (``default_value`` is None).
    """

    def __init__(self, categories: Iterable[Hashable], width: int = 8) -> None:
        self.categories: tuple[Hashable, ...] = tuple(categories)
        if not self.categories:
            raise ValueError("CategoryEncoder needs at least one category")
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"CategoryEncoder width must be an int >= 1, got {width!r}")
        self.width: int = int(width)
        index: dict[Hashable, int] = {}
        for i, category in enumerate(self.categories):
            try:
                if category in index:
                    raise ValueError(f"CategoryEncoder: category {category!r} is given twice")
            except TypeError:
                raise ValueError(f"CategoryEncoder: category {category!r} is not hashable") from None
            index[category] = i
        self._index: dict[Hashable, int] = index
        super().__init__(default_value=None, shape=len(self.categories) * self.width)

    def index(self, value: Any) -> int:
        """The position of ``value`` among the categories; ValueError for an unknown one."""
        try:
            return self._index[value]
        except (KeyError, TypeError):
            shown = ", ".join(repr(c) for c in self.categories[:10])
            more = ", ..." if len(self.categories) > 10 else ""
            raise ValueError(f"CategoryEncoder: unknown category {value!r}; the categories are {shown}{more}") from None

    def encode(self, value: Any) -> np.ndarray:
        """The 0/1 float64 encoding of one category."""
        return self.encode_batch([value])[0].astype(np.float64)

    def encode_batch(self, values: Any) -> np.ndarray:
        """The encodings of ``values`` (categories) as a bool array ``(len(values), length)``."""
        if not isinstance(values, (Sequence, np.ndarray)):
            values = list(values)
        indices = np.fromiter((self.index(v) for v in values), dtype=np.int64, count=len(values))
        out = np.zeros((len(indices), self.shape[0]), dtype=bool)
        columns = indices[:, np.newaxis] * self.width + np.arange(self.width)
        out[np.arange(len(indices))[:, np.newaxis], columns] = True
        return out

    def __repr__(self) -> str:
        return f"CategoryEncoder({list(self.categories)!r}, width={self.width})"
