"""The parts of a model, listed in one place: what each protobrain object holds of the graph.

A brain holds its neurons and its sensor; a group its output, its inputs, its computation
and its learning rule; a stack its layers; an input its source; a slice its parent; a merge
its members; a sensor its encoder and its output. :func:`parts` lists these direct children
for objects of those classes and their subclasses; an output, a computation, a learning
rule, an encoder or an object protobrain does not know has none. Walks of the model (the
checkpoint saver's, the rollback's) follow :func:`parts` rather than knowing each class.

The order is part of the checkpoint format: the saver numbers objects breadth-first in the
order :func:`parts` gives them, so another order would change every file saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from protobrain.neuron import LayeredNeurons, Neurons
from protobrain.sensor import Sensor
from protobrain.sequence import ColumnInput, SequenceMemory
from protobrain.synapses import Input, OutputMerge, OutputSlice

__all__ = ["Part", "parts"]


class Part(NamedTuple):
    """A direct child of a model object."""

    #: The parent's attribute that holds it: ``"neurons"``, ``"inputs"``, ``"layers"``, ...
    field: str
    #: Its key in that attribute (an input's name, a layer's or member's position), or
    #: None when the attribute holds the child itself.
    key: str | int | None
    #: The child.
    obj: Any

    @property
    def label(self) -> str:
        """The field, indexed by the key: ``output``, ``inputs['main']``, ``layers[0]``."""
        return self.field if self.key is None else f"{self.field}[{self.key!r}]"


def parts(obj: Any) -> Iterator[Part]:
    """The direct children of ``obj``, in a fixed order (read through the public attributes,
    so a subclass that overrides one is listed as it says):

    - a brain: ``neurons``, ``sensor``;
    - a group: ``output``, each of ``inputs`` (connected or not) in order, then
      ``computation`` and ``learning`` unless None;
    - a stack: each of ``layers``;
    - a sequence memory: ``output``, ``inputs['main']``;
    - an input (a sequence memory's too): its ``source``, unless it is unconnected;
    - a slice: its ``parent``; a merge: each of its ``outputs``;
    - a sensor: ``encoder``, ``output``.
    """
    if isinstance(obj, Neurons):
        yield Part("output", None, obj.output)
        for name, inp in obj.inputs.items():
            yield Part("inputs", name, inp)
        if obj.computation is not None:
            yield Part("computation", None, obj.computation)
        if obj.learning is not None:
            yield Part("learning", None, obj.learning)
    elif isinstance(obj, LayeredNeurons):
        for i, layer in enumerate(obj.layers):
            yield Part("layers", i, layer)
    elif isinstance(obj, SequenceMemory):
        yield Part("output", None, obj.output)
        yield Part("inputs", SequenceMemory.MAIN_INPUT, obj.input)
    elif isinstance(obj, (Input, ColumnInput)):
        if obj.source is not None:
            yield Part("source", None, obj.source)
    elif isinstance(obj, OutputSlice):
        yield Part("parent", None, obj.parent)
    elif isinstance(obj, OutputMerge):
        for i, member in enumerate(obj.outputs):
            yield Part("outputs", i, member)
    elif isinstance(obj, Sensor):
        yield Part("encoder", None, obj.encoder)
        yield Part("output", None, obj.output)
    else:
        # Imported here, not at the top: brain imports _rollback, which imports this module.
        from protobrain.brain import Brain

        if isinstance(obj, Brain):
            yield Part("neurons", None, obj.neurons)
            yield Part("sensor", None, obj.sensor)
