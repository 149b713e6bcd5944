"""Faults: an exception in a user part propagates unchanged and leaves no step half-applied;
Ctrl-C stops after a whole step; impossible sizes are MemoryError."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from helpers import step

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical


def state_of(b):
    values = [layer.values.copy() for layer in b.layers] + [b.sensor.values.copy()]
    weights = [inp.synapses.copy() for layer in b.layers for inp in layer.inputs.values() if inp.connected]
    return values, weights, b.sensor.value


def assert_same(a, b):
    (va, wa, sa), (vb, wb, sb) = a, b
    assert sa == sb
    assert all(np.array_equal(x, y) for x, y in zip(va, vb)) and len(va) == len(vb)
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb)) and len(wa) == len(wb)


class Flaky(computation.Computation):
    """k-winners by hand; raises the given exception while ``fail`` is set."""

    def __init__(self, k):
        self.k = k
        self.fail = None

    def __call__(self, **inputs):
        if self.fail is not None:
            raise self.fail
        total = sum(np.tensordot(i.values, i.synapses, axes=i.values.ndim) for i in inputs.values() if i.connected)
        out = np.zeros(total.shape)
        out[np.argsort(-total, kind="stable")[: self.k]] = 1
        return out


class ScribblingRule(learning.Learning):
    """Writes every weight of the group, then raises while ``fail`` is set."""

    def __init__(self):
        self.fail = None

    def __call__(self, neurons):
        for inp in neurons.inputs.values():
            inp.synapses = inp.synapses * 0.5
        if self.fail is not None:
            raise self.fail


def build(middle=None, rule=None):
    np.random.seed(3)
    layers = [neuron.Neurons(16), neuron.Neurons(12), neuron.Neurons(10)]
    stack = neuron.FeedForward(layers)
    neuron.LoopBack(layers[2:], "self")
    stack.computation = [
        computation.SparseComputation(3),
        middle or computation.SparseComputation(3),
        computation.SparseComputation(2),
    ]
    stack.learning = [learning.HebbianLearning(0.1, 0.02), rule, learning.HebbianLearning(0.05, 0.01)]
    return brain.Brain(stack, sensor.Sensor(numerical.CyclicEncoder(0, 50, 64)))


def test_an_exception_in_a_user_computation_propagates_unchanged_and_changes_no_activity():
    flaky = Flaky(3)
    b, twin = build(flaky), build(Flaky(3))
    for v in range(5):
        step(b, v)
        step(twin, v)
    b.sensor.feed(9)
    twin.sensor.feed(9)
    before = state_of(b)
    error = ZeroDivisionError("my computation failed")
    flaky.fail = error
    with pytest.raises(ZeroDivisionError, match="^my computation failed$") as info:
        b.compute()
    assert info.value is error  # the very exception, not a wrapper
    assert_same(state_of(b), before)  # group 0, computed before the failure, is restored too
    flaky.fail = None
    for v in range(9, 20):
        step(b, v)
        step(twin, v)
    assert_same(state_of(b), state_of(twin))


def test_an_exception_in_a_user_learning_rule_rolls_back_every_weight():
    rule = ScribblingRule()
    b, twin = build(rule=rule), build(rule=ScribblingRule())
    for v in range(4):
        step(b, v)
        step(twin, v)
    b.sensor.feed(7)
    b.compute()
    twin.sensor.feed(7)
    twin.compute()
    before = state_of(b)
    rule.fail = KeyError("rule failed")
    with pytest.raises(KeyError, match="rule failed") as info:
        b.learn()  # group 0's Hebbian step and the rule's own writes must both be undone
    assert info.value is rule.fail
    assert_same(state_of(b), before)
    rule.fail = None
    b.learn()
    twin.learn()
    for v in range(8, 20):
        step(b, v)
        step(twin, v)
    assert_same(state_of(b), state_of(twin))


@pytest.mark.parametrize("where", ["compute", "learn"])
def test_a_failing_step_inside_run_is_undone_and_earlier_steps_stay(where):
    flaky, rule = Flaky(3), ScribblingRule()
    b, twin = build(flaky, rule), build(Flaky(3), ScribblingRule())
    values = list(range(30))
    twin.run(values[:12])
    calls = {"n": 0}

    class Trigger(Exception):
        pass

    def arm():
        calls["n"] += 1
        if calls["n"] == 13:
            if where == "compute":
                flaky.fail = Trigger()
            else:
                rule.fail = Trigger()

    b.neurons.layers[0].computation = _Counting(computation.SparseComputation(3), arm)
    twin.neurons.layers[0].computation = _Counting(computation.SparseComputation(3), lambda: None)
    with pytest.raises(Trigger, match="^$"):
        b.run(values)
    assert_same(state_of(b), state_of(twin))  # twelve whole steps, nothing of the thirteenth
    flaky.fail = rule.fail = None
    b.run(values[12:])
    twin.run(values[12:])
    assert_same(state_of(b), state_of(twin))


class _Counting(computation.Computation):
    """Wraps a computation and calls ``hook`` before each call (a user part, so run
    steps in Python)."""

    def __init__(self, inner, hook):
        self.inner = inner
        self.hook = hook

    def __call__(self, **inputs):
        self.hook()
        return self.inner(**inputs)


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler for the test's length. Python installs it at start only
    when SIGINT is not ignored, and it is under ``nohup``, in background jobs and under
    some CI supervisors; what the test checks is how a run treats that handler."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("python_sigint_handler")
def test_ctrl_c_inside_a_python_step_of_run_stops_after_that_whole_step():
    b, twin = build(Flaky(3)), build(Flaky(3))
    count = {"n": 0}

    def interrupt_at_step_seven():
        count["n"] += 1
        if count["n"] == 7:
            os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of step 7

    b.neurons.layers[0].computation = _Counting(computation.SparseComputation(3), interrupt_at_step_seven)
    twin.neurons.layers[0].computation = _Counting(computation.SparseComputation(3), lambda: None)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt, match="^$"):
        b.run(range(40))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert b.sensor.value == 6  # steps 1..7 whole (values 0..6), no more
    twin.run(range(7))
    assert_same(state_of(b), state_of(twin))
    b.run(range(7, 20))
    twin.run(range(7, 20))
    assert_same(state_of(b), state_of(twin))


def test_an_engine_error_part_way_through_compute_changes_nothing():
    """k-winners asking for more units than its group has fails at compute time, in the
    second group, after the first group computed: that first group is restored."""
    for method in ("compute", "run"):
        b = build()
        step(b, 3)
        before = state_of(b)
        b.neurons.layers[1].computation = computation.SparseComputation(50)
        with pytest.raises(ValueError, match="50 winners"):
            b.compute() if method == "compute" else b.run([4, 5])
        assert_same(state_of(b), before)


def test_impossible_sizes_are_memory_errors():
    with pytest.raises(MemoryError, match=r"cannot allocate an array of shape \[2147483648, 2147483648, 2147483648\]"):
        neuron.Neurons((2**31, 2**31, 2**31))
    big, target = neuron.Neurons(2**21), neuron.Neurons(2**23)
    with pytest.raises(MemoryError, match=r"cannot allocate weights of shape \(2097152, 8388608\)"):
        target.set("huge", big)
    assert list(target.inputs) == ["main"]
