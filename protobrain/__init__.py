"""protobrain: quick experiments with biologically-inspired learning, on a Rust core.

Groups of binary neurons wired by named inputs (:mod:`protobrain.neuron`), computations
(:mod:`protobrain.computation`), learning rules (:mod:`protobrain.learning`), scalar
encoders feeding a sensor (:mod:`protobrain.encoders.numerical`, :mod:`protobrain.sensor`)
and a brain that steps it all (:mod:`protobrain.brain`). ``brain.save(path)`` and
:func:`load` keep a model in a checkpoint file (:mod:`protobrain.checkpoint`).
"""

from protobrain import brain, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical

__version__ = "0.1.0"

from protobrain import checkpoint  # noqa: E402 - records __version__ in the files it writes
from protobrain.checkpoint import load  # noqa: E402

__all__ = ["brain", "checkpoint", "computation", "learning", "load", "neuron", "numerical", "sensor", "synapses"]
