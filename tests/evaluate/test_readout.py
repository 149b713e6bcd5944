"""protobrain.evaluate.readout against fitting scikit-learn's LogisticRegression by hand on
the codes and on the sensor bits; buckets; the optional extra."""

import sys

import numpy as np
import pytest
from evaluate_brains import assert_same_state, codes_by_hand, feed_forward, loop_back, patterns_by_hand
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from protobrain.evaluate import buckets, readout

TRAIN = list(range(0, 100, 2))
TEST = [v + 1 for v in TRAIN]


def _accuracy(model, train, train_labels, test, test_labels):
    with threadpool_limits(limits=1):  # as readout fits: the same arithmetic on any machine
        return float(model.fit(train.astype(float), train_labels).score(test.astype(float), test_labels))


@pytest.mark.parametrize("make", [feed_forward, loop_back])
def test_accuracies_are_logistic_regressions_fitted_on_the_codes_and_on_the_sensor_bits(make):
    brain_ = make(seed=3)
    brain_.run(range(0, 100, 3))
    train_labels, test_labels = buckets(TRAIN, 0, 100, 4), buckets(TEST, 0, 100, 4)
    train_codes, test_codes = codes_by_hand(brain_, TRAIN), codes_by_hand(brain_, TEST)
    layers = [
        _accuracy(LogisticRegression(max_iter=2000), a, train_labels, b, test_labels)
        for a, b in zip(train_codes, test_codes)
    ]
    overall = _accuracy(
        LogisticRegression(max_iter=2000),
        np.concatenate(train_codes, axis=1),
        train_labels,
        np.concatenate(test_codes, axis=1),
        test_labels,
    )
    sensor = _accuracy(
        LogisticRegression(max_iter=2000),
        patterns_by_hand(brain_, TRAIN),
        train_labels,
        patterns_by_hand(brain_, TEST),
        test_labels,
    )
    result = readout(brain_, TRAIN, train_labels, TEST, test_labels)
    assert result.layers.tolist() == layers
    assert result.overall == overall
    assert result.sensor == sensor
    assert 0.5 < result.sensor <= 1  # the decoder reads something: the test is not about chance


def test_any_classifier_is_cloned_for_every_fit():
    brain_ = feed_forward(seed=1)
    labels, test_labels = buckets(TRAIN, 0, 100, 5), buckets(TEST, 0, 100, 5)
    given = KNeighborsClassifier(1)
    result = readout(brain_, TRAIN, labels, TEST, test_labels, classifier=given)
    with pytest.raises(NotFittedError, match="not fitted"):
        check_is_fitted(given)
    train_codes, test_codes = codes_by_hand(brain_, TRAIN), codes_by_hand(brain_, TEST)
    expected = [_accuracy(KNeighborsClassifier(1), a, labels, b, test_labels) for a, b in zip(train_codes, test_codes)]
    assert result.layers.tolist() == expected


def test_labels_may_be_strings_and_the_brain_is_left_alone():
    brain_, untouched = loop_back(seed=2), loop_back(seed=2)
    for b in (brain_, untouched):
        b.run(range(12))
    names = np.array(["low", "high"])
    result = readout(brain_, TRAIN, names[buckets(TRAIN, 0, 100, 2)], TEST, names[buckets(TEST, 0, 100, 2)])
    assert result.layers.shape == (2,) and 0 <= result.overall <= 1
    assert_same_state(brain_, untouched)


def test_buckets_are_equal_widths_with_the_top_in_the_last():
    assert buckets([0, 9.99, 10, 55, 99.5, 100], 0, 100, 10).tolist() == [0, 0, 1, 5, 9, 9]
    assert buckets([-1.0, 0.5, 2.0], 0, 1, 2).tolist() == [0, 1, 1]  # outside the range: clipped
    assert buckets([3], 0, 1, 1).tolist() == [0]


@pytest.mark.parametrize(
    "args, match",
    [
        (([1.0, float("nan")], 0, 1, 2), "finite"),
        (([1.0, float("inf")], 0, 1, 2), "finite"),
        (([1.0], 1, 1, 2), "low < high"),
        (([1.0], 0, 1, 0), "count >= 1"),
    ],
)
def test_bad_buckets(args, match):
    with pytest.raises(ValueError, match=match):
        buckets(*args)


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.base", None)
    with pytest.raises(ImportError, match=r"protobrain\[evaluate\]"):
        readout(feed_forward(), [1, 2], [0, 1], [3], [0])
