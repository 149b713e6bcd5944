"""Small brains of every kind the probes of protobrain.evaluate handle, what a brain's state
is, and codes computed the plain way (a copy of the brain, a pattern, one compute).

Imported by the tests of this folder (pytest puts a test's own folder on ``sys.path`` when
the folder has no ``__init__.py``, as no test folder here has).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder

#: Sensor bits of the cyclic sensors, and the width of their band (12 active bits).
SENSOR_BITS = 96
SENSOR_SPARSITY = 0.125
#: The array sensor's images: 3 x 3 pixels of 0..16, each pixel 8 bits (2 active).
IMAGE_SHAPE = (3, 3)


def cyclic_sensor() -> sensor.Sensor:
    return sensor.Sensor(CyclicEncoder(0, 100, SENSOR_BITS, SENSOR_SPARSITY))


def top_k(**inputs):
    """A user computation in Python (a plain function): the 4 most activated units win,
    ties to the lower index, as k-winners does."""
    activation = sum(
        inp.values.reshape(-1) @ inp.synapses.reshape(inp.values.size, -1) for inp in inputs.values() if inp.connected
    )
    out = np.zeros(activation.size)
    out[np.argsort(-activation, kind="stable")[:4]] = 1
    return out


def feed_forward(seed: int = 0, rates=(0.05, 0.01)) -> brain.Brain:
    """Two k-winners layers fed forward from a cyclic sensor, learning (Hebbian) unless ``rates`` is None."""
    np.random.seed(seed)
    group = neuron.FeedForward([neuron.Neurons(48), neuron.Neurons(32)])
    learn = None if rates is None else learning.HebbianLearning(*rates)
    return brain.Brain(group, cyclic_sensor(), computation=computation.SparseComputation(0.125), learning=learn)


def feed_forward_standard(seed: int = 0) -> brain.Brain:
    """Two threshold layers (StandardComputation) fed forward, learning."""
    np.random.seed(seed)
    group = neuron.FeedForward([neuron.Neurons(48), neuron.Neurons(32)])
    made = brain.Brain(group, cyclic_sensor(), learning=learning.HebbianLearning(0.05, 0.01))
    group.layers[0].computation = computation.StandardComputation(6.5)
    group.layers[1].computation = computation.StandardComputation(8.0)
    return made


def loop_back(seed: int = 0) -> brain.Brain:
    """Two k-winners layers, the second fed by the first, each also reading its own last
    activity (input ``'loop'``): a step depends on the step before."""
    return _recurrent(neuron.LoopBack, "loop", seed)


def feed_backward(seed: int = 0) -> brain.Brain:
    """Two k-winners layers fed forward, the first also reading the second's last activity."""
    return _recurrent(neuron.FeedBackward, "back", seed)


def _recurrent(wiring, input_name: str, seed: int) -> brain.Brain:
    """Two k-winners layers wired by ``wiring`` on input ``input_name``, the second also fed by the first."""
    np.random.seed(seed)
    group = wiring([neuron.Neurons(48), neuron.Neurons(32)], input_name=input_name)
    group.layers[1].input = group.layers[0]
    return brain.Brain(
        group,
        cyclic_sensor(),
        computation=computation.SparseComputation(0.125),
        learning=learning.HebbianLearning(0.05, 0.01),
    )


def python_computation(seed: int = 0) -> brain.Brain:
    """A feed-forward stack whose second layer computes with :func:`top_k` (Python)."""
    made = feed_forward(seed)
    made.neurons.layers[1].computation = top_k
    return made


def array_sensor(seed: int = 0) -> brain.Brain:
    """A feed-forward stack fed by an ArrayEncoder sensor (images)."""
    np.random.seed(seed)
    group = neuron.FeedForward([neuron.Neurons(40), neuron.Neurons(24)])
    encoder = ArrayEncoder(SimpleEncoder(0, 16, 8, 0.25), IMAGE_SHAPE)
    return brain.Brain(
        group,
        sensor.Sensor(encoder),
        computation=computation.SparseComputation(0.125),
        learning=learning.HebbianLearning(0.05, 0.01),
    )


#: Every kind of brain, by name.
KINDS = {
    "feed_forward": feed_forward,
    "feed_forward_standard": feed_forward_standard,
    "loop_back": loop_back,
    "feed_backward": feed_backward,
    "python_computation": python_computation,
    "array_sensor": array_sensor,
}
#: The kinds whose groups read only the sensor and groups computed before them.
FEED_FORWARD_KINDS = ("feed_forward", "feed_forward_standard", "array_sensor")


def values_for(kind: str, count: int, seed: int = 0) -> list:
    """``count`` sensor values for a brain of ``kind``: numbers 0..99 or 3x3 images."""
    rng = np.random.default_rng(seed)
    if kind == "array_sensor":
        return list(rng.integers(0, 17, size=(count, *IMAGE_SHAPE)).astype(np.float64))
    return [int(v) for v in rng.integers(0, 100, size=count)]


def state(brain_) -> dict:
    """Everything a step can change: every group's output, every weight, the sensor's value and values."""
    found = {"sensor.value": copy.deepcopy(brain_.sensor.value), "sensor.values": brain_.sensor.values.copy()}
    for index, group in enumerate(brain_.layers):
        found[f"{index}.output"] = group.output.values.copy()
        for name, inp in group.inputs.items():
            if inp.connected:
                found[f"{index}.{name}.synapses"] = inp.synapses.copy()
    return found


def assert_same_state(a, b) -> None:
    """The two brains' states are equal bit for bit."""
    first, second = state(a), state(b)
    assert first.keys() == second.keys()
    for key in first:
        x, y = first[key], second[key]
        if x is None or y is None:
            assert x is None and y is None, key
        else:
            assert np.array_equal(np.asarray(x), np.asarray(y)), key


def codes_by_hand(brain_, values) -> list[np.ndarray]:
    """Each layer's activity (bool, values x units) for each value, each computed on a copy
    of the brain as it is now: feed the value, compute (no learning)."""
    rows = []
    for value in values:
        twin = copy.deepcopy(brain_)
        twin.sensor.feed(value)
        twin.compute()
        rows.append([group.output.values.reshape(-1) != 0 for group in twin.layers])
    return [np.array([row[layer] for row in rows]) for layer in range(len(brain_.layers))]


def patterns_by_hand(brain_, values) -> np.ndarray:
    """The sensor's encoding of each value (bool, values x sensor units)."""
    return np.array([np.asarray(brain_.sensor.encoder.encode(v)).reshape(-1) != 0 for v in values])


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN, through dicts, lists, tuples, arrays and dataclasses."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)
