"""Every path of the engine against the numpy reference, bit for bit.

The engine picks its way by size: k-winners scans for maxima when winners x units is at
most 1024, pre-selects candidates by blocks of 16 when few of many win, and sorts keys
otherwise; activation and learning split over threads from 2**18 weights of active rows
on; weight rows are caught up sixteen lanes at a time (dead lanes stay dead), in rounds
for a few owed decrements and in closed form for many. Small random models reach only
the first of each, so these tests size their models to reach the others: a few
hypothesis examples of medium size and fixed-seed large cases. Ties are made on purpose
(weights on a grid of quarters, binary inputs) so every path must break them the same way.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical
from protobrain.synapses import Output

#: A group's k-winners paths, by winners x units and winners / units (see module doc).
SCANS = "scans"  # k * n <= 1024
BLOCKS = "blocks"  # k * n > 1024 and k <= n / 16
SORT = "sort"  # k * n > 1024 and k > n / 16


def path_of(k: int, n: int) -> str:
    if k * n <= 1024:
        return SCANS
    return BLOCKS if k <= n // 16 else SORT


def grid_weights(rng: np.random.Generator, shape: tuple[int, ...], dead: float = 0.2) -> np.ndarray:
    """Weights on a grid of quarters (so activations tie often), some dead (0)."""
    w = rng.integers(1, 5, shape) / 4.0
    w[rng.random(shape) < dead] = 0.0
    return w


def smooth_weights(rng: np.random.Generator, shape: tuple[int, ...], dead: float = 0.2) -> np.ndarray:
    """Uniform weights (activations rarely tie), some dead, some exactly 1."""
    w = rng.uniform(0, 1, shape)
    w[rng.random(shape) < dead] = 0.0
    w[rng.random(shape) < 0.02] = 1.0
    return w


def run_against_reference(
    pre: int,
    post: int,
    k: int | float,
    steps: int,
    density: float,
    seed: int,
    rates: tuple[float, float] | None = (0.05, 0.01),
    grid: bool = True,
    rare: bool = False,
) -> None:
    """One group reading a source whose activity is drawn each step; compute and learn in
    protobrain and in the reference, and compare activity and weights after every step.
    ``rare``: half the inputs fire a hundred times less often, so their rows fall behind
    by many steps and are caught up in closed form."""
    rng = np.random.default_rng(seed)
    weights = (grid_weights if grid else smooth_weights)(rng, (pre, post))
    source = Output(pre)
    group = neuron.Neurons(
        post, computation=computation.SparseComputation(k), learning=learning.HebbianLearning(*rates) if rates else None
    )
    group.set("main", source, lambda p, q: weights.copy())
    want_weights = weights.copy()
    chance = np.full(pre, density)
    if rare:
        chance[pre // 2 :] = density / 100
    for step in range(steps):
        values = (rng.random(pre) < chance).astype(np.float64)
        source.values = values
        got = group.compute()
        want = reference.sparse(reference.activation([(values, want_weights)], post), k)
        assert np.array_equal(got, want), f"activity differs at step {step}"
        if rates:
            group.learn()
            want_weights = reference.hebbian(want_weights, values, want, *rates)
            assert np.array_equal(group.input.synapses, want_weights), f"weights differ at step {step}"


@pytest.mark.parametrize(
    ("n", "k"),
    [(64, 16), (48, 3), (2048, 40), (1031, 64), (2048, 300), (600, 599), (4096, 0.01), (300, 0.5)],
)
def test_k_winners_ties_on_every_path(n, k):
    """Each (n, k) reaches the path named by path_of; all three break ties to the lower index."""
    winners = k if isinstance(k, int) else int(np.ceil(k * n))
    assert path_of(winners, n) in {SCANS, BLOCKS, SORT}
    run_against_reference(pre=32, post=n, k=k, steps=6, density=0.3, seed=n + winners, rates=None)


def test_the_parametrised_cases_reach_every_k_winners_path():
    cases = [(64, 16), (48, 3), (2048, 40), (1031, 64), (2048, 300), (600, 599), (4096, 41), (300, 150)]
    assert {path_of(k, n) for n, k in cases} == {SCANS, BLOCKS, SORT}


@given(st.integers(17, 700), st.data())
@settings(max_examples=25)
def test_k_winners_of_larger_layers_match_the_reference(n, data):
    k = data.draw(st.integers(1, n))
    seed = data.draw(st.integers(0, 2**32 - 1))
    grid = data.draw(st.booleans())
    run_against_reference(pre=24, post=n, k=k, steps=3, density=0.4, seed=seed, rates=None, grid=grid)


def test_all_active_and_all_silent_inputs_tie_every_unit():
    """With no active input every activation is 0: the k lowest indices win, on every path."""
    for n, k in [(40, 5), (2048, 40), (2048, 300)]:
        group = neuron.Neurons(n, computation=computation.SparseComputation(k))
        group.set("main", Output(8), lambda p, q: np.ones(p + q))
        assert np.flatnonzero(group.compute()).tolist() == list(range(k))
        group.input.source.values = np.ones(8)  # every activation 8: still the lowest indices
        assert np.flatnonzero(group.compute()).tolist() == list(range(k))


@given(st.integers(16, 80), st.integers(1, 4), st.data())
@settings(max_examples=15)
def test_vector_kernels_with_dead_lanes_over_many_steps(post, k, data):
    """Rows of 16 lanes and more, with dead weights, learning for 150-300 steps: rows owe
    a few decrements (rounds) or many (closed form), and some are left behind > 128 steps."""
    run_against_reference(
        pre=40,
        post=post,
        k=k,
        steps=data.draw(st.integers(150, 300)),
        density=0.15,
        seed=data.draw(st.integers(0, 2**32 - 1)),
        rates=(0.02, data.draw(st.sampled_from([0.001, 0.003, 0.0017]))),
        grid=data.draw(st.booleans()),
        rare=True,
    )


@pytest.mark.parametrize("dead", [0.0, 0.5, 1.0])
def test_wide_rows_all_dead_half_dead_or_alive(dead):
    rng = np.random.default_rng(int(dead * 10))
    weights = smooth_weights(rng, (24, 200), dead=dead)
    source = Output(24)
    group = neuron.Neurons(
        200, computation=computation.SparseComputation(7), learning=learning.HebbianLearning(0.03, 0.002)
    )
    group.set("main", source, lambda p, q: weights.copy())
    want_weights = weights.copy()
    for _ in range(160):
        values = (rng.random(24) < 0.1).astype(np.float64)
        source.values = values
        want = reference.sparse(reference.activation([(values, want_weights)], 200), 7)
        assert np.array_equal(group.compute(), want)
        group.learn()
        want_weights = reference.hebbian(want_weights, values, want, 0.03, 0.002)
        assert np.array_equal(group.input.synapses, want_weights)
    assert np.count_nonzero(group.input.synapses == 0) >= np.count_nonzero(weights == 0)


def test_threaded_activation_and_learning_match_the_reference():
    """About 100 active rows of 4096 weights: above 2**18 the engine splits the columns
    over threads (when it has two or more); the result must not change."""
    run_against_reference(pre=512, post=4096, k=41, steps=4, density=0.2, seed=7, grid=True)
    run_against_reference(pre=512, post=4096, k=600, steps=3, density=0.2, seed=8, grid=False)


def test_threaded_brain_run_matches_the_reference():
    np.random.seed(11)
    layer = neuron.Neurons(4096)
    s = sensor.Sensor(numerical.CyclicEncoder(0, 50, 1024, 0.1))
    b = brain.Brain(
        layer, s, computation=computation.SparseComputation(0.02), learning=learning.HebbianLearning(0.05, 0.01)
    )
    weights = layer.input.synapses.copy()
    values = [3.3, 17.9, 17.9, 42.05, 0.7]
    recorded = b.run(values)[0]
    for step, value in enumerate(values):
        encoded = reference.cyclic_encode(value, 0, 50, 1024, 0.1)
        assert np.count_nonzero(encoded) * 4096 >= 2**18  # large enough to split
        want = reference.sparse(reference.activation([(encoded, weights)], 4096), 0.02)
        assert np.array_equal(recorded[step], want.astype(bool)), step
        weights = reference.hebbian(weights, encoded, want, 0.05, 0.01)
    assert np.array_equal(layer.input.synapses, weights)


@pytest.mark.parametrize("encoder", ["simple", "cyclic"])
def test_encoders_at_positions_between_whole_numbers(encoder):
    """Bands start at int(position), the floor for positive positions: positions with
    fractions below and above a half (where floor and round differ) both count."""
    cls = numerical.SimpleEncoder if encoder == "simple" else numerical.CyclicEncoder
    encode = reference.simple_encode if encoder == "simple" else reference.cyclic_encode
    e = cls(0, 7, 50, 0.1)
    for value in [0.3, 0.5, 1.45, 2.99, 3.51, 6.2, 6.99]:
        want = encode(value, 0, 7, 50, 0.1)
        assert np.array_equal(e.encode(value), want), value
    # 1.45 lies at 1.45 / 7 * 45 = 9.32 (simple) and 1.45 / 7 * 49 = 10.15 (cyclic); 6.2 at
    # 39.86 and 43.4: the bands start at 9 / 10 and 39 / 43, never rounded up.
    starts = {v: int(np.flatnonzero(e.encode(v))[0]) for v in (1.45, 6.2)}
    assert starts == ({1.45: 9, 6.2: 39} if encoder == "simple" else {1.45: 10, 6.2: 43})
