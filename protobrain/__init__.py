"""protobrain: quick experiments with biologically-inspired learning, on a Rust core.

Groups of binary neurons wired by named inputs (:mod:`protobrain.neuron`), computations
(:mod:`protobrain.computation`), learning rules (:mod:`protobrain.learning`), scalar
encoders feeding a sensor (:mod:`protobrain.encoders.numerical`, :mod:`protobrain.sensor`)
and a brain that steps it all (:mod:`protobrain.brain`).
"""

from protobrain import brain, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical

__version__ = "0.1.0"

__all__ = ["brain", "computation", "learning", "neuron", "numerical", "sensor", "synapses"]
