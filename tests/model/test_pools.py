"""Potential pools (protobrain._pools): candidates, pool sizes and the seeded drawing."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from protobrain import _pools
from protobrain._pools import candidates, centres, check_pool, check_shapes, fill_pools, pool_sizes

Case = tuple[tuple[int, ...], tuple[int, ...], float, "int | None", bool]


def draw_pools(pre, post, fraction, radius, wrap, seed=0, **kwargs) -> list[np.ndarray]:
    """The pools fill_pools draws after np.random.seed(seed), one int64 array per unit."""
    sizes = pool_sizes(pre, post, fraction, radius, wrap)
    out = np.zeros(int(sizes.sum()), dtype=np.uint32)
    np.random.seed(seed)
    fill_pools(out, pre, post, fraction, radius, wrap, sizes, **kwargs)
    return np.split(out.astype(np.int64), np.cumsum(sizes)[:-1])


def same_pools(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def same_state(a: Any, b: Any) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Small shapes of 1 to 3 dimensions (group bigger or smaller than input), radius, wrap, fraction."""
    ndim = draw(st.integers(1, 3))
    pre = tuple(draw(st.lists(st.integers(1, 7), min_size=ndim, max_size=ndim)))
    radius = draw(st.one_of(st.none(), st.integers(0, 3), st.just(50)))
    post_ndim = ndim if radius is not None else draw(st.integers(1, 3))
    post = tuple(draw(st.lists(st.integers(1, 7), min_size=post_ndim, max_size=post_ndim)))
    fraction = draw(
        st.one_of(
            st.sampled_from([0.1, 0.24, 0.25, 0.3, 0.5, 0.51, 0.75, 0.9, 1.0]),
            st.floats(0.0, 1.0, exclude_min=True),
        )
    )
    return pre, post, fraction, radius, draw(st.booleans())


# --- geometry -------------------------------------------------------------------------------


def test_centres_spread_the_units_evenly_over_the_input():
    assert centres((10,), (5,)).tolist() == [[1], [3], [5], [7], [9]]
    assert centres((4,), (8,)).tolist() == [[0], [0], [1], [1], [2], [2], [3], [3]]
    got = centres((9, 4), (2, 3))
    assert got.dtype == np.int64 and got.shape == (6, 2)
    for unit, (a, b) in enumerate(itertools.product(range(2), range(3))):
        assert got[unit].tolist() == [math.floor((a + 0.5) * 9 / 2), math.floor((b + 0.5) * 4 / 3)]


def test_candidates_are_the_clipped_or_wrapped_window_around_the_centre():
    assert candidates((10,), (5,), 1, False, 0).tolist() == [0, 1, 2]
    assert candidates((10,), (5,), 1, False, 4).tolist() == [8, 9]
    assert candidates((10,), (5,), 1, True, 4).tolist() == [0, 8, 9]
    assert candidates((10,), (5,), 0, True, 2).tolist() == [5]
    # A window as wide as the input takes every input once.
    assert candidates((10,), (5,), 5, True, 0).tolist() == list(range(10))
    assert candidates((10,), (5,), 99, False, 3).tolist() == list(range(10))
    assert candidates((6, 5), (2, 2), None, False, 3).tolist() == list(range(30))
    # 2-D: unit 0 of a 2x2 group over 4x4 inputs sits at (1, 1); unit 3 at (3, 3).
    assert candidates((4, 4), (2, 2), 1, False, 0).tolist() == [0, 1, 2, 4, 5, 6, 8, 9, 10]
    assert candidates((4, 4), (2, 2), 1, False, 3).tolist() == [10, 11, 14, 15]
    assert candidates((4, 4), (2, 2), 1, True, 3).tolist() == [0, 2, 3, 8, 10, 11, 12, 14, 15]
    assert candidates((4, 4), (2, 2), 1, True, 3).dtype == np.int64


@given(cases())
def test_pool_sizes_round_the_fraction_of_each_units_candidates(case: Case):
    pre, post, fraction, radius, wrap = case
    sizes = pool_sizes(pre, post, fraction, radius, wrap)
    assert sizes.dtype == np.int64 and sizes.shape == (math.prod(post),)
    expected = [np.rint(fraction * len(candidates(pre, post, radius, wrap, u))) for u in range(math.prod(post))]
    assert sizes.tolist() == expected


def test_pool_sizes_round_half_to_even():
    # 10 inputs: 0.25 -> 2.5 -> 2, 0.35 -> 3.5 -> 4, 0.05 -> 0.5 -> 0.
    assert pool_sizes((10,), (3,), 0.25, None, False).tolist() == [2, 2, 2]
    assert pool_sizes((10,), (1,), 0.35, None, False).tolist() == [4]
    assert pool_sizes((10,), (1,), 0.05, None, False).tolist() == [0]


# --- drawing --------------------------------------------------------------------------------


@given(cases(), st.integers(0, 2**32 - 1))
def test_each_pool_is_a_sorted_set_of_its_candidates_of_the_right_size(case: Case, seed: int):
    pre, post, fraction, radius, wrap = case
    pools = draw_pools(pre, post, fraction, radius, wrap, seed)
    for unit, pool in enumerate(pools):
        allowed = candidates(pre, post, radius, wrap, unit)
        assert pool.size == np.rint(fraction * allowed.size)
        assert np.all(np.diff(pool) > 0), pool
        assert np.isin(pool, allowed).all()


@given(cases())
def test_fraction_one_takes_every_candidate_and_draws_nothing(case: Case):
    pre, post, _, radius, wrap = case
    before = np.random.get_state()
    sizes = pool_sizes(pre, post, 1.0, radius, wrap)
    out = np.zeros(int(sizes.sum()), dtype=np.uint32)
    fill_pools(out, pre, post, 1.0, radius, wrap, sizes)
    assert same_state(np.random.get_state(), before)
    pools = np.split(out.astype(np.int64), np.cumsum(sizes)[:-1])
    for unit, pool in enumerate(pools):
        assert np.array_equal(pool, candidates(pre, post, radius, wrap, unit))


def test_units_with_no_synapses_draw_nothing():
    before = np.random.get_state()
    sizes = pool_sizes((3,), (5,), 0.1, None, False)
    assert sizes.tolist() == [0] * 5
    fill_pools(np.zeros(0, dtype=np.uint32), (3,), (5,), 0.1, None, False, sizes)
    assert same_state(np.random.get_state(), before)


def test_radius_zero_connects_each_unit_to_its_centre():
    pre, post = (7, 5), (3, 4)
    pools = draw_pools(pre, post, 1.0, 0, False)
    expected = np.ravel_multi_index(tuple(centres(pre, post).T), pre)
    assert [p.tolist() for p in pools] == [[i] for i in expected]


@given(cases(), st.integers(0, 2**32 - 1))
def test_the_seed_alone_decides_the_pools_whatever_the_chunking(case: Case, seed: int):
    pre, post, fraction, radius, wrap = case
    pools = draw_pools(pre, post, fraction, radius, wrap, seed)
    state = np.random.get_state()
    assert same_pools(draw_pools(pre, post, fraction, radius, wrap, seed), pools)
    for chunk in (1, 5, 64):
        assert same_pools(draw_pools(pre, post, fraction, radius, wrap, seed, chunk_elements=chunk), pools)
        assert same_state(np.random.get_state(), state)


@given(cases(), st.integers(0, 2**32 - 1))
def test_byte_maps_and_sorted_slots_draw_the_same_pools(case: Case, seed: int):
    pre, post, fraction, radius, wrap = case
    pools = draw_pools(pre, post, fraction, radius, wrap, seed)
    state = np.random.get_state()
    original = _pools._BYTE_MAP_FROM
    try:
        _pools._BYTE_MAP_FROM = 2.0  # no unit drawing its members uses a byte map
        assert same_pools(draw_pools(pre, post, fraction, radius, wrap, seed, chunk_elements=7), pools)
    finally:
        _pools._BYTE_MAP_FROM = original
    assert same_state(np.random.get_state(), state)


def test_a_radius_covering_the_whole_input_draws_what_no_radius_draws():
    for wrap in (False, True):
        for fraction in (0.1, 0.3, 0.7):
            no_radius = draw_pools((9, 8), (4, 5), fraction, None, False, seed=3)
            assert same_pools(draw_pools((9, 8), (4, 5), fraction, 20, wrap, seed=3), no_radius)


def test_other_seeds_draw_other_pools():
    pools = [np.concatenate(draw_pools((50,), (20,), 0.3, 5, True, seed)) for seed in range(5)]
    assert len({p.tobytes() for p in pools}) == 5


def test_big_sparse_pools_are_drawn_in_matrix_form():
    pools = draw_pools((4096,), (64,), 0.02, None, False, seed=1)
    assert all(p.size == 82 and np.all(np.diff(p) > 0) and p[-1] < 4096 for p in pools)
    assert len({p.tobytes() for p in pools}) == 64


def looks_uniform(draw_subset, subsets: list[tuple[int, ...]]) -> bool:
    """Chi-square check of ``draw_subset(seed)`` over 150 seeds per subset (fixed seeds: no flakiness)."""
    trials = 150 * len(subsets)
    counts = dict.fromkeys(subsets, 0)
    for seed in range(trials):
        counts[draw_subset(seed)] += 1
    expected = trials / len(subsets)
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    dof = len(subsets) - 1  # chi2 has mean dof and standard deviation sqrt(2 dof)
    return min(counts.values()) > 0 and chi2 < dof + 6 * math.sqrt(2 * dof)


@pytest.mark.parametrize(
    ("pre", "post", "unit", "fraction", "radius", "wrap", "byte_maps"),
    [
        ((6,), (1,), 0, 0.5, None, False, True),  # 3 of 6 members, byte map
        ((6,), (1,), 0, 0.5, None, False, False),  # 3 of 6 members, sorted slots
        ((6,), (1,), 0, 0.7, None, False, True),  # 4 of 6: the 2 left out are drawn
        ((9,), (1,), 0, 0.25, None, False, True),  # 2 of 9 (sorted slots: under a quarter)
        ((8,), (1,), 0, 0.5, 2, False, True),  # 3 of the window 2..6 around 4
        ((2, 4), (1, 2), 1, 0.5, 1, True, True),  # 3 of 6 in 2-D: both rows, columns 2, 3 and 0 (wrapped)
    ],
)
def test_every_subset_of_the_candidates_is_equally_likely(
    pre, post, unit, fraction, radius, wrap, byte_maps, monkeypatch
):
    if not byte_maps:
        monkeypatch.setattr(_pools, "_BYTE_MAP_FROM", 2.0)
    k = int(pool_sizes(pre, post, fraction, radius, wrap)[unit])
    subsets = list(itertools.combinations(candidates(pre, post, radius, wrap, unit).tolist(), k))

    def draw_subset(seed: int) -> tuple[int, ...]:
        return tuple(draw_pools(pre, post, fraction, radius, wrap, seed)[unit].tolist())

    assert looks_uniform(draw_subset, subsets)


def test_the_uniformity_check_catches_a_biased_draw():
    # Moving a duplicate to the next free value favours runs of neighbours.
    def draw_subset(seed: int) -> tuple[int, ...]:
        chosen: list[int] = []
        for value in np.random.RandomState(seed).randint(0, 6, size=3).tolist():
            while value in chosen:
                value = (value + 1) % 6
            chosen.append(value)
        return tuple(sorted(chosen))

    assert not looks_uniform(draw_subset, list(itertools.combinations(range(6), 3)))


def test_fill_pools_writes_into_the_callers_memory_only():
    sizes = pool_sizes((30,), (7,), 0.4, 3, True)
    total = int(sizes.sum())
    memory = bytearray(4 * (total + 2))
    whole = np.frombuffer(memory, dtype=np.uint32)
    whole[[0, -1]] = 0xDEADBEEF
    out = whole[1:-1]
    np.random.seed(11)
    fill_pools(out, (30,), (7,), 0.4, 3, True, sizes)
    assert whole[0] == whole[-1] == 0xDEADBEEF
    expected = np.concatenate(draw_pools((30,), (7,), 0.4, 3, True, seed=11))
    assert np.array_equal(np.frombuffer(memory, dtype=np.uint32)[1:-1], expected)


# --- bad input ------------------------------------------------------------------------------


def test_check_pool_normalises_its_values():
    assert check_pool(1, None, False) == (1.0, None, False)
    fraction, radius, wrap = check_pool(np.float32(0.5), np.int64(3), np.bool_(True))
    assert (fraction, radius, wrap) == (0.5, 3, True)
    assert type(fraction) is float and type(radius) is int and type(wrap) is bool


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, float("nan"), True, "a", None, 1 + 0j])
def test_a_fraction_outside_zero_to_one_is_named(fraction):
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\], got " + re.escape(repr(fraction))):
        check_pool(fraction, None, False)
    with pytest.raises(ValueError, match="fraction"):
        pool_sizes((4,), (2,), fraction, None, False)


@pytest.mark.parametrize("radius", [-1, 1.5, 2.0, True, "2"])
def test_a_radius_that_is_not_a_non_negative_integer_is_named(radius):
    with pytest.raises(
        ValueError, match="radius must be None or a non-negative integer, got " + re.escape(repr(radius))
    ):
        check_pool(0.5, radius, False)


@pytest.mark.parametrize("wrap", ["yes", 1, None])
def test_wrap_must_be_a_bool(wrap):
    with pytest.raises(ValueError, match="wrap must be a bool, got " + re.escape(repr(wrap))):
        check_pool(0.5, 1, wrap)


def test_a_radius_needs_shapes_of_the_same_number_of_dimensions():
    message = (
        "a radius of 2 needs the input shape (10, 10) and the group shape (5,) to have the same number of dimensions"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        check_shapes((10, 10), (5,), 2)
    with pytest.raises(ValueError, match=re.escape(message)):
        pool_sizes((10, 10), (5,), 0.5, 2, False)
    with pytest.raises(ValueError, match=re.escape(message)):
        fill_pools(np.zeros(0, dtype=np.uint32), (10, 10), (5,), 0.5, 2, False, [0] * 5)
    check_shapes((10, 10), (5,), None)  # all inputs: any shapes
    assert pool_sizes((10, 10), (5,), 0.5, None, False).tolist() == [50] * 5


@pytest.mark.parametrize("shape", [(), (0,), (3, -1), (2.0,), (True,), "ab", 5])
def test_shapes_must_be_tuples_of_positive_integers(shape):
    with pytest.raises(ValueError, match=re.escape(repr(shape))):
        check_shapes(shape, (2,), None)
    with pytest.raises(ValueError, match=re.escape(repr(shape))):
        check_shapes((2,), shape, None)


def test_fill_pools_rejects_an_output_it_cannot_fill():
    sizes = pool_sizes((10,), (4,), 0.5, None, False)
    good = np.zeros(20, dtype=np.uint32)
    with pytest.raises(ValueError, match="uint32 array of length 20, got an array of dtype int64"):
        fill_pools(np.zeros(20, dtype=np.int64), (10,), (4,), 0.5, None, False, sizes)
    with pytest.raises(ValueError, match=r"length 20, got an array of dtype uint32 and shape \(19,\)"):
        fill_pools(good[:19], (10,), (4,), 0.5, None, False, sizes)
    read_only = good.copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        fill_pools(read_only, (10,), (4,), 0.5, None, False, sizes)
    with pytest.raises(ValueError, match="contiguous"):
        fill_pools(np.zeros(40, dtype=np.uint32)[::2], (10,), (4,), 0.5, None, False, sizes)
    with pytest.raises(ValueError, match=r"sizes\[1\] = 11 is not within \[0, 10\]"):
        fill_pools(np.zeros(26, dtype=np.uint32), (10,), (4,), 0.5, None, False, [5, 11, 5, 5])
    with pytest.raises(ValueError, match=r"sizes\[0\] = -1"):
        fill_pools(np.zeros(14, dtype=np.uint32), (10,), (4,), 0.5, None, False, [-1, 5, 5, 5])
    with pytest.raises(ValueError, match="sizes must be 4 integers"):
        fill_pools(good, (10,), (4,), 0.5, None, False, [10, 10])
    with pytest.raises(ValueError, match="chunk_elements must be a positive integer, got 0"):
        fill_pools(good, (10,), (4,), 0.5, None, False, sizes, chunk_elements=0)
    assert not good.any()  # nothing was written by a refused call
