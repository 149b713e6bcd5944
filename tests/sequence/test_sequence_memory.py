"""protobrain.sequence.SequenceMemory against tests/reference.py's plain Python temporal
memory, bit for bit, and the behaviour issue 19 asks of it."""

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from protobrain.sequence import SequenceMemory

PARAMS = dict(
    activation_threshold=3,
    min_threshold=2,
    initial_permanence=0.21,
    connected_permanence=0.5,
    permanence_increment=0.1,
    permanence_decrement=0.1,
    predicted_segment_decrement=0.0,
    max_new_synapses=6,
    max_segments_per_cell=4,
    max_synapses_per_segment=8,
    seed=42,
)


@st.composite
def runs(draw):
    columns = draw(st.integers(4, 24))
    cells = draw(st.integers(1, 5))
    params = dict(PARAMS)
    params["activation_threshold"] = draw(st.integers(1, 4))
    params["min_threshold"] = draw(st.integers(1, params["activation_threshold"]))
    params["predicted_segment_decrement"] = draw(st.sampled_from([0.0, 0.04]))
    params["permanence_decrement"] = draw(st.sampled_from([0.1, 0.05, 0.3]))
    params["max_segments_per_cell"] = draw(st.integers(1, 4))
    params["max_synapses_per_segment"] = draw(st.integers(1, 8))
    params["max_new_synapses"] = draw(st.integers(0, 6))
    params["seed"] = draw(st.integers(0, 2**64 - 1))
    # A few patterns shown in a repeating order with noise: learning has something to find.
    patterns = [sorted(draw(st.sets(st.integers(0, columns - 1), max_size=5))) for _ in range(draw(st.integers(1, 5)))]
    steps = draw(st.lists(st.tuples(st.integers(0, len(patterns) - 1), st.booleans(), st.booleans()), max_size=60))
    return columns, cells, params, patterns, steps


@settings(max_examples=60, deadline=None)
@given(runs())
def test_the_engine_matches_the_reference_bit_for_bit(run):
    columns, cells, params, patterns, steps = run
    engine = SequenceMemory(columns, cells, **params)
    ref = reference.SequenceMemory(columns, cells, **params)
    for t, (k, learn, reset) in enumerate(steps):
        if reset:
            engine.reset()
            ref.reset()
        values = np.zeros(columns)
        values[patterns[k]] = 1
        engine.step(values, learn=learn)
        ref.compute(patterns[k], learn)
        assert np.flatnonzero(engine.active_cells).tolist() == ref.active_cells, f"step {t}"
        assert np.flatnonzero(engine.winner_cells).tolist() == sorted(ref.winner_cells), f"step {t}"
        assert np.flatnonzero(engine.predicted_cells).tolist() == ref.predicted_cells(), f"step {t}"
        assert engine.anomaly == ref.anomaly, f"step {t}"
    assert engine.segments() == ref.segments()


def _pattern(k, columns=128, width=8):
    values = np.zeros(columns)
    values[k * width : (k + 1) * width] = 1
    return values


def test_a_repeated_sequence_is_learned_and_a_change_scores_one():
    memory = SequenceMemory(128, 4, activation_threshold=4, min_threshold=2, max_new_synapses=8)
    for _ in range(6):
        memory.reset()
        scores = []
        for k in range(5):
            memory.step(_pattern(k))
            scores.append(memory.anomaly)
    assert scores == [1.0, 0.0, 0.0, 0.0, 0.0]  # nothing precedes the first element after a reset
    memory.reset()
    memory.step(_pattern(0), learn=False)
    memory.step(_pattern(9), learn=False)
    assert memory.anomaly == 1.0
    assert memory.active_cells[72:80].all()  # the unexpected columns burst


def test_two_sequences_sharing_a_middle_are_told_apart():
    memory = SequenceMemory(
        128, 8, activation_threshold=4, min_threshold=2, max_new_synapses=8, predicted_segment_decrement=0.05
    )
    a, b = [0, 1, 2, 3], [4, 1, 2, 5]
    for _ in range(30):
        for seq in (a, b):
            memory.reset()
            for k in seq:
                memory.step(_pattern(k))
    for seq, end in ((a, 3), (b, 5)):
        memory.reset()
        for k in seq[:3]:
            memory.step(_pattern(k), learn=False)
        predicted_columns = memory.predicted_cells.any(axis=1)
        assert np.array_equal(predicted_columns, _pattern(end) != 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"columns": 0}, r"columns must be an int >= 1, got 0"),
        ({"cells_per_column": True}, r"cells_per_column must be an int >= 1, got True"),
        ({"connected_permanence": 1.5}, r"connected_permanence must be a number in \[0, 1\], got 1.5"),
        ({"min_threshold": 20}, r"min_threshold must not exceed activation_threshold \(13\), got 20"),
        ({"seed": -1}, r"seed must be an int >= 0, got -1"),
        ({"seed": 2**64}, r"seed must be below 2\*\*64"),
    ],
)
def test_bad_parameters_are_refused_naming_them(kwargs, match):
    args = {"columns": 16, **kwargs}
    with pytest.raises(ValueError, match=match):
        SequenceMemory(args.pop("columns"), **args)


def test_bad_active_columns_are_refused():
    memory = SequenceMemory(16, 2)
    with pytest.raises(ValueError, match=r"shape \(16,\), got shape \(15,\)"):
        memory.step(np.zeros(15))
    with pytest.raises(ValueError, match="finite"):
        memory.step(np.full(16, np.nan))


def test_a_long_run_that_hits_every_limit_matches_the_reference():
    params = dict(PARAMS, max_segments_per_cell=2, max_synapses_per_segment=4, predicted_segment_decrement=0.02)
    rng = np.random.default_rng(5)
    patterns = [sorted(rng.choice(32, 5, replace=False).tolist()) for _ in range(6)]
    engine, ref = SequenceMemory(32, 3, **params), reference.SequenceMemory(32, 3, **params)
    predicted_steps = 0
    for t in range(600):
        k = t % 6 if rng.random() < 0.8 else int(rng.integers(6))
        values = np.zeros(32)
        values[patterns[k]] = 1
        engine.step(values)
        ref.compute(patterns[k], True)
        assert np.flatnonzero(engine.active_cells).tolist() == ref.active_cells, f"step {t}"
        assert engine.anomaly == ref.anomaly, f"step {t}"
        predicted_steps += engine.anomaly < 1
    segments = engine.segments()
    assert segments == ref.segments()
    assert predicted_steps > 50, "the run predicted something"
    assert max(sum(1 for cell, _ in segments if cell == c) for c in range(96)) == 2
    assert max(len(synapses) for _, synapses in segments) == 4
