"""protobrain.evaluate.tasks: the cyclic and digits tasks' inputs and probes, and the
benchmark's brain."""

import collections
import copy

import numpy as np
import pytest
from evaluate_brains import same
from sklearn.datasets import load_digits

from protobrain import computation, learning
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder
from protobrain.evaluate import NoiseRobustnessProbe, ReadoutProbe, StabilityProbe, buckets
from protobrain.evaluate.tasks import TASKS, CyclicTask, DigitsTask, build_brain, make_task
from protobrain.metrics import Benchmark


@pytest.fixture(scope="module")
def digits():
    """One DigitsTask for the module: loading the images takes about a second."""
    return DigitsTask()


def test_the_cyclic_task_cycles_0_to_99():
    task = CyclicTask(sensor_bits=128, steps=250)
    assert task.inputs() == [step % 100 for step in range(250)]
    encoder = task.sensor().encoder
    assert type(encoder) is CyclicEncoder and encoder.length == 128
    assert (encoder.min_value, encoder.max_value) == (0, 100)
    assert "128 bits" in task.describe() and "250 steps" in task.describe()
    assert make_task("cyclic", steps=7) == CyclicTask(steps=7) and TASKS["cyclic"] is CyclicTask


def test_the_cyclic_tasks_probes():
    noise, stable, read = CyclicTask(steps=250).probes()
    assert (type(noise), type(stable), type(read)) == (NoiseRobustnessProbe, StabilityProbe, ReadoutProbe)
    assert noise.values == list(range(100)) and (noise.levels, noise.seed) == (21, 0)
    assert stable.values == list(range(100)) and stable.every == 50
    train, train_labels, test, test_labels = read.split
    assert list(train) == list(range(100)) and list(test) == [v + 0.5 for v in range(99)]
    assert list(train_labels) == [v // 10 for v in range(100)]
    assert list(test_labels) == [int((v + 0.5) // 10) for v in range(99)]
    assert [type(p) for p in CyclicTask(steps=250).probes(readout=False)] == [NoiseRobustnessProbe, StabilityProbe]
    assert CyclicTask(steps=3).probes()[1].every == 1


def test_the_cyclic_tasks_probes_run_on_its_brain():
    task = CyclicTask(sensor_bits=128, steps=20)
    np.random.seed(0)
    (results,) = Benchmark([], task.probes()).run([build_brain(task, [40, 24], 0.1, (0.05, 0.01))], task.inputs())
    assert list(results) == ["noise_robustness", "stability", "readout"]
    assert results["stability"].details.steps.tolist() == [0, 4, 8, 12, 16, 20]
    assert all(len(r.per_layer_result) == 2 for r in results.values())


def test_the_digits_task_splits_the_1797_images_in_halves_stratified(digits):
    assert len(digits.train_images) == 898 and len(digits.test_images) == 899
    assert digits.train_images.shape[1:] == (8, 8) and digits.train_images.dtype == np.float64
    data = load_digits()
    total = collections.Counter(data.target.tolist())
    train, test = collections.Counter(digits.train_labels.tolist()), collections.Counter(digits.test_labels.tolist())
    assert set(total) == set(range(10))
    for label in total:
        assert train[label] + test[label] == total[label] and abs(train[label] - test[label]) <= 1
    # Together the halves are the data set, each image with its label.
    split = np.concatenate([digits.train_images, digits.test_images]).reshape(-1, 64)
    labels = np.concatenate([digits.train_labels, digits.test_labels])
    rows = np.column_stack([split, labels])
    whole = np.column_stack([data.images.reshape(-1, 64), data.target])
    found, found_counts = np.unique(rows, axis=0, return_counts=True)
    expected, expected_counts = np.unique(whole, axis=0, return_counts=True)
    assert np.array_equal(found, expected) and np.array_equal(found_counts, expected_counts)


def test_the_digits_inputs_are_epochs_of_the_training_half_in_an_order_fixed_by_the_seed(digits):
    inputs = digits.inputs()
    assert len(inputs) == 898
    assert same(inputs, digits.inputs())
    shown, shown_counts = np.unique(np.array(inputs).reshape(898, 64), axis=0, return_counts=True)
    train, train_counts = np.unique(digits.train_images.reshape(898, 64), axis=0, return_counts=True)
    assert np.array_equal(shown, train) and np.array_equal(shown_counts, train_counts)  # a permutation
    assert not np.array_equal(np.array(inputs), digits.train_images)  # shuffled

    two = copy.copy(digits)
    two.epochs = 2
    twice = two.inputs()
    assert len(twice) == 2 * 898
    assert same(twice[:898], inputs)  # the first epoch is the one-epoch run's
    assert not np.array_equal(np.array(twice[:898]), np.array(twice[898:]))  # each epoch its own order
    other = copy.copy(digits)
    other.seed = 1
    assert not np.array_equal(np.array(other.inputs()), np.array(inputs))


def test_the_digits_sensor_and_probes(digits):
    encoder = digits.sensor().encoder
    assert type(encoder) is ArrayEncoder and tuple(encoder.shape) == (8, 8, 16)
    assert type(encoder.encoder) is SimpleEncoder and encoder.encoder.sparsity == 0.25
    noise, stable, read = digits.probes()
    assert same(noise.values, list(digits.test_images[:100])) and same(stable.values, noise.values)
    assert stable.every == 898 // 5
    train, train_labels, test, test_labels = read.split
    assert same(list(train), list(digits.train_images)) and same(list(test), list(digits.test_images))
    assert np.array_equal(train_labels, digits.train_labels) and np.array_equal(test_labels, digits.test_labels)
    assert len(digits.probes(readout=False)) == 2
    assert "898 training images" in digits.describe() and "899 test" in digits.describe()


def test_a_digits_brain_runs_the_images(digits):
    np.random.seed(1)
    brain_ = build_brain(digits, [40], 0.1, None)
    recorded = brain_.run(digits.inputs()[:5])
    assert recorded[0].shape == (5, 40) and (recorded[0].sum(axis=1) == 4).all()


def test_build_brain_stacks_k_winners_layers_on_the_tasks_sensor():
    task = CyclicTask(sensor_bits=64)
    np.random.seed(3)
    brain_ = build_brain(task, [30, 20, 10], 0.1, (0.05, 0.01))
    layers = brain_.layers
    assert [group.shape for group in layers] == [(30,), (20,), (10,)]
    assert layers[0].input.source is brain_.sensor
    assert all(after.input.source is before for before, after in zip(layers, layers[1:]))
    for group in layers:
        assert type(group.computation) is computation.SparseComputation and group.computation.n == 0.1
        assert type(group.learning) is learning.HebbianLearning
        assert (group.learning.increase, group.learning.decrease) == (0.05, 0.01)
    assert brain_.sensor.encoder.length == 64
    np.random.seed(3)
    again = build_brain(task, [30, 20, 10], 0.1, (0.05, 0.01))
    assert all(np.array_equal(a.input.synapses, b.input.synapses) for a, b in zip(layers, again.layers))
    assert all(group.learning is None for group in build_brain(task, [5], 0.5, None).layers)


def test_buckets_of_the_cyclic_readout():
    assert buckets([0, 9.5, 10, 99, 98.5], 0, 100, 10).tolist() == [0, 0, 1, 9, 9]
