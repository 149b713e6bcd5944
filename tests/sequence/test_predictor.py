"""protobrain.predictor against tests/reference.py's plain numpy Predictor, bit for bit, and
the behaviour of an n-step-ahead predictor (htm.core's Predictor)."""

import copy
import math
import pickle

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from protobrain.evaluate import buckets as to_buckets
from protobrain.predictor import Predictor, prediction_accuracy


def _cells(active, shape):
    cells = np.zeros(shape, dtype=bool)
    cells.reshape(-1)[sorted(active)] = True
    return cells


def _assert_same_pdfs(engine, ref, where):
    assert list(engine) == list(ref), where
    for n in ref:
        assert engine[n].dtype == np.float64, where
        assert np.array_equal(engine[n], ref[n]), f"{where}, n={n}: {engine[n]} != {ref[n]}"


def _assert_same_weights(predictor, ref):
    state = predictor.__getstate__()
    for k, n in enumerate(ref.steps):
        classifier = ref.classifiers[n]
        assert state["categories"][k] == classifier.categories, n
        if classifier.weights is None:
            assert state["weights"][k].size == 0
        else:
            assert np.array_equal(state["weights"][k].reshape(classifier.weights.shape), classifier.weights), n


def _assert_same_state(a, b):
    sa, sb = a.__getstate__(), b.__getstate__()
    assert sa.keys() == sb.keys()
    for key in sa:
        if key == "weights":
            assert len(sa[key]) == len(sb[key])
            assert all(np.array_equal(x, y) for x, y in zip(sa[key], sb[key])), key
        else:
            assert np.array_equal(np.asarray(sa[key], dtype=object), np.asarray(sb[key], dtype=object)), key


def _stepped(predictor, cells, buckets, first):
    """What Predictor.run documents, step by step: infer then learn, rows padded with zeros
    to the final categories, NaN where a distance had learned nothing."""
    rows = {n: [] for n in predictor.steps}
    for t in range(len(cells)):
        for n, pdf in predictor.infer(cells[t]).items():
            rows[n].append(pdf)
        predictor.learn(first + t, cells[t], int(buckets[t]))
    out = {}
    for n, pdfs in rows.items():
        c = predictor.categories[n]
        table = np.zeros((len(pdfs), c))
        for t, pdf in enumerate(pdfs):
            if pdf.size == 0:
                table[t] = np.nan
            else:
                table[t, : pdf.size] = pdf
        out[n] = table
    return out


@st.composite
def sessions(draw):
    size = draw(st.integers(1, 24))
    steps = sorted(draw(st.sets(st.integers(1, 4), min_size=1, max_size=3)))
    alpha = draw(st.sampled_from([0.001, 0.05, 0.3, 0.5, 1.0]))
    op = st.tuples(
        st.sampled_from(["learn", "learn", "learn", "learn", "infer", "reset", "pickle"]),
        st.integers(0, 2),
        st.sets(st.integers(0, size - 1), max_size=size),
        st.lists(st.integers(0, 9), min_size=1, max_size=3, unique=True),
    )
    return size, steps, alpha, draw(st.lists(op, max_size=50))


@settings(deadline=None)
@given(sessions())
def test_learning_and_inferring_match_the_reference_bit_for_bit(session):
    """Records repeat (gap 0), skip (gap 2) and restart after resets; several buckets per
    step share the target; a pickled copy goes on as the original would."""
    size, steps, alpha, ops = session
    predictor, ref = Predictor(steps, alpha), reference.Predictor(steps, alpha)
    record = 0
    for i, (kind, gap, active, buckets) in enumerate(ops):
        cells = _cells(active, size)
        if kind == "learn":
            record += gap
            bucket = buckets[0] if len(buckets) == 1 else buckets
            predictor.learn(record, cells, bucket)
            ref.learn(record, active, size, buckets)
        elif kind == "reset":
            predictor.reset()
            ref.reset()
            record = gap
        elif kind == "pickle":
            predictor = pickle.loads(pickle.dumps(predictor))
        _assert_same_pdfs(predictor.infer(cells), ref.infer(active), f"op {i}")
    _assert_same_weights(predictor, ref)


@st.composite
def recordings(draw):
    shape = draw(st.sampled_from([(7,), (3, 4), (2, 2, 5)]))
    size = math.prod(shape)
    count = draw(st.integers(0, 40))
    patterns = draw(st.lists(st.sets(st.integers(0, size - 1), max_size=6), min_size=count, max_size=count))
    buckets = draw(st.lists(st.integers(0, 7), min_size=count, max_size=count))
    steps = sorted(draw(st.sets(st.integers(1, 5), min_size=1, max_size=3)))
    alpha = draw(st.sampled_from([0.001, 0.2, 1.0]))
    prefix = draw(st.integers(0, 3))
    return shape, patterns, buckets, steps, alpha, prefix


@settings(deadline=None)
@given(recordings())
def test_a_run_is_stepping_and_the_reference_bit_for_bit(recording):
    shape, patterns, buckets, steps, alpha, prefix = recording
    cells = np.array([_cells(p, shape) for p in patterns], dtype=bool).reshape(len(patterns), *shape)
    batched, stepped, ref = Predictor(steps, alpha), Predictor(steps, alpha), reference.Predictor(steps, alpha)
    # A few steps learned first, numbered from 3: the run numbers its steps on from there.
    for t in range(min(prefix, len(patterns))):
        for predictor in (batched, stepped):
            predictor.learn(3 + t, cells[t], buckets[t])
        ref.learn(3 + t, patterns[t], cells[t].size, [buckets[t]])
    start = min(prefix, len(patterns))
    first = 0 if batched.last_step is None else batched.last_step + 1
    out = batched.run(cells[start:], np.array(buckets[start:], dtype=np.int64))
    expected = _stepped(stepped, cells[start:], buckets[start:], first)
    assert list(out) == steps
    for n in steps:
        assert out[n].shape == (len(patterns) - start, batched.categories[n])
        assert np.array_equal(out[n], expected[n], equal_nan=True), n
    _assert_same_state(batched, stepped)
    for t in range(start, len(patterns)):
        ref.learn(first + t - start, patterns[t], cells[t].size, [buckets[t]])
    _assert_same_weights(batched, ref)


def _periodic(period_values, repeats, shared=False):
    """A periodic recording: cells with 4 active of their own per position in the period
    (per value when ``shared``: positions with one value then share their cells)."""
    values = np.tile(period_values, repeats)
    keys = np.tile(np.arange(len(period_values)), repeats)
    if shared:
        keys = np.unique(period_values, return_inverse=True)[1][keys]
    cells = np.zeros((len(values), 64), dtype=bool)
    for t, k in enumerate(keys):
        cells[t, 4 * k : 4 * k + 4] = True
    return cells, to_buckets(values, 0.0, 1.0, 10)


def test_a_periodic_sequence_is_predicted_perfectly_one_and_two_ahead():
    # 0.5 comes before 0.9 and before 0.3: only the position's own cells tell which follows.
    period = [0.05, 0.5, 0.9, 0.5, 0.3, 0.72]
    cells, buckets = _periodic(period, 8)
    for n in (1, 2):
        assert prediction_accuracy(cells, buckets, steps=n, skip=len(period) + n) == 1.0
    # Over the first period: step 0 has no prediction (wrong); steps 1-5 show unseen cells,
    # whose uniform distribution's tie goes to bucket 0, right only for step 5 (before 0.05).
    assert buckets[6] == 0
    assert prediction_accuracy(cells, buckets, steps=1) == (len(cells) - 1 - 5) / (len(cells) - 1)
    # The same sequence with one pattern per value is ambiguous after 0.5: one time in three wrong.
    shared, _ = _periodic(period, 8, shared=True)
    assert prediction_accuracy(shared, buckets, steps=1, skip=len(period) + 1) < 0.9


def test_a_distance_predicts_its_own_distance():
    period = [0.05, 0.5, 0.9, 0.3]
    cells, buckets = _periodic(period, 6)
    predictor = Predictor((1, 2))
    predictor.run(cells, buckets)
    predictor.reset()
    for k in range(len(period)):
        pdfs = predictor.infer(cells[k])
        assert np.argmax(pdfs[1]) == buckets[(k + 1) % len(period)]
        assert np.argmax(pdfs[2]) == buckets[(k + 2) % len(period)]


def test_htm_cores_example_is_predicted_after_one_pass():
    """htm.core's Predictor example: four patterns labelled 4..7, learned once."""
    rng = np.random.default_rng(1)
    sequence = [rng.random(1000) < 0.02 for _ in range(4)]
    predictor = Predictor((1, 2))
    for t, cells in enumerate(sequence):
        predictor.learn(t, cells, 4 + t)
    predictor.reset()
    a, b = predictor.infer(sequence[0]), predictor.infer(sequence[1])
    assert (np.argmax(a[1]), np.argmax(a[2]), np.argmax(b[1]), np.argmax(b[2])) == (5, 6, 6, 7)


def test_one_step_by_hand():
    """Two buckets (0 and the one learned, 1) start uniform; the error (-0.5, 0.5) times alpha
    goes to each of the two active cells, so the sums are -0.5 and 0.5."""
    predictor = Predictor(1, alpha=0.5)
    first, second = np.array([1, 0, 1], dtype=bool), np.array([0, 1, 0], dtype=bool)
    predictor.learn(0, first, 0)
    predictor.learn(1, second, 1)
    pdf = predictor.infer(first)[1]
    e = math.exp(0.5 - -0.5)
    assert np.array_equal(pdf, np.array([1 / (1 + e), e / (1 + e)]))
    assert np.array_equal(predictor.infer(second)[1], np.array([0.5, 0.5]))
    assert np.array_equal(predictor.__getstate__()["weights"][0], [-0.25, 0.25, 0.0, 0.0, -0.25, 0.25])


def test_nothing_is_predicted_before_anything_is_learned():
    predictor = Predictor((1, 3))
    cells = np.eye(5, dtype=bool)
    assert {n: pdf.shape for n, pdf in predictor.infer(cells[0]).items()} == {1: (0,), 3: (0,)}
    for t in range(2):
        predictor.learn(t, cells[t], 2)
    pdfs = predictor.infer(cells[0])
    assert pdfs[1].shape == (3,) and pdfs[3].shape == (0,)
    out = Predictor((1, 3)).run(cells, [0, 1, 2, 3, 4])
    # Distance n first learns with step n (cells[0] means bucket n): rows up to n are NaN.
    assert np.isnan(out[1][:2]).all() and not np.isnan(out[1][2:]).any()
    assert np.isnan(out[3][:4]).all() and not np.isnan(out[3][4:]).any()


def test_a_larger_bucket_grows_the_categories_and_keeps_what_was_learned():
    predictor = Predictor(1, alpha=0.1)
    cells = np.eye(6, dtype=bool)
    predictor.learn(0, cells[0], 0)
    predictor.learn(1, cells[1], 2)
    assert predictor.categories == {1: 3}
    before = predictor.infer(cells[0])[1]
    predictor.learn(2, cells[2], 5)
    assert predictor.categories == {1: 6}
    after = predictor.infer(cells[0])[1]
    assert after.shape == (6,) and np.argmax(after) == 2
    # cells[0]'s sums did not change (negative for buckets 0 and 1, positive for 2); the
    # new buckets' are 0, and share the probability with them.
    assert after[0] == after[1] < after[3] == after[4] == after[5] < after[2] < before[2]
    # A smaller bucket grows nothing.
    predictor.learn(3, cells[3], 1)
    assert predictor.categories == {1: 6}


def test_reset_forgets_the_history_not_the_weights():
    predictor = Predictor((1, 2), alpha=0.2)
    cells = np.eye(4, dtype=bool)
    for t in range(3):
        predictor.learn(t, cells[t], t + 1)
    learned = predictor.__getstate__()["weights"]
    inferred = predictor.infer(cells[0])
    predictor.reset()
    assert predictor.last_step is None
    # Nothing precedes the next step now: learning it teaches nothing, whatever its number.
    predictor.learn(0, cells[3], 3)
    assert all(np.array_equal(a, b) for a, b in zip(predictor.__getstate__()["weights"], learned))
    _assert_same_pdfs(predictor.infer(cells[0]), inferred, "after reset")
    # Without the reset, step 3 would have taught distance 1 that cells[2] means bucket 3.
    predictor.learn(1, cells[1], 3)
    assert not np.array_equal(predictor.__getstate__()["weights"][0], learned[0])


def test_a_pickled_or_copied_predictor_continues_bit_for_bit():
    cells, buckets = _periodic([0.1, 0.4, 0.8, 0.6], 5)
    original = Predictor((1, 3), alpha=0.05)
    original.run(cells[:9], buckets[:9])
    for restored in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
        assert restored.last_step == original.last_step == 8 and restored.shape == (64,)
        _assert_same_state(restored, original)
        ahead = restored.run(cells[9:], buckets[9:])
        expected = copy.deepcopy(original).run(cells[9:], buckets[9:])
        for n in (1, 3):
            assert np.array_equal(ahead[n], expected[n], equal_nan=True)
    fresh = pickle.loads(pickle.dumps(Predictor(2)))
    assert fresh.shape is None and fresh.infer(np.ones(3))[2].size == 0


def test_a_run_without_learning_changes_nothing_and_needs_no_buckets():
    cells, buckets = _periodic([0.1, 0.4, 0.8], 4)
    predictor = Predictor(1)
    predictor.run(cells, buckets)
    before = copy.deepcopy(predictor)
    out = predictor.run(cells, learn=False)
    _assert_same_state(predictor, before)
    assert out[1].shape == (len(cells), 9)
    assert np.array_equal(out[1][0], predictor.infer(cells[0])[1])


def test_a_run_numbers_its_steps_after_the_last_one_learned():
    cells, buckets = _periodic([0.1, 0.4, 0.8], 3)
    predictor, stepped = Predictor(2), Predictor(2)
    for p in (predictor, stepped):
        p.learn(5, cells[0], buckets[0])
    predictor.run(cells[1:], buckets[1:])
    _stepped(stepped, cells[1:], buckets[1:], 6)
    assert predictor.last_step == stepped.last_step == 5 + len(cells) - 1
    _assert_same_state(predictor, stepped)


def test_cells_of_any_numeric_dtype_are_active_where_non_zero():
    a, b = Predictor(1, alpha=0.3), Predictor(1, alpha=0.3)
    bools = np.array([[True, False], [False, True]])
    a.learn(0, bools, 0)
    a.learn(1, bools[::-1], 4)
    b.learn(0, bools.astype(np.float32) * 0.5, 0)
    b.learn(1, bools[::-1].astype(np.int8) * -3, 4)
    _assert_same_state(a, b)
    _assert_same_pdfs(a.infer(bools), b.infer(bools.tolist()), "lists")


def test_the_properties_and_repr():
    predictor = Predictor([3, 1], alpha=0.25)
    assert predictor.steps == (1, 3) and predictor.alpha == 0.25 and predictor.shape is None
    assert predictor.categories == {1: 0, 3: 0} and predictor.last_step is None
    predictor.learn(2, np.zeros((2, 3)), 1)
    assert predictor.shape == (2, 3) and predictor.last_step == 2
    assert repr(predictor) == "Predictor(steps=(1, 3), alpha=0.25)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": 0}, r"steps must be ints in \[1, 2\*\*20\], got 0 in 0"),
        ({"steps": ()}, r"steps must name at least one step, got \(\)"),
        ({"steps": (1, 1)}, r"steps must be distinct, got \(1, 1\)"),
        ({"steps": (1, 2**20 + 1)}, r"got 1048577 in"),
        ({"steps": (True,)}, r"got True in \(True,\)"),
        ({"steps": 1.5}, r"steps must be an int or a sequence of ints, got 1.5"),
        ({"alpha": 0}, r"alpha must be a number in \(0, 1\], got 0"),
        ({"alpha": 1.5}, r"alpha must be a number in \(0, 1\], got 1.5"),
        ({"alpha": float("nan")}, r"alpha must be a number in \(0, 1\], got nan"),
        ({"alpha": True}, r"alpha must be a number in \(0, 1\], got True"),
    ],
)
def test_bad_parameters_are_refused_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Predictor(**kwargs)


def _trained():
    predictor = Predictor((1, 2))
    predictor.learn(4, np.eye(3, dtype=bool)[0], 1)
    return predictor


@pytest.mark.parametrize(
    "step, cells, bucket, match",
    [
        (-1, np.ones(3), 0, r"step must be an int in \[0, 2\*\*64\), got -1"),
        (5.0, np.ones(3), 0, r"step must be an int in \[0, 2\*\*64\), got 5.0"),
        (3, np.ones(3), 0, r"step must not decrease: got 3 after step 4"),
        (5, np.ones(3), -1, r"bucket must be an int in \[0, 2\*\*20\), got -1"),
        (5, np.ones(3), 2.5, r"bucket must be an int in \[0, 2\*\*20\), got 2.5"),
        (5, np.ones(3), float("nan"), r"bucket must be an int in \[0, 2\*\*20\), got nan"),
        (5, np.ones(3), 2**20, r"bucket must be an int in \[0, 2\*\*20\), got 1048576"),
        (5, np.ones(3), True, r"bucket must be an int in \[0, 2\*\*20\), got True"),
        (5, np.ones(3), "3", r"bucket must be an int or a sequence of ints, got '3'"),
        (5, np.ones(3), [], r"bucket must name at least one bucket, got \[\]"),
        (5, np.ones(3), [2, 2], r"the buckets of one step must be distinct, got \[2, 2\]"),
        (5, np.ones(3), [1, -2], r"every bucket must be an int in \[0, 2\*\*20\), got -2"),
        (5, np.ones(4), 0, r"cells must have shape \(3,\) \(the first cells' shape\), got shape \(4,\)"),
        (5, np.ones((3, 1)), 0, r"got shape \(3, 1\)"),
        (5, np.array(["a", "b", "c"]), 0, r"cells must be bools or numbers, got dtype <U1"),
        (5, np.array([0.0, np.nan, 1.0]), 0, r"cells must be finite, got np.float64\(nan\)|got nan"),
        (5, [[1], [2, 3]], 0, r"cells must be an array of bools or numbers"),
    ],
)
def test_bad_learning_is_refused_naming_the_value_and_changes_nothing(step, cells, bucket, match):
    predictor = _trained()
    before = copy.deepcopy(predictor)
    with pytest.raises(ValueError, match=match):
        predictor.learn(step, cells, bucket)
    _assert_same_state(predictor, before)


@pytest.mark.parametrize(
    "cells, match",
    [
        (
            np.ones(()),
            r"cells: one step's cells must have 1 to 2\*\*32 - 1 cells in 1 or more dimensions, got shape \(\)",
        ),
        (np.ones(0), r"got shape \(0,\)"),
        (np.ones((2, 0)), r"got shape \(2, 0\)"),
    ],
)
def test_cells_without_a_cell_are_refused(cells, match):
    predictor = Predictor()
    with pytest.raises(ValueError, match=match):
        predictor.infer(cells)
    with pytest.raises(ValueError, match=match):
        predictor.learn(0, cells, 0)
    assert predictor.shape is None


def test_the_first_cells_fix_the_shape_also_for_inference():
    predictor = Predictor()
    predictor.infer(np.zeros((2, 2)))
    with pytest.raises(
        ValueError, match=r"cells must have shape \(2, 2\) \(the first cells' shape\), got shape \(4,\)"
    ):
        predictor.learn(0, np.zeros(4), 0)


@pytest.mark.parametrize(
    "cells, buckets, learn, match",
    [
        (
            np.ones(3),
            [0, 1, 2],
            True,
            r"cells must have shape \(steps, \.\.\.\) with one step's cells per row, got shape \(3,\)",
        ),
        (
            np.ones((2, 4)),
            [0, 1],
            True,
            r"each row of cells must have shape \(3,\) \(the first cells' shape\), got shape \(4,\)",
        ),
        (np.ones((2, 3)), [0], True, r"buckets must have shape \(2,\) \(one per step of cells\), got shape \(1,\)"),
        (
            np.ones((2, 3)),
            [0, -1],
            True,
            r"buckets must be ints in \[0, 2\*\*20\), got np.int64\(-1\) at step 1|got -1 at step 1",
        ),
        (np.ones((2, 3)), [0, 2**20], True, r"got np.int64\(1048576\) at step 1|got 1048576 at step 1"),
        (
            np.ones((2, 3)),
            [np.nan, 1],
            True,
            r"buckets must be ints in \[0, 2\*\*20\), got np.float64\(nan\) at step 0|got nan",
        ),
        (np.ones((2, 3)), [1.0, 1.5], True, r"got np.float64\(1.5\) at step 1|got 1.5 at step 1"),
        (np.ones((2, 3)), [1.0, 2.0], True, r"buckets must be ints in \[0, 2\*\*20\), got dtype float64"),
        (np.ones((2, 3)), [True, False], True, r"buckets must be ints in \[0, 2\*\*20\), got dtype bool"),
        (np.ones((2, 3)), None, True, r"run needs buckets to learn \(or learn=False\)"),
        (np.ones((2, 3)), [0], False, r"buckets must have shape \(2,\)"),
        (np.array([[np.inf, 0, 0]]), [0], True, r"cells must be finite, got np.float64\(inf\)|got inf"),
    ],
)
def test_a_bad_run_is_refused_before_any_step(cells, buckets, learn, match):
    predictor = _trained()
    before = copy.deepcopy(predictor)
    with pytest.raises(ValueError, match=match):
        predictor.run(cells, buckets, learn=learn)
    _assert_same_state(predictor, before)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": (1, 2)}, r"steps must be one int in \[1, 2\*\*20\], got \(1, 2\)"),
        ({"steps": 0}, r"steps must be ints in \[1, 2\*\*20\], got 0"),
        ({"skip": -1}, r"skip must be an int >= 0, got -1"),
        ({"skip": 9}, r"no step to score: 10 steps, skip=9 and steps=1 leave none \(need skip \+ steps < 10\)"),
        ({"alpha": 2}, r"alpha must be a number in \(0, 1\], got 2"),
    ],
)
def test_bad_accuracy_arguments_are_refused(kwargs, match):
    cells, buckets = _periodic([0.1, 0.6], 5)
    with pytest.raises(ValueError, match=match):
        prediction_accuracy(cells, buckets, **kwargs)


def test_step_numbers_stay_below_2_to_the_64():
    predictor = Predictor()
    predictor.learn(2**64 - 2, np.ones(3), 0)
    predictor.run(np.ones((1, 3)), [1])
    assert predictor.last_step == 2**64 - 1
    with pytest.raises(
        ValueError, match=r"step numbers must stay below 2\*\*64: 1 steps after step 18446744073709551615"
    ):
        predictor.run(np.ones((1, 3)), [1])
    assert predictor.run(np.ones((1, 3)), learn=False)[1].shape == (1, 2)


def test_a_tampered_state_is_refused():
    predictor = _trained()
    predictor.learn(5, np.eye(3, dtype=bool)[1], 2)
    state = predictor.__getstate__()
    bad = dict(state, weights=[w.copy() for w in state["weights"]])
    bad["weights"][0][0] = np.nan
    with pytest.raises(ValueError, match=r"a classifier's weights must be finite, got NaN"):
        Predictor.__new__(Predictor).__setstate__(bad)
    with pytest.raises(ValueError, match=r"a predictor's state of 3 cells does not fit shape \(4,\)"):
        Predictor.__new__(Predictor).__setstate__(dict(state, shape=(4,)))
    with pytest.raises(ValueError, match=r"a state's record numbers must increase, got 5 before 4"):
        Predictor.__new__(Predictor).__setstate__(dict(state, records=state["records"][::-1].copy()))
