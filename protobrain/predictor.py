"""Online n-step-ahead prediction: which bucket a value will fall in ``n`` steps from now,
read from a layer's cells (htm.core's ``Predictor``, its SDR classifier).

A :class:`Predictor` keeps, for each distance ``n`` of its ``steps``, a single-layer
network from the cells to the buckets seen so far: one weight per cell per bucket,
starting at 0. Inferring sums the weights of the active cells per bucket and turns the
sums into a probability distribution with a softmax. Learning step ``t``'s cells and
bucket teaches each ``n``'s network that the cells of step ``t - n`` mean that bucket,
by a gradient step of size ``alpha`` on the cross-entropy (``alpha * (target - pdf)``
added to the weights of those cells' active cells). A larger bucket than any seen adds
a bucket, with weights 0, before learning. :func:`prediction_accuracy` scores a whole
recording: the share of steps whose most likely bucket ``n`` steps ahead was right.

Buckets are ints from 0; :func:`protobrain.evaluate.buckets` turns scalars into them.
The engine does the work (``rust/engine/src/predictor.rs`` states the arithmetic, which
``tests/reference.py`` repeats in plain numpy, bit for bit), a whole recording in one
call by :meth:`Predictor.run`.

It follows htm.core except where htm.core leaves a case undefined or uses single
precision: numbers are float64 throughout, ``alpha`` must be in (0, 1], the buckets of
one step distinct, and cells of another shape than the first ones are an error.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain import _core

__all__ = ["MAX_BUCKETS", "MAX_STEP", "Predictor", "prediction_accuracy"]

#: Buckets are ints in ``[0, MAX_BUCKETS)``.
MAX_BUCKETS = 2**20
#: The largest prediction distance; a predictor keeps the cells of its ``max(steps) + 1``
#: last steps.
MAX_STEP = 2**20
#: The most cells a pattern may have (active cells are numbered with 32-bit ints).
_MAX_CELLS = 2**32 - 1


def _int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _steps(steps: Any) -> tuple[int, ...]:
    """``steps`` (an int or a sequence of ints) as an ascending tuple of distinct distances."""
    values = (steps,) if _int(steps) else steps
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"steps must be an int or a sequence of ints, got {steps!r}") from None
    if not values:
        raise ValueError(f"steps must name at least one step, got {steps!r}")
    for n in values:
        if not _int(n) or not 1 <= n <= MAX_STEP:
            raise ValueError(f"steps must be ints in [1, 2**20], got {n!r} in {steps!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"steps must be distinct, got {steps!r}")
    return tuple(sorted(int(n) for n in values))


def _alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < float(alpha) <= 1:
        raise ValueError(f"alpha must be a number in (0, 1], got {alpha!r}")
    return float(alpha)


def _bucket(value: Any, what: str) -> int:
    if not _int(value) or not 0 <= value < MAX_BUCKETS:
        raise ValueError(f"{what} must be an int in [0, 2**20), got {value!r}")
    return int(value)


def _buckets_of_step(bucket: Any) -> list[int]:
    """The buckets learned at one step: an int, or a sequence of distinct ints."""
    if isinstance(bucket, np.ndarray) and bucket.ndim == 0:
        bucket = bucket.item()
    if isinstance(bucket, numbers.Number):
        return [_bucket(bucket, "bucket")]
    if isinstance(bucket, (str, bytes)) or not isinstance(bucket, (Sequence, np.ndarray)):
        raise ValueError(f"bucket must be an int or a sequence of ints, got {bucket!r}")
    values = [_bucket(b, "every bucket") for b in bucket]
    if not values:
        raise ValueError(f"bucket must name at least one bucket, got {bucket!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"the buckets of one step must be distinct, got {bucket!r}")
    return values


def _bucket_array(buckets: Any, steps: int) -> np.ndarray:
    """``buckets`` as a (steps,) uint64 array; ValueError naming the first bad value."""
    try:
        array = np.asarray(buckets)
    except (TypeError, ValueError) as err:
        raise ValueError(f"buckets must be an array of ints: {err}") from None
    if array.shape != (steps,):
        raise ValueError(f"buckets must have shape ({steps},) (one per step of cells), got shape {array.shape}")
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f":
            wrong = np.flatnonzero(~np.isfinite(array) | (array != np.round(array)))
            if wrong.size:
                t = int(wrong[0])
                raise ValueError(f"buckets must be ints in [0, 2**20), got {array[t]!r} at step {t}")
        raise ValueError(f"buckets must be ints in [0, 2**20), got dtype {array.dtype}")
    wrong = np.flatnonzero((array < 0) | (array >= MAX_BUCKETS))
    if wrong.size:
        t = int(wrong[0])
        raise ValueError(f"buckets must be ints in [0, 2**20), got {array[t]!r} at step {t}")
    return array.astype(np.uint64)


def _cell_values(cells: Any) -> np.ndarray:
    """``cells`` as an array of bools or finite numbers (a cell is active where non-zero)."""
    try:
        array = np.asarray(cells)
    except (TypeError, ValueError) as err:
        raise ValueError(f"cells must be an array of bools or numbers: {err}") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"cells must be bools or numbers, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            raise ValueError(f"cells must be finite, got {array.ravel()[bad[0]]!r}")
    return array


class Predictor:
    """Predicts the bucket ``n`` steps ahead from cells, for each ``n`` in ``steps``, learning
    online at rate ``alpha`` (htm.core's ``Predictor``; see the module docs).

    Cells are bool (or 0/1) arrays of one shape, the first one given; a cell is active where
    non-zero. Steps are numbered by the caller (:meth:`learn`), or on from the last one by
    :meth:`run`; a gap in the numbers is missing steps.
    """

    def __init__(self, steps: int | Sequence[int] = (1,), alpha: float = 0.001) -> None:
        self._native = _core.Predictor(list(_steps(steps)), _alpha(alpha))
        self._shape: tuple[int, ...] | None = None

    @property
    def steps(self) -> tuple[int, ...]:
        """The prediction distances, ascending."""
        return tuple(self._native.steps)

    @property
    def alpha(self) -> float:
        """The learning rate."""
        return float(self._native.alpha)

    @property
    def shape(self) -> tuple[int, ...] | None:
        """The shape of the cells, fixed by the first ones given (None before)."""
        return self._shape

    @property
    def categories(self) -> dict[int, int]:
        """Per distance: how many buckets it distinguishes (one more than the largest it
        learned; 0 before it learned anything)."""
        return dict(zip(self.steps, self._native.categories))

    @property
    def last_step(self) -> int | None:
        """The number of the last step learned since the last :meth:`reset` (None if none)."""
        return self._native.last_record

    def _pattern_shape(self, shape: tuple[int, ...], what: str) -> tuple[int, ...]:
        """Checks the shape of one step's cells against the predictor's (or, before the
        first cells, that it can be one) and returns it."""
        if self._shape is not None:
            if shape != self._shape:
                raise ValueError(f"{what} must have shape {self._shape} (the first cells' shape), got shape {shape}")
            return shape
        if not shape or not 1 <= math.prod(shape) <= _MAX_CELLS:
            raise ValueError(
                f"{what}: one step's cells must have 1 to 2**32 - 1 cells in 1 or more dimensions, got shape {shape}"
            )
        return shape

    def _active(self, cells: Any) -> tuple[np.ndarray, tuple[int, ...]]:
        array = _cell_values(cells)
        shape = self._pattern_shape(array.shape, "cells")
        return np.flatnonzero(array).astype(np.uint32), shape

    def learn(self, step: int, cells: Any, bucket: int | Sequence[int]) -> None:
        """Learns step ``step``: its ``cells`` join the history of the last ``max(steps) + 1``
        steps, and each distance ``n`` learns that the cells of step ``step - n``, when the
        history holds them, mean ``bucket``.

        ``step`` is an int >= 0 not below the last one learned since the last :meth:`reset`
        (learning the same step again teaches the same past cells, and keeps the first
        cells for it); ``bucket`` an int in ``[0, 2**20)``, or several distinct ones that
        share the target (htm.core's list of categories). Nothing changes on a ValueError.
        """
        if not _int(step) or not 0 <= step < 2**64:
            raise ValueError(f"step must be an int in [0, 2**64), got {step!r}")
        last = self.last_step
        if last is not None and step < last:
            raise ValueError(f"step must not decrease: got {step} after step {last}")
        buckets = _buckets_of_step(bucket)
        active, shape = self._active(cells)
        self._native.learn(int(step), active, math.prod(shape), buckets)
        self._shape = shape

    def infer(self, cells: Any) -> dict[int, np.ndarray]:
        """The probability of each bucket ``n`` steps after ``cells``, for each distance
        ``n``: a float64 array of one value per bucket the distance distinguishes, empty
        before it has learned anything."""
        active, shape = self._active(cells)
        pdfs = self._native.infer(active, math.prod(shape))
        self._shape = shape
        return dict(zip(self.steps, pdfs))

    def reset(self) -> None:
        """Forgets the history, not what was learned: the next step starts a new sequence
        (nothing before it is taught to predict it) and may have any number."""
        self._native.reset()

    def run(self, cells: Any, buckets: Any = None, learn: bool = True) -> dict[int, np.ndarray]:
        """A whole recording at once: ``cells`` of shape ``(T, ...)`` (one step's cells per
        row) and their ``buckets`` of shape ``(T,)``. Each step is inferred, then learned
        when ``learn``, with numbers following the last step learned (0 after a reset or
        at first), so the result is that of :meth:`infer` and :meth:`learn` step by step,
        bit for bit.

        Returns, per distance ``n``, a ``(T, categories)`` float64 array: row ``t`` is the
        distribution inferred from ``cells[t]`` before learning it (the prediction for
        step ``t + n``), zeros after it for buckets first learned later in the run, or all
        NaN when the distance had learned nothing yet. ``buckets`` may be left out when
        not learning. Everything is checked before the first step.
        """
        array = _cell_values(cells)
        if array.ndim < 2:
            raise ValueError(
                f"cells must have shape (steps, ...) with one step's cells per row, got shape {array.shape}"
            )
        shape = self._pattern_shape(array.shape[1:], "each row of cells")
        count = array.shape[0]
        if buckets is None:
            if learn:
                raise ValueError("run needs buckets to learn (or learn=False)")
            targets = np.zeros(0, dtype=np.uint64)
        else:
            targets = _bucket_array(buckets, count)
        rows, columns = np.nonzero(array.reshape(count, math.prod(shape)))
        indptr = np.zeros(count + 1, dtype=np.uint64)
        np.cumsum(np.bincount(rows, minlength=count), out=indptr[1:])
        last = self.last_step
        first = 0 if last is None or not learn else last + 1
        if learn and first + count > 2**64:
            raise ValueError(f"step numbers must stay below 2**64: {count} steps after step {last}")
        pdfs = self._native.run(indptr, columns.astype(np.uint32), math.prod(shape), targets, bool(learn), first)
        if count:
            self._shape = shape
        return dict(zip(self.steps, pdfs))

    def __getstate__(self) -> dict[str, Any]:
        steps, alpha, input_size, categories, weights, records, indptr, indices = self._native.state()
        return {
            "shape": self._shape,
            "steps": steps,
            "alpha": alpha,
            "input_size": input_size,
            "categories": categories,
            "weights": weights,
            "records": records,
            "indptr": indptr,
            "indices": indices,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        shape = state["shape"]
        if shape is not None and state["input_size"] not in (0, math.prod(shape)):
            raise ValueError(f"a predictor's state of {state['input_size']} cells does not fit shape {shape}")
        self._shape = None if shape is None else tuple(int(d) for d in shape)
        self._native = _core.Predictor.from_state(
            [int(n) for n in state["steps"]],
            float(state["alpha"]),
            int(state["input_size"]),
            [int(c) for c in state["categories"]],
            [np.ascontiguousarray(w, dtype=np.float64) for w in state["weights"]],
            np.ascontiguousarray(state["records"], dtype=np.uint64),
            np.ascontiguousarray(state["indptr"], dtype=np.uint64),
            np.ascontiguousarray(state["indices"], dtype=np.uint32),
        )

    def __repr__(self) -> str:
        return f"Predictor(steps={self.steps}, alpha={self.alpha})"


def prediction_accuracy(cells: Any, buckets: Any, steps: int = 1, alpha: float = 0.001, skip: int = 0) -> float:
    """How well ``cells`` predict their ``buckets`` ``steps`` steps ahead, learned online.

    A fresh :class:`Predictor` for the one distance ``n = steps`` runs over the recording
    (``cells`` of shape ``(T, ...)``, ``buckets`` of shape ``(T,)``, see
    :meth:`Predictor.run`), learning as it goes. Returns the share of the steps
    ``t = skip, ..., T - n - 1`` whose most likely bucket, inferred from ``cells[t]``
    before learning step ``t``, is ``buckets[t + n]`` (a step with no prediction yet
    counts as wrong; ties go to the lower bucket). ``skip`` leaves out the first steps,
    while the predictor is still learning. ValueError when no step is left to score.
    """
    if not _int(steps):
        raise ValueError(f"steps must be one int in [1, 2**20], got {steps!r}")
    (n,) = _steps(steps)
    if not _int(skip) or skip < 0:
        raise ValueError(f"skip must be an int >= 0, got {skip!r}")
    predictor = Predictor(n, alpha)
    pdfs = predictor.run(cells, buckets)[n]
    targets = np.asarray(buckets).astype(np.int64)
    count = pdfs.shape[0]
    if skip + n >= count:
        raise ValueError(
            f"no step to score: {count} steps, skip={skip} and steps={n} leave none (need skip + steps < {count})"
        )
    scored = pdfs[skip : count - n]
    if scored.shape[1] == 0:
        return 0.0
    hits = ~np.isnan(scored[:, 0]) & (np.argmax(scored, axis=1) == targets[skip + n :])
    return float(np.mean(hits))
