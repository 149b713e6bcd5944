"""Type stubs for the native module built from rust/ (handles on engine objects)."""

from collections.abc import Callable, Sequence
from typing import Any, final

import numpy as np
import numpy.typing as npt

__version__: str

__all__ = [
    "__version__",
    "Activity",
    "Computation",
    "Connection",
    "DutyCycles",
    "Hebbian",
    "Network",
    "NumericalEncoder",
    "PoolDraft",
    "Predictor",
    "SequenceMemory",
    "Source",
    "_DraftBuffer",
    "_WeightsBuffer",
]

@final
class Activity:
    """The values of an output, owned by the engine and shared with every reader."""

    def __new__(cls, shape: list[int]) -> Activity: ...
    @property
    def shape(self) -> list[int]: ...
    @property
    def size(self) -> int: ...
    def snapshot(self) -> npt.NDArray[np.float64]:
        """A read-only copy of the current values, shaped."""
    def assign(self, values: npt.NDArray[np.float64]) -> None: ...

@final
class Source:
    """What a connection reads: a whole output, or values gathered from several."""

    @staticmethod
    def whole(activity: Activity) -> Source: ...
    @staticmethod
    def gather(
        shape: list[int], parts: list[Activity], part: npt.NDArray[np.int64], index: npt.NDArray[np.int64]
    ) -> Source: ...

@final
class _WeightsBuffer:
    """The base object of every numpy view of a connection's weights."""

@final
class Connection:
    """A connected input: its source, the group shape it feeds and the weights between them."""

    def __new__(
        cls, source: Source, post_shape: list[int], weights: npt.NDArray[np.float64] | None = None
    ) -> Connection: ...
    @staticmethod
    def sparse(
        source: Source,
        post_shape: list[int],
        indptr: npt.NDArray[np.int64],
        indices: npt.NDArray[np.int64],
        data: npt.NDArray[np.float64],
    ) -> Connection: ...
    @staticmethod
    def from_pools(source: Source, post_shape: list[int], draft: PoolDraft) -> Connection: ...
    @property
    def post_size(self) -> int: ...
    @property
    def is_sparse(self) -> bool: ...
    @property
    def nnz(self) -> int: ...
    def compact(self) -> None: ...
    def synapses(self) -> npt.NDArray[np.float64]: ...
    def sparse_parts(
        self,
    ) -> tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]], npt.NDArray[np.float64]]: ...
    def assign_sparse(
        self, indptr: npt.NDArray[np.int64], indices: npt.NDArray[np.int64], data: npt.NDArray[np.float64]
    ) -> None: ...
    def to_dense(self) -> npt.NDArray[np.float64]: ...
    def assign(self, values: npt.NDArray[np.float64]) -> None: ...
    def refresh_range(self) -> None: ...

@final
class PoolDraft:
    """The synapses of a sparse connection listed by unit, filled before it is built."""

    def __new__(cls, sizes: npt.NDArray[np.int64]) -> PoolDraft: ...
    def rows(self) -> npt.NDArray[np.uint32]: ...

@final
class _DraftBuffer: ...

@final
class Computation:
    """A built-in computation (threshold or k-winners)."""

    @staticmethod
    def threshold(threshold: float) -> Computation: ...
    @staticmethod
    def k_winners(n: int) -> Computation: ...
    @staticmethod
    def k_fraction(n: float) -> Computation: ...
    def with_connected(self, connected: float) -> Computation: ...
    def with_boost(self, strength: float, period: int) -> Computation: ...
    def compute(self, connections: list[Connection], post_shape: list[int]) -> npt.NDArray[np.float64]: ...
    def compute_into(self, connections: list[Connection], output: Activity, duty: DutyCycles | None = None) -> None: ...

@final
class DutyCycles:
    """A group's duty cycles, shared with the engine group that reads and updates them."""

    def __new__(cls, units: int) -> DutyCycles: ...
    def values(self) -> npt.NDArray[np.float64]: ...
    @property
    def steps(self) -> int: ...
    def assign(self, values: npt.NDArray[np.float64], steps: int) -> None: ...
    def update(self, output: Activity, period: int) -> None: ...

@final
class Hebbian:
    """Hebbian learning with fixed rates."""

    def __new__(cls, increase: float, decrease: float) -> Hebbian: ...
    def learn(self, connections: list[Connection], output: Activity) -> None: ...

@final
class NumericalEncoder:
    """A simple or cyclic numerical encoder."""

    def __new__(
        cls, kind: str, min_value: float, max_value: float, length: int, sparsity: float
    ) -> NumericalEncoder: ...
    @property
    def width(self) -> int: ...
    def encode(self, value: float) -> npt.NDArray[np.float64]: ...
    def encode_into(self, value: float, output: Activity) -> None: ...
    def encode_rows(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]: ...

#: One sequence memory's log of a run: raw anomaly scores, and (cells, ends) predicted.
_SequenceLog = tuple[npt.NDArray[np.float64], tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint64]] | None]

@final
class Network:
    """A brain compiled for the engine; built-in parts run in Rust, user parts are called back."""

    def __new__(
        cls,
        sensor: tuple[NumericalEncoder | None, Activity] | None,
        feed: Callable[[object], object] | None,
        groups: Sequence[
            tuple[
                Activity,
                list[Connection],
                Computation | None,
                Hebbian | None,
                Callable[[], object] | None,
                Callable[[], object] | None,
                DutyCycles | None,
                tuple[SequenceMemory, Source] | None,
            ]
        ],
    ) -> Network: ...
    @property
    def builtin(self) -> bool: ...
    @property
    def takes_patterns(self) -> bool: ...
    @property
    def sizes(self) -> list[int]: ...
    def compute(self) -> None: ...
    def learn(self) -> None: ...
    def record(self, buffers: list[npt.NDArray[np.bool_] | None], step: int) -> None: ...
    def run(
        self, values: npt.NDArray[np.float64], learn: bool, record: list[bool], predicted: list[bool] = ...
    ) -> tuple[int, list[npt.NDArray[np.bool_] | None], BaseException | None, list[_SequenceLog]]: ...
    def run_patterns(
        self, patterns: npt.NDArray[np.bool_], learn: bool, record: list[bool], predicted: list[bool] = ...
    ) -> tuple[int, list[npt.NDArray[np.bool_] | None], BaseException | None, list[_SequenceLog]]: ...

@final
class SequenceMemory:
    """A sequence memory (HTM temporal memory) of the engine, shared with the networks that
    step it as a group."""

    def __new__(
        cls,
        columns: int,
        cells_per_column: int,
        activation_threshold: int,
        min_threshold: int,
        initial_permanence: float,
        connected_permanence: float,
        permanence_increment: float,
        permanence_decrement: float,
        predicted_segment_decrement: float,
        max_new_synapses: int,
        max_segments_per_cell: int,
        max_synapses_per_segment: int,
        seed: int,
    ) -> SequenceMemory: ...
    def compute(self, columns: npt.NDArray[np.uint32], learn: bool) -> None: ...
    def activate(self, columns: npt.NDArray[np.uint32]) -> None: ...
    def activate_into(self, columns: npt.NDArray[np.uint32], output: Activity) -> None: ...
    def learn(self) -> None: ...
    def reset(self, output: Activity | None = None) -> None: ...
    def active_cells(self) -> npt.NDArray[np.uint32]: ...
    def winner_cells(self) -> npt.NDArray[np.uint32]: ...
    def predicted_cells(self) -> npt.NDArray[np.uint32]: ...
    @property
    def anomaly(self) -> float: ...
    @property
    def learning_pending(self) -> bool: ...
    def size(self) -> tuple[int, int]: ...
    def segments(self) -> list[tuple[int, list[tuple[int, float]]]]: ...
    def copy(self) -> SequenceMemory: ...
    def assign(self, other: SequenceMemory) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def with_state(self, state: dict[str, Any]) -> SequenceMemory: ...

@final
class Predictor:
    """An n-step-ahead predictor (htm.core's `Predictor`) of the engine."""

    def __new__(cls, steps: list[int], alpha: float) -> Predictor: ...
    @property
    def steps(self) -> list[int]: ...
    @property
    def alpha(self) -> float: ...
    @property
    def input_size(self) -> int: ...
    @property
    def categories(self) -> list[int]: ...
    @property
    def last_record(self) -> int | None: ...
    def reset(self) -> None: ...
    def infer(self, active: npt.NDArray[np.uint32], size: int) -> list[npt.NDArray[np.float64]]: ...
    def learn(self, record: int, active: npt.NDArray[np.uint32], size: int, buckets: list[int]) -> None: ...
    def run(
        self,
        indptr: npt.NDArray[np.uint64],
        indices: npt.NDArray[np.uint32],
        size: int,
        buckets: npt.NDArray[np.uint64],
        learn: bool,
        first_record: int,
    ) -> list[npt.NDArray[np.float64]]: ...
    def state(
        self,
    ) -> tuple[
        list[int],
        float,
        int,
        list[int],
        list[npt.NDArray[np.float64]],
        npt.NDArray[np.uint64],
        npt.NDArray[np.uint64],
        npt.NDArray[np.uint32],
    ]: ...
    @staticmethod
    def from_state(
        steps: list[int],
        alpha: float,
        input_size: int,
        categories: list[int],
        weights: list[npt.NDArray[np.float64]],
        records: npt.NDArray[np.uint64],
        indptr: npt.NDArray[np.uint64],
        indices: npt.NDArray[np.uint32],
    ) -> Predictor: ...

__all__ += ["AnomalyLikelihood", "_numpy_sum_mean_var"]

@final
class AnomalyLikelihood:
    """Numenta's anomaly likelihood of the engine (`protobrain.anomaly.AnomalyLikelihood`
    builds on it). Copies, deep copies and pickles hold the whole state."""

    def __new__(
        cls, learning_period: int, estimation_samples: int, historic_window: int, reestimation_period: int
    ) -> AnomalyLikelihood: ...
    @property
    def learning_period(self) -> int: ...
    @property
    def estimation_samples(self) -> int: ...
    @property
    def historic_window(self) -> int: ...
    @property
    def reestimation_period(self) -> int: ...
    @property
    def steps(self) -> int: ...
    def update(self, raw: float, value: float) -> float: ...
    def update_batch(
        self, raws: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]: ...
    def state(
        self,
    ) -> tuple[
        int,
        int,
        int,
        int,
        int,
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        tuple[float, float] | None,
        npt.NDArray[np.float64],
        float,
        npt.NDArray[np.float64],
    ]: ...
    @staticmethod
    def from_state(
        learning_period: int,
        estimation_samples: int,
        historic_window: int,
        reestimation_period: int,
        steps: int,
        history_values: npt.NDArray[np.float64],
        history_raws: npt.NDArray[np.float64],
        distribution: tuple[float, float] | None,
        window: npt.NDArray[np.float64],
        total: float,
        recent: npt.NDArray[np.float64],
    ) -> AnomalyLikelihood: ...
    def __copy__(self) -> AnomalyLikelihood: ...
    def __deepcopy__(self, memo: dict[int, object], /) -> AnomalyLikelihood: ...
    def __reduce__(self) -> tuple[object, ...]: ...
    def __setstate__(self, state: tuple[object, ...], /) -> None: ...

def _numpy_sum_mean_var(a: npt.NDArray[np.float64]) -> tuple[float, float, float]: ...
