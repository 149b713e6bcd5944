"""protobrain.anomaly.AnomalyLikelihood computed by the engine: bit for bit the Python
implementation it replaced (tests/reference.py's AnomalyLikelihood), and numpy's own
summation order for the estimations' mean and variance."""

import copy
import math
import pickle

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st

from protobrain import _core
from protobrain.anomaly import AnomalyLikelihood

LENGTHS = [*range(1, 300), 383, 384, 385, 511, 512, 513, 1000, 1023, 1024, 1025, 1999, 2000]
LONG = [4095, 4096, 4097, 8191, 8192, 8193, 8640, 8641, 9000, 16384, 16385]


@pytest.mark.parametrize("scale", [1.0, 1e-3, 1e9])
def test_sum_mean_and_variance_are_numpys_bit_for_bit(scale):
    rng = np.random.default_rng(int(scale * 7) % 1000)
    for n in [*LENGTHS, *LONG]:
        a = (rng.random(n) - rng.choice([0.0, 0.5])) * scale
        total, mean, var = _core._numpy_sum_mean_var(a)
        assert (total, mean, var) == (a.sum(), a.mean(), a.var()), n
    # Strided input is read in order; -0.0 sums to 0.0 as numpy's does.
    b = rng.random(1001)[::3]
    assert _core._numpy_sum_mean_var(b) == (b.sum(), b.mean(), b.var())
    assert math.copysign(1.0, _core._numpy_sum_mean_var(np.array([-0.0] * 9))[0]) == 1.0


def _equal_states(new, old):
    a, b = new._state(), old._state()
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(b[key], np.ndarray):
            assert a[key].dtype == b[key].dtype == np.float64, key
            assert a[key].shape == b[key].shape, key
            assert np.array_equal(a[key], b[key], equal_nan=True), key
        else:
            assert type(a[key]) is type(b[key]), key
            assert a[key] == b[key], key


def _stream(draw, length):
    kind = draw(st.sampled_from(["random", "flat", "nan", "mixed", "surprise"]))
    raws = draw(st.lists(st.floats(0.0, 1.0), min_size=length, max_size=length))
    if kind == "surprise":
        raws = [0.0 if i % 7 else 1.0 for i in range(length)]
    if kind == "flat":
        values = [3.0] * length
    elif kind == "nan":
        values = [math.nan] * length
    elif kind == "mixed":
        values = [math.nan if i % 5 == 0 else float(i % 3) for i in range(length)]
    else:
        values = draw(st.lists(st.floats(-1e3, 1e3), min_size=length, max_size=length))
    return np.array(raws, dtype=np.float64), np.array(values, dtype=np.float64)


@st.composite
def cases(draw, max_length=160):
    params = (
        draw(st.integers(0, 12)),  # learning_period
        draw(st.integers(0, 12)),  # estimation_samples
        draw(st.integers(1, 40)),  # historic_window
        draw(st.integers(1, 15)),  # reestimation_period
    )
    length = draw(st.integers(0, max_length))
    return params, *_stream(draw, length)


@given(cases())
def test_update_is_the_python_implementations_bit_for_bit(case):
    params, raws, values = case
    new, old = AnomalyLikelihood(*params), reference.AnomalyLikelihood(*params)
    got = np.array([new.update(r, v) for r, v in zip(raws, values)], dtype=np.float64)
    expected = np.array([old.update(r, v) for r, v in zip(raws, values)], dtype=np.float64)
    assert np.array_equal(got, expected)
    _equal_states(new, old)
    assert new._steps == old._steps == len(raws)


@given(cases(), st.data())
def test_update_batch_is_the_update_loop(case, data):
    params, raws, values = case
    new, old = AnomalyLikelihood(*params), reference.AnomalyLikelihood(*params)
    cut = data.draw(st.integers(0, len(raws)))
    got = np.concatenate([new.update_batch(raws[:cut], values[:cut]), new.update_batch(raws[cut:], values[cut:])])
    expected = np.array([old.update(r, v) for r, v in zip(raws, values)], dtype=np.float64)
    assert got.dtype == np.float64
    assert np.array_equal(got, expected)
    _equal_states(new, old)
    # Without values: all unknown.
    alone, by_hand = AnomalyLikelihood(*params), reference.AnomalyLikelihood(*params)
    assert np.array_equal(alone.update_batch(raws), [by_hand.update(r) for r in raws])


@given(cases(max_length=120), st.data())
def test_copies_pickles_and_states_go_on_identically(case, data):
    params, raws, values = case
    new, old = AnomalyLikelihood(*params), reference.AnomalyLikelihood(*params)
    cut = data.draw(st.integers(0, len(raws)))
    new.update_batch(raws[:cut], values[:cut])
    for r, v in zip(raws[:cut], values[:cut]):
        old.update(r, v)
    copies = [
        copy.deepcopy(new),
        copy.copy(new),
        pickle.loads(pickle.dumps(new)),
        AnomalyLikelihood._from_state(new._state()),
        AnomalyLikelihood._from_state(pickle.loads(pickle.dumps(new._state()))),
    ]
    # What protobrain/_rollback.py does: snapshot the __dict__, go on, put it back.
    snapshot = copy.deepcopy(vars(new))
    new.update_batch(raws[cut:], values[cut:])
    vars(new).clear()
    vars(new).update(snapshot)
    copies.append(new)
    expected = np.array([old.update(r, v) for r, v in zip(raws[cut:], values[cut:])], dtype=np.float64)
    for other in copies:
        assert np.array_equal(other.update_batch(raws[cut:], values[cut:]), expected)
        _equal_states(other, old)


@pytest.mark.parametrize("params", [(3, 2, 25, 5), (30, 5, 20, 7), (0, 0, 1, 1), (5, 0, 8, 1), (2, 3, 17, 100)])
def test_boundaries_of_probation_reestimation_and_window(params):
    rng = np.random.default_rng(sum(params))
    length = 3 * (params[0] + params[1] + params[2] + params[3]) + 20
    streams = [
        (rng.random(length), rng.normal(5, 2, length)),
        (rng.random(length) ** 8, np.full(length, 2.0)),  # flat values
        (np.where(np.arange(length) % 9 == 0, 1.0, 0.0), np.full(length, np.nan)),
        (np.zeros(length), rng.random(length)),
        (np.ones(length), np.arange(length, dtype=np.float64)),
    ]
    for raws, values in streams:
        new, old = AnomalyLikelihood(*params), reference.AnomalyLikelihood(*params)
        for t, (r, v) in enumerate(zip(raws, values)):
            assert new.update(r, v) == old.update(r, v), t
            if t % 11 == 0:
                _equal_states(new, old)
        _equal_states(new, old)


def test_defaults_over_a_long_stream_with_a_full_historic_window():
    rng = np.random.default_rng(3)
    length = 9200  # past the 8640-step historic window and across reestimations
    raws = np.clip(rng.normal(0.3, 0.2, length), 0, 1)
    raws[5000:5030] = 1.0
    values = rng.normal(10, 3, length)
    new, old = AnomalyLikelihood(), reference.AnomalyLikelihood()
    got = new.update_batch(raws, values)
    expected = np.array([old.update(r, v) for r, v in zip(raws, values)], dtype=np.float64)
    assert np.array_equal(got, expected)
    _equal_states(new, old)


def test_bad_input_raises_and_changes_nothing():
    likelihood = AnomalyLikelihood(1, 1, 5, 2)
    likelihood.update_batch([0.1, 0.2, 0.3], [1.0, 2.0, 3.0])
    before = likelihood._state()
    for bad in (math.nan, -0.1, 1.5, math.inf):
        with pytest.raises(ValueError, match=r"raw_score must be a number in \[0, 1\]"):
            likelihood.update(bad, 1.0)
        with pytest.raises(ValueError, match=r"raw_score must be a number in \[0, 1\], got .* \(step 1\)"):
            likelihood.update_batch([0.5, bad, 0.5], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="values must have the raw scores' shape"):
        likelihood.update_batch([0.5, 0.5], [1.0])
    with pytest.raises(ValueError, match="raw_scores must be one-dimensional"):
        likelihood.update_batch([[0.5]], [[1.0]])
    after = likelihood._state()
    assert before.keys() == after.keys()
    assert all(
        np.array_equal(before[k], after[k]) if isinstance(before[k], np.ndarray) else before[k] == after[k]
        for k in before
    )
    with pytest.raises(ValueError, match="historic_window must be an int >= 1"):
        AnomalyLikelihood(historic_window=0)
    with pytest.raises(ValueError, match="learning_period must be below 2\\*\\*64"):
        AnomalyLikelihood(learning_period=2**64)
    with pytest.raises(ValueError, match="raw_score must be a number in"):
        _core.AnomalyLikelihood(0, 0, 1, 1).update(math.nan, 0.0)
    with pytest.raises(ValueError, match="reestimation_period: must be >= 1"):
        _core.AnomalyLikelihood(0, 0, 1, 0)
    with pytest.raises(ValueError, match="expected shape"):
        _core.AnomalyLikelihood(0, 0, 1, 1).update_batch(np.zeros(2), np.zeros(3))
    state = likelihood._state()
    with pytest.raises(ValueError, match="distribution has mean"):
        AnomalyLikelihood._from_state({**state, "distribution": (0.5, 0.0)})
    with pytest.raises(ValueError, match="history has shape"):
        AnomalyLikelihood._from_state({**state, "history": np.zeros((6, 2))})
    with pytest.raises(ValueError, match="steps must be an int >= 3"):
        AnomalyLikelihood._from_state({**state, "steps": 2})
    with pytest.raises(ValueError, match="at least the history"):
        _core.AnomalyLikelihood.from_state(0, 0, 5, 1, 0, np.zeros(2), np.zeros(2), None, np.zeros(0), 0.0, np.zeros(0))
