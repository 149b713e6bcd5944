"""CompositeEncoder, TimeOfDayEncoder and DayOfWeekEncoder: codes against their definitions,
batches against single values, Brain.run against the per-step loop, bad input."""

import datetime

import numpy as np
import pytest

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders.category import CategoryEncoder
from protobrain.encoders.composite import CompositeEncoder, DayOfWeekEncoder, TimeOfDayEncoder, timestamp
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder

STAMPS = ["2014-04-10 00:00:00", "2014-04-10 07:15:00", "2014-04-10 23:59:59", "2014-04-13 12:00:00"]


def test_time_of_day_is_a_cyclic_band_over_24_hours():
    encoder = TimeOfDayEncoder(21, 9.49)
    assert encoder.shape == (54,)  # ceil(24 * 21 / 9.49)
    cyclic = CyclicEncoder(0, 24, 54, 20.5 / 54)
    for stamp, hours in zip(STAMPS, [0.0, 7.25, 23 + 59 / 60 + 59 / 3600, 12.0]):
        code = encoder.encode(stamp)
        assert code.sum() == 21
        assert np.array_equal(code, cyclic.encode(hours))
    midnight, late = encoder.encode(STAMPS[0]), encoder.encode(STAMPS[2])
    assert (midnight * late).sum() >= 19  # a second before midnight is next to midnight


def test_day_of_week_counts_from_monday():
    encoder = DayOfWeekEncoder(21, 1.0)
    cyclic = CyclicEncoder(0, 7, 147, 20.5 / 147)
    # 2014-04-10 was a Thursday (3), 2014-04-13 a Sunday (6).
    assert np.array_equal(encoder.encode("2014-04-10 00:00:00"), cyclic.encode(3.0))
    assert np.array_equal(encoder.encode(datetime.datetime(2014, 4, 13, 12)), cyclic.encode(6.5))


def test_a_composite_code_is_its_parts_side_by_side():
    value, time = SimpleEncoder(0, 100, 151, 20.5 / 151), TimeOfDayEncoder()
    encoder = CompositeEncoder({"value": value, "time": time})
    assert encoder.shape == (205,) and encoder.slices == {"value": slice(0, 151), "time": slice(151, 205)}
    code = encoder.encode({"value": 42.0, "time": STAMPS[1]})
    assert np.array_equal(code, np.concatenate([value.encode(42.0), time.encode(STAMPS[1])]))
    assert np.array_equal(code, encoder.encode((42.0, STAMPS[1])))
    values = [(v, s) for v, s in zip([0, 42, 99.5, 100], STAMPS)]
    batch = encoder.encode_batch(values)
    assert np.array_equal(batch, np.stack([encoder.encode(v) != 0 for v in values]))


def test_brain_run_with_a_composite_sensor_equals_the_step_loop():
    def build():
        np.random.seed(0)
        encoder = CompositeEncoder({"value": SimpleEncoder(0, 100, 151, 20.5 / 151), "day": CategoryEncoder("ab", 4)})
        return brain.Brain(
            neuron.Neurons(64), sensor.Sensor(encoder), computation.SparseComputation(4), learning.HebbianLearning()
        )

    values = [(float(v), "ab"[v % 2]) for v in range(60)]
    run = build().run(values)
    stepped = build()
    for t, value in enumerate(values):
        stepped.sensor.feed(value)
        assert np.array_equal(stepped.compute() != 0, run[0][t])
        stepped.learn()


@pytest.mark.parametrize("bad", ["yesterday", 42, None, np.datetime64("NaT")])
def test_bad_timestamps_are_refused(bad):
    with pytest.raises(ValueError, match="not a timestamp"):
        timestamp(bad)


def test_bad_encoder_settings_and_values_are_refused():
    with pytest.raises(ValueError, match=r"width must be an int >= 1, got 0"):
        TimeOfDayEncoder(0)
    with pytest.raises(ValueError, match=r"radius must be a number in \(0, 24\] \(hours\), got 30"):
        TimeOfDayEncoder(21, 30)
    with pytest.raises(ValueError, match="needs at least one encoder"):
        CompositeEncoder({})
    encoder = CompositeEncoder({"a": SimpleEncoder(0, 1, 10), "b": TimeOfDayEncoder()})
    with pytest.raises(ValueError, match=r"exactly the keys \['a', 'b'\]"):
        encoder.encode({"a": 0.5})
    with pytest.raises(ValueError, match="2 values in order"):
        encoder.encode([0.5])
    with pytest.raises(ValueError, match="is not an Encoder"):
        CompositeEncoder({"a": 3})
