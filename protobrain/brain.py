"""The brain: neurons fed by a sensor (SPEC section 6).

The documented loop is ``sensor.feed(v); brain.compute(); brain.learn()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Brain"]


class Brain:
    """Connects ``neurons.input = sensor`` and steps the neurons.

    A ``computation`` or ``learning`` given here is set on the neurons (on every layer);
    ``None`` leaves what the neurons already have.
    """

    def __init__(self, neurons: Any, sensor: Any, computation: Any = None, learning: Any = None) -> None:
        self.neurons = neurons
        self.sensor = sensor
        if computation is not None:
            neurons.computation = computation
        if learning is not None:
            neurons.learning = learning
        neurons.input = sensor

    @property
    def computation(self) -> Any:
        return self.neurons.computation

    @computation.setter
    def computation(self, value: Any) -> None:
        self.neurons.computation = value

    @property
    def learning(self) -> Any:
        return self.neurons.learning

    @learning.setter
    def learning(self, value: Any) -> None:
        self.neurons.learning = value

    def compute(self) -> np.ndarray:
        """Compute the neurons from the sensor's current values; return their new values."""
        return self.neurons.compute()

    def learn(self) -> None:
        """Let the neurons learn from this step."""
        self.neurons.learn()

    def __repr__(self) -> str:
        return f"Brain({self.neurons!r}, {self.sensor!r})"
