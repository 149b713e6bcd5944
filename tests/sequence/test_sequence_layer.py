"""The sequence memory as a layer of a brain: Brain.run against stepping and against
tests/reference.py's plain temporal memory fed the same columns, checkpoints, probes,
pickles and bad wiring."""

import copy
import json
import math
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest
import reference
from google.protobuf import text_format
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

import protobrain
from protobrain import _core, plot
from protobrain.anomaly import AnomalyLikelihood
from protobrain.brain import Brain
from protobrain.checkpoint import CorruptCheckpointError
from protobrain.cli import main as protobrain_main
from protobrain.computation import SparseComputation, StandardComputation
from protobrain.encoders.numerical import SimpleEncoder
from protobrain.evaluate import codes, sensor_patterns
from protobrain.learning import HebbianLearning
from protobrain.messages import decode_experiment, encode_brain
from protobrain.neuron import FeedForward, LayeredNeurons, Neurons
from protobrain.proto import experiment_pb2
from protobrain.sensor import Sensor
from protobrain.sequence import SequenceMemory
from protobrain.synapses import OutputSlice

PARAMS = dict(
    activation_threshold=4,
    min_threshold=3,
    initial_permanence=0.21,
    connected_permanence=0.5,
    permanence_increment=0.1,
    permanence_decrement=0.1,
    predicted_segment_decrement=0.01,
    max_new_synapses=6,
    max_segments_per_cell=6,
    max_synapses_per_segment=10,
    seed=9,
)


def pooled_brain(columns=64, cells=4, winners=6, weights_seed=1, likelihood=None, **overrides):
    """A sensor, a learning k-winners pooler and a sequence memory over its winners."""
    np.random.seed(weights_seed)
    pooler = Neurons(columns, SparseComputation(winners), HebbianLearning(0.02, 0.002))
    memory = SequenceMemory(columns, cells, **{**PARAMS, **overrides}, likelihood=likelihood)
    return Brain(FeedForward([pooler, memory]), Sensor(SimpleEncoder(0, 10, 120, 0.1))), pooler, memory


def series(length, seed=0):
    """A repeating pattern of values with some noise: something to learn."""
    rng = np.random.default_rng(seed)
    base = [1, 4, 7, 2, 9, 5]
    return [float(base[t % 6]) if rng.random() < 0.85 else float(rng.integers(0, 10)) for t in range(length)]


def stepped(brain, memory, values, learn=True):
    """The documented loop, noting what Brain.run records."""
    activity, anomaly, likelihood, predicted = [], [], [], []
    for value in values:
        brain.sensor.feed(value)
        brain.compute()
        if learn:
            brain.learn()
        activity.append(memory.values.astype(bool))
        anomaly.append(memory.anomaly)
        likelihood.append(memory.anomaly_likelihood)
        predicted.append(memory.predicted_cells)
    return np.array(activity), np.array(anomaly), np.array(likelihood), np.array(predicted)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(20, 120), st.booleans())
def test_a_brain_run_matches_the_reference_fed_the_pooler_winners(seed, cells, steps, learn):
    brain, _, memory = pooled_brain(cells=cells, weights_seed=seed % 1000, seed=seed)
    values = series(steps, seed)
    (winners, cells_active), outputs = brain.run(values, learn=learn, sequence_outputs=True)
    ref = reference.SequenceMemory(64, cells, **dict(PARAMS, seed=seed))
    for t in range(steps):
        ref.compute(np.flatnonzero(winners[t]).tolist(), learn)
        assert np.flatnonzero(cells_active[t]).tolist() == ref.active_cells, f"step {t}"
        assert outputs[0].anomaly[t] == ref.anomaly, f"step {t}"
        assert np.flatnonzero(outputs[0].predicted[t]).tolist() == ref.predicted_cells(), f"step {t}"
    assert memory.segments() == ref.segments()


@pytest.mark.parametrize("learn", [True, False])
def test_brain_run_records_what_stepping_shows(learn):
    values = series(160)
    brain, _, memory = pooled_brain(likelihood=AnomalyLikelihood(30, 20, reestimation_period=10))
    brain.run(values[:40])  # something learned first, so the unlearned run predicts too
    twin = copy.deepcopy(brain)
    (activity,), (out,) = brain.run(values[40:], learn=learn, record=[1], sequence_outputs=True)
    expected = stepped(twin, twin.layers[1], values[40:], learn)
    assert np.array_equal(activity, expected[0])
    assert np.array_equal(out.anomaly, expected[1])
    assert np.array_equal(out.likelihood, expected[2])
    assert np.array_equal(out.predicted, expected[3])
    assert out.predicted.shape == (120, 64, 4)
    assert memory.segments() == twin.layers[1].segments()
    assert 0 < out.likelihood.min() and out.likelihood.max() < 1 and not np.isnan(out.likelihood).any()


def test_a_user_part_steps_the_run_in_python_and_records_the_same():
    values = series(80)
    builtin, _, _ = pooled_brain()
    mixed, pooler, _ = pooled_brain()

    class Winners(SparseComputation):
        """A subclass: called from Python, so the run steps in Python."""

    pooler.computation = Winners(6)
    a_activity, (a,) = builtin.run(values, sequence_outputs=True)
    b_activity, (b,) = mixed.run(values, sequence_outputs=True)
    assert all(np.array_equal(x, y) for x, y in zip(a_activity, b_activity))
    assert np.array_equal(a.anomaly, b.anomaly) and np.array_equal(a.predicted, b.predicted)
    assert np.isnan(a.likelihood).all() and np.isnan(b.likelihood).all()  # no likelihood kept


def test_unrecorded_layers_have_no_predictions_and_plain_runs_return_lists():
    brain, _, _ = pooled_brain()
    activity, (out,) = brain.run(series(10), record=[0], sequence_outputs=True)
    assert len(activity) == 1 and out.predicted is None and out.anomaly.shape == (10,)
    plain = brain.run(series(10))
    assert isinstance(plain, list) and [a.shape for a in plain] == [(10, 64), (10, 64, 4)]


def test_a_learned_sequence_is_predicted_and_a_changed_element_scores_one():
    np.random.seed(0)
    memory = SequenceMemory(120, 4, **PARAMS)
    brain = Brain(memory, Sensor(SimpleEncoder(0, 11, 120, 0.05)))  # the sensor's bits are the columns
    tune = [1.0, 3.0, 5.0, 7.0, 9.0]
    for _ in range(12):
        memory.reset()
        _, (out,) = brain.run(tune, sequence_outputs=True)
    assert out.anomaly.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    memory.reset()
    _, (out,) = brain.run([1.0, 3.0, 10.0, 7.0], learn=False, sequence_outputs=True)
    assert out.anomaly.tolist()[:3] == [1.0, 0.0, 1.0]
    assert out.predicted[1].any(axis=1).sum() == np.count_nonzero(brain.sensor.encoder.encode(5.0))


@pytest.mark.parametrize("pending", [False, True])
def test_a_checkpoint_continues_bit_identically(tmp_path, pending):
    values = series(300, seed=4)
    brain, _, memory = pooled_brain(likelihood=AnomalyLikelihood(40, 20, reestimation_period=15))
    brain.run(values[:200])
    if pending:  # saved between compute() and learn(): the learning still to do is kept
        brain.sensor.feed(values[200])
        brain.compute()
    brain.save(tmp_path / "m.ckpt")
    loaded = protobrain.load(tmp_path / "m.ckpt")
    assert loaded.layers[1].learning_pending == pending
    start = 200
    if pending:
        brain.learn()
        loaded.learn()
        start = 201
    a = brain.run(values[start:], sequence_outputs=True)
    b = loaded.run(values[start:], sequence_outputs=True)
    assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
    assert all(np.array_equal(x, y, equal_nan=True) for p, q in zip(a[1][0], b[1][0]) for x, y in [(p, q)])
    assert memory.segments() == loaded.layers[1].segments()


def test_a_damaged_sequence_memory_in_a_checkpoint_is_reported(tmp_path):
    brain, _, _ = pooled_brain()
    brain.run(series(50))
    brain.save(tmp_path / "m.ckpt")
    with open(tmp_path / "m.ckpt", "rb") as f:
        header, arrays, version = protobrain.checkpoint.format.read_file(f, str(tmp_path))
    assert version == 2  # sequence memories need format version 2
    node = next(n for n in header.node if n.WhichOneof("kind") == "sequence")
    node.sequence.next_ordinal = 0  # every segment now claims to come from the future
    with open(tmp_path / "bad.ckpt", "wb") as f:
        protobrain.checkpoint.format.write_file(
            f,
            header,
            [protobrain.checkpoint.format.PendingArray(e, lambda a=a: a) for e, a in zip(header.array, arrays)],
            version,
        )
    with pytest.raises(CorruptCheckpointError, match="sequence memory state the engine refuses"):
        protobrain.load(tmp_path / "bad.ckpt")
    with open(tmp_path / "old.ckpt", "wb") as f:  # the same nodes claimed by a version-1 file
        protobrain.checkpoint.format.write_file(
            f,
            header,
            [protobrain.checkpoint.format.PendingArray(e, lambda a=a: a) for e, a in zip(header.array, arrays)],
            1,
        )
    with pytest.raises(CorruptCheckpointError, match="format version 1 cannot hold"):
        protobrain.load(tmp_path / "old.ckpt")


def test_probes_leave_the_sequence_memory_as_it_was():
    values = series(120)
    brain, _, _ = pooled_brain(likelihood=AnomalyLikelihood(20, 10))
    brain.run(values[:60])
    twin = copy.deepcopy(brain)
    layer_codes = codes(brain, sensor_patterns(brain, [1.0, 4.0, 7.0]))
    assert [c.shape for c in layer_codes] == [(3, 64), (3, 256)]
    a = brain.run(values[60:], sequence_outputs=True)
    b = twin.run(values[60:], sequence_outputs=True)
    assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
    assert np.array_equal(a[1][0].likelihood, b[1][0].likelihood)


def test_pickles_and_copies_go_on_the_same():
    brain, _, _ = pooled_brain()
    brain.run(series(60))
    copies = [pickle.loads(pickle.dumps(brain)), copy.deepcopy(brain)]
    a = brain.run(series(30, 2), sequence_outputs=True)
    for other in copies:
        b = other.run(series(30, 2), sequence_outputs=True)
        assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
        assert np.array_equal(a[1][0].anomaly, b[1][0].anomaly)


def test_a_layer_reading_an_object_of_yours_computes_in_python_the_same():
    class Columns:
        """Anything with .values and .shape."""

        shape = (32,)

        def __init__(self):
            self.values = np.zeros(32)

    rng = np.random.default_rng(3)
    patterns = [np.sort(rng.choice(32, 5, replace=False)) for _ in range(4)]
    source = Columns()
    layer = SequenceMemory(32, 3, **PARAMS)
    layer.input = source
    alone = SequenceMemory(32, 3, **PARAMS)
    for t in range(80):
        source.values = np.zeros(32)
        source.values[patterns[t % 4]] = 1
        layer.compute()
        layer.learn()
        alone.step(source.values)
        assert np.array_equal(layer.values.astype(bool), alone.active_cells)
    assert layer.segments() == alone.segments()


def test_wiring_that_does_not_fit_is_refused_naming_it():
    memory = SequenceMemory(64, 4)
    with pytest.raises(ValueError, match=r"one unit per column: 64 columns, but the source has shape \(50,\)"):
        memory.input = Neurons(50)
    with pytest.raises(ValueError, match=r"64 columns, but the source has shape \(65,\)"):
        FeedForward([Neurons(65), memory])
    with pytest.raises(ValueError, match="without synapses"):
        Brain(memory, Sensor(SimpleEncoder(0, 1, 64, 0.1)), synapse_function=lambda pre, post: None)
    with pytest.raises(ValueError, match="one input, 'main'; got 'context'"):
        memory.set("context", Neurons(64))
    with pytest.raises(ValueError, match="takes no computation"):
        memory.computation = StandardComputation(0.5)
    brain = Brain(
        LayeredNeurons([Neurons(64, SparseComputation(4)), SequenceMemory(64, 4)]), Sensor(SimpleEncoder(0, 1, 64, 0.1))
    )
    with pytest.raises(ValueError, match="input 'main' is not connected"):
        brain.compute()
    with pytest.raises(ValueError, match="input 'main' is not connected"):
        brain.run([0.5])


def test_a_stack_gives_its_computation_to_every_layer_but_the_sequence_memory():
    stack = FeedForward([Neurons(16), SequenceMemory(16, 2)])
    stack.computation = SparseComputation(3)
    assert stack.computation[0] == stack.layers[0].computation and stack.computation[1] is None
    with pytest.raises(ValueError, match="takes no computation"):
        stack.computation = [SparseComputation(3), SparseComputation(3)]


def test_the_likelihood_sees_numbers_and_is_nan_without_one():
    brain, _, memory = pooled_brain(likelihood=AnomalyLikelihood(0, 0, reestimation_period=1))
    assert math.isnan(memory.anomaly_likelihood)
    _, (out,) = brain.run([5.0] * 30, sequence_outputs=True)
    # A flat stream: NuPIC's flat distribution (mean 0.5, sd 1000) makes every step ordinary.
    assert np.allclose(out.likelihood[5:], 0.5, atol=1e-3)


def _experiment(sequence_settings):
    text = (
        "encoder { type: NUMERICAL_SIMPLE shape: 100 [protobrain.proto.SimpleEncoder.simple_encoder] "
        "{ min_value: 0 max_value: 10 sparsity: 0.1 } } "
        f"cortex {{ layer: [32] sequence {{ {sequence_settings} }} }} seed: 3 "
        + " ".join(f"input {{ int: {v} }}" for v in [1, 4, 7] * 8)
    )
    return text_format.Parse(text, experiment_pb2.Experiment())


def test_an_experiment_file_can_end_in_a_sequence_memory():
    brain, inputs = decode_experiment(_experiment("cells_per_column: 2 activation_threshold: 2 min_threshold: 1"))
    memory = brain.layers[-1]
    assert isinstance(memory, SequenceMemory) and memory.shape == (32, 2) and memory.input.source is brain.layers[0]
    assert memory.params["activation_threshold"] == 2 and memory.params["max_new_synapses"] == 20
    _, (out,) = brain.run(inputs, sequence_outputs=True)
    assert out.anomaly[:3].tolist() == [1.0, 1.0, 1.0] and out.anomaly[-6:].mean() < 0.25  # learned
    assert [tuple(s.shape) for s in encode_brain(brain).cortex.sdr] == [(32,), (32, 2)]


def test_an_experiment_with_bad_sequence_parameters_is_refused_naming_them():
    with pytest.raises(ValueError, match=r"min_threshold must not exceed activation_threshold \(2\), got 5"):
        decode_experiment(_experiment("activation_threshold: 2 min_threshold: 5"))
    with pytest.raises(ValueError, match="cells_per_column must be an int >= 1, got 0"):
        decode_experiment(_experiment("cells_per_column: 0"))


def test_the_example_experiment_runs_and_inspect_summarises_the_memory(tmp_path, capsys):
    snapshots = tmp_path / "run.snap"
    assert (
        protobrain_main.main(["experiment", str(ROOT / "examples" / "sequence_experiment.textproto"), str(snapshots)])
        == 0
    )
    assert protobrain_main.main(["inspect", "--json", str(snapshots)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [layer["shape"] for layer in summary["layers"]] == [[64], [64], [64, 4]]


def test_plots_draw_a_sequence_memory_like_any_layer(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    brain, _, _ = pooled_brain()
    figure = plot.overview(brain, series(40))
    plot.save(figure, tmp_path / "overview.png")
    assert (tmp_path / "overview.png").stat().st_size > 0


def test_a_slice_of_an_object_of_yours_is_read_in_python():
    class Values:
        """Anything with .values and .shape, sliced through protobrain's OutputSlice."""

        shape = (2, 16)

        def __init__(self):
            self.values = np.zeros((2, 16))

    from_user = Values()
    from_user.values[1, [2, 5, 9]] = 1
    memory = SequenceMemory(16, 2, **PARAMS)
    memory.input = OutputSlice(from_user, 1)
    assert memory.input._native_source() is None  # not one of protobrain's buffers
    memory.compute()
    assert np.flatnonzero(memory.values.any(axis=1)).tolist() == [2, 5, 9]


class _Forward:
    """An object of yours showing a group's values (so a memory reading it computes in Python)."""

    def __init__(self, group):
        self.group, self.shape = group, group.shape

    @property
    def values(self):
        return self.group.values


def test_a_memory_computed_in_python_gives_its_likelihood_the_stream_values_too():
    flat = [5.0] * 40  # a flat stream: the likelihood says so only if it sees the values
    in_rust, _, _ = pooled_brain(likelihood=AnomalyLikelihood(0, 0, reestimation_period=1))
    in_python, pooler, memory = pooled_brain(likelihood=AnomalyLikelihood(0, 0, reestimation_period=1))
    memory.input = _Forward(pooler)
    _, (a,) = in_rust.run(flat, sequence_outputs=True)
    _, (b,) = in_python.run(flat, sequence_outputs=True)
    assert np.array_equal(a.anomaly, b.anomaly) and np.array_equal(a.likelihood, b.likelihood)


def test_a_memory_listed_twice_is_refused():
    pooler = Neurons(64, SparseComputation(6))
    memory = SequenceMemory(64, 4)
    memory.input = pooler
    brain = Brain(LayeredNeurons([pooler, memory, memory]), Sensor(SimpleEncoder(0, 10, 120, 0.1)))
    with pytest.raises(ValueError, match="among the brain's groups twice"):
        brain.run([1.0])


def test_a_probe_keeps_the_likelihood_object_it_puts_back():
    likelihood = AnomalyLikelihood(30, 20)
    brain, _, memory = pooled_brain(likelihood=likelihood)
    brain.run(series(60))
    codes(brain, sensor_patterns(brain, [1.0, 4.0]))
    assert memory.likelihood is likelihood
    brain.run(series(10))
    assert likelihood._steps == 70


def test_other_threads_are_refused_while_a_run_steps_the_memory():
    values = series(3000)
    twin, _, _ = pooled_brain()
    expected = twin.run(values, sequence_outputs=True)
    brain, _, memory = pooled_brain()
    refused = []

    def meddle():
        started = False
        while True:
            try:
                memory.reset()  # a no-op on a fresh memory, before the run
            except RuntimeError as err:
                started = True
                refused.append(str(err))
                continue
            if started:
                return  # the run is over

    other = threading.Thread(target=meddle)
    other.start()
    got = brain.run(values, sequence_outputs=True)
    other.join(timeout=60)
    assert not other.is_alive()
    assert all(np.array_equal(x, y) for x, y in zip(expected[0], got[0]))
    assert np.array_equal(expected[1][0].anomaly, got[1][0].anomaly)
    assert not refused or "running in another thread" in refused[0]


def test_compiling_while_another_thread_steps_the_memory_does_not_hang():
    # Compiling used to wait for the memory while holding the GIL, and a thread stepping
    # the memory waited for the GIL: both waited forever. Run in a child with a time limit.
    script = """
import threading
import numpy as np
from protobrain.brain import Brain
from protobrain.computation import SparseComputation
from protobrain.encoders.numerical import SimpleEncoder
from protobrain.neuron import FeedForward, Neurons
from protobrain.sensor import Sensor
from protobrain.sequence import SequenceMemory

np.random.seed(1)
memory = SequenceMemory(256, 8, activation_threshold=4, min_threshold=3, likelihood=None)
stack = FeedForward([Neurons(256, SparseComputation(10)), memory])
brain = Brain(stack, Sensor(SimpleEncoder(0, 10, 120, 0.1)))
stop = threading.Event()

def other():
    columns = np.zeros(256)
    columns[:10] = 1
    while not stop.is_set():
        try:
            memory.step(columns)
        except RuntimeError:
            pass

thread = threading.Thread(target=other, daemon=True)
thread.start()
try:
    for _ in range(300):
        brain.neurons = stack  # recompiled at the next run
        try:
            brain.run([1.0])
        except RuntimeError as err:  # the memory in use: refused, not waited for
            assert "another thread" in str(err), err
        except ValueError as err:  # compiling found the memory in use
            assert "in use in another thread" in str(err), err
finally:
    stop.set()
thread.join()
print("done")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "done", done.stderr


def test_a_memory_too_large_for_this_machine_is_a_memory_error():
    # The engine's own allocation (the layer's output buffer would fail first): 2**32 - 2**21
    # cells' lists of segments are about 100 GB, refused at once.
    with pytest.raises(MemoryError, match="segments of every cell"):
        _core.SequenceMemory(2**21, 2**11 - 1, 13, 10, 0.21, 0.5, 0.1, 0.1, 0.0, 20, 255, 255, 42)


class Mine(AnomalyLikelihood):
    """A likelihood of yours (at module level, so pickle finds it)."""


def test_a_likelihood_of_your_own_is_named_when_it_needs_pickle(tmp_path):
    brain, _, _ = pooled_brain(likelihood=Mine())
    with pytest.raises(protobrain.checkpoint.PickleNotAllowedError, match="whose likelihood is a .*Mine"):
        brain.save(tmp_path / "m.ckpt")
    brain.save(tmp_path / "m.ckpt", allow_pickle=True)
    assert type(protobrain.load(tmp_path / "m.ckpt", allow_pickle=True).layers[1].likelihood).__name__ == "Mine"
