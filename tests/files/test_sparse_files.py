"""Sparse connections in experiment files, snapshot streams, ``protobrain inspect`` and the
weight plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from protobrain import brain, computation, connectivity, learning, messages, neuron, plot, sensor
from protobrain.cli import main as protobrain_main
from protobrain.cli.experiment import run_experiment
from protobrain.encoders import numerical
from protobrain.proto import encoder_pb2, experiment_pb2, snapshot_pb2
from protobrain.util.proto_io import ProtoReader


def _experiment(**pool):
    experiment = experiment_pb2.Experiment(seed=3)
    experiment.encoder.type = encoder_pb2.Encoder.NUMERICAL_CYCLIC
    experiment.encoder.shape.append(400)
    cyclic = experiment.encoder.Extensions[encoder_pb2.CyclicEncoder.cyclic_encoder]
    cyclic.min_value, cyclic.max_value = 0, 100
    experiment.cortex.layer.extend([200, 100])
    experiment.cortex.synapses.potential_pool.fraction = pool.get("fraction", 0.05)
    if "radius" in pool:
        experiment.cortex.synapses.potential_pool.radius = pool["radius"]
    experiment.computation.sparse.fraction = 0.05
    experiment.computation.sparse.boost_strength = 2.0
    experiment.computation.sparse.duty_cycle_period = 50
    for value in np.random.default_rng(0).uniform(0, 100, 40):
        experiment.input.add(float=float(value))
    return experiment


def test_an_experiment_file_builds_sparse_connections_like_python():
    built, inputs = messages.decode_experiment(_experiment())
    np.random.seed(3)
    layers = [neuron.Neurons(200), neuron.Neurons(100)]
    pool = connectivity.PotentialPool(0.05)
    python = brain.Brain(
        neuron.FeedForward(layers, synapse_function=pool),
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 400)),
        computation.SparseComputation(0.05, boost_strength=2.0, duty_cycle_period=50),
        learning.HebbianLearning(),
        synapse_function=pool,
    )
    for a, b in zip(built.neurons.layers, python.neurons.layers):
        assert a.input.sparse and b.input.sparse
        x, y = a.input.sparse_synapses, b.input.sparse_synapses
        assert np.array_equal(x.indices, y.indices) and np.array_equal(x.data, y.data)
        del x, y
    assert all(np.array_equal(p, q) for p, q in zip(built.run(inputs), python.run(inputs)))


def test_bad_synapses_in_an_experiment_are_value_errors():
    with pytest.raises(ValueError, match="fraction must be a number in"):
        messages.decode_experiment(_experiment(fraction=1.5))
    local, _ = messages.decode_experiment(_experiment(radius=20))  # 1-d sensor and layers: a window of 41
    view = local.neurons.layers[0].input.sparse_synapses
    counts = np.bincount(view.indices, minlength=200)
    # rint(0.05 * 41) inputs for a unit whose window fits, fewer at the clipped edges
    assert counts[100] == 2 and counts[0] == 1 and set(counts.tolist()) == {1, 2}
    del view
    experiment = _experiment()
    experiment.cortex.synapses.one_to_one.SetInParent()
    with pytest.raises(ValueError, match="OneToOne connects shapes that match"):
        messages.decode_experiment(experiment)
    experiment = _experiment()
    experiment.computation.sparse.boost_strength = -1
    with pytest.raises(ValueError, match="boost_strength"):
        messages.decode_experiment(experiment)


def test_snapshots_and_inspect_work_with_sparse_models(tmp_path, capsys):
    out = tmp_path / "run.pbs"
    steps = run_experiment(_experiment(), out)
    snapshots = list(ProtoReader(out.open("rb"), snapshot_pb2.Snapshot))
    assert steps == len(snapshots) == 40
    assert [len(s.cortex.sdr[0].on_bits) for s in snapshots] == [10] * 40
    assert protobrain_main.main(["inspect", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 40


def test_weight_plots_count_the_synapses_a_sparse_connection_has():
    pytest.importorskip("matplotlib")
    np.random.seed(0)
    model = brain.Brain(
        neuron.Neurons(50),
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 300)),
        computation.SparseComputation(0.1),
        learning.HebbianLearning(0.05, 0.01),
        synapse_function=connectivity.PotentialPool(0.1),
    )
    assert model.neurons.input.sparse
    history = plot.record_weights(model, list(range(20)), every=10, bins=10)
    (counts,) = history.counts
    assert counts.shape == (3, 10)
    assert (counts.sum(axis=-1) == 50 * 30).all()  # 30 of 300 inputs for each of 50 units
    plot.weight_matrix(model.neurons.input)
