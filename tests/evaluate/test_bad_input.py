"""protobrain.evaluate: bad input gets a clear exception that says what is wrong."""

import numpy as np
import pytest
from evaluate_brains import IMAGE_SHAPE, array_sensor, feed_forward

from protobrain.evaluate import (
    NoiseRobustnessProbe,
    ReadoutProbe,
    SimilarityProbe,
    StabilityProbe,
    codes,
    noise_robustness,
    readout,
    sensor_patterns,
    similarity_preservation,
    stability,
)
from protobrain.evaluate.stability import StabilityTracker
from protobrain.evaluate.tasks import make_task
from protobrain.metrics import Benchmark
from protobrain.metrics.spike_density import SpikeDensity

NO_VALUES = "no values to probe with"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda b: sensor_patterns(b, []), NO_VALUES),
        (lambda b: codes(b, sensor_patterns(b, np.array([]))), NO_VALUES),
        (lambda b: noise_robustness(b, []), NO_VALUES),
        (lambda b: stability(b, [], [1, 2], every=2), "no values to train on"),
        (lambda b: stability(b, [1, 2], [], every=2), NO_VALUES),
        (lambda b: StabilityTracker(b, iter([])), NO_VALUES),
        (lambda b: readout(b, [], [], [1, 2], [0, 1]), "the train split is empty"),
        (lambda b: readout(b, [1, 2], [0, 1], [], []), "the test split is empty"),
        (lambda b: similarity_preservation(b, []), NO_VALUES),
        (lambda b: NoiseRobustnessProbe([]), "NoiseRobustnessProbe needs at least one value"),
        (lambda b: StabilityProbe([], every=2), "StabilityProbe needs at least one value"),
    ],
)
def test_no_values(call, match):
    with pytest.raises(ValueError, match=match):
        call(feed_forward())


@pytest.mark.parametrize(
    "probe, match",
    [
        (ReadoutProbe([], [], [1, 2], [0, 1]), "the train split is empty"),
    ],
)
def test_probes_of_bad_values_fail_the_benchmark_run(probe, match):
    with pytest.raises(ValueError, match=match):
        Benchmark([SpikeDensity()], [probe]).run([feed_forward()], [1, 2, 3])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: SimilarityProbe([]), "at least"),
        (lambda: SimilarityProbe([1, 2]), "at least three"),
        (lambda: NoiseRobustnessProbe([1, 2], levels=1), "levels"),
    ],
)
def test_probes_refuse_at_construction_what_they_would_refuse_after_the_run(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "split, match",
    [
        (([1, 2, 3, 4], [0, 1, 0], [5, 6], [0, 1]), r"readout: 3 train labels for 4 train values"),
        (([1, 2, 3, 4], [0, 1, 0, 1], [5, 6], [0]), r"readout: 1 test labels for 2 test values"),
        (([1, 2, 3, 4], [[0, 1, 0, 1]], [5, 6], [0, 1]), r"train labels must be one-dimensional, got shape \(1, 4\)"),
        (
            ([1, 2, 3, 4], [7, 7, 7, 7], [5, 6], [0, 1]),
            r"the train split holds one class only \(.*7.*\); it needs two or more",
        ),
        (([1, 2, 3, 4], [0.0, np.nan, 1.0, 0.0], [5, 6], [0, 1]), "train labels hold NaN at position 1"),
        (([1, 2, 3, 4], [0, 1, 0, 1], [5, 6], [0.0, np.nan]), "test labels hold NaN at position 1"),
    ],
)
def test_bad_labels(split, match):
    with pytest.raises(ValueError, match=match):
        readout(feed_forward(), *split)


def test_values_must_be_a_sequence_for_a_readout():
    with pytest.raises(TypeError, match="train values must be a sequence or an array, got generator"):
        readout(feed_forward(), (v for v in [1, 2]), [0, 1], [3, 4], [0, 1])


def _images_with_nan():
    images = list(np.random.default_rng(0).integers(0, 17, size=(3, *IMAGE_SHAPE)).astype(np.float64))
    images[1][2, 0] = np.nan
    return images


@pytest.mark.parametrize(
    "call",
    [
        lambda b, images: readout(b, images, [0, 1, 0], images, [0, 1, 1]),
        lambda b, images: noise_robustness(b, images),
        lambda b, images: similarity_preservation(b, images),
        lambda b, images: stability(b, images[:1], images, every=1),
        lambda b, images: NoiseRobustnessProbe(images).finish(b),
    ],
)
def test_nan_in_the_data_is_named_with_its_place(call):
    with pytest.raises(ValueError, match=r"value nan at step 1, element \(2, 0\) is outside the encoder's range"):
        call(array_sensor(), _images_with_nan())


@pytest.mark.parametrize("levels", [1, 0, -3, True, 2.5, "21"])
def test_levels_below_two_or_not_an_int(levels):
    with pytest.raises(ValueError, match=r"levels must be an int >= 2 \(it includes 0 and 1\), got"):
        noise_robustness(feed_forward(), [1, 2], levels=levels)


@pytest.mark.parametrize("every", [0, -1, True, 1.5, None])
def test_every_below_one_or_not_an_int(every):
    with pytest.raises(ValueError, match=r"every must be an int >= 1 \(steps between checkpoints\), got"):
        stability(feed_forward(), [1, 2], [1, 2], every=every)
    with pytest.raises(ValueError, match=r"StabilityProbe: every must be an int >= 1, got"):
        StabilityProbe([1, 2], every=every)


def test_similarity_needs_three_values():
    with pytest.raises(ValueError, match="needs at least three values .pairs to rank., got 2"):
        similarity_preservation(feed_forward(), [1, 2])


def test_codes_need_patterns_of_the_sensors_size():
    brain_ = feed_forward()
    with pytest.raises(ValueError, match=r"patterns of shape \(2, 95\) for a sensor of 96 units"):
        codes(brain_, np.zeros((2, 95), dtype=bool))
    with pytest.raises(ValueError, match=r"patterns of shape \(96,\) for a sensor of 96 units"):
        codes(brain_, np.zeros(96, dtype=bool))


@pytest.mark.parametrize(
    "probes",
    [
        [NoiseRobustnessProbe([1], name="spike_density")],
        [SimilarityProbe([1, 2, 3]), SimilarityProbe([4, 5, 6])],
    ],
)
def test_probe_names_must_differ_from_each_other_and_from_the_metrics(probes):
    name = probes[0].name
    with pytest.raises(ValueError, match=rf"metric names must differ, they key the results; repeated: \['{name}'\]"):
        Benchmark([SpikeDensity()], probes)


def test_a_stability_probe_of_a_run_without_steps():
    bench = Benchmark([], [StabilityProbe([1, 2], every=50)])
    with pytest.raises(ValueError, match=r"StabilityProbe: the run ended before the first checkpoint \(50 steps\)"):
        bench.run([feed_forward()], [])


def test_an_unknown_task():
    with pytest.raises(ValueError, match=r"unknown task 'nope'; the tasks are cyclic, digits"):
        make_task("nope")
