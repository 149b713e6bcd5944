"""protobrain: quick experiments with biologically-inspired learning, on a Rust core.

Groups of binary neurons wired by named inputs (:mod:`protobrain.neuron`), computations
(:mod:`protobrain.computation`), learning rules (:mod:`protobrain.learning`), scalar
encoders feeding a sensor (:mod:`protobrain.encoders.numerical`, :mod:`protobrain.sensor`)
and a brain that steps it all (:mod:`protobrain.brain`). ``brain.save(path)`` and
:func:`load` keep a model in a checkpoint file (:mod:`protobrain.checkpoint`).
"""

try:
    from protobrain import _core  # noqa: F401 - the compiled engine; checked first for a clear error
except ImportError as _error:  # pragma: no cover - exercised in a subprocess by the tests
    from protobrain._missing_engine import explain as _explain

    raise _explain(_error) from None

from protobrain import brain, computation, learning, neuron, sensor, synapses  # noqa: E402
from protobrain.encoders import numerical  # noqa: E402

__version__: str = _core.__version__

from protobrain import checkpoint  # noqa: E402 - records __version__ in the files it writes
from protobrain.checkpoint import load  # noqa: E402

__all__ = ["brain", "checkpoint", "computation", "learning", "load", "neuron", "numerical", "sensor", "synapses"]
