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
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from typing import Any

import numpy as np

__all__ = ["AnomalyLikelihood", "log_likelihood"]

#: The moving average's window (NuPIC fixes it at 10).
AVERAGING_WINDOW = 10
_RED = 1.0 - 0.99999
_YELLOW = 1.0 - 0.999
_LOG_FLOOR = -23.02585084720009  # ln(1 - 0.9999999999) in double precision


def log_likelihood(likelihood: float) -> float:
    """NAB's anomaly score from a likelihood: ``ln(1.0000000001 - L) / ln(1 - 0.9999999999)``."""
    return math.log(1.0000000001 - likelihood) / _LOG_FLOOR


class _Normal:
    def __init__(self, mean: float, variance: float) -> None:
        self.mean, self.variance = mean, variance
        self.sd = math.sqrt(variance) if variance > 0 else 0.0

    def tail(self, x: float) -> float:
        if x < self.mean:
            x = 2 * self.mean - x
        z = (x - self.mean) / self.sd
        return 0.5 * math.erfc(z / 1.4142)


_FLAT = (0.5, 1e6)


def _count(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


class AnomalyLikelihood:
    """Numenta's anomaly likelihood of a stream of raw anomaly scores (see the module docs)."""

    def __init__(
        self,
        learning_period: int = 288,
        estimation_samples: int = 100,
        historic_window: int = 8640,
        reestimation_period: int = 100,
    ) -> None:
        self.learning_period = _count(learning_period, "learning_period", 0)
        self.estimation_samples = _count(estimation_samples, "estimation_samples", 0)
        self.historic_window = _count(historic_window, "historic_window", 1)
        self.reestimation_period = _count(reestimation_period, "reestimation_period", 1)
        self._history: deque[tuple[float, float]] = deque(maxlen=self.historic_window)
        self._steps = 0
        self._distribution: _Normal | None = None
        self._window: list[float] = []
        self._total = 0.0
        self._recent: list[float] = []

    @property
    def probation(self) -> int:
        """Steps during which the likelihood is 0.5."""
        return self.learning_period + self.estimation_samples

    def update(self, raw_score: float, value: float = math.nan) -> float:
        """The likelihood of this step's ``raw_score`` (in [0, 1]); ``value`` is the
        stream's input at this step (its variance tells a flat stream; NaN: unknown)."""
        raw = float(raw_score)
        if not 0.0 <= raw <= 1.0:
            raise ValueError(f"raw_score must be a number in [0, 1], got {raw_score!r}")
        if self._steps < self.probation:
            likelihood = 0.5
        else:
            if self._distribution is None or self._steps % self.reestimation_period == 0:
                self._estimate()
            assert self._distribution is not None
            average = self._average(raw)
            tail = self._distribution.tail(average)
            sequence = [*self._recent, tail]
            filtered = tail
            if len(sequence) > 1 and tail <= _RED and sequence[-2] <= _RED:
                filtered = _YELLOW
            self._recent = sequence[-AVERAGING_WINDOW:]
            likelihood = 1.0 - filtered
        self._history.append((float(value), raw))
        self._steps += 1
        return likelihood

    def _state(self) -> dict[str, Any]:
        """Everything the likelihood goes on from, as plain values and float64 arrays
        (what checkpoints store; :meth:`_from_state` rebuilds it)."""
        distribution = self._distribution
        return {
            "learning_period": self.learning_period,
            "estimation_samples": self.estimation_samples,
            "historic_window": self.historic_window,
            "reestimation_period": self.reestimation_period,
            "steps": self._steps,
            "history": np.array(self._history, dtype=np.float64).reshape(-1, 2),
            "distribution": None if distribution is None else (distribution.mean, distribution.variance),
            "window": np.array(self._window, dtype=np.float64),
            "total": self._total,
            "recent": np.array(self._recent, dtype=np.float64),
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
        likelihood._steps = _count(state["steps"], "steps", len(history))
        likelihood._history.extend((float(v), float(r)) for v, r in history)
        if state["distribution"] is not None:
            mean, variance = (float(x) for x in state["distribution"])
            if not (math.isfinite(mean) and math.isfinite(variance) and variance > 0):
                raise ValueError(f"the likelihood's distribution has mean {mean} and variance {variance}")
            likelihood._distribution = _Normal(mean, variance)
        total = float(state["total"])
        if not math.isfinite(total):
            raise ValueError(f"the likelihood's running sum is {total}")
        likelihood._window = [float(x) for x in window]
        likelihood._total = total
        likelihood._recent = [float(x) for x in recent]
        return likelihood

    def _average(self, raw: float) -> float:
        if len(self._window) == AVERAGING_WINDOW:
            self._total -= self._window.pop(0)
        self._window.append(raw)
        self._total += raw
        return self._total / len(self._window)

    def _estimate(self) -> None:
        steps = self._steps
        skip = min(steps, max(0, self.learning_period - max(0, steps - self.historic_window)))
        self._window, self._total = [], 0.0
        averages = [self._average(raw) for _, raw in self._history]
        values = np.array([value for value, _ in self._history], dtype=np.float64)
        if len(averages) <= skip:
            mean, variance = _FLAT
        else:
            fitted = np.array(averages[skip:], dtype=np.float64)
            mean = max(float(fitted.mean()), 0.03)
            variance = max(float(fitted.var()), 0.0003)
        if not np.isnan(values).any() and values[skip:].size and float(values[skip:].var()) < 1.5e-5:
            mean, variance = _FLAT
        self._distribution = _Normal(mean, variance)
        tails = [self._distribution.tail(a) for a in averages]
        self._recent = tails[-AVERAGING_WINDOW:]
