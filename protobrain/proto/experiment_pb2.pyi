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
    __slots__ = ("layer", "synapses")
    LAYER_FIELD_NUMBER: _ClassVar[int]
    SYNAPSES_FIELD_NUMBER: _ClassVar[int]
    layer: _containers.RepeatedScalarFieldContainer[int]
    synapses: Synapses
    def __init__(self, layer: _Optional[_Iterable[int]] = ..., synapses: _Optional[_Union[Synapses, _Mapping]] = ...) -> None: ...

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
