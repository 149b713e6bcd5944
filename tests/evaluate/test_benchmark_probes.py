"""protobrain.metrics.Benchmark(metrics, probes): probes are taken around each brain's run,
checkpointed at multiples of their ``every``, give the same results serially and on a
process pool, and change nothing the metrics see."""

import copy
import io
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from evaluate_brains import (
    assert_same_state,
    cyclic_sensor,
    feed_forward,
    loop_back,
    python_computation,
    same,
    state,
    values_for,
)

from protobrain import brain, computation, neuron
from protobrain.evaluate import (
    NoiseRobustnessProbe,
    Probe,
    ProbeResults,
    ReadoutProbe,
    SimilarityProbe,
    StabilityProbe,
    buckets,
    noise_robustness,
    readout,
    similarity_preservation,
    stability,
)
from protobrain.metrics import Benchmark
from protobrain.metrics.spike_density import SpikeDensity

INPUTS = values_for("feed_forward", 40, 9)
TRAIN = list(range(0, 100, 4))
TEST = list(range(2, 100, 4))


def probes():
    return [
        NoiseRobustnessProbe(range(0, 100, 10), levels=5),
        StabilityProbe(range(0, 100, 10), every=10),
        ReadoutProbe(TRAIN, buckets(TRAIN, 0, 100, 4), TEST, buckets(TEST, 0, 100, 4)),
        SimilarityProbe(range(0, 60, 3)),
    ]


def brains():
    return [feed_forward(seed=1), loop_back(seed=2), python_computation(seed=3)]


def test_probe_results_are_the_same_serially_and_on_a_process_pool():
    serial = Benchmark([SpikeDensity()], probes()).run(brains(), INPUTS)
    with ProcessPoolExecutor(2) as executor:
        parallel = Benchmark([SpikeDensity()], probes()).run(brains(), INPUTS, executor=executor)
    assert len(serial) == len(parallel) == 3
    for one, other in zip(serial, parallel):
        assert list(one) == ["spike_density", "noise_robustness", "stability", "readout", "similarity"]
        assert all(isinstance(one[p.name], ProbeResults) for p in probes())
        assert same(one, other)
    assert not same(serial[0], serial[1])


def test_probe_results_compare_with_equals_like_metric_results():
    (results,) = Benchmark([], [NoiseRobustnessProbe([1, 2, 3], levels=3)]).run([feed_forward(seed=1)], INPUTS[:5])
    assert results["noise_robustness"] == copy.deepcopy(results["noise_robustness"])


def test_probes_change_nothing_the_metrics_see_nor_where_the_brains_end():
    with_probes, without = brains(), brains()
    probed = Benchmark([SpikeDensity()], probes()).run(with_probes, INPUTS)
    plain = Benchmark([SpikeDensity()]).run(without, INPUTS)
    for one, other in zip(probed, plain):
        assert one["spike_density"] == other["spike_density"]
    for one, other in zip(with_probes, without):
        assert_same_state(one, other)


def _nesting(value):
    if isinstance(value, (list, tuple)):
        return [_nesting(item) for item in value]
    assert isinstance(value, float)
    return "number"


def _nested_brain():
    np.random.seed(4)
    inner = neuron.FeedForward([neuron.Neurons(30), neuron.Neurons(20)])
    outer = neuron.FeedForward([inner, neuron.Neurons(16)])
    return brain.Brain(outer, cyclic_sensor(), computation=computation.SparseComputation(0.2))


def _single_group():
    np.random.seed(5)
    return brain.Brain(neuron.Neurons(30), cyclic_sensor(), computation=computation.SparseComputation(0.2))


@pytest.mark.parametrize("make", [feed_forward, _nested_brain, _single_group])
def test_per_layer_results_nest_like_the_metrics(make):
    (results,) = Benchmark([SpikeDensity()], probes()).run([make()], INPUTS)
    density = _nesting(results["spike_density"].per_layer_result)
    for probe in probes():
        assert _nesting(results[probe.name].per_layer_result) == density, probe.name
        assert isinstance(results[probe.name].global_result, float)
    if make is _nested_brain:
        assert density == [["number", "number"], "number"]
    flat = results["readout"].details["trained"].layers.tolist()
    if make is _nested_brain:
        nested = [flat[:2], flat[2]]
    else:
        nested = flat[0] if make is _single_group else flat
    assert results["readout"].per_layer_result == nested
    assert results["readout"].global_result == results["readout"].details["trained"].overall


def test_the_readout_probe_holds_trained_and_untrained_and_they_agree_without_learning():
    split = (TRAIN, buckets(TRAIN, 0, 100, 4), TEST, buckets(TEST, 0, 100, 4))
    fixed, learning_brain = feed_forward(seed=2, rates=None), feed_forward(seed=2)
    (no_rule,) = Benchmark([], [ReadoutProbe(*split)]).run([fixed], INPUTS)
    (not_learning,) = Benchmark([], [ReadoutProbe(*split)]).run([feed_forward(seed=2)], INPUTS, learning=False)
    (learnt,) = Benchmark([], [ReadoutProbe(*split)]).run([learning_brain], INPUTS)
    for results in (no_rule, not_learning, learnt):
        details = results["readout"].details
        assert set(details) == {"trained", "untrained"}
        assert results["readout"].per_layer_result == details["trained"].layers.tolist()
        assert results["readout"].global_result == details["trained"].overall
    assert same(no_rule["readout"].details["trained"], no_rule["readout"].details["untrained"])
    assert same(not_learning["readout"].details["trained"], not_learning["readout"].details["untrained"])
    assert same(learnt["readout"].details["untrained"], no_rule["readout"].details["untrained"])
    assert not same(learnt["readout"].details["trained"].layers, learnt["readout"].details["untrained"].layers)


class Recorder(Probe):
    """Notes what it is told, and the brain's state each time."""

    def __init__(self, every, name="recorder"):
        super().__init__(name)
        self.every = every
        self.told = []

    def start(self, brain_):
        self.told.append(("start", state(brain_)))

    def checkpoint(self, brain_, steps):
        self.told.append((steps, state(brain_)))

    def finish(self, brain_):
        self.told.append(("finish", state(brain_)))
        return ProbeResults(self.name, global_result=float(len(self.told)))


class StepByStepDensity(SpikeDensity):
    """Overrides next: the benchmark then steps the brain through the documented loop."""

    def next(self, neurons):
        super().next(neurons)


def _states_by_hand(make, inputs, at):
    """The brain's state before any step, after each step in ``at``, and at the end."""
    brain_ = make()
    found = {0: state(brain_)}
    for step, value in enumerate(inputs, start=1):
        brain_.sensor.feed(value)
        brain_.compute()
        brain_.learn()
        if step in at:
            found[step] = state(brain_)
    found[len(inputs)] = state(brain_)
    return found


def _assert_states_equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert (a[key] is None and b[key] is None) or np.array_equal(np.asarray(a[key]), np.asarray(b[key])), key


@pytest.mark.parametrize("path", ["whole_runs", "step_by_step", "progress_bar"])
def test_checkpoints_come_at_every_multiple_of_every_and_see_the_brain_at_that_step(path, monkeypatch):
    inputs = values_for("feed_forward", 600 if path == "progress_bar" else 45, 3)
    sevens, elevens = Recorder(7, "sevens"), Recorder(110 if path == "progress_bar" else 11, "elevens")
    metric = StepByStepDensity() if path == "step_by_step" else SpikeDensity()
    verbose = path == "progress_bar"
    if verbose:  # a bar on a terminal: runs in chunks of 256 steps, ending at checkpoints too
        terminal = io.StringIO()
        terminal.isatty = lambda: True
        monkeypatch.setattr(sys, "stderr", terminal)
    Benchmark([metric], [sevens, elevens]).run([feed_forward(seed=8)], inputs, verbose=verbose)
    if verbose:
        assert "600/600" in terminal.getvalue()
    by_hand = _states_by_hand(lambda: feed_forward(seed=8), inputs, set(range(1, len(inputs) + 1)))
    for recorder in (sevens, elevens):
        told = [what for what, _ in recorder.told]
        multiples = list(range(recorder.every, len(inputs) + 1, recorder.every))
        if multiples[-1] != len(inputs):  # the last step is a checkpoint too
            multiples.append(len(inputs))
        assert told == ["start", *multiples, "finish"]
        for what, seen in recorder.told:
            _assert_states_equal(seen, by_hand[{"start": 0, "finish": len(inputs)}.get(what, what)])


def test_a_probe_without_every_gets_no_checkpoints():
    recorder = Recorder(None)
    (results,) = Benchmark([SpikeDensity()], [recorder]).run([loop_back()], INPUTS)
    assert [what for what, _ in recorder.told] == ["start", "finish"]
    assert results["recorder"].global_result == 2.0


@pytest.mark.parametrize("every", [8, 7])
def test_the_stability_probe_measures_what_stability_measures(every):
    probe_values = list(range(0, 100, 9))
    (results,) = Benchmark([SpikeDensity()], [StabilityProbe(probe_values, every)]).run([loop_back(seed=3)], INPUTS)
    direct = stability(loop_back(seed=3), INPUTS, probe_values, every=every)
    assert same(results["stability"].details, direct)
    assert direct.steps[-1] == len(INPUTS)
    assert results["stability"].per_layer_result == direct.mean.tolist()
    assert results["stability"].global_result == direct.overall_mean


def test_serial_runs_probe_each_brain_afresh():
    """A probe keeps state between start and finish; a second brain must not see the first's."""
    probe_values = list(range(0, 100, 9))
    (alone,) = Benchmark([], [StabilityProbe(probe_values, every=8)]).run([loop_back(seed=3)], INPUTS)
    both = Benchmark([], [StabilityProbe(probe_values, every=8)]).run([feed_forward(seed=1), loop_back(seed=3)], INPUTS)
    assert same(both[1], alone)


def test_the_probes_measure_the_brain_before_and_after_its_run():
    trained = loop_back(seed=6)
    trained.run(INPUTS)
    split = (TRAIN, buckets(TRAIN, 0, 100, 4), TEST, buckets(TEST, 0, 100, 4))
    (results,) = Benchmark([], probes()).run([loop_back(seed=6)], INPUTS)
    assert same(results["noise_robustness"].details, noise_robustness(trained, range(0, 100, 10), levels=5))
    assert same(results["similarity"].details, similarity_preservation(trained, range(0, 60, 3)))
    assert same(results["readout"].details["trained"], readout(trained, *split))
    assert same(results["readout"].details["untrained"], readout(loop_back(seed=6), *split))


def test_on_an_executor_the_callers_probes_are_not_told_anything():
    """Each task gets a pickled copy of the probes."""
    mine = probes()
    with ProcessPoolExecutor(2) as executor:
        Benchmark([SpikeDensity()], mine).run([feed_forward(seed=1)], INPUTS, executor=executor)
    assert mine[1]._tracker is None and mine[2]._untrained is None
