"""Sparse connectivity: potential pools (with topology), one-to-one wiring, and your own
sparse weights (docs/connectivity.md).

A synapse function is called as ``f(source_shape, group_shape)`` when an input connects.
Besides the dense arrays of shape ``source_shape + group_shape`` that any function may
return, it may return a ``scipy.sparse`` matrix or array of shape
``(source size, group size)``: the synapses it stores are the connection's, every other
pair of units has none. A missing synapse behaves exactly as a dead one (weight 0) does in
a dense connection, so a sparse connection gives the activity and weights of the dense
connection holding the same weights and zeros. The engine keeps a connection sparse when
that takes less memory (12 bytes a synapse and 8 an input, against 8 a pair of units),
dense otherwise.

:class:`PotentialPool` and :class:`OneToOne` are synapse functions that build their
connection in the engine directly, never holding a dense matrix or a second copy of the
synapses.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from protobrain import _core, _pools
from protobrain._validation import Shape, float_array, normalize_shape

if TYPE_CHECKING:
    from scipy import sparse as _sparse

__all__ = ["OneToOne", "PotentialPool"]

#: Largest dense matrix (in weights) ``Input.synapses`` makes from sparse weights: 2 GiB.
DENSE_LIMIT = 1 << 28

# Weights drawn per numpy call: draws are sequential, so chunks give one big draw's numbers.
_DRAW_CHUNK = 1 << 20


class PotentialPool:
    """Each unit of the group gets ``round(fraction * candidates)`` distinct inputs drawn
    from its candidates, with weights uniform in [0, 1) (htm.core's ``potentialPct`` and
    ``potentialRadius``).

    The candidates are every input, or with ``radius`` the inputs within ``radius`` (in
    every dimension) of the unit's centre: unit coordinate ``c`` of a group dimension of
    size ``out`` is centred on input coordinate ``floor((c + 0.5) * in / out)``. The input
    and the group need the same number of dimensions then. ``wrap=True`` wraps windows
    around the input's edges. Pools are drawn first, then the weights in row-major order
    of the synapses (input by input, units ascending), all from numpy's global random
    state: ``numpy.random.seed`` makes them reproducible, and ``PotentialPool(1.0)``
    without a radius draws exactly the weights the default synapse function draws.
    """

    def __init__(self, fraction: float, radius: int | None = None, wrap: bool = False) -> None:
        self._fraction, self._radius, self._wrap = _pools.check_pool(fraction, radius, wrap)

    @property
    def fraction(self) -> float:
        """The fraction of its candidates each unit connects to."""
        return self._fraction

    @property
    def radius(self) -> int | None:
        """How far from its centre a unit's candidates lie (None: every input)."""
        return self._radius

    @property
    def wrap(self) -> bool:
        """Whether windows wrap around the input's edges."""
        return self._wrap

    def __repr__(self) -> str:
        return f"PotentialPool({self._fraction!r}, radius={self._radius!r}, wrap={self._wrap!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PotentialPool):
            return NotImplemented
        return (self._fraction, self._radius, self._wrap) == (other._fraction, other._radius, other._wrap)

    def __hash__(self) -> int:
        return hash((PotentialPool, self._fraction, self._radius, self._wrap))

    def __call__(self, pre_shape: Any, post_shape: Any) -> _sparse.csr_array:
        """The drawn weights as a ``scipy.sparse.csr_array`` of shape (inputs, units)."""
        pre, post = normalize_shape(pre_shape), normalize_shape(post_shape)
        connection = self._connection(_core.Source.whole(_core.Activity(list(pre))), pre, post)
        return sparse_copy(connection)

    def _connection(self, source: _core.Source, pre_shape: Shape, post_shape: Shape) -> _core.Connection:
        _pools.check_shapes(pre_shape, post_shape, self._radius)
        if self._radius is None and self._fraction == 1.0:
            connection = _core.Connection(source, list(post_shape))
            draw_uniform(connection.synapses().reshape(-1))
            connection.refresh_range()
            return connection
        sizes = _pools.pool_sizes(pre_shape, post_shape, self._fraction, self._radius, self._wrap)
        draft = _core.PoolDraft(sizes)
        rows = draft.rows()
        _pools.fill_pools(rows, pre_shape, post_shape, self._fraction, self._radius, self._wrap, sizes)
        del rows
        connection = _core.Connection.from_pools(source, list(post_shape), draft)
        data = connection.sparse_parts()[2]
        draw_uniform(data)
        del data
        connection.compact()
        connection.refresh_range()
        return connection


class OneToOne:
    """Unit ``i`` reads input ``i``, with weight 1; the input and the group must have the
    same shape."""

    def __repr__(self) -> str:
        return "OneToOne()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneToOne)

    def __hash__(self) -> int:
        return hash(OneToOne)

    def __call__(self, pre_shape: Any, post_shape: Any) -> _sparse.csr_array:
        """The weights as a ``scipy.sparse.csr_array`` of shape (inputs, units)."""
        pre, post = normalize_shape(pre_shape), normalize_shape(post_shape)
        connection = self._connection(_core.Source.whole(_core.Activity(list(pre))), pre, post)
        return sparse_copy(connection)

    def _connection(self, source: _core.Source, pre_shape: Shape, post_shape: Shape) -> _core.Connection:
        if tuple(pre_shape) != tuple(post_shape):
            raise ValueError(
                f"OneToOne connects shapes that match, got input shape {pre_shape} and group shape {post_shape}"
            )
        n = math.prod(post_shape)
        units = np.arange(n, dtype=np.int64)
        return _core.Connection.sparse(source, list(post_shape), np.arange(n + 1, dtype=np.int64), units, np.ones(n))


def connect(source: _core.Source, pre_shape: Shape, post_shape: Shape, synapse_function: Any) -> _core.Connection:
    """The engine connection a synapse function makes (the default one when None)."""
    if synapse_function is None:
        connection = _core.Connection(source, list(post_shape))
        draw_uniform(connection.synapses().reshape(-1))
        connection.refresh_range()
        return connection
    native = getattr(synapse_function, "_connection", None)
    if native is not None and isinstance(synapse_function, (PotentialPool, OneToOne)):
        return native(source, pre_shape, post_shape)
    return from_weights(source, pre_shape, post_shape, synapse_function(pre_shape, post_shape))


def from_weights(
    source: _core.Source, pre_shape: Shape, post_shape: Shape, weights: Any, *, kept: bool = False
) -> _core.Connection:
    """An engine connection holding ``weights``: dense of shape ``pre_shape + post_shape``
    (any shape of that size when ``kept``, weights kept flat by a copy or a relayering) or
    scipy.sparse of shape (pre size, post size)."""
    if is_sparse(weights):
        indptr, indices, data = csr_parts(weights, pre_shape, post_shape)
        return _core.Connection.sparse(source, list(post_shape), indptr, indices, data)
    array = np.asarray(weights)
    if kept and array.size == math.prod(pre_shape) * math.prod(post_shape):
        array = array.reshape(pre_shape + post_shape)
    array = check_dense(array, pre_shape + post_shape)
    return _core.Connection(source, list(post_shape), np.ascontiguousarray(array, dtype=np.float64))


def check_dense(weights: Any, shape: Shape) -> np.ndarray:
    """``weights`` as a float64 array of ``shape``, all finite, or ValueError."""
    array = float_array(weights, "synapses")
    if array.shape != shape:
        raise ValueError(f"synapses must have shape {shape}, got shape {array.shape}")
    if not np.isfinite(array).all():
        bad = array.flat[np.flatnonzero(~np.isfinite(array))[0]]
        raise ValueError(f"synapses must be finite, got {bad}")
    return array


def is_sparse(weights: Any) -> bool:
    """Whether ``weights`` is a scipy.sparse matrix or array (without importing scipy)."""
    if not any(cls.__module__.startswith("scipy.sparse") for cls in type(weights).__mro__):
        return False
    from scipy import sparse  # imported on first use: scipy is slow to import

    return bool(sparse.issparse(weights))


def csr_parts(weights: Any, pre_shape: Shape, post_shape: Shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(indptr, indices, data)`` of scipy.sparse ``weights`` in canonical CSR form
    (int64, float64), checked against the connection's shape and for finite values."""
    from scipy import sparse  # imported on first use: scipy is slow to import

    expected = (math.prod(pre_shape), math.prod(post_shape))
    if weights.ndim != 2 or tuple(weights.shape) != expected:
        raise ValueError(
            f"sparse synapses must have shape {expected} (source size, group size), got shape {tuple(weights.shape)}"
        )
    if np.dtype(weights.dtype).kind not in "biuf":
        raise ValueError(f"sparse synapses must hold real numbers, got dtype {weights.dtype}")
    if weights.format in ("csr", "csc", "bsr"):
        # scipy's own conversions trust the offsets; malformed ones would make them write
        # out of bounds, so they are checked first (ValueError naming what is wrong).
        major = weights.shape[1] if weights.format == "csc" else weights.shape[0]
        blocks = weights.blocksize[0] if weights.format == "bsr" else 1
        check_compressed(weights.indptr, weights.indices, major // blocks)
    csr = sparse.csr_array(weights, dtype=np.float64, copy=True)
    csr.sum_duplicates()  # canonical: sorted units, no duplicates
    data = np.asarray(csr.data, dtype=np.float64)
    if not np.isfinite(data).all():
        raise ValueError(f"synapses must be finite, got {data[~np.isfinite(data)][0]}")
    return csr.indptr.astype(np.int64), csr.indices.astype(np.int64), data


def check_compressed(indptr: Any, indices: Any, rows: int) -> None:
    """ValueError unless ``indptr`` has ``rows + 1`` offsets rising from 0 to the number of
    ``indices`` (never falling)."""
    indptr, indices = np.asarray(indptr), np.asarray(indices)
    if indptr.ndim != 1 or indptr.size != rows + 1:
        raise ValueError(f"sparse synapses need {rows + 1} offsets (indptr), got {indptr.size}")
    if indptr[0] != 0 or indptr[-1] != indices.size or (np.diff(indptr) < 0).any():
        raise ValueError(
            f"sparse offsets (indptr) must start at 0, never fall and end at the number of synapses "
            f"({indices.size}), got {indptr[0]} to {indptr[-1]}"
            + (" with a fall" if (np.diff(indptr) < 0).any() else "")
        )


def _plain_csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> Any:
    """A plain ``csr_array`` (what pickling or copying a view gives)."""
    from scipy import sparse  # only reached with sparse weights

    return sparse.csr_array((data, indices, indptr), shape=shape)


class _EngineCSR:
    """Mixin for the scipy.sparse view of a connection's weights: a change of pattern
    (a new synapse) cannot reach the engine, so it is refused rather than silently kept in
    the view alone."""

    def __setitem__(self, key: Any, value: Any) -> None:
        from scipy.sparse import SparseEfficiencyWarning  # only views of sparse weights get here

        with warnings.catch_warnings():
            # scipy warns that a new entry is expensive just before refusing it below.
            warnings.simplefilter("ignore", SparseEfficiencyWarning)
            super().__setitem__(key, value)  # type: ignore[misc]

    def _insert_many(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError(
            "cannot add synapses through the sparse view (only existing ones can change); "
            "assign input.sparse_synapses = ... with the same pattern, or connect the input again"
        )

    # What is built from a view (copies, arithmetic, pickles) is a plain csr_array of its own.
    def copy(self) -> Any:
        data, indices, indptr = self.data, self.indices, self.indptr  # type: ignore[attr-defined]
        return _plain_csr(data.copy(), indices.copy(), indptr.copy(), self.shape)  # type: ignore[attr-defined]

    def _with_data(self, data: Any, copy: bool = True) -> Any:
        indices, indptr = self.indices, self.indptr  # type: ignore[attr-defined]
        if copy:
            indices, indptr = indices.copy(), indptr.copy()
        return _plain_csr(data, indices, indptr, self.shape)  # type: ignore[attr-defined]

    def __reduce__(self) -> Any:
        data, indices, indptr = self.data, self.indices, self.indptr  # type: ignore[attr-defined]
        return _plain_csr, (data.copy(), indices.copy(), indptr.copy(), self.shape)  # type: ignore[attr-defined]


def sparse_view(connection: _core.Connection) -> _sparse.csr_array:
    """A ``csr_array`` over the engine's sparse weights: its ``data`` is the weights
    themselves (edits are what the next step uses), its pattern read-only."""
    from scipy import sparse  # imported on first use: scipy is slow to import

    view_type = _view_type(sparse.csr_array)
    indptr, indices, data = connection.sparse_parts()
    shape = (len(indptr) - 1, _post_size(connection, indptr))
    view = view_type((data, indices, indptr), shape=shape, copy=False)
    return view


def sparse_copy(connection: _core.Connection) -> _sparse.csr_array:
    """The connection's weights as a new ``csr_array`` (dense weights: their non-zeros)."""
    from scipy import sparse  # imported on first use: scipy is slow to import

    if connection.is_sparse:
        indptr, indices, data = connection.sparse_parts()
        shape = (len(indptr) - 1, _post_size(connection, indptr))
        return sparse.csr_array((data.copy(), indices.copy(), indptr.copy()), shape=shape)
    return sparse.csr_array(connection.to_dense())


def dense_copy(connection: _core.Connection, shape: Shape, name: str) -> np.ndarray:
    """A read-only dense copy of sparse weights, refused when larger than :data:`DENSE_LIMIT`."""
    size = math.prod(shape)
    if size > DENSE_LIMIT:
        raise ValueError(
            f"the synapses of input {name!r} are stored sparsely ({connection.nnz:,} synapses); a dense "
            f"array of shape {shape} would hold {size:,} weights ({size * 8 / 2**30:.1f} GiB): "
            "use input.sparse_synapses instead"
        )
    array = connection.to_dense().reshape(shape)
    array.flags.writeable = False
    return array


def assign(connection: _core.Connection, weights: Any, pre_shape: Shape, post_shape: Shape) -> None:
    """Replace a connection's weights with dense or sparse ``weights``; sparse weights of
    a sparse connection must keep its pattern, dense ones must be 0 outside it."""
    if is_sparse(weights):
        connection.assign_sparse(*csr_parts(weights, pre_shape, post_shape))
        return
    array = check_dense(weights, pre_shape + post_shape)
    connection.assign(np.ascontiguousarray(array, dtype=np.float64))


def weights_copy(connection: _core.Connection) -> Any:
    """A copy of the weights that :func:`from_weights` and :func:`assign` take back:
    a dense array, or a csr_array for sparse weights."""
    if connection.is_sparse:
        return sparse_copy(connection)
    return connection.synapses().copy()


def restore(connection: _core.Connection, copy: Any) -> None:
    """Put back weights taken by :func:`weights_copy`."""
    if is_sparse(copy):
        indptr, indices = copy.indptr.astype(np.int64), copy.indices.astype(np.int64)
        connection.assign_sparse(indptr, indices, np.asarray(copy.data, dtype=np.float64))
    else:
        connection.assign(copy)


def draw_uniform(out: np.ndarray) -> None:
    """Fill the flat ``out`` as ``numpy.random.uniform(0, 1, out.size)`` would, in chunks."""
    for start in range(0, out.size, _DRAW_CHUNK):
        stop = min(out.size, start + _DRAW_CHUNK)
        out[start:stop] = np.random.uniform(0, 1, stop - start)


def _post_size(connection: _core.Connection, indptr: np.ndarray) -> int:
    return int(connection.post_size)


_VIEW_TYPES: dict[type, type] = {}


def _view_type(base: type) -> type:
    if base not in _VIEW_TYPES:
        _VIEW_TYPES[base] = type("SynapsesView", (_EngineCSR, base), {"__module__": __name__})
    return _VIEW_TYPES[base]
