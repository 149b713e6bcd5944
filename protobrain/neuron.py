"""Groups of binary neurons and the ways of wiring them (docs/specification.md §2).

A :class:`Neurons` group has named inputs (``'main'`` to begin with), an :class:`Output`,
a computation that turns its inputs into new activity and an optional learning rule.
:class:`LayeredNeurons` stacks groups; :func:`FeedForward`, :func:`FeedBackward` and
:func:`LoopBack` wire a list of layers and return them as a :class:`LayeredNeurons`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from protobrain import _graph
from protobrain import computation as _computation
from protobrain._validation import Shape, normalize_shape
from protobrain.homeostasis import DutyCycles
from protobrain.sequence import SequenceMemory
from protobrain.synapses import Input, Output, SynapseFunction

__all__ = ["FeedBackward", "FeedForward", "InputNotFoundError", "LayeredNeurons", "LoopBack", "Neurons"]


class InputNotFoundError(KeyError, IndexError):
    """Raised by ``get`` for an input name the group does not have.

    It is both a KeyError (a name lookup) and the IndexError docs/specification.md §2 names.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _unconnected_input_error(group: Any, name: str) -> ValueError:
    """The error for computing ``group`` with a built-in computation while its input
    ``name`` is not connected (a forgotten connection would otherwise read as silence)."""
    how = "group.input = source" if name == Neurons.MAIN_INPUT else f"group.set({name!r}, source)"
    return ValueError(
        f"{group!r} cannot compute: its input {name!r} is not connected; connect it ({how}) "
        f"or remove it (del group.inputs[{name!r}])"
    )


def _check_callable(value: Any, what: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{what} must be callable or None, got {value!r}")


class Neurons(_graph.TracksStepMethods, _graph.Saveable):
    """A group of binary neurons of any shape."""

    MAIN_INPUT = "main"
    #: The group's duty cycles, made when a boosting computation first needs them.
    _duty: DutyCycles | None = None

    @_graph.new_object
    def __init__(
        self,
        shape: int | Sequence[int],
        computation: Callable[..., Any] | None = None,
        learning: Callable[[Any], Any] | None = None,
    ) -> None:
        self._shape = normalize_shape(shape)
        self._output = Output(self._shape)
        self.inputs = _graph.TrackedDict({self.MAIN_INPUT: Input(self.MAIN_INPUT, self._shape)})
        self.computation = computation
        self.learning = learning

    @property
    def inputs(self) -> dict[str, Input]:
        """The named inputs, in creation order."""
        return self._inputs

    @inputs.setter
    def inputs(self, value: dict[str, Input]) -> None:
        self._inputs = value if isinstance(value, _graph.TrackedDict) else _graph.TrackedDict(value)
        _graph.changed()

    @property
    def output(self) -> Output:
        """The group's :class:`~protobrain.synapses.Output`: its current activity."""
        return self._output

    @property
    def computation(self) -> Callable[..., Any] | None:
        """What turns the inputs into new values: ``computation(**inputs)``, or None."""
        return self._computation

    @computation.setter
    def computation(self, value: Callable[..., Any] | None) -> None:
        _check_callable(value, "computation")
        self._computation = value
        _graph.changed()

    @property
    def learning(self) -> Callable[[Any], Any] | None:
        """What updates the synapses after a step: ``learning(neurons)``, or None."""
        return self._learning

    @learning.setter
    def learning(self, value: Callable[[Any], Any] | None) -> None:
        _check_callable(value, "learning")
        self._learning = value
        _graph.changed()

    @property
    def shape(self) -> Shape:
        """The shape of the group (and of its output)."""
        return self._shape

    @property
    def values(self) -> np.ndarray:
        """The current activity, a read-only float64 snapshot."""
        return self.output.values

    @property
    def input(self) -> Input:
        """The ``'main'`` input; assigning a source connects it."""
        return self.get(self.MAIN_INPUT)

    @input.setter
    def input(self, source: Any) -> None:
        self.get(self.MAIN_INPUT).connect(source)

    def set(self, name: str, source: Any, synapse_function: SynapseFunction | None = None) -> Input:
        """(Re)create input ``name`` connected to ``source``, with newly drawn synapses."""
        new = Input(name, self._shape)
        new.connect(source, synapse_function)
        self.inputs[name] = new
        return new

    def get(self, name: str) -> Input:
        """The input called ``name``; :class:`InputNotFoundError` if there is none."""
        try:
            return self.inputs[name]
        except KeyError:
            raise InputNotFoundError(f"no input named {name!r}; inputs are {list(self.inputs)}") from None

    def compute(self) -> np.ndarray:
        """Set the output to ``computation(**inputs)`` and return the new values."""
        computation = self._computation
        if computation is None:
            raise ValueError("no computation is set for this group of neurons")
        if type(computation) in _computation.BUILTIN:
            for name, input_ in self.inputs.items():
                if not input_.connected:
                    raise _unconnected_input_error(self, name)
            cast(_computation._Builtin, computation)._compute_into(self)
        else:
            self.output.values = computation(**self.inputs)
        return self.values

    def learn(self) -> None:
        """Let the learning rule, if any, update the synapses; with a boosting
        ``SparseComputation``, also update the duty cycles (:mod:`protobrain.homeostasis`)."""
        if self._learning is not None:
            self._learning(self)
        computation = self._computation
        if type(computation) is _computation.SparseComputation and computation.boosts:
            self._duty_cycles()._native.update(self.output._activity, computation.duty_cycle_period)

    @property
    def duty_cycles(self) -> np.ndarray:
        """How often each unit fired over the recent learning steps (a copy, of the group's
        shape): kept while the computation boosts, all zero before (:mod:`protobrain.homeostasis`)."""
        return self._duty_cycles().values.reshape(self._shape)

    def _duty_cycles(self) -> DutyCycles:
        """The group's duty cycles, made (all zero) the first time they are needed."""
        if self._duty is None:
            self._duty = DutyCycles(int(np.prod(self._shape)))
        return self._duty

    def _connections(self) -> list[Any]:
        return [i._native() for i in self.inputs.values() if i.connected]

    def _gather(self) -> Any:
        return self.output._gather()

    def _native_source(self) -> Any:
        return self.output._native_source()

    def __repr__(self) -> str:
        return f"Neurons(shape={self._shape}, inputs={list(self.inputs)})"


class LayeredNeurons(_graph.TracksStepMethods, _graph.Saveable):
    """Groups used as layers: inputs are the first layer's, the output is the last layer's."""

    @_graph.new_object
    def __init__(self, layers: Sequence[Any]) -> None:
        self.layers = list(layers)

    @property
    def layers(self) -> list[Any]:
        """The layers, in compute order."""
        return self._layers

    @layers.setter
    def layers(self, value: Sequence[Any]) -> None:
        layers = _graph.TrackedList(value)
        if not layers:
            raise ValueError("LayeredNeurons needs at least one layer, got an empty list")
        self._layers = layers
        _graph.changed()

    @property
    def inputs(self) -> dict[str, Input]:
        """The first layer's named inputs."""
        return self.layers[0].inputs

    @property
    def output(self) -> Output:
        """The last layer's output."""
        return self.layers[-1].output

    @property
    def shape(self) -> Shape:
        """The shape of the last layer."""
        return self.output.shape

    @property
    def values(self) -> np.ndarray:
        """The last layer's current activity."""
        return self.output.values

    @property
    def input(self) -> Input:
        """The first layer's ``'main'`` input; assigning a source connects it."""
        return self.layers[0].input

    @input.setter
    def input(self, source: Any) -> None:
        self.layers[0].input = source

    def set(self, name: str, source: Any, synapse_function: SynapseFunction | None = None) -> Input:
        """(Re)create input ``name`` of the first layer, connected to ``source``."""
        return self.layers[0].set(name, source, synapse_function)

    def get(self, name: str) -> Input:
        """The first layer's input called ``name``."""
        return self.layers[0].get(name)

    @property
    def computation(self) -> list[Any]:
        """One entry per layer. Assign one function for every layer, or a list, one each."""
        return [layer.computation for layer in self.layers]

    @computation.setter
    def computation(self, value: Any) -> None:
        for layer, each in zip(self.layers, self._per_layer(value, "computation")):
            layer.computation = each

    @property
    def learning(self) -> list[Any]:
        """One entry per layer. Assign one function for every layer, or a list, one each."""
        return [layer.learning for layer in self.layers]

    @learning.setter
    def learning(self, value: Any) -> None:
        for layer, each in zip(self.layers, self._per_layer(value, "learning")):
            layer.learning = each

    def _per_layer(self, value: Any, what: str) -> list[Any]:
        """One value per layer: the list given, or ``value`` for every layer but a sequence
        memory (which takes none: it gets None)."""
        if isinstance(value, (list, tuple)):
            if len(value) != len(self.layers):
                raise ValueError(f"{what}: got {len(value)} values for {len(self.layers)} layers")
            return list(value)
        return [None if isinstance(layer, SequenceMemory) else value for layer in self.layers]

    def compute(self) -> np.ndarray:
        """Compute every layer in order; return the last layer's values."""
        for layer in self.layers:
            layer.compute()
        return self.values

    def learn(self) -> None:
        """Let every layer learn with its own learning rule."""
        for layer in self.layers:
            layer.learn()

    def _gather(self) -> Any:
        return self.output._gather()

    def _native_source(self) -> Any:
        return self.output._native_source()

    def __repr__(self) -> str:
        return f"LayeredNeurons({self.layers!r})"


def FeedForward(  # noqa: N802 - the documented API names these like classes
    layers: Sequence[Any], input_name: str = Neurons.MAIN_INPUT, synapse_function: SynapseFunction | None = None
) -> LayeredNeurons:
    """Connect input ``input_name`` of ``layers[i + 1]`` to ``layers[i]``, i = 0, 1, ..."""
    layers = list(layers)
    for before, after in zip(layers, layers[1:]):
        after.set(input_name, before, synapse_function)
    return LayeredNeurons(layers)


def FeedBackward(  # noqa: N802
    layers: Sequence[Any], input_name: str = Neurons.MAIN_INPUT, synapse_function: SynapseFunction | None = None
) -> LayeredNeurons:
    """Connect input ``input_name`` of ``layers[i]`` to ``layers[i + 1]``, i = 0, 1, ..."""
    layers = list(layers)
    for before, after in zip(layers, layers[1:]):
        before.set(input_name, after, synapse_function)
    return LayeredNeurons(layers)


def LoopBack(  # noqa: N802
    layers: Sequence[Any], input_name: str = Neurons.MAIN_INPUT, synapse_function: SynapseFunction | None = None
) -> LayeredNeurons:
    """Connect input ``input_name`` of every layer to its own output (its last activity)."""
    layers = list(layers)
    for layer in layers:
        layer.set(input_name, layer, synapse_function)
    return LayeredNeurons(layers)
