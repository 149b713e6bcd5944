"""docs/specification.md §7 Benchmark: serial runs, executors, progress bar, brain state afterwards."""

import io
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from helpers import benchmark_brain, step

from protobrain import computation
from protobrain.metrics import benchmark, spike_count, spike_density
from protobrain.metrics.metric import MetricResults

INPUTS = [v % 100 for v in range(0, 240, 3)]  # 80 steps


def brains():
    """Three small brains with different weights and learning rates."""
    return [
        benchmark_brain((30, 20), sensor_length=128, seed=1, rates=None),
        benchmark_brain((30, 20), sensor_length=128, seed=2, rates=(0.05, 0.002)),
        benchmark_brain((25,), sensor_length=64, seed=3, rates=(0.005, 0.001), n=3),
    ]


def metrics():
    return [spike_density.SpikeDensity(), spike_count.SpikeCount()]


def weights(brain_):
    return [layer.input.synapses.copy() for layer in brain_.neurons.layers]


def test_run_steps_each_brain_and_returns_one_result_dict_per_brain_in_order():
    bench = benchmark.Benchmark(metrics())
    results = bench.run(brains(), INPUTS)
    assert len(results) == 3 and len(bench.last_run_seconds) == 3
    for brain_, result in zip(brains(), results):
        by_hand = metrics()
        for value in INPUTS:
            step(brain_, value)
            for m in by_hand:
                m.next(brain_.neurons)
        assert result == {m.name: m.compute() for m in by_hand}
        assert all(isinstance(r, MetricResults) for r in result.values())
    assert results[0] != results[1]


def test_learning_false_does_not_learn_and_serial_runs_train_the_brains_in_place():
    fixed, trained = brains(), brains()
    before = weights(fixed[1])
    frozen = benchmark.Benchmark(metrics()).run(fixed, INPUTS, learning=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(fixed[1])))
    learnt = benchmark.Benchmark(metrics()).run(trained, INPUTS)
    assert not all(np.array_equal(a, b) for a, b in zip(before, weights(trained[1])))
    assert frozen[0] == learnt[0]  # brain 0 has no learning rule either way
    assert frozen[1] != learnt[1]


def test_metrics_are_reset_for_every_brain():
    bench = benchmark.Benchmark(metrics())
    one = bench.run([brains()[2]], INPUTS)
    again = bench.run([brains()[0], brains()[2]], INPUTS)
    assert again[1] == one[0]


def test_metric_names_must_differ():
    with pytest.raises(ValueError, match="spike_count"):
        benchmark.Benchmark([spike_count.SpikeCount(), spike_count.SpikeCount()])


class Strongest(computation.Computation):
    """A user computation in Python: the single most activated unit wins."""

    def __call__(self, **inputs):
        activation = sum(inp.values.reshape(-1) @ inp.synapses.reshape(inp.values.size, -1) for inp in inputs.values())
        out = np.zeros(activation.size)
        out[np.argmax(activation)] = 1
        return out


@pytest.mark.parametrize("pool", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_executor_runs_equal_serial_runs_exactly_and_leave_the_callers_objects_as_they_were(pool):
    serial = benchmark.Benchmark(metrics()).run(brains(), INPUTS)

    mine = brains()
    mine[2].computation = Strongest()
    serial_custom = benchmark.Benchmark(metrics()).run([brains()[0], brains()[1], _strongest(brains()[2])], INPUTS)
    before = [weights(b) for b in mine]
    bench = benchmark.Benchmark(metrics())
    with pool(max_workers=2) as executor:
        parallel = bench.run(mine, INPUTS, executor=executor)
    assert parallel[:2] == serial[:2]
    assert parallel == serial_custom
    assert len(bench.last_run_seconds) == 3
    for was, brain_ in zip(before, mine):  # the tasks trained copies
        assert all(np.array_equal(a, b) for a, b in zip(was, weights(brain_)))
    for m in bench.metrics:  # and recorded with copies of the metrics
        with pytest.raises(RuntimeError, match="no steps recorded"):
            m.compute()


def _strongest(brain_):
    brain_.computation = Strongest()
    return brain_


def test_executor_brains_continue_like_untouched_brains():
    """After an executor run the caller's brains are where they started: a serial run of them
    gives the executor's results."""
    mine = brains()
    with ThreadPoolExecutor(max_workers=2) as executor:
        parallel = benchmark.Benchmark(metrics()).run(mine, INPUTS, executor=executor)
    assert benchmark.Benchmark(metrics()).run(mine, INPUTS) == parallel


@pytest.mark.parametrize("pool", [None, ThreadPoolExecutor])
def test_errors_in_a_brain_propagate(pool):
    bench = benchmark.Benchmark(metrics())
    bad_inputs = [1, 2, 500]  # the encoders cover 0..100
    if pool is None:
        with pytest.raises(ValueError, match=r"value 500 is outside the encoder's range \[0, 100\] \(at position 2\)"):
            bench.run(brains(), bad_inputs)
    else:
        with (
            pool(max_workers=2) as executor,
            pytest.raises(ValueError, match=r"value 500 is outside the encoder's range \[0, 100\] \(at position 2\)"),
        ):
            bench.run(brains(), bad_inputs, executor=executor)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("pool", [None, ThreadPoolExecutor])
def test_verbose_shows_a_progress_bar_of_steps_and_brains_on_a_terminal(monkeypatch, pool):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bench = benchmark.Benchmark(metrics())
    quiet = bench.run(brains(), INPUTS)
    assert terminal.getvalue() == ""
    if pool is None:
        shown = bench.run(brains(), INPUTS, verbose=True)
    else:
        with pool(max_workers=2) as executor:
            shown = bench.run(brains(), INPUTS, verbose=True, executor=executor)
    assert shown == quiet
    text = terminal.getvalue()
    assert f"{3 * len(INPUTS)}/{3 * len(INPUTS)}" in text
    assert "step/s" in text or "s/step" in text
    assert "3/3" in text  # brains


def test_verbose_stays_silent_off_a_terminal(capsys):
    benchmark.Benchmark(metrics()).run(brains()[:1], INPUTS, verbose=True)
    assert capsys.readouterr().err == ""


def test_runs_in_rust_and_step_by_step_give_the_same_results():
    """Plain brains are run with Brain.run and recorded batches; a Brain subclass that
    overrides compute is stepped through the documented loop. Results must not differ."""
    import numpy as np

    from protobrain import computation, learning, neuron, sensor
    from protobrain.brain import Brain
    from protobrain.encoders import numerical
    from protobrain.metrics import benchmark as benchmark_module
    from protobrain.metrics.benchmark import Benchmark
    from protobrain.metrics.spike_count import SpikeCount
    from protobrain.metrics.spike_density import SpikeDensity

    class Stepped(Brain):
        def compute(self):
            return super().compute()

    def build(cls):
        np.random.seed(3)
        layers = [neuron.Neurons(40), neuron.Neurons((5, 6))]
        return cls(
            neuron.FeedForward(layers),
            sensor.Sensor(numerical.CyclicEncoder(0, 100, 256)),
            computation=computation.SparseComputation(0.1),
            learning=learning.HebbianLearning(0.01, 0.002),
        )

    plain, stepped = build(Brain), build(Stepped)
    assert benchmark_module._runs_in_rust(plain) and not benchmark_module._runs_in_rust(stepped)
    inputs = [v % 100 for v in range(300)]
    fast = Benchmark([SpikeCount(), SpikeDensity()]).run([plain], inputs)
    slow = Benchmark([SpikeCount(), SpikeDensity()]).run([stepped], inputs)
    assert fast == slow
    assert np.array_equal(plain.neurons.layers[1].input.synapses, stepped.neurons.layers[1].input.synapses)


def test_user_metrics_get_the_neurons_every_step_even_for_plain_brains():
    """docs/specification.md §7: each metric is given next(brain.neurons); a user metric sees real groups
    with float64 values, as in the loop, not a replayed recording."""
    import numpy as np

    from protobrain import computation, learning, neuron, sensor
    from protobrain.brain import Brain
    from protobrain.encoders import numerical
    from protobrain.metrics.benchmark import Benchmark
    from protobrain.metrics.metric import Metric, MetricResults

    class Changes(Metric):
        def __init__(self):
            super().__init__("changes")
            self.reset()

        def reset(self):
            self.previous, self.total, self.seen = None, 0.0, []

        def next(self, neurons):
            values = neurons.values
            self.seen.append((type(neurons).__name__, values.dtype))
            if self.previous is not None:
                self.total += float(np.abs(values - self.previous).sum())
            self.previous = values

        def compute(self):
            return MetricResults(self.name, global_result=self.total)

    np.random.seed(2)
    b = Brain(
        neuron.FeedForward([neuron.Neurons(30), neuron.Neurons(20)]),
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 128)),
        computation=computation.SparseComputation(0.1),
        learning=learning.HebbianLearning(),
    )
    metric = Changes()
    result = Benchmark([metric]).run([b], list(range(20)))
    assert result[0]["changes"].global_result > 0
    assert set(metric.seen) == {("LayeredNeurons", np.dtype("float64"))}


def test_a_metric_that_overrides_next_is_called_every_step():
    """docs/specification.md §7: every metric gets next(brain.neurons) per input, even when the brain
    and the other metrics could take the fast whole-run path."""

    class Counting(spike_count.SpikeCount):
        def reset(self):
            super().reset()
            self.calls = 0

        def next(self, neurons):
            self.calls += 1
            super().next(neurons)

        @property
        def name(self):
            return "counting"

    plain = spike_count.SpikeCount()
    counting = Counting()
    inputs = [i % 100 for i in range(25)]
    results = benchmark.Benchmark([counting, plain]).run([benchmark_brain((20, 10), 64)], inputs)
    assert counting.calls == 25
    assert results[0]["counting"].global_result == results[0]["spike_count"].global_result
