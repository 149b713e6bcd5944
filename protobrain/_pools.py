"""Potential pools of sparse connections: which inputs each unit of a group may connect to.

Like htm.core's SpatialPooler (potentialPct, potentialRadius, wrapAround): a unit's
*candidates* are all inputs, or with a ``radius`` the hypercube of inputs within ``radius`` of
its centre in every dimension (clipped at the input's edges, or wrapped around with ``wrap``).
The unit then connects to ``k = round(fraction * c)`` of its ``c`` candidates, drawn uniformly.

How a seed becomes pools (``fill_pools``; every random number comes from numpy's global legacy
state through ``np.random.randint``, so ``np.random.seed(s)`` fixes the result):

* A unit with ``k == c`` takes all its candidates and one with ``k == 0`` none; neither draws.
  So ``fraction=1.0`` consumes no random numbers at all.
* Every other unit draws a set of ``m`` distinct *local* indices in ``[0, c)``: its ``m = k``
  members when ``2k <= c``, else the ``m = c - k`` candidates it leaves out.
* In rounds: round 1 draws ``m`` values for every drawing unit, units in flat C order, each
  from ``[0, c)``; a unit's set is the distinct values drawn. Each later round draws, for every
  unit whose set is still short (units in order), ``m - |set|`` more values and adds them, until
  every set is full. (This is "sort the draws, redraw the duplicate slots, repeat": the
  duplicates of a sorted row are exactly ``m - |set|`` slots.) A round covers *all* units before
  the next begins, so the pools do not depend on how the units are chunked for memory. The
  values come out of the stream as successive ``np.random.randint(0, c)`` would give them
  (they are drawn in batches: legacy randint takes its stream value by value, scalar or array
  bounds alike).
* Local index -> input: without a radius it is the flat input index. With one it is
  decomposed in mixed radix over the unit's window sizes (last dimension fastest), offset by
  the window's start (wrapped modulo the input's size with ``wrap``; a dimension whose window
  would cover it entirely starts at 0) and raveled in C order. Pools are written ascending.

Why this is uniform over k-subsets: a unit's rounds only matter through its set, and a round
adds ``m - |set|`` independent uniform values to it. Relabelling the ``c`` local indices by any
permutation therefore maps each run to an equally likely run, so the distribution of the final
m-set is invariant under every permutation; permutations take any m-set to any other, so all
m-sets are equally likely. The complement of a uniform (c - k)-set is a uniform k-set, and
local -> input is a bijection onto the candidates.

Memory: besides ``out`` only O(units) bookkeeping and chunk temporaries (``CHUNK_ELEMENTS``).
The state between rounds lives in ``out``: a unit drawing few of its candidates keeps its
sorted draws in its slots; one drawing at least a quarter of them keeps a byte map of its
``c`` candidates in its ``4 k >= c`` bytes. Both give the same sets.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

Shape = tuple[int, ...]
Ints = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
Bools = npt.NDArray[np.bool_]

#: Chunk budget of fill_pools, in elements: about the largest temporary (units x row width).
CHUNK_ELEMENTS = 2**20

# Pads rows of unequal length; above every local index since inputs are fewer than 2**32.
_PAD = np.uint32(np.iinfo(np.uint32).max)


def check_pool(fraction: Any, radius: Any, wrap: Any) -> tuple[float, int | None, bool]:
    """Return (fraction, radius, wrap) checked and normalised; ValueError naming a bad value."""
    if (
        isinstance(fraction, (bool, np.bool_))
        or not isinstance(fraction, numbers.Real)
        or not 0.0 < float(fraction) <= 1.0  # also rejects nan
    ):
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
    if radius is not None and (
        isinstance(radius, (bool, np.bool_)) or not isinstance(radius, numbers.Integral) or radius < 0
    ):
        raise ValueError(f"radius must be None or a non-negative integer, got {radius!r}")
    if not isinstance(wrap, (bool, np.bool_)):
        raise ValueError(f"wrap must be a bool, got {wrap!r}")
    return float(fraction), None if radius is None else int(radius), bool(wrap)


def _check_shape(shape: Any, what: str) -> Shape:
    try:
        dims = tuple(shape)
    except TypeError:
        dims = ()
    if not dims or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) and int(n) > 0 for n in dims
    ):
        raise ValueError(f"the {what} shape must be a non-empty tuple of positive integers, got {shape!r}")
    return tuple(int(n) for n in dims)


def check_shapes(pre_shape: Shape, post_shape: Shape, radius: int | None) -> None:
    """Check both shapes; with a radius they must have the same number of dimensions."""
    pre = _check_shape(pre_shape, "input")
    post = _check_shape(post_shape, "group")
    if radius is not None and len(pre) != len(post):
        raise ValueError(
            f"a radius of {radius} needs the input shape {pre} and the group shape {post} "
            "to have the same number of dimensions"
        )


def centres(pre_shape: Shape, post_shape: Shape) -> Ints:
    """Each unit's centre in input coordinates, shape (post_size, ndim), units in flat C order.

    Coordinate ``c`` of ``n_post`` maps to ``floor((c + 0.5) * n_pre / n_post)``.
    """
    check_shapes(pre_shape, post_shape, None)
    if len(pre_shape) != len(post_shape):
        raise ValueError(
            f"centres need the input shape {tuple(pre_shape)} and the group shape {tuple(post_shape)} "
            "to have the same number of dimensions"
        )
    pre = np.asarray(pre_shape, dtype=np.int64)
    post = np.asarray(post_shape, dtype=np.int64)
    coords = np.stack(np.unravel_index(np.arange(math.prod(post_shape)), tuple(post_shape)), axis=1)
    return ((2 * coords.astype(np.int64) + 1) * pre) // (2 * post)


def candidates(pre_shape: Shape, post_shape: Shape, radius: int | None, wrap: bool, unit: int) -> Ints:
    """The flat input indices ``unit`` may connect to, ascending (plain reference version)."""
    _, radius, wrap = check_pool(1.0, radius, wrap)
    check_shapes(pre_shape, post_shape, radius)
    post_size = math.prod(post_shape)
    if isinstance(unit, (bool, np.bool_)) or not isinstance(unit, numbers.Integral) or not 0 <= unit < post_size:
        raise ValueError(f"unit must be in [0, {post_size}), got {unit!r}")
    if radius is None:
        return np.arange(math.prod(pre_shape), dtype=np.int64)
    axes = []
    for n, x in zip(pre_shape, centres(pre_shape, post_shape)[unit].tolist()):
        if wrap:
            r = min(radius, n)  # 2n + 1 consecutive coordinates already cover every residue
            coords = sorted({(x + o) % n for o in range(-r, r + 1)})
        else:
            coords = list(range(max(x - radius, 0), min(x + radius, n - 1) + 1))
        axes.append(np.array(coords, dtype=np.int64))
    grids = np.meshgrid(*axes, indexing="ij")
    flat = np.ravel_multi_index(tuple(g.ravel() for g in grids), tuple(pre_shape))
    return np.sort(flat).astype(np.int64)


def _windows(pre_shape: Shape, post_shape: Shape, radius: int, wrap: bool) -> tuple[Ints, Ints]:
    """Per unit and dimension, the window's size and first coordinate (negative if it wraps)."""
    size = np.asarray(pre_shape, dtype=np.int64)
    r = min(radius, int(size.max()))  # a larger radius gives the same windows
    cen = centres(pre_shape, post_shape)
    if wrap:
        full = 2 * r + 1 >= size  # such a dimension takes every coordinate once, from 0
        win = np.broadcast_to(np.where(full, size, 2 * r + 1), cen.shape).copy()
        start = np.where(full, 0, cen - r)
    else:
        start = np.maximum(cen - r, 0)
        win = np.minimum(cen + r, size - 1) - start + 1
    return win.astype(np.int64), start.astype(np.int64)


def _counts(pre_shape: Shape, post_shape: Shape, radius: int | None, wrap: bool) -> Ints:
    if radius is None:
        return np.full(math.prod(post_shape), math.prod(pre_shape), dtype=np.int64)
    win, _ = _windows(pre_shape, post_shape, radius, wrap)
    counts: Ints = np.prod(win, axis=1, dtype=np.int64)
    return counts


def pool_sizes(pre_shape: Shape, post_shape: Shape, fraction: float, radius: int | None, wrap: bool) -> Ints:
    """Each unit's number of synapses, ``np.rint(fraction * candidates)``, units in flat C order."""
    fraction, radius, wrap = check_pool(fraction, radius, wrap)
    check_shapes(pre_shape, post_shape, radius)
    sizes: Ints = np.rint(fraction * _counts(pre_shape, post_shape, radius, wrap)).astype(np.int64)
    return sizes


def _chunks(units: Ints, width: int | Ints, budget: int) -> Iterator[Ints]:
    """Consecutive runs of ``units`` with run length x the widest ``width`` within ``budget``."""
    widest = int(np.max(width, initial=1)) if isinstance(width, np.ndarray) else width
    step = max(1, budget // max(1, widest))
    for i in range(0, units.size, step):
        yield units[i : i + step]


class _Regions:
    """The regions ``out[offsets[u] : offsets[u] + lengths[u]]`` of units, as rows padded with _PAD.

    When every unit has the same pool size ``k``, ``out`` is a (units, k) matrix: rows are then
    views of it (or row copies) and ``valid`` is None.
    """

    def __init__(self, out: U32, offsets: Ints, lengths: Ints, k: int | None) -> None:
        self.out, self.offsets, self.lengths = out, offsets, lengths
        self.matrix = None if k is None else out.reshape(-1, k)

    def empty(self, sel: Ints) -> tuple[U32, Bools | None]:
        """Fresh padded rows for units ``sel``, and which slots are real."""
        lengths = self.lengths[sel]
        width = int(lengths.max())
        valid = None if self.matrix is not None else np.arange(width) < lengths[:, None]
        return np.full((sel.size, width), _PAD, dtype=np.uint32), valid

    def load(self, sel: Ints) -> tuple[U32, Bools | None]:
        """The rows of units ``sel``: a view of ``out`` for a run of units in matrix form, else a copy."""
        if self.matrix is not None:
            block = self.matrix[:, : int(self.lengths[sel[0]])]
            return (block[sel[0] : sel[-1] + 1] if _is_run(sel) else block[sel]), None
        rows, valid = self.empty(sel)
        assert valid is not None
        rows[valid] = self.out[self._positions(sel, valid)]
        return rows, valid

    def store(self, sel: Ints, rows: U32, valid: Bools | None) -> None:
        """Write rows back (nothing to do for a view of ``out``)."""
        if self.matrix is None:
            assert valid is not None
            self.out[self._positions(sel, valid)] = rows[valid]
        elif not np.may_share_memory(rows, self.out):
            width = rows.shape[1]
            if _is_run(sel):
                self.matrix[sel[0] : sel[-1] + 1, :width] = rows
            else:
                self.matrix[sel, :width] = rows

    def _positions(self, sel: Ints, valid: Bools) -> Ints:
        positions: Ints = (self.offsets[sel, None] + np.arange(valid.shape[1]))[valid]
        return positions


def _is_run(sel: Ints) -> bool:
    return bool(sel[-1] - sel[0] + 1 == sel.size)


def _put(rows: U32, valid: Bools | None, values: npt.NDArray[Any]) -> None:
    """Fill the real slots of ``rows`` with ``values``, in row-major order."""
    if valid is None:
        rows[...] = values.reshape(rows.shape)
    else:
        rows[valid] = values


def _duplicates(rows: U32, valid: Bools | None) -> Bools:
    """In sorted rows, the slots equal to their left neighbour."""
    dup = np.zeros(rows.shape, dtype=bool)
    np.equal(rows[:, 1:], rows[:, :-1], out=dup[:, 1:])
    if valid is not None:
        dup &= valid
    return dup


def _randint(highs: Ints, counts: Ints) -> Ints:
    """``counts[i]`` uniform draws from [0, highs[i]) each, concatenated in order."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    if bool((highs == highs[0]).all()):  # consumes the same stream as the array form, faster
        draws: Ints = np.random.randint(0, int(highs[0]), size=total)
    else:
        draws = np.random.randint(0, np.repeat(highs, counts))
    return draws


#: Units drawing at least this share of their candidates keep a byte map in ``out`` (needs >= 1/4).
_BYTE_MAP_FROM = 0.25


class _Draws:
    """The rounds of drawing (module docstring), with each unit's state kept in ``out``."""

    def __init__(self, out: U32, offsets: Ints, k: Ints, c: Ints, m: Ints, mapped: Bools, common: int | None):
        self.out, self.bytes, self.offsets, self.k, self.c, self.m = out, out.view(np.uint8), offsets, k, c, m
        self.mapped = mapped  # units keeping a byte map (the others keep sorted slots)
        self.slots = _Regions(out, offsets, m, common)
        self.size = np.zeros(k.size, dtype=np.int64)  # a mapped unit's set size

    def run(self, drawing: Ints, budget: int) -> None:
        pending, first = drawing, True
        width = np.where(self.mapped, self.c, self.m)
        while pending.size:
            left = []
            for sel in _chunks(pending, width[pending], budget):
                if first:  # clears the byte maps (and the other units' slots, about to be drawn)
                    self.out[self.offsets[sel[0]] : self.offsets[sel[-1]] + self.k[sel[-1]]] = 0
                left.append(self._round(sel, first))
            pending, first = np.sort(np.concatenate(left)), False

    def _round(self, sel: Ints, first: bool) -> Ints:
        """One round for units ``sel``: draw what each lacks, in unit order; the units still short."""
        mapped = self.mapped[sel]
        sorted_units, map_units = sel[~mapped], sel[mapped]
        lack = np.empty(sel.size, dtype=np.int64)
        lack[mapped] = self.m[map_units] - self.size[map_units]
        if sorted_units.size:
            rows, valid = self.slots.load(sorted_units)
            dup = valid if first else _duplicates(rows, valid)
            lack[~mapped] = self.m[sorted_units] if dup is None else dup.sum(axis=1)
        draws = _randint(self.c[sel], lack)
        for_map = np.repeat(mapped, lack)
        short = []
        if sorted_units.size:
            mine = draws[~for_map]
            if dup is None:
                _put(rows, None, mine)
            else:
                rows[dup] = mine
            # A few values out of place: timsort's runs beat quicksort (same result either way).
            rows.sort(axis=1, kind="stable" if not first and 50 * mine.size < rows.size else "quicksort")
            short.append(sorted_units[_duplicates(rows, valid).any(axis=1)])
            self.slots.store(sorted_units, rows, valid)
        if map_units.size:
            self._add(map_units, lack[mapped], draws[for_map], first)
            short.append(map_units[self.size[map_units] < self.m[map_units]])
        return np.concatenate(short)

    def _add(self, units: Ints, counts: Ints, values: Ints, first: bool) -> None:
        """Add ``counts[i]`` drawn ``values`` to the byte map of ``units[i]``, counting the new ones."""
        at = np.repeat(4 * self.offsets[units], counts) + values
        if first:  # the maps are clear: set the bytes, then count them
            self.bytes[at] = 1
            starts = 4 * self.offsets[units]
            bounds = np.stack([starts, starts + self.c[units]], axis=1).ravel()
            # Sums over [start, end) of each map (and over the gaps between them, dropped).
            sums = np.add.reduceat(self.bytes[bounds[0] : bounds[-1]], bounds[:-1] - bounds[0], dtype=np.int64)
            self.size[units] = sums[::2]
        else:  # a few draws: keep the distinct ones not yet in their map
            at = np.sort(at[self.bytes[at] == 0])
            at = at[np.concatenate([at[:1] >= 0, at[1:] != at[:-1]])]
            self.bytes[at] = 1
            owner = np.searchsorted(4 * self.offsets[units], at, side="right") - 1
            self.size[units] += np.bincount(owner, minlength=units.size)

    def byte_maps(self, units: Ints, width: int) -> Bools:
        """The byte maps of ``units`` as rows of ``width`` booleans (garbage past a unit's c)."""
        if self.slots.matrix is not None:
            block = self.bytes.reshape(self.k.size, -1)
            rows = block[units[0] : units[-1] + 1, :width] if _is_run(units) else block[units, :width]
            maps: Bools = rows != 0
            return maps
        at = np.minimum(4 * self.offsets[units, None] + np.arange(width), self.bytes.size - 1)
        maps = self.bytes[at] != 0
        return maps


def _to_inputs(rows: U32, valid: Bools | None, win: Ints, start: Ints, pre_shape: Shape, wrap: bool) -> U32:
    """Map rows of local indices (one unit per row, with its window ``win``/``start``) to sorted inputs."""
    rest = rows.astype(np.int64)
    if valid is not None:
        rest[~valid] = 0  # padding
    digit = np.empty_like(rest)
    flat = np.zeros_like(rest)
    stride = 1
    for d in reversed(range(len(pre_shape))):
        w = win[:, d]
        np.divmod(rest, int(w[0]) if (w == w[0]).all() else w[:, None], out=(rest, digit))
        digit += start[:, d, None]
        if wrap:
            digit %= pre_shape[d]
        digit *= stride
        flat += digit
        stride *= pre_shape[d]
    mapped = flat.astype(np.uint32)
    if valid is not None:
        mapped[~valid] = _PAD
    if wrap and ((start < 0) | (start + win > np.asarray(pre_shape))).any():
        mapped.sort(axis=1)  # wrapped windows come out of order
    return mapped


def fill_pools(
    out: U32,
    pre_shape: Shape,
    post_shape: Shape,
    fraction: float,
    radius: int | None,
    wrap: bool,
    sizes: npt.ArrayLike,
    *,
    chunk_elements: int | None = None,
) -> None:
    """Write each unit's drawn pool (ascending flat input indices) into ``out``, units in C order.

    ``sizes`` is normally ``pool_sizes(...)``; ``out`` is a writable, contiguous 1-D uint32 array
    of length ``sizes.sum()`` and is only written into. The chunk budget (default
    ``CHUNK_ELEMENTS``) bounds the temporaries and does not change the result.
    """
    fraction, radius, wrap = check_pool(fraction, radius, wrap)
    check_shapes(pre_shape, post_shape, radius)
    pre_shape, post_shape = tuple(int(n) for n in pre_shape), tuple(int(n) for n in post_shape)
    budget = CHUNK_ELEMENTS if chunk_elements is None else chunk_elements
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral) or budget < 1:
        raise ValueError(f"chunk_elements must be a positive integer, got {chunk_elements!r}")
    budget = int(budget)
    pre_size, post_size = math.prod(pre_shape), math.prod(post_shape)
    if pre_size >= 2**32:
        raise ValueError(f"the input shape {pre_shape} has {pre_size} inputs, too many for uint32 indices")
    k = np.asarray(sizes)
    if k.shape != (post_size,) or k.dtype.kind not in "iu":
        raise ValueError(f"sizes must be {post_size} integers, one per unit, got {_describe(sizes)}")
    k = k.astype(np.int64)
    c = _counts(pre_shape, post_shape, radius, wrap)
    if ((k < 0) | (k > c)).any():
        bad = int(np.flatnonzero((k < 0) | (k > c))[0])
        raise ValueError(f"sizes[{bad}] = {k[bad]} is not within [0, {c[bad]}], the unit's number of candidates")
    total = int(k.sum())
    if not isinstance(out, np.ndarray) or out.dtype != np.uint32 or out.shape != (total,):
        raise ValueError(f"out must be a 1-D uint32 array of length {total}, got {_describe(out)}")
    if not (out.flags.writeable and out.flags.c_contiguous):
        raise ValueError("out must be writable and contiguous")

    offsets = np.cumsum(k) - k
    takes_all = (k == c) & (k > 0)
    drawing = (k > 0) & ~takes_all
    excludes = drawing & (2 * k > c)
    mapped = drawing & (excludes | (k >= _BYTE_MAP_FROM * c))
    m = np.where(excludes, c - k, k)  # the size of a drawing unit's set
    common = int(k[0]) if (c == c[0]).all() and k[0] > 0 else None
    draws = _Draws(out, offsets, k, c, m, mapped, common)
    draws.run(np.flatnonzero(drawing), budget)

    pools = _Regions(out, offsets, k, common)
    if radius is not None:
        win, start = _windows(pre_shape, post_shape, radius, wrap)
        # Units keeping sorted slots hold their sorted local indices: map them to inputs.
        units = np.flatnonzero(drawing & ~mapped)
        for sel in _chunks(units, k[units], budget):
            rows, valid = pools.load(sel)
            pools.store(sel, _to_inputs(rows, valid, win[sel], start[sel], pre_shape, wrap), valid)
    # The others: all candidates, those in the byte map, or those not in it.
    units = np.flatnonzero(takes_all | mapped)
    for sel in _chunks(units, c[units], budget):
        width = int(c[sel].max())
        keep = np.arange(width) < c[sel, None]
        if mapped[sel].any():
            keep &= (draws.byte_maps(sel, width) != excludes[sel, None]) | ~mapped[sel, None]
        rows, valid = pools.empty(sel)
        _put(rows, valid, np.flatnonzero(keep) % width)  # the columns, row by row
        if radius is not None:
            rows = _to_inputs(rows, valid, win[sel], start[sel], pre_shape, wrap)
        pools.store(sel, rows, valid)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return repr(value)
