"""docs/specification.md §5: encoders and sensors."""

import numpy as np
import pytest

from protobrain.encoders import Encoder
from protobrain.encoders.numerical import CyclicEncoder, NumericalEncoder, SimpleEncoder
from protobrain.sensor import Sensor


def bits(array):
    return "".join(str(int(b)) for b in array)


def test_simple_vector():
    enc = SimpleEncoder(1, 4, 5, sparsity=0.4)
    assert [bits(enc.encode(v)) for v in (1, 2, 3, 4)] == ["11000", "01100", "00110", "00011"]


def test_cyclic_vector():
    enc = CyclicEncoder(1, 5, 5, sparsity=0.4)
    assert [bits(enc.encode(v)) for v in (1, 2, 3, 4, 5)] == ["11000", "01100", "00110", "00011", "10001"]


def test_encoder_attributes():
    enc = CyclicEncoder(0, 100, 1024)
    assert enc.shape == (1024,) and enc.width == 21 and enc.range == 100
    assert enc.encode(50).sum() == 21


@pytest.mark.parametrize(
    "args, match",
    [
        ((4, 1, 5), "min_value"),
        ((1, 1, 5), "min_value"),
        ((0, 1, 0), "length"),
        ((0, 1, 5, 0), "sparsity"),
        ((0, 1, 5, 1.5), "sparsity"),
        ((0, 1, 2.5), "length"),
    ],
)
def test_bad_parameters(args, match):
    with pytest.raises(ValueError, match=match):
        SimpleEncoder(*args)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.5, r"value 0.5 is outside the encoder's range \[1, 5\]"),
        (6, "value 6 is outside"),
        (float("nan"), "value NaN is outside"),
        ("3", "encodes real numbers, got '3'"),
        (None, "encodes real numbers, got None"),
        ([1], r"encodes real numbers, got \[1\]"),
    ],
)
def test_bad_values(value, message):
    enc = CyclicEncoder(1, 5, 10)
    with pytest.raises(ValueError, match=message):
        enc.encode(value)


def test_sensor_feeds_and_remembers_the_value():
    s = Sensor(SimpleEncoder(1, 4, 5, sparsity=0.4))
    assert s.value == 1 and bits(s.values) == "11000"  # a new sensor reads the default value
    s.feed(3)
    assert s.value == 3 and bits(s.values) == "00110"
    s.value = 4
    assert bits(s.values) == "00011" and s.shape == (5,)
    with pytest.raises(ValueError, match=r"value 9 is outside the encoder's range \[1, 4\]"):
        s.feed(9)
    assert s.value == 4 and bits(s.values) == "00011"  # a refused value changes nothing


def test_user_encoder_feeds_a_sensor():
    class Parity(Encoder):
        def __init__(self):
            super().__init__(default_value=None, shape=2)

        def encode(self, value):
            return np.array([value % 2 == 0, value % 2 == 1])

    s = Sensor(Parity())
    assert np.array_equal(s.values, [0, 0])
    s.feed(3)
    assert np.array_equal(s.values, [0, 1])


def test_numerical_encoder_base_cannot_encode():
    with pytest.raises(NotImplementedError, match="NumericalEncoder is a base class"):
        NumericalEncoder(0, 1, 4).encode(0.5)


def test_the_default_value_follows_a_new_min_value():
    e = SimpleEncoder(0, 10, 50)
    e.min_value = 5
    assert e.default_value == 5
    s = Sensor(e)  # feeds the default, which must be inside the new range
    assert s.value == 5


def test_a_new_encoder_is_checked_like_the_first():
    s = Sensor(SimpleEncoder(0, 1, 8))
    with pytest.raises(TypeError, match="encode"):
        s.encoder = object()
    with pytest.raises(ValueError, match=r"\(6,\)"):
        s.encoder = SimpleEncoder(0, 1, 6)
    s.encoder = CyclicEncoder(0, 1, 8)


def test_integers_float64_cannot_hold_are_refused_not_rounded():
    """Encoders compute in float64. Above 2**53 an integer may round: two different bounds
    would become equal, an out-of-range value could pass, a value could encode as its
    neighbour. Such integers raise ValueError; those float64 holds exactly work."""
    from helpers import benchmark_brain

    big = 2**53 + 1
    with pytest.raises(ValueError, match="max_value 9007199254740993 is not exactly a float64"):
        SimpleEncoder(0, big, 10, 0.1)
    encoder = SimpleEncoder(0, 2**54, 10, 0.1)
    with pytest.raises(ValueError, match="min_value .* not exactly"):
        encoder.min_value = big
    assert encoder.min_value == 0
    for value in (big, np.int64(big), np.uint64(big)):
        with pytest.raises(ValueError, match="value .*9007199254740993.* is not exactly a float64"):
            encoder.encode(value)
    assert np.flatnonzero(encoder.encode(2**53)).tolist() == [4]  # exactly 2**53: fine
    brain = benchmark_brain((8,), 32)
    brain.sensor.encoder.max_value = 2**60
    for values in ([0, big], np.array([0, big], dtype=np.int64)):
        with pytest.raises(ValueError, match="at position 1"):
            brain.run(values)
    assert len(brain.run(np.array([0, 2**59], dtype=np.int64))[0]) == 2
