"""Anomaly likelihood: how unusual recent raw anomaly scores are (Numenta's, as NAB's HTM
detectors use it).

A raw anomaly score (:attr:`protobrain.sequence.SequenceMemory.anomaly`) is noisy: a
stream that is never fully predictable scores high all the time. The likelihood asks
instead whether the last few raw scores are unusually high *for this stream*: it fits a
normal distribution to the 10-step moving average of the raw scores seen so far and
reports one minus the tail probability of the current moving average. Steps of an
unremarkable stream score about 0.5; a run of surprising steps approaches 1.

:class:`AnomalyLikelihood` follows Numenta's ``anomaly_likelihood.py`` (NuPIC 1.0, as
NAB's ``numenta`` detector runs it; rewritten here from its description, every constant
and order of operations kept):

- for the first ``learning_period + estimation_samples`` steps (the probation) the
  likelihood is 0.5;
- after it, the distribution is (re)estimated before a step when there is none yet or the
  step count is a multiple of ``reestimation_period``, from the history of up to
  ``historic_window`` earlier steps, skipping the first ``learning_period`` of them: the
  mean and population variance of the 10-step moving averages (a running sum, as
  NuPIC keeps it), floored at 0.03 and 0.0003; when fewer averages than that remain, or
  the stream's own values barely vary (population variance below 1.5e-5), a flat
  distribution (mean 0.5, standard deviation 1000) instead;
- each step's moving average ``a`` continues the window kept at the estimation; its tail
  probability is ``0.5 * erfc(z / 1.4142)`` with ``z = (a' - mean) / sd`` and ``a'`` the
  average reflected above the mean (``2 mean - a`` when ``a < mean``): NuPIC divides by
  the literal 1.4142, not the square root of 2;
- a tail probability at most ``1 - 0.99999`` right after another one is replaced by
  ``1 - 0.999`` (a run of surprises counts fully once);
- the likelihood is one minus that.

:func:`log_likelihood` maps a likelihood onto [0, 1] as NAB's detector reports it:
``ln(1.0000000001 - L) / ln(1 - 0.9999999999)`` (0.5 gives 0.0301, 0.999 gives 0.3).

The arithmetic runs in the engine (``protobrain._core.AnomalyLikelihood``), bit-identical
to the Python it replaced: the C library's ``erfc`` and ``sqrt``, and numpy's own pairwise
summation order for the mean and variance of an estimation.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from protobrain import _core
from protobrain._validation import count

__all__ = ["AnomalyLikelihood", "log_likelihood"]

#: The moving average's window (NuPIC fixes it at 10).
AVERAGING_WINDOW = 10
_LOG_FLOOR = -23.02585084720009  # ln(1 - 0.9999999999) in double precision
_LIMIT = 2**64  # counts are unsigned 64-bit integers in the engine


def log_likelihood(likelihood: float) -> float:
    """NAB's anomaly score from a likelihood: ``ln(1.0000000001 - L) / ln(1 - 0.9999999999)``."""
    return math.log(1.0000000001 - likelihood) / _LOG_FLOOR


def _count(value: Any, name: str, low: int) -> int:
    """:func:`~protobrain._validation.count`, below 2**64 (the engine's counts)."""
    if count(value, name, low) >= _LIMIT:
        raise ValueError(f"{name} must be below 2**64, got {value!r}")
    return int(value)


def _raw_error(raw_score: Any) -> ValueError:
    return ValueError(f"raw_score must be a number in [0, 1], got {raw_score!r}")


class AnomalyLikelihood:
    """Numenta's anomaly likelihood of a stream of raw anomaly scores (see the module docs).

    Its whole state is the engine object in its ``__dict__`` (which copies, deep copies
    and pickles whole), so ``copy.deepcopy(vars(likelihood))`` snapshots it and putting
    that dict back restores it. The parameters are read-only."""

    def __init__(
        self,
        learning_period: int = 288,
        estimation_samples: int = 100,
        historic_window: int = 8640,
        reestimation_period: int = 100,
    ) -> None:
        self._native = _core.AnomalyLikelihood(
            _count(learning_period, "learning_period", 0),
            _count(estimation_samples, "estimation_samples", 0),
            _count(historic_window, "historic_window", 1),
            _count(reestimation_period, "reestimation_period", 1),
        )

    def __copy__(self) -> AnomalyLikelihood:
        """An independent copy (the engine object copied, not shared)."""
        other = object.__new__(type(self))
        vars(other).update(vars(self))
        other._native = copy.copy(self._native)
        return other

    @property
    def learning_period(self) -> int:
        """Steps at the start of the history left out of an estimation."""
        return self._native.learning_period

    @property
    def estimation_samples(self) -> int:
        """Steps after the learning period before the first estimation."""
        return self._native.estimation_samples

    @property
    def historic_window(self) -> int:
        """How many of the last steps an estimation fits."""
        return self._native.historic_window

    @property
    def reestimation_period(self) -> int:
        """Every how many steps the distribution is estimated again."""
        return self._native.reestimation_period

    @property
    def probation(self) -> int:
        """Steps during which the likelihood is 0.5."""
        return self.learning_period + self.estimation_samples

    @property
    def _steps(self) -> int:
        return self._native.steps

    def update(self, raw_score: float, value: float = math.nan) -> float:
        """The likelihood of this step's ``raw_score`` (in [0, 1]); ``value`` is the
        stream's input at this step (its variance tells a flat stream; NaN: unknown)."""
        raw = float(raw_score)
        if not 0.0 <= raw <= 1.0:
            raise _raw_error(raw_score)
        return self._native.update(raw, float(value))

    def update_batch(self, raw_scores: Any, values: Any = None) -> np.ndarray:
        """:meth:`update` for each step's raw score and stream value in turn (``values``:
        None for all unknown); float64 ``(steps,)``, bit-identical to the loop. Every score
        is checked first: a bad one raises ValueError with the likelihood unchanged."""
        raws = np.ascontiguousarray(raw_scores, dtype=np.float64)
        if raws.ndim != 1:
            raise ValueError(f"raw_scores must be one-dimensional, got shape {raws.shape}")
        if values is None:
            stream = np.full(len(raws), math.nan)
        else:
            stream = np.ascontiguousarray(values, dtype=np.float64)
            if stream.shape != raws.shape:
                raise ValueError(f"values must have the raw scores' shape {raws.shape}, got {stream.shape}")
        bad = ~((raws >= 0.0) & (raws <= 1.0))
        if bad.any():
            index = int(np.argmax(bad))
            raise ValueError(f"raw_score must be a number in [0, 1], got {raws[index]!r} (step {index})")
        return self._native.update_batch(raws, stream)

    def _state(self) -> dict[str, Any]:
        """Everything the likelihood goes on from, as plain values and float64 arrays
        (what checkpoints store; :meth:`_from_state` rebuilds it)."""
        (learning, estimation, window_size, period, steps, values, raws, distribution, window, total, recent) = (
            self._native.state()
        )
        return {
            "learning_period": learning,
            "estimation_samples": estimation,
            "historic_window": window_size,
            "reestimation_period": period,
            "steps": steps,
            "history": np.stack([values, raws], axis=1),
            "distribution": distribution,
            "window": window,
            "total": total,
            "recent": recent,
        }

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> AnomalyLikelihood:
        """The likelihood :meth:`_state` described; ValueError naming what does not fit."""
        likelihood = cls(
            state["learning_period"],
            state["estimation_samples"],
            state["historic_window"],
            state["reestimation_period"],
        )
        history = np.asarray(state["history"], dtype=np.float64)
        window = np.asarray(state["window"], dtype=np.float64).reshape(-1)
        recent = np.asarray(state["recent"], dtype=np.float64).reshape(-1)
        if history.ndim != 2 or history.shape[1] != 2 or len(history) > likelihood.historic_window:
            raise ValueError(f"the likelihood's history has shape {history.shape}")
        if len(window) > AVERAGING_WINDOW or len(recent) > AVERAGING_WINDOW:
            raise ValueError("the likelihood's windows are longer than its averaging window")
        raw = history[:, 1]
        if not ((raw >= 0) & (raw <= 1)).all() or not np.isfinite(window).all() or not np.isfinite(recent).all():
            raise ValueError("the likelihood's history holds scores outside [0, 1] or windows that are not finite")
        steps = _count(state["steps"], "steps", len(history))
        distribution = None
        if state["distribution"] is not None:
            mean, variance = (float(x) for x in state["distribution"])
            if not (math.isfinite(mean) and math.isfinite(variance) and variance > 0):
                raise ValueError(f"the likelihood's distribution has mean {mean} and variance {variance}")
            distribution = (mean, variance)
        total = float(state["total"])
        if not math.isfinite(total):
            raise ValueError(f"the likelihood's running sum is {total}")
        likelihood._native = _core.AnomalyLikelihood.from_state(
            likelihood.learning_period,
            likelihood.estimation_samples,
            likelihood.historic_window,
            likelihood.reestimation_period,
            steps,
            np.ascontiguousarray(history[:, 0]),
            np.ascontiguousarray(raw),
            distribution,
            np.ascontiguousarray(window),
            total,
            np.ascontiguousarray(recent),
        )
        return likelihood
