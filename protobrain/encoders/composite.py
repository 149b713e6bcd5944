"""Encoders for time series: several encoders side by side, and the time of day and day of
week of a timestamp (docs/encoders.md).

``CompositeEncoder({"value": SimpleEncoder(0, 100, 151, 0.14), "time": TimeOfDayEncoder()})``
encodes ``{"value": 42.0, "time": "2014-04-10 07:15:00"}`` (or the tuple ``(42.0,
"2014-04-10 07:15:00")``, in the encoders' order) as the two codes flattened and
concatenated: what NAB's HTM detectors feed their spatial pooler.
"""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from protobrain.encoders import Encoder
from protobrain.encoders.numerical import CyclicEncoder

__all__ = ["CompositeEncoder", "DayOfWeekEncoder", "TimeOfDayEncoder", "timestamp"]


def timestamp(value: Any) -> Any:
    """``value`` (a ``datetime``, ``numpy.datetime64`` or ISO 8601 string such as NAB's
    ``"2014-04-10 07:15:00"``) as a ``numpy.datetime64`` in seconds; ValueError otherwise."""
    if isinstance(value, (datetime.datetime, np.datetime64, str)):
        try:
            stamp: Any = np.datetime64(value, "s")  # type: ignore[call-overload]
        except ValueError:
            raise ValueError(f"not a timestamp: {value!r}") from None
        if not np.isnat(stamp):
            return stamp
    raise ValueError(f"not a timestamp: {value!r} (a datetime, numpy.datetime64 or ISO 8601 string)")


class _Periodic(Encoder):
    """A cyclic band over one period of a timestamp's clock (see the subclasses)."""

    _period: float
    _unit: str
    width: int
    radius: float
    _cyclic: CyclicEncoder

    def __init__(self, width: int, radius: float, default: str) -> None:
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"{type(self).__name__}: width must be an int >= 1, got {width!r}")
        if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not 0 < radius <= self._period:
            name, period = type(self).__name__, f"{self._period:g}"
            raise ValueError(f"{name}: radius must be a number in (0, {period}] ({self._unit}), got {radius!r}")
        self.width = int(width)
        self.radius = float(radius)
        length = max(self.width, math.ceil(self._period * self.width / self.radius))
        # A band of exactly `width` bits: ceil(sparsity * length) must not round up past it.
        self._cyclic = CyclicEncoder(0, self._period, length, (self.width - 0.5) / length)
        super().__init__(default_value=default, shape=length)

    def _position(self, stamp: Any) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def encode(self, value: Any) -> np.ndarray:
        """The 0/1 float64 code of a timestamp."""
        return self._cyclic.encode(self._position(timestamp(value)))

    def encode_batch(self, values: Any) -> np.ndarray:
        """The codes of timestamps, a bool array ``(len(values), length)``."""
        positions = [self._position(timestamp(v)) for v in values]
        return self._cyclic.encode_batch(positions)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(width={self.width}, radius={self.radius:g})"


class TimeOfDayEncoder(_Periodic):
    """The time of day of a timestamp, a band of ``width`` bits around a 24-hour cycle
    that moves by ``width`` bits every ``radius`` hours (htm.core's ``DateEncoder``
    ``timeOfDay=(width, radius)``; NAB's detectors use ``(21, 9.49)``: 54 bits)."""

    _period, _unit = 24.0, "hours"

    def __init__(self, width: int = 21, radius: float = 9.49) -> None:
        super().__init__(width, radius, "1970-01-01T00:00:00")

    def _position(self, stamp: Any) -> float:
        seconds = (stamp - stamp.astype("datetime64[D]")).astype(np.int64)
        return float(seconds) / 3600.0


class DayOfWeekEncoder(_Periodic):
    """The day of the week of a timestamp (Monday 0 to Sunday 6, with the time of day as a
    fraction), a band of ``width`` bits around a 7-day cycle that moves by ``width`` bits
    every ``radius`` days (htm.core's ``dayOfWeek=(width, radius)``)."""

    _period, _unit = 7.0, "days"

    def __init__(self, width: int = 21, radius: float = 1.0) -> None:
        super().__init__(width, radius, "1970-01-05T00:00:00")

    def _position(self, stamp: Any) -> float:
        days = stamp.astype("datetime64[D]")
        monday = (days.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday
        seconds = (stamp - days).astype(np.int64)
        return float(monday) + float(seconds) / 86400.0


class CompositeEncoder(Encoder):
    """Several encoders' codes, flattened and concatenated in the order given.

    ``encoders`` maps a name to each encoder; a value is a mapping with those names (extra
    keys are refused) or a sequence of one value per encoder, in order. The encoding's
    shape is ``(sum of the encoders' sizes,)``; ``slices`` says where each code lies.
    """

    def __init__(self, encoders: Mapping[str, Encoder]) -> None:
        if not encoders:
            raise ValueError("CompositeEncoder needs at least one encoder")
        for name, encoder in encoders.items():
            if not isinstance(encoder, Encoder):
                raise ValueError(f"CompositeEncoder: {name!r} is not an Encoder, got {type(encoder).__name__}")
        self.encoders: dict[str, Encoder] = dict(encoders)
        self.slices: dict[str, slice] = {}
        start = 0
        for name, encoder in self.encoders.items():
            size = int(np.prod(encoder.shape))
            self.slices[name] = slice(start, start + size)
            start += size
        defaults = {name: encoder.default_value for name, encoder in self.encoders.items()}
        super().__init__(default_value=defaults, shape=start)

    def _parts(self, value: Any) -> list[Any]:
        names = list(self.encoders)
        if isinstance(value, Mapping):
            extra = [key for key in value if key not in self.encoders]
            missing = [name for name in names if name not in value]
            if extra or missing:
                raise ValueError(f"CompositeEncoder: a value needs exactly the keys {names}, got {list(value)}")
            return [value[name] for name in names]
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == len(names):
            return list(value)
        raise ValueError(f"CompositeEncoder: a value is a mapping with keys {names} or {len(names)} values in order")

    def encode(self, value: Any) -> np.ndarray:
        """The 0/1 float64 code: every encoder's code of its part, flattened, side by side."""
        parts = self._parts(value)
        codes = []
        for (name, encoder), part in zip(self.encoders.items(), parts):
            if part is None and encoder.default_value is None:
                codes.append(np.zeros(self.slices[name].stop - self.slices[name].start))
            else:
                codes.append(np.asarray(encoder.encode(part), dtype=np.float64).reshape(-1))
        return np.concatenate(codes)

    def encode_batch(self, values: Any) -> np.ndarray:
        """The codes of ``values``, a bool array ``(len(values), length)``, each encoder
        encoding its column of parts as one batch."""
        rows = [self._parts(value) for value in values]
        out = np.zeros((len(rows), self.shape[0]), dtype=bool)
        for k, (name, encoder) in enumerate(self.encoders.items()):
            column = [row[k] for row in rows]
            out[:, self.slices[name]] = np.asarray(encoder.encode_batch(column)).reshape(len(rows), -1)
        return out

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {encoder!r}" for name, encoder in self.encoders.items())
        return f"CompositeEncoder({{{inner}}})"
