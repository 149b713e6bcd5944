"""Brain.run with an ArrayEncoder or CategoryEncoder sensor: the whole batch is encoded
first and handed to the engine as patterns (``network.run_patterns``); the recordings,
weights and sensor equal the documented per-step loop, bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import reference
from helpers import TESTS
from hypothesis import given
from hypothesis import strategies as st

from protobrain import brain, checkpoint, computation, learning, neuron, sensor
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.category import CategoryEncoder
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder

CATEGORIES = ("red", "green", "blue", 7, 2.5)


def array_encoder(kind="simple"):
    element = SimpleEncoder(0, 16, 12, 0.25) if kind == "simple" else CyclicEncoder(-1, 1, 10, 0.3)
    return ArrayEncoder(element, (2, 3))


def category_encoder():
    return CategoryEncoder(CATEGORIES, width=6)


def encoder_of(kind):
    return category_encoder() if kind == "category" else array_encoder(kind)


def values_for(kind, steps, rng):
    """``steps`` values the encoder accepts: (steps, 2, 3) arrays, with non-integer positions."""
    if kind == "category":
        return [CATEGORIES[i] for i in rng.integers(0, len(CATEGORIES), steps)]
    if kind == "simple":
        return rng.uniform(0, 16, (steps, 2, 3))
    return rng.uniform(-1, 1, (steps, 2, 3))


def build(seed, kind, wiring="feedforward", comp="sparse", rates=(0.05, 0.01), shapes=((4, 5), 12, 8)):
    """A brain drawn after ``numpy.random.seed(seed)``: feed-forward layers, with layers that
    read themselves (``loopback``), read the next layer (``feedbackward``), or one group
    looping back on itself (``single``)."""
    np.random.seed(seed)
    layers = [neuron.Neurons(s) for s in shapes]
    if wiring == "single":
        group = neuron.LoopBack(layers[:1], "neighbors")
    else:
        group = neuron.FeedForward(layers)
        if wiring == "loopback":
            neuron.LoopBack(layers, "neighbors")
        elif wiring == "feedbackward":
            neuron.FeedBackward(layers, "feedback")
    if comp == "sparse":
        c = computation.SparseComputation(0.2)
    elif comp == "winners":
        c = computation.SparseComputation(3)
    else:
        c = computation.StandardComputation(comp)
    hebb = learning.HebbianLearning(*rates) if rates is not None else None
    return brain.Brain(group, sensor.Sensor(encoder_of(kind)), computation=c, learning=hebb)


def weights_of(b):
    return [i.synapses.copy() for layer in b.layers for i in layer.inputs.values() if i.connected]


def outputs_of(b):
    return [layer.values.copy() for layer in b.layers] + [b.sensor.values.copy()]


def same_value(a, b):
    return np.array_equal(a, b) if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) else a == b


def assert_same_as_the_loop(recorded, loop, values, learn, wanted=None):
    """``recorded`` (of the groups ``wanted``) is what stepping ``loop`` through ``values`` shows."""
    wanted = range(len(loop.layers)) if wanted is None else wanted
    assert len(recorded) == len(wanted)
    for t, value in enumerate(values):
        loop.sensor.feed(value)
        loop.compute()
        if learn:
            loop.learn()
        for r, i in zip(recorded, wanted):
            assert np.array_equal(r[t], loop.layers[i].values.astype(bool)), (t, i)


def assert_same_brains(a, b):
    for x, y in zip(weights_of(a), weights_of(b), strict=True):
        assert np.array_equal(x, y)
    for x, y in zip(outputs_of(a), outputs_of(b), strict=True):
        assert np.array_equal(x, y)
    assert same_value(a.sensor.value, b.sensor.value)


def test_an_array_or_category_brain_runs_on_patterns():
    """The path under test: every group built in and a batch encoder, so the engine takes patterns."""
    for kind in ("simple", "category"):
        b = build(0, kind)
        network = b._compiled()[0]
        assert network.takes_patterns and not network.builtin
        assert brain._encodes_batches(b.sensor)


@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["simple", "cyclic", "category"]),
    wiring=st.sampled_from(["feedforward", "loopback", "feedbackward", "single"]),
    comp=st.sampled_from(["sparse", "winners", 1.5, 3.0]),
    rates=st.sampled_from([(0.05, 0.01), (0.2, 0.05), None]),
    learn=st.booleans(),
    steps=st.integers(1, 12),
)
def test_run_equals_the_per_step_loop(seed, kind, wiring, comp, rates, learn, steps):
    ours, loop = build(seed, kind, wiring, comp, rates), build(seed, kind, wiring, comp, rates)
    assert_same_brains(ours, loop)  # the same draws
    assert ours._compiled()[0].takes_patterns  # the batch is handed to the engine whole
    values = values_for(kind, steps, np.random.default_rng(seed))
    recorded = ours.run(values, learn=learn)
    assert [r.shape for r in recorded] == [(steps,) + layer.shape for layer in ours.layers]
    assert all(r.dtype == bool for r in recorded)
    assert_same_as_the_loop(recorded, loop, values, learn)
    assert_same_brains(ours, loop)
    assert same_value(ours.sensor.value, values[-1])


class ArraySensor:
    """The reference's sensor for an ArrayEncoder: §5's band for every element, stacked."""

    def __init__(self, element, shape):
        self.element, self.shape = element, shape
        self.values = np.zeros(int(np.prod(shape)) * element.length)

    def feed(self, value):
        value = np.asarray(value, dtype=np.float64)
        e = self.element
        encode = reference.simple_encode if type(e) is SimpleEncoder else reference.cyclic_encode
        codes = [encode(value[i], e.min_value, e.max_value, e.length, e.sparsity) for i in np.ndindex(self.shape)]
        self.values = np.concatenate(codes)

    def flat(self):
        return self.values


def reference_of(b):
    """tests/reference.py's model of brain ``b``, with ``b``'s current weights."""
    encoder = b.sensor.encoder
    mirror = {id(b.sensor): ArraySensor(encoder.encoder, encoder.element_shape)}
    groups = [reference.Group(layer.shape) for layer in b.layers]
    for layer, group in zip(b.layers, groups):
        mirror[id(layer)] = mirror[id(layer.output)] = group
    for layer, group in zip(b.layers, groups):
        for name, inp in layer.inputs.items():
            group.set(name, mirror[id(inp.source)], inp.synapses)
    return reference.Model(mirror[id(b.sensor)], groups)


@pytest.mark.parametrize("kind", ["simple", "cyclic"])
@pytest.mark.parametrize(("wiring", "seed"), [("feedforward", 1), ("loopback", 2), ("feedbackward", 3)])
def test_run_equals_the_numpy_reference(kind, wiring, seed):
    ours = build(seed, kind, wiring)
    model = reference_of(ours)
    values = values_for(kind, 15, np.random.default_rng(seed))
    recorded = ours.run(values)
    for t, value in enumerate(values):
        expected = model.step(value, ("sparse", 0.2), (0.05, 0.01))
        for r, want in zip(recorded, expected):
            assert np.array_equal(r[t].ravel(), want.astype(bool)), t
    for layer, group in zip(ours.layers, model.layers):
        for name, inp in layer.inputs.items():
            assert np.array_equal(inp.synapses, group.inputs[name][1].reshape(inp.synapses.shape)), name


def test_run_takes_an_array_a_list_of_arrays_nested_lists_and_a_generator():
    values = values_for("simple", 6, np.random.default_rng(5))
    as_ints = np.rint(values).astype(np.int64)
    first = build(4, "simple").run(values)
    for same in (list(values), [v.tolist() for v in values], (v for v in values), tuple(values)):
        got = build(4, "simple").run(same)
        assert all(np.array_equal(a, b) for a, b in zip(first, got, strict=True))
    ours, loop = build(4, "simple"), build(4, "simple")
    recorded = ours.run(as_ints)  # an int array
    assert_same_as_the_loop(recorded, loop, as_ints, learn=True)
    assert_same_brains(ours, loop)
    categories = ["red", 7, 2.5, "blue"]
    first = build(4, "category").run(categories)
    for same in (np.array(categories, dtype=object), tuple(categories), iter(categories)):
        got = build(4, "category").run(same)
        assert all(np.array_equal(a, b) for a, b in zip(first, got, strict=True))


@pytest.mark.parametrize(
    ("kind", "spoil", "match"),
    [
        ("simple", lambda v: v[5].__setitem__((1, 2), np.nan), r"value nan at step 5, element \(1, 2\) is outside"),
        ("simple", lambda v: v[5].__setitem__((0, 0), 16.5), r"value 16.5 at step 5, element \(0, 0\) is outside"),
        ("cyclic", lambda v: v[7].__setitem__((0, 1), -1.25), r"value -1.25 at step 7, element \(0, 1\)"),
        (
            "simple",
            lambda v: v.__setitem__(5, np.zeros((3, 2))),
            r"ArrayEncoder: not an array of values of shape \(steps, \*\(2, 3\)\)",
        ),
        ("category", lambda v: v.__setitem__(5, "purple"), "unknown category 'purple'"),
        ("category", lambda v: v.__setitem__(5, [1]), r"unknown category \[1\]"),
    ],
)
def test_a_bad_value_anywhere_stops_the_run_before_its_first_step(kind, spoil, match):
    b = build(6, kind)
    b.run(values_for(kind, 3, np.random.default_rng(0)))  # some activity to keep
    before_weights, before_outputs, before_value = weights_of(b), outputs_of(b), b.sensor.value
    values = list(values_for(kind, 10, np.random.default_rng(1)))
    spoil(values)
    with pytest.raises(ValueError, match=match):
        b.run(values)
    if "at step" in match:  # the same values as one (steps, 2, 3) array
        with pytest.raises(ValueError, match=match):
            b.run(np.array(values))
    for x, y in zip(weights_of(b), before_weights, strict=True):
        assert np.array_equal(x, y)
    for x, y in zip(outputs_of(b), before_outputs, strict=True):
        assert np.array_equal(x, y)
    assert same_value(b.sensor.value, before_value)
    # and the brain still steps as if the bad run had not been tried
    twin = build(6, kind)
    twin.run(values_for(kind, 3, np.random.default_rng(0)))
    good = values_for(kind, 4, np.random.default_rng(2))
    assert all(np.array_equal(x, y) for x, y in zip(b.run(good), twin.run(good), strict=True))


@pytest.mark.parametrize("kind", ["simple", "category"])
def test_record_subsets_learn_false_and_pieces(kind):
    values = values_for(kind, 12, np.random.default_rng(8))
    whole, parts = build(9, kind), build(9, kind)
    everything = whole.run(values)
    assert parts.run(values[:5], record=False) == []
    picked = parts.run(values[5:], record=[0, -1])
    assert [r.shape for r in picked] == [(7, 4, 5), (7, 8)]
    assert np.array_equal(picked[0], everything[0][5:]) and np.array_equal(picked[1], everything[2][5:])
    assert parts.run(values[:1], record=[1], learn=False)[0].shape == (1, 12)
    with pytest.raises(IndexError, match="record: no group 3; the brain has 3 groups"):
        whole.run(values[:2], record=[3])
    before = weights_of(whole)
    frozen = whole.run(values, learn=False)
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(whole), strict=True))
    assert len(frozen) == 3
    last_only = build(9, kind).run(values[:4], record=[2])
    assert_same_as_the_loop(last_only, build(9, kind), values[:4], True, wanted=[2])


class MyArrayEncoder(ArrayEncoder):
    """A subclass: not a built-in batch encoder, so Brain.run steps it one value at a time."""


def test_a_subclassed_encoder_or_patched_sensor_runs_step_by_step_with_the_same_results():
    values = values_for("simple", 8, np.random.default_rng(3))
    want = build(11, "simple").run(values)
    np.random.seed(11)
    layers = [neuron.Neurons(s) for s in ((4, 5), 12, 8)]
    sub = brain.Brain(
        neuron.FeedForward(layers),
        sensor.Sensor(MyArrayEncoder(SimpleEncoder(0, 16, 12, 0.25), (2, 3))),
        computation=computation.SparseComputation(0.2),
        learning=learning.HebbianLearning(0.05, 0.01),
    )
    assert not brain._encodes_batches(sub.sensor)
    assert all(np.array_equal(x, y) for x, y in zip(want, sub.run(values), strict=True))
    patched = build(11, "simple")
    patched.sensor.feed = patched.sensor.feed  # an instance attribute: a user's feed
    assert not brain._encodes_batches(patched.sensor)
    assert all(np.array_equal(x, y) for x, y in zip(want, patched.run(values), strict=True))


@pytest.mark.parametrize("empty", [[], np.zeros((0, 2, 3)), "category"])
def test_a_run_of_no_values_records_nothing(empty):
    b = build(12, "category" if isinstance(empty, str) else "simple")
    recorded = b.run([] if isinstance(empty, str) else empty)
    assert [r.shape for r in recorded] == [(0, 4, 5), (0, 12), (0, 8)]


def test_a_bool_array_among_the_values_is_refused():
    values = list(values_for("simple", 6, np.random.default_rng(1)))
    values[3] = np.ones((2, 3), dtype=bool)
    with pytest.raises(ValueError, match="bool"):
        build(6, "simple").run(values)


CHECK = """
import numpy as np
from test_pattern_runs import build, values_for, assert_same_as_the_loop, assert_same_brains

for kind in ("simple", "category"):
    ours, loop = build(21, kind, shapes=(30, 20, 10)), build(21, kind, shapes=(30, 20, 10))
    values = values_for(kind, 150, np.random.default_rng(21))
    recorded = ours.run(values)
    assert_same_as_the_loop(recorded, loop, values, learn=True)
    assert_same_brains(ours, loop)
print("same")
"""


@pytest.mark.parametrize("mode", ["on", "off"])
def test_pattern_runs_pipelined_or_not_equal_the_loop(mode):
    """A run may take its first layer a step ahead on a second core; ``PROTOBRAIN_PIPELINE``
    is read once per process, so each mode runs in a fresh one."""
    path = os.pathsep.join([str(TESTS), str(TESTS / "engine")])
    env = dict(os.environ, PROTOBRAIN_PIPELINE=mode, PYTHONPATH=path)
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "same"


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        (
            "simple",
            "brain.sensor.value is a numpy.ndarray; brain.sensor.encoder is a protobrain.encoders.array.ArrayEncoder",
        ),
        ("category", "brain.sensor.encoder is a protobrain.encoders.category.CategoryEncoder"),
    ],
)
def test_a_checkpoint_stores_these_encoders_only_with_pickle(tmp_path, kind, named):
    """docs/encoders.md: saving needs allow_pickle=True for now, and so does loading."""
    b = build(13, kind)
    b.run(values_for(kind, 5, np.random.default_rng(13)))
    path = tmp_path / "model.pbk"
    with pytest.raises(checkpoint.PickleNotAllowedError, match=f"stores only with pickle: {named}"):
        checkpoint.save(b, path)
    assert not path.exists()
    checkpoint.save(b, path, allow_pickle=True)
    with pytest.raises(checkpoint.PickleNotAllowedError, match=r"brain.sensor.encoder \(protobrain.encoders"):
        checkpoint.load(path)
    loaded = checkpoint.load(path, allow_pickle=True)
    assert type(loaded.sensor.encoder) is type(b.sensor.encoder)
    assert_same_brains(loaded, b)
    values = values_for(kind, 6, np.random.default_rng(14))
    assert all(np.array_equal(x, y) for x, y in zip(b.run(values), loaded.run(values), strict=True))
    assert_same_brains(loaded, b)
