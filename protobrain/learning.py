"""Learning rules: how synapses change after a step (docs/specification.md §4)."""

from __future__ import annotations

import abc
from typing import Any

from protobrain import _core, _graph
from protobrain._native import NativeState
from protobrain._validation import real_number

__all__ = ["HebbianLearning", "Learning"]


class Learning(abc.ABC):
    """Base class: ``__call__(neurons)`` updates the synapses of ``neurons``."""

    @abc.abstractmethod
    def __call__(self, neurons: Any) -> None:
        """Update the synapses of ``neurons`` after a step."""


class HebbianLearning(NativeState, Learning):
    """Fire together, wire together.

    With pre = (input == 1) and post = (output == 1), for every input of the group:
    pre & not post and not pre & post lose ``decrease``; pre & post gain ``increase``; a
    weight that was exactly 0 stays 0 (dead synapses never revive); every weight is then
    clipped to [0, 1]. Layered groups learn layer by layer. Runs in Rust and touches only
    the rows of active inputs and the columns of active neurons.
    """

    def __init__(self, increase: float = 0.05, decrease: float = 0.002) -> None:
        self._increase = real_number(increase, "increase")
        self._decrease = real_number(decrease, "decrease")
        self._native = self._make_native()

    @property
    def increase(self) -> float:
        """What a synapse gains when its input and its neuron fire together; assigning
        checks it, and the next learning step uses it."""
        return self._increase

    @increase.setter
    def increase(self, value: float) -> None:
        self._set_rates(real_number(value, "increase"), self._decrease)

    @property
    def decrease(self) -> float:
        """What a synapse loses when only one of its input and its neuron fires; assigning
        checks it, and the next learning step uses it."""
        return self._decrease

    @decrease.setter
    def decrease(self, value: float) -> None:
        self._set_rates(self._increase, real_number(value, "decrease"))

    def _set_rates(self, increase: float, decrease: float) -> None:
        native = _core.Hebbian(increase, decrease)  # validates both before anything changes
        self._increase, self._decrease, self._native = increase, decrease, native
        _graph.changed()

    def _make_native(self) -> _core.Hebbian:
        return _core.Hebbian(self._increase, self._decrease)

    def __call__(self, neurons: Any) -> None:
        layers = getattr(neurons, "layers", None)
        if layers is not None:
            for layer in layers:
                self(layer)
            return
        self._native.learn(neurons._connections(), neurons.output._activity)

    def __repr__(self) -> str:
        return f"HebbianLearning(increase={self._increase!r}, decrease={self._decrease!r})"
