from protobrain.proto import encoder_pb2 as _encoder_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Experiment(_message.Message):
    __slots__ = ("encoder", "cortex", "input", "computation", "learning", "seed")
    ENCODER_FIELD_NUMBER: _ClassVar[int]
    CORTEX_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    COMPUTATION_FIELD_NUMBER: _ClassVar[int]
    LEARNING_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    encoder: _encoder_pb2.Encoder
    cortex: Cortex
    input: _containers.RepeatedCompositeFieldContainer[_encoder_pb2.SensorValue]
    computation: Computation
    learning: Learning
    seed: int
    def __init__(self, encoder: _Optional[_Union[_encoder_pb2.Encoder, _Mapping]] = ..., cortex: _Optional[_Union[Cortex, _Mapping]] = ..., input: _Optional[_Iterable[_Union[_encoder_pb2.SensorValue, _Mapping]]] = ..., computation: _Optional[_Union[Computation, _Mapping]] = ..., learning: _Optional[_Union[Learning, _Mapping]] = ..., seed: _Optional[int] = ...) -> None: ...

class Cortex(_message.Message):
    __slots__ = ("layer", "synapses", "sequence")
    LAYER_FIELD_NUMBER: _ClassVar[int]
    SYNAPSES_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    layer: _containers.RepeatedScalarFieldContainer[int]
    synapses: Synapses
    sequence: SequenceMemory
    def __init__(self, layer: _Optional[_Iterable[int]] = ..., synapses: _Optional[_Union[Synapses, _Mapping]] = ..., sequence: _Optional[_Union[SequenceMemory, _Mapping]] = ...) -> None: ...

class SequenceMemory(_message.Message):
    __slots__ = ("cells_per_column", "activation_threshold", "min_threshold", "initial_permanence", "connected_permanence", "permanence_increment", "permanence_decrement", "predicted_segment_decrement", "max_new_synapses", "max_segments_per_cell", "max_synapses_per_segment", "seed")
    CELLS_PER_COLUMN_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MIN_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    INITIAL_PERMANENCE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_PERMANENCE_FIELD_NUMBER: _ClassVar[int]
    PERMANENCE_INCREMENT_FIELD_NUMBER: _ClassVar[int]
    PERMANENCE_DECREMENT_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_SEGMENT_DECREMENT_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_SYNAPSES_FIELD_NUMBER: _ClassVar[int]
    MAX_SEGMENTS_PER_CELL_FIELD_NUMBER: _ClassVar[int]
    MAX_SYNAPSES_PER_SEGMENT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    cells_per_column: int
    activation_threshold: int
    min_threshold: int
    initial_permanence: float
    connected_permanence: float
    permanence_increment: float
    permanence_decrement: float
    predicted_segment_decrement: float
    max_new_synapses: int
    max_segments_per_cell: int
    max_synapses_per_segment: int
    seed: int
    def __init__(self, cells_per_column: _Optional[int] = ..., activation_threshold: _Optional[int] = ..., min_threshold: _Optional[int] = ..., initial_permanence: _Optional[float] = ..., connected_permanence: _Optional[float] = ..., permanence_increment: _Optional[float] = ..., permanence_decrement: _Optional[float] = ..., predicted_segment_decrement: _Optional[float] = ..., max_new_synapses: _Optional[int] = ..., max_segments_per_cell: _Optional[int] = ..., max_synapses_per_segment: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class Synapses(_message.Message):
    __slots__ = ("potential_pool", "one_to_one")
    POTENTIAL_POOL_FIELD_NUMBER: _ClassVar[int]
    ONE_TO_ONE_FIELD_NUMBER: _ClassVar[int]
    potential_pool: PotentialPool
    one_to_one: OneToOne
    def __init__(self, potential_pool: _Optional[_Union[PotentialPool, _Mapping]] = ..., one_to_one: _Optional[_Union[OneToOne, _Mapping]] = ...) -> None: ...

class PotentialPool(_message.Message):
    __slots__ = ("fraction", "radius", "wrap")
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    RADIUS_FIELD_NUMBER: _ClassVar[int]
    WRAP_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    radius: int
    wrap: bool
    def __init__(self, fraction: _Optional[float] = ..., radius: _Optional[int] = ..., wrap: _Optional[bool] = ...) -> None: ...

class OneToOne(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Computation(_message.Message):
    __slots__ = ("sparse", "standard")
    SPARSE_FIELD_NUMBER: _ClassVar[int]
    STANDARD_FIELD_NUMBER: _ClassVar[int]
    sparse: SparseComputation
    standard: StandardComputation
    def __init__(self, sparse: _Optional[_Union[SparseComputation, _Mapping]] = ..., standard: _Optional[_Union[StandardComputation, _Mapping]] = ...) -> None: ...

class SparseComputation(_message.Message):
    __slots__ = ("winners", "fraction", "connected", "boost_strength", "duty_cycle_period")
    WINNERS_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    BOOST_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    DUTY_CYCLE_PERIOD_FIELD_NUMBER: _ClassVar[int]
    winners: int
    fraction: float
    connected: float
    boost_strength: float
    duty_cycle_period: int
    def __init__(self, winners: _Optional[int] = ..., fraction: _Optional[float] = ..., connected: _Optional[float] = ..., boost_strength: _Optional[float] = ..., duty_cycle_period: _Optional[int] = ...) -> None: ...

class StandardComputation(_message.Message):
    __slots__ = ("threshold", "connected")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    connected: float
    def __init__(self, threshold: _Optional[float] = ..., connected: _Optional[float] = ...) -> None: ...

class Learning(_message.Message):
    __slots__ = ("hebbian", "none")
    HEBBIAN_FIELD_NUMBER: _ClassVar[int]
    NONE_FIELD_NUMBER: _ClassVar[int]
    hebbian: HebbianLearning
    none: NoLearning
    def __init__(self, hebbian: _Optional[_Union[HebbianLearning, _Mapping]] = ..., none: _Optional[_Union[NoLearning, _Mapping]] = ...) -> None: ...

class HebbianLearning(_message.Message):
    __slots__ = ("increase", "decrease")
    INCREASE_FIELD_NUMBER: _ClassVar[int]
    DECREASE_FIELD_NUMBER: _ClassVar[int]
    increase: float
    decrease: float
    def __init__(self, increase: _Optional[float] = ..., decrease: _Optional[float] = ...) -> None: ...

class NoLearning(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
