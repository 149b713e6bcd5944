"""Brain.run and the compiled per-step path: same numbers as the documented loop."""

import signal

import numpy as np
import pytest
import reference
from helpers import benchmark_brain, step

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.computation import Computation, SparseComputation
from protobrain.encoders import Encoder, numerical

VALUES = [v % 100 for v in range(250)]


def weights_of(b):
    return [inp.synapses.copy() for layer in b.layers for inp in layer.inputs.values() if inp.connected]


def test_run_equals_the_per_step_loop_and_the_reference():
    ours, loop = benchmark_brain((60, 50, 40), 512), benchmark_brain((60, 50, 40), 512)
    ref = reference.benchmark_model((60, 50, 40), 512)
    recorded = ours.run(VALUES)
    assert [r.shape for r in recorded] == [(250, 60), (250, 50), (250, 40)]
    for t, value in enumerate(VALUES):
        step(loop, value)
        expected = ref.step(value, ("sparse", 0.05), (0.005, 0.001))
        for r, layer, want in zip(recorded, loop.neurons.layers, expected):
            assert np.array_equal(r[t], want.astype(bool)), t
            assert np.array_equal(layer.values, want), t
    for a, b, c in zip(weights_of(ours), weights_of(loop), [g.inputs["main"][1] for g in ref.layers]):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert ours.sensor.value == VALUES[-1]
    assert np.array_equal(ours.sensor.values, loop.sensor.values)


def test_run_in_pieces_equals_one_run_and_learn_false_changes_no_weight():
    a, b = benchmark_brain((30, 20), 256, seed=4), benchmark_brain((30, 20), 256, seed=4)
    a.run(VALUES)
    b.run(VALUES[:100])
    b.run(VALUES[100:])
    assert all(np.array_equal(x, y) for x, y in zip(weights_of(a), weights_of(b)))
    before = weights_of(a)
    a.run(VALUES[:50], learn=False)
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(a)))


def test_record_choices():
    b = benchmark_brain((30, 20, 10), 256)
    assert b.run(VALUES[:5], record=False) == []
    picked = b.run(VALUES[:5], record=[0, -1])
    assert [r.shape for r in picked] == [(5, 30), (5, 10)]
    assert all(r.dtype == bool for r in picked)
    with pytest.raises(IndexError, match="7"):
        b.run(VALUES[:5], record=[7])


def test_a_bad_value_changes_nothing():
    b = benchmark_brain((30, 20), 256)
    b.run(VALUES[:10])
    before, value, values = weights_of(b), b.sensor.value, b.sensor.values
    with pytest.raises(ValueError, match="150"):
        b.run([1, 2, 150, 3])
    with pytest.raises(ValueError, match="position 1"):
        b.run([1, "x"])
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(b)))
    assert b.sensor.value == value and np.array_equal(b.sensor.values, values)


class HalfOn(Computation):
    """A user computation: the first half of the units fire when any input is active."""

    def __call__(self, **inputs):
        main = inputs["main"]
        out = np.zeros(main.shape)
        if np.any(main.values):
            out.ravel()[: out.size // 2] = 1
        return out


class Parity(Encoder):
    def __init__(self):
        super().__init__(default_value=0, shape=8)

    def encode(self, value):
        out = np.zeros(8)
        out[int(value) % 8] = 1
        return out


def mixed_brain(seed):
    np.random.seed(seed)
    layers = [neuron.Neurons(12), neuron.Neurons((3, 4)), neuron.Neurons(10)]
    stack = neuron.FeedForward(layers)
    neuron.LoopBack(layers[2:], "self")
    stack.computation = [SparseComputation(3), HalfOn(), SparseComputation(0.2)]
    stack.learning = [learning.HebbianLearning(0.05, 0.01), None, learning.HebbianLearning(0.02, 0.005)]
    return brain.Brain(stack, sensor.Sensor(Parity()))


def test_user_parts_are_called_back_inside_run():
    a, b = mixed_brain(8), mixed_brain(8)
    recorded = a.run(range(40))
    assert [r.shape for r in recorded] == [(40, 12), (40, 3, 4), (40, 10)]
    for t in range(40):
        step(b, t)
        for r, layer in zip(recorded, b.neurons.layers):
            assert np.array_equal(r[t], layer.values.astype(bool)), t
    assert all(np.array_equal(x, y) for x, y in zip(weights_of(a), weights_of(b)))
    assert a.sensor.value == 39


def test_structural_changes_are_picked_up_by_the_next_step():
    b = benchmark_brain((20, 10), 128)
    b.run(VALUES[:3])
    b.neurons.layers[1].computation = SparseComputation(4)
    assert b.run(VALUES[:1])[1].sum() == 4
    b.computation = computation.StandardComputation(1e9)
    assert b.compute().sum() == 0
    b.computation = SparseComputation(2)
    extra = neuron.Neurons(10, computation=SparseComputation(1))
    b.neurons.layers.append(extra)
    extra.input = b.neurons.layers[1]
    assert [r.shape for r in b.run(VALUES[:2])][-1] == (2, 10)
    assert b.compute().sum() == 1
    side = neuron.Neurons(5)
    side.output.values = np.ones(5)
    b.neurons.layers[0].set("side", side, lambda pre, post: np.ones(pre + post) * (np.arange(20) < 2) * 100)
    b.sensor.feed(3)
    b.compute()
    assert list(np.flatnonzero(b.neurons.layers[0].values)) == [0, 1]  # the new input decides


def test_views_held_through_a_run_show_current_weights():
    a, b = benchmark_brain((20, 10), 128), benchmark_brain((20, 10), 128)
    view = a.neurons.layers[0].input.synapses
    a.run(VALUES[:30])
    for v in VALUES[:30]:
        step(b, v)
    assert np.array_equal(view, b.neurons.layers[0].input.synapses)


def test_ctrl_c_stops_after_a_whole_step_and_the_brain_goes_on():
    def build():
        np.random.seed(2)
        layers = [neuron.Neurons(64) for _ in range(2)]
        return brain.Brain(
            neuron.FeedForward(layers),
            sensor.Sensor(numerical.SimpleEncoder(0, 10**6, 512)),
            computation=SparseComputation(0.05),
            learning=learning.HebbianLearning(0.005, 0.001),
        )

    def interrupt(*_):
        raise KeyboardInterrupt

    b = build()
    values = np.arange(10**6, dtype=float)
    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.15)
        with pytest.raises(KeyboardInterrupt, match="^$"):
            b.run(values)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    done = int(b.sensor.value) + 1
    assert 0 < done < len(values)
    b.run(values[done : done + 20])
    fresh = build()
    fresh.run(values[: done + 20])
    assert all(np.array_equal(x, y) for x, y in zip(weights_of(b), weights_of(fresh)))


def test_layers_lists_the_groups_run_records():
    b = mixed_brain(1)
    assert b.layers == list(b.neurons.layers)


def test_a_stack_used_as_a_source_is_read_again_after_its_layers_change():
    first, second = neuron.Neurons(4), neuron.Neurons(4)
    stack = neuron.LayeredNeurons([first])
    reader = neuron.Neurons(2, computation=computation.StandardComputation(0.5))
    reader.set("main", stack, lambda pre, post: np.ones(pre + post))
    stack.layers[0] = second
    second.output.values = np.ones(4)
    assert np.array_equal(reader.input.values, np.ones(4))
    assert np.array_equal(reader.compute(), [1, 1])  # reads the new last layer, not the old one
    assert np.array_equal(reader.input.synapses, np.ones((4, 2)))  # the weights came along
    stack.layers[0] = neuron.Neurons(3)
    with pytest.raises(ValueError, match=r"shape \(3,\).*connect it again"):
        reader.compute()


def test_outputs_and_slice_keys_are_fixed_once_made():
    n, s = neuron.Neurons(3), sensor.Sensor(numerical.SimpleEncoder(0, 1, 8))
    for obj, name in [(n, "output"), (s, "output"), (n.output[1:], "key"), (n.output[1:], "parent")]:
        with pytest.raises(AttributeError, match="has no setter|can't set attribute"):  # 3.11+ | 3.10
            setattr(obj, name, None)


def test_patching_a_step_method_after_the_first_step_is_honoured():
    b = benchmark_brain((20, 10), 128)
    b.run(VALUES[:2])
    calls = []
    layer = b.neurons.layers[1]
    original = layer.compute
    layer.compute = lambda: calls.append("compute") or original()
    b.compute()
    b.run(VALUES[:3])
    assert calls == ["compute"] * 4
    del layer.compute
    b.compute()
    assert len(calls) == 4


def test_huge_values_are_value_errors():
    b = benchmark_brain((20, 10), 128)
    with pytest.raises(ValueError, match="too large"):
        b.run([1, 10**400])
    with pytest.raises(ValueError, match="too large"):
        b.sensor.feed(10**400)
    with pytest.raises(ValueError, match="length"):
        numerical.SimpleEncoder(0, 1, 2**64)


def test_a_brain_running_in_another_thread_is_refused_not_deadlocked():
    import threading

    b = benchmark_brain((300, 300, 300), sensor_length=2048)
    values = [i % 100 for i in range(4000)]
    refused = []

    def work():
        try:
            b.run(values)
        except RuntimeError as error:  # the main thread got the brain first
            refused.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive() and not refused:
        try:
            b.compute()
        except RuntimeError as error:
            refused.append(error)
    worker.join()
    # Whichever thread came second was told so, and neither waited for the other.
    assert refused and all("another thread" in str(error) for error in refused)


def test_recording_outside_the_buffer_is_an_index_error():
    b = benchmark_brain((5, 4), sensor_length=16)
    network = b._compiled()[0]
    buffers = [np.zeros((2, size), dtype=bool) for size in network.sizes]
    with pytest.raises(IndexError, match="step 2"):
        network.record(buffers, 2)


@pytest.mark.parametrize("hold_view", [False, True], ids=["no view", "view held"])
def test_a_run_keeps_the_gil_while_a_view_of_the_weights_is_held(hold_view):
    """Another thread could write through a held view while the engine updates the same
    weights; a run keeps the GIL then, so no Python thread runs until it returns."""
    import threading
    import time

    b = benchmark_brain((300, 300, 300), sensor_length=2048)
    view = b.neurons.layers[0].input.synapses if hold_view else None
    ticks, stop = [], threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)  # releases the GIL between ticks

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        # Runs twice as long until one lasts 0.3 s, whatever the machine's speed (the
        # asserts look at its middle, 0.05 s in from each end).
        steps = 4000
        while True:
            ticks.clear()
            start = time.perf_counter()
            b.run([i % 100 for i in range(steps)])
            end = time.perf_counter()
            if end - start >= 0.3 or steps >= 8_000_000:
                break
            steps *= 2
    finally:
        stop.set()
        ticker.join()
    assert end - start >= 0.3, "the run is too short to tell"
    # Python code around the engine call may let the ticker in at its edges.
    inside = [t for t in ticks if start + 0.05 < t < end - 0.05]
    if hold_view:
        assert inside == []
        assert view.shape == (2048, 300)
    else:
        assert len(inside) > 10


def _tweaking_brain(change):
    """A brain whose Python learning rule calls change(brain_parts) in its third step."""
    a = neuron.Neurons(20, computation=SparseComputation(2), learning=learning.HebbianLearning())

    class Tweak(learning.Learning):
        calls = 0

        def __call__(self, neurons):
            Tweak.calls += 1
            if Tweak.calls == 3:
                change(a, c)

    c = neuron.Neurons(10, computation=SparseComputation(2), learning=Tweak())
    np.random.seed(4)
    b = brain.Brain(neuron.FeedForward([a, c]), sensor.Sensor(numerical.CyclicEncoder(0, 10, 30, 0.2)))
    return b, a


def test_a_change_made_by_a_user_part_during_run_applies_from_the_next_step():
    def more_winners(a, c):
        a.computation.n = 7

    values = [1, 2, 3, 4, 5, 6]
    by_run, a = _tweaking_brain(more_winners)
    recorded = by_run.run(values)
    assert recorded[0].sum(axis=1).tolist() == [2, 2, 2, 7, 7, 7]
    by_loop, a = _tweaking_brain(more_winners)
    for v, row in zip(values, recorded[0]):
        step(by_loop, v)
        assert np.array_equal(a.values.astype(bool), row)
    for x, y in zip(by_run.layers, by_loop.layers):
        assert np.array_equal(x.input.synapses, y.input.synapses)


def test_groups_changed_by_a_user_part_during_run_stop_it_with_a_value_error():
    """A new group would not fit the recordings: the run stops before the next step, and the
    steps before stay done, as after any exception from a user part."""
    holder = []
    b, _ = _tweaking_brain(lambda a, c: holder[0].neurons.layers.append(neuron.Neurons(3)))
    holder.append(b)
    with pytest.raises(ValueError, match=r"groups changed during run\(\) \(before step 3\)"):
        b.run([1, 2, 3, 4, 5])
    assert b.sensor.value == 3
    assert len(b.layers) == 3


def test_run_takes_any_iterable_and_names_the_position_of_a_bad_value():
    b = benchmark_brain((10,), 32)
    assert [r.shape for r in b.run(v for v in range(5))] == [(5, 10)]
    with pytest.raises(ValueError, match=r"value 101 is outside the encoder's range \[0, 100\] \(at position 2\)"):
        b.run([1, 2, 101])
