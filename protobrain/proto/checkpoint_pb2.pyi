import builtins as _builtins
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Checkpoint(_message.Message):
    __slots__ = ("protobrain_version", "root", "node", "array", "pickle", "metadata")
    PROTOBRAIN_VERSION_FIELD_NUMBER: _ClassVar[_builtins.int]
    ROOT_FIELD_NUMBER: _ClassVar[_builtins.int]
    NODE_FIELD_NUMBER: _ClassVar[_builtins.int]
    ARRAY_FIELD_NUMBER: _ClassVar[_builtins.int]
    PICKLE_FIELD_NUMBER: _ClassVar[_builtins.int]
    METADATA_FIELD_NUMBER: _ClassVar[_builtins.int]
    protobrain_version: _builtins.str
    root: _builtins.int
    node: _containers.RepeatedCompositeFieldContainer[CheckpointNode]
    array: _containers.RepeatedCompositeFieldContainer[CheckpointArray]
    pickle: _builtins.int
    metadata: _containers.RepeatedCompositeFieldContainer[CheckpointMetadata]
    def __init__(self, protobrain_version: _Optional[_builtins.str] = ..., root: _Optional[_builtins.int] = ..., node: _Optional[_Iterable[_Union[CheckpointNode, _Mapping]]] = ..., array: _Optional[_Iterable[_Union[CheckpointArray, _Mapping]]] = ..., pickle: _Optional[_builtins.int] = ..., metadata: _Optional[_Iterable[_Union[CheckpointMetadata, _Mapping]]] = ...) -> None: ...

class CheckpointMetadata(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[_builtins.int]
    VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    key: _builtins.str
    value: _builtins.bytes
    def __init__(self, key: _Optional[_builtins.str] = ..., value: _Optional[_builtins.bytes] = ...) -> None: ...

class CheckpointArray(_message.Message):
    __slots__ = ("dtype", "shape", "offset", "length", "crc32", "owner")
    class DType(_builtins.int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[CheckpointArray.DType]
        FLOAT64: _ClassVar[CheckpointArray.DType]
        INT64: _ClassVar[CheckpointArray.DType]
        BOOL: _ClassVar[CheckpointArray.DType]
        BYTES: _ClassVar[CheckpointArray.DType]
    UNKNOWN: CheckpointArray.DType
    FLOAT64: CheckpointArray.DType
    INT64: CheckpointArray.DType
    BOOL: CheckpointArray.DType
    BYTES: CheckpointArray.DType
    DTYPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SHAPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    OFFSET_FIELD_NUMBER: _ClassVar[_builtins.int]
    LENGTH_FIELD_NUMBER: _ClassVar[_builtins.int]
    CRC32_FIELD_NUMBER: _ClassVar[_builtins.int]
    OWNER_FIELD_NUMBER: _ClassVar[_builtins.int]
    dtype: CheckpointArray.DType
    shape: _containers.RepeatedScalarFieldContainer[_builtins.int]
    offset: _builtins.int
    length: _builtins.int
    crc32: _builtins.int
    owner: _builtins.str
    def __init__(self, dtype: _Optional[_Union[CheckpointArray.DType, _builtins.str]] = ..., shape: _Optional[_Iterable[_builtins.int]] = ..., offset: _Optional[_builtins.int] = ..., length: _Optional[_builtins.int] = ..., crc32: _Optional[_builtins.int] = ..., owner: _Optional[_builtins.str] = ...) -> None: ...

class CheckpointValue(_message.Message):
    __slots__ = ("int", "float", "text", "boolean", "user")
    INT_FIELD_NUMBER: _ClassVar[_builtins.int]
    FLOAT_FIELD_NUMBER: _ClassVar[_builtins.int]
    TEXT_FIELD_NUMBER: _ClassVar[_builtins.int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[_builtins.int]
    USER_FIELD_NUMBER: _ClassVar[_builtins.int]
    int: _builtins.int
    float: _builtins.float
    text: _builtins.str
    boolean: _builtins.bool
    user: _builtins.int
    def __init__(self, int: _Optional[_builtins.int] = ..., float: _Optional[_builtins.float] = ..., text: _Optional[_builtins.str] = ..., boolean: _Optional[_builtins.bool] = ..., user: _Optional[_builtins.int] = ...) -> None: ...

class CheckpointNode(_message.Message):
    __slots__ = ("path", "brain", "neurons", "layered", "input", "output", "slice", "merge", "sensor", "standard", "sparse", "hebbian", "numerical_encoder", "user", "sequence", "column_input")
    PATH_FIELD_NUMBER: _ClassVar[_builtins.int]
    BRAIN_FIELD_NUMBER: _ClassVar[_builtins.int]
    NEURONS_FIELD_NUMBER: _ClassVar[_builtins.int]
    LAYERED_FIELD_NUMBER: _ClassVar[_builtins.int]
    INPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    OUTPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    SLICE_FIELD_NUMBER: _ClassVar[_builtins.int]
    MERGE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SENSOR_FIELD_NUMBER: _ClassVar[_builtins.int]
    STANDARD_FIELD_NUMBER: _ClassVar[_builtins.int]
    SPARSE_FIELD_NUMBER: _ClassVar[_builtins.int]
    HEBBIAN_FIELD_NUMBER: _ClassVar[_builtins.int]
    NUMERICAL_ENCODER_FIELD_NUMBER: _ClassVar[_builtins.int]
    USER_FIELD_NUMBER: _ClassVar[_builtins.int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[_builtins.int]
    COLUMN_INPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    path: _builtins.str
    brain: BrainNode
    neurons: NeuronsNode
    layered: LayeredNeuronsNode
    input: InputNode
    output: OutputNode
    slice: OutputSliceNode
    merge: OutputMergeNode
    sensor: SensorNode
    standard: StandardComputationNode
    sparse: SparseComputationNode
    hebbian: HebbianLearningNode
    numerical_encoder: NumericalEncoderNode
    user: UserNode
    sequence: SequenceMemoryNode
    column_input: ColumnInputNode
    def __init__(self, path: _Optional[_builtins.str] = ..., brain: _Optional[_Union[BrainNode, _Mapping]] = ..., neurons: _Optional[_Union[NeuronsNode, _Mapping]] = ..., layered: _Optional[_Union[LayeredNeuronsNode, _Mapping]] = ..., input: _Optional[_Union[InputNode, _Mapping]] = ..., output: _Optional[_Union[OutputNode, _Mapping]] = ..., slice: _Optional[_Union[OutputSliceNode, _Mapping]] = ..., merge: _Optional[_Union[OutputMergeNode, _Mapping]] = ..., sensor: _Optional[_Union[SensorNode, _Mapping]] = ..., standard: _Optional[_Union[StandardComputationNode, _Mapping]] = ..., sparse: _Optional[_Union[SparseComputationNode, _Mapping]] = ..., hebbian: _Optional[_Union[HebbianLearningNode, _Mapping]] = ..., numerical_encoder: _Optional[_Union[NumericalEncoderNode, _Mapping]] = ..., user: _Optional[_Union[UserNode, _Mapping]] = ..., sequence: _Optional[_Union[SequenceMemoryNode, _Mapping]] = ..., column_input: _Optional[_Union[ColumnInputNode, _Mapping]] = ...) -> None: ...

class BrainNode(_message.Message):
    __slots__ = ("neurons", "sensor")
    NEURONS_FIELD_NUMBER: _ClassVar[_builtins.int]
    SENSOR_FIELD_NUMBER: _ClassVar[_builtins.int]
    neurons: _builtins.int
    sensor: _builtins.int
    def __init__(self, neurons: _Optional[_builtins.int] = ..., sensor: _Optional[_builtins.int] = ...) -> None: ...

class NeuronsNode(_message.Message):
    __slots__ = ("shape", "output", "input", "computation", "learning", "duty_cycles", "duty_steps")
    SHAPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    OUTPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    INPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    COMPUTATION_FIELD_NUMBER: _ClassVar[_builtins.int]
    LEARNING_FIELD_NUMBER: _ClassVar[_builtins.int]
    DUTY_CYCLES_FIELD_NUMBER: _ClassVar[_builtins.int]
    DUTY_STEPS_FIELD_NUMBER: _ClassVar[_builtins.int]
    shape: _containers.RepeatedScalarFieldContainer[_builtins.int]
    output: _builtins.int
    input: _containers.RepeatedCompositeFieldContainer[NamedInput]
    computation: _builtins.int
    learning: _builtins.int
    duty_cycles: _builtins.int
    duty_steps: _builtins.int
    def __init__(self, shape: _Optional[_Iterable[_builtins.int]] = ..., output: _Optional[_builtins.int] = ..., input: _Optional[_Iterable[_Union[NamedInput, _Mapping]]] = ..., computation: _Optional[_builtins.int] = ..., learning: _Optional[_builtins.int] = ..., duty_cycles: _Optional[_builtins.int] = ..., duty_steps: _Optional[_builtins.int] = ...) -> None: ...

class NamedInput(_message.Message):
    __slots__ = ("key", "node")
    KEY_FIELD_NUMBER: _ClassVar[_builtins.int]
    NODE_FIELD_NUMBER: _ClassVar[_builtins.int]
    key: _builtins.str
    node: _builtins.int
    def __init__(self, key: _Optional[_builtins.str] = ..., node: _Optional[_builtins.int] = ...) -> None: ...

class LayeredNeuronsNode(_message.Message):
    __slots__ = ("layer",)
    LAYER_FIELD_NUMBER: _ClassVar[_builtins.int]
    layer: _containers.RepeatedScalarFieldContainer[_builtins.int]
    def __init__(self, layer: _Optional[_Iterable[_builtins.int]] = ...) -> None: ...

class InputNode(_message.Message):
    __slots__ = ("name", "shape", "source", "synapses", "sparse")
    NAME_FIELD_NUMBER: _ClassVar[_builtins.int]
    SHAPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SOURCE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SYNAPSES_FIELD_NUMBER: _ClassVar[_builtins.int]
    SPARSE_FIELD_NUMBER: _ClassVar[_builtins.int]
    name: _builtins.str
    shape: _containers.RepeatedScalarFieldContainer[_builtins.int]
    source: _builtins.int
    synapses: _builtins.int
    sparse: SparseSynapses
    def __init__(self, name: _Optional[_builtins.str] = ..., shape: _Optional[_Iterable[_builtins.int]] = ..., source: _Optional[_builtins.int] = ..., synapses: _Optional[_builtins.int] = ..., sparse: _Optional[_Union[SparseSynapses, _Mapping]] = ...) -> None: ...

class SparseSynapses(_message.Message):
    __slots__ = ("indptr", "indices", "data")
    INDPTR_FIELD_NUMBER: _ClassVar[_builtins.int]
    INDICES_FIELD_NUMBER: _ClassVar[_builtins.int]
    DATA_FIELD_NUMBER: _ClassVar[_builtins.int]
    indptr: _builtins.int
    indices: _builtins.int
    data: _builtins.int
    def __init__(self, indptr: _Optional[_builtins.int] = ..., indices: _Optional[_builtins.int] = ..., data: _Optional[_builtins.int] = ...) -> None: ...

class OutputNode(_message.Message):
    __slots__ = ("shape", "values")
    SHAPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    VALUES_FIELD_NUMBER: _ClassVar[_builtins.int]
    shape: _containers.RepeatedScalarFieldContainer[_builtins.int]
    values: _builtins.int
    def __init__(self, shape: _Optional[_Iterable[_builtins.int]] = ..., values: _Optional[_builtins.int] = ...) -> None: ...

class OutputSliceNode(_message.Message):
    __slots__ = ("parent", "key")
    PARENT_FIELD_NUMBER: _ClassVar[_builtins.int]
    KEY_FIELD_NUMBER: _ClassVar[_builtins.int]
    parent: _builtins.int
    key: IndexKey
    def __init__(self, parent: _Optional[_builtins.int] = ..., key: _Optional[_Union[IndexKey, _Mapping]] = ...) -> None: ...

class IndexKey(_message.Message):
    __slots__ = ("tuple", "item", "user")
    TUPLE_FIELD_NUMBER: _ClassVar[_builtins.int]
    ITEM_FIELD_NUMBER: _ClassVar[_builtins.int]
    USER_FIELD_NUMBER: _ClassVar[_builtins.int]
    tuple: _builtins.bool
    item: _containers.RepeatedCompositeFieldContainer[IndexItem]
    user: _builtins.int
    def __init__(self, tuple: _Optional[_builtins.bool] = ..., item: _Optional[_Iterable[_Union[IndexItem, _Mapping]]] = ..., user: _Optional[_builtins.int] = ...) -> None: ...

class IndexItem(_message.Message):
    __slots__ = ("index", "slice", "ellipsis", "new_axis", "array")
    INDEX_FIELD_NUMBER: _ClassVar[_builtins.int]
    SLICE_FIELD_NUMBER: _ClassVar[_builtins.int]
    ELLIPSIS_FIELD_NUMBER: _ClassVar[_builtins.int]
    NEW_AXIS_FIELD_NUMBER: _ClassVar[_builtins.int]
    ARRAY_FIELD_NUMBER: _ClassVar[_builtins.int]
    index: _builtins.int
    slice: SliceItem
    ellipsis: _builtins.bool
    new_axis: _builtins.bool
    array: _builtins.int
    def __init__(self, index: _Optional[_builtins.int] = ..., slice: _Optional[_Union[SliceItem, _Mapping]] = ..., ellipsis: _Optional[_builtins.bool] = ..., new_axis: _Optional[_builtins.bool] = ..., array: _Optional[_builtins.int] = ...) -> None: ...

class SliceItem(_message.Message):
    __slots__ = ("start", "stop", "step")
    START_FIELD_NUMBER: _ClassVar[_builtins.int]
    STOP_FIELD_NUMBER: _ClassVar[_builtins.int]
    STEP_FIELD_NUMBER: _ClassVar[_builtins.int]
    start: _builtins.int
    stop: _builtins.int
    step: _builtins.int
    def __init__(self, start: _Optional[_builtins.int] = ..., stop: _Optional[_builtins.int] = ..., step: _Optional[_builtins.int] = ...) -> None: ...

class OutputMergeNode(_message.Message):
    __slots__ = ("member", "axis")
    MEMBER_FIELD_NUMBER: _ClassVar[_builtins.int]
    AXIS_FIELD_NUMBER: _ClassVar[_builtins.int]
    member: _containers.RepeatedScalarFieldContainer[_builtins.int]
    axis: _builtins.int
    def __init__(self, member: _Optional[_Iterable[_builtins.int]] = ..., axis: _Optional[_builtins.int] = ...) -> None: ...

class SensorNode(_message.Message):
    __slots__ = ("encoder", "output", "value")
    ENCODER_FIELD_NUMBER: _ClassVar[_builtins.int]
    OUTPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    encoder: _builtins.int
    output: _builtins.int
    value: CheckpointValue
    def __init__(self, encoder: _Optional[_builtins.int] = ..., output: _Optional[_builtins.int] = ..., value: _Optional[_Union[CheckpointValue, _Mapping]] = ...) -> None: ...

class StandardComputationNode(_message.Message):
    __slots__ = ("threshold", "connected")
    THRESHOLD_FIELD_NUMBER: _ClassVar[_builtins.int]
    CONNECTED_FIELD_NUMBER: _ClassVar[_builtins.int]
    threshold: CheckpointValue
    connected: CheckpointValue
    def __init__(self, threshold: _Optional[_Union[CheckpointValue, _Mapping]] = ..., connected: _Optional[_Union[CheckpointValue, _Mapping]] = ...) -> None: ...

class SparseComputationNode(_message.Message):
    __slots__ = ("n", "connected", "boost_strength", "duty_cycle_period")
    N_FIELD_NUMBER: _ClassVar[_builtins.int]
    CONNECTED_FIELD_NUMBER: _ClassVar[_builtins.int]
    BOOST_STRENGTH_FIELD_NUMBER: _ClassVar[_builtins.int]
    DUTY_CYCLE_PERIOD_FIELD_NUMBER: _ClassVar[_builtins.int]
    n: CheckpointValue
    connected: CheckpointValue
    boost_strength: _builtins.float
    duty_cycle_period: _builtins.int
    def __init__(self, n: _Optional[_Union[CheckpointValue, _Mapping]] = ..., connected: _Optional[_Union[CheckpointValue, _Mapping]] = ..., boost_strength: _Optional[_builtins.float] = ..., duty_cycle_period: _Optional[_builtins.int] = ...) -> None: ...

class HebbianLearningNode(_message.Message):
    __slots__ = ("increase", "decrease")
    INCREASE_FIELD_NUMBER: _ClassVar[_builtins.int]
    DECREASE_FIELD_NUMBER: _ClassVar[_builtins.int]
    increase: _builtins.float
    decrease: _builtins.float
    def __init__(self, increase: _Optional[_builtins.float] = ..., decrease: _Optional[_builtins.float] = ...) -> None: ...

class NumericalEncoderNode(_message.Message):
    __slots__ = ("kind", "min_value", "max_value", "length", "sparsity", "default_value")
    class Kind(_builtins.int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[NumericalEncoderNode.Kind]
        SIMPLE: _ClassVar[NumericalEncoderNode.Kind]
        CYCLIC: _ClassVar[NumericalEncoderNode.Kind]
    UNKNOWN: NumericalEncoderNode.Kind
    SIMPLE: NumericalEncoderNode.Kind
    CYCLIC: NumericalEncoderNode.Kind
    KIND_FIELD_NUMBER: _ClassVar[_builtins.int]
    MIN_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    LENGTH_FIELD_NUMBER: _ClassVar[_builtins.int]
    SPARSITY_FIELD_NUMBER: _ClassVar[_builtins.int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    kind: NumericalEncoderNode.Kind
    min_value: CheckpointValue
    max_value: CheckpointValue
    length: _builtins.int
    sparsity: CheckpointValue
    default_value: CheckpointValue
    def __init__(self, kind: _Optional[_Union[NumericalEncoderNode.Kind, _builtins.str]] = ..., min_value: _Optional[_Union[CheckpointValue, _Mapping]] = ..., max_value: _Optional[_Union[CheckpointValue, _Mapping]] = ..., length: _Optional[_builtins.int] = ..., sparsity: _Optional[_Union[CheckpointValue, _Mapping]] = ..., default_value: _Optional[_Union[CheckpointValue, _Mapping]] = ...) -> None: ...

class UserNode(_message.Message):
    __slots__ = ("index", "type")
    INDEX_FIELD_NUMBER: _ClassVar[_builtins.int]
    TYPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    index: _builtins.int
    type: _builtins.str
    def __init__(self, index: _Optional[_builtins.int] = ..., type: _Optional[_builtins.str] = ...) -> None: ...

class SequenceMemoryNode(_message.Message):
    __slots__ = ("columns", "cells_per_column", "output", "input", "activation_threshold", "min_threshold", "initial_permanence", "connected_permanence", "permanence_increment", "permanence_decrement", "predicted_segment_decrement", "max_new_synapses", "max_segments_per_cell", "max_synapses_per_segment", "seed", "iteration", "next_ordinal", "draws", "anomaly", "plan", "state", "likelihood", "likelihood_score")
    COLUMNS_FIELD_NUMBER: _ClassVar[_builtins.int]
    CELLS_PER_COLUMN_FIELD_NUMBER: _ClassVar[_builtins.int]
    OUTPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    INPUT_FIELD_NUMBER: _ClassVar[_builtins.int]
    ACTIVATION_THRESHOLD_FIELD_NUMBER: _ClassVar[_builtins.int]
    MIN_THRESHOLD_FIELD_NUMBER: _ClassVar[_builtins.int]
    INITIAL_PERMANENCE_FIELD_NUMBER: _ClassVar[_builtins.int]
    CONNECTED_PERMANENCE_FIELD_NUMBER: _ClassVar[_builtins.int]
    PERMANENCE_INCREMENT_FIELD_NUMBER: _ClassVar[_builtins.int]
    PERMANENCE_DECREMENT_FIELD_NUMBER: _ClassVar[_builtins.int]
    PREDICTED_SEGMENT_DECREMENT_FIELD_NUMBER: _ClassVar[_builtins.int]
    MAX_NEW_SYNAPSES_FIELD_NUMBER: _ClassVar[_builtins.int]
    MAX_SEGMENTS_PER_CELL_FIELD_NUMBER: _ClassVar[_builtins.int]
    MAX_SYNAPSES_PER_SEGMENT_FIELD_NUMBER: _ClassVar[_builtins.int]
    SEED_FIELD_NUMBER: _ClassVar[_builtins.int]
    ITERATION_FIELD_NUMBER: _ClassVar[_builtins.int]
    NEXT_ORDINAL_FIELD_NUMBER: _ClassVar[_builtins.int]
    DRAWS_FIELD_NUMBER: _ClassVar[_builtins.int]
    ANOMALY_FIELD_NUMBER: _ClassVar[_builtins.int]
    PLAN_FIELD_NUMBER: _ClassVar[_builtins.int]
    STATE_FIELD_NUMBER: _ClassVar[_builtins.int]
    LIKELIHOOD_FIELD_NUMBER: _ClassVar[_builtins.int]
    LIKELIHOOD_SCORE_FIELD_NUMBER: _ClassVar[_builtins.int]
    columns: _builtins.int
    cells_per_column: _builtins.int
    output: _builtins.int
    input: _builtins.int
    activation_threshold: _builtins.int
    min_threshold: _builtins.int
    initial_permanence: _builtins.float
    connected_permanence: _builtins.float
    permanence_increment: _builtins.float
    permanence_decrement: _builtins.float
    predicted_segment_decrement: _builtins.float
    max_new_synapses: _builtins.int
    max_segments_per_cell: _builtins.int
    max_synapses_per_segment: _builtins.int
    seed: _builtins.int
    iteration: _builtins.int
    next_ordinal: _builtins.int
    draws: _builtins.int
    anomaly: _builtins.float
    plan: _builtins.bool
    state: _containers.RepeatedCompositeFieldContainer[NamedArray]
    likelihood: AnomalyLikelihoodState
    likelihood_score: _builtins.float
    def __init__(self, columns: _Optional[_builtins.int] = ..., cells_per_column: _Optional[_builtins.int] = ..., output: _Optional[_builtins.int] = ..., input: _Optional[_builtins.int] = ..., activation_threshold: _Optional[_builtins.int] = ..., min_threshold: _Optional[_builtins.int] = ..., initial_permanence: _Optional[_builtins.float] = ..., connected_permanence: _Optional[_builtins.float] = ..., permanence_increment: _Optional[_builtins.float] = ..., permanence_decrement: _Optional[_builtins.float] = ..., predicted_segment_decrement: _Optional[_builtins.float] = ..., max_new_synapses: _Optional[_builtins.int] = ..., max_segments_per_cell: _Optional[_builtins.int] = ..., max_synapses_per_segment: _Optional[_builtins.int] = ..., seed: _Optional[_builtins.int] = ..., iteration: _Optional[_builtins.int] = ..., next_ordinal: _Optional[_builtins.int] = ..., draws: _Optional[_builtins.int] = ..., anomaly: _Optional[_builtins.float] = ..., plan: _Optional[_builtins.bool] = ..., state: _Optional[_Iterable[_Union[NamedArray, _Mapping]]] = ..., likelihood: _Optional[_Union[AnomalyLikelihoodState, _Mapping]] = ..., likelihood_score: _Optional[_builtins.float] = ...) -> None: ...

class NamedArray(_message.Message):
    __slots__ = ("key", "array")
    KEY_FIELD_NUMBER: _ClassVar[_builtins.int]
    ARRAY_FIELD_NUMBER: _ClassVar[_builtins.int]
    key: _builtins.str
    array: _builtins.int
    def __init__(self, key: _Optional[_builtins.str] = ..., array: _Optional[_builtins.int] = ...) -> None: ...

class AnomalyLikelihoodState(_message.Message):
    __slots__ = ("learning_period", "estimation_samples", "historic_window", "reestimation_period", "steps", "history", "mean", "variance", "window", "total", "recent")
    LEARNING_PERIOD_FIELD_NUMBER: _ClassVar[_builtins.int]
    ESTIMATION_SAMPLES_FIELD_NUMBER: _ClassVar[_builtins.int]
    HISTORIC_WINDOW_FIELD_NUMBER: _ClassVar[_builtins.int]
    REESTIMATION_PERIOD_FIELD_NUMBER: _ClassVar[_builtins.int]
    STEPS_FIELD_NUMBER: _ClassVar[_builtins.int]
    HISTORY_FIELD_NUMBER: _ClassVar[_builtins.int]
    MEAN_FIELD_NUMBER: _ClassVar[_builtins.int]
    VARIANCE_FIELD_NUMBER: _ClassVar[_builtins.int]
    WINDOW_FIELD_NUMBER: _ClassVar[_builtins.int]
    TOTAL_FIELD_NUMBER: _ClassVar[_builtins.int]
    RECENT_FIELD_NUMBER: _ClassVar[_builtins.int]
    learning_period: _builtins.int
    estimation_samples: _builtins.int
    historic_window: _builtins.int
    reestimation_period: _builtins.int
    steps: _builtins.int
    history: _builtins.int
    mean: _builtins.float
    variance: _builtins.float
    window: _builtins.int
    total: _builtins.float
    recent: _builtins.int
    def __init__(self, learning_period: _Optional[_builtins.int] = ..., estimation_samples: _Optional[_builtins.int] = ..., historic_window: _Optional[_builtins.int] = ..., reestimation_period: _Optional[_builtins.int] = ..., steps: _Optional[_builtins.int] = ..., history: _Optional[_builtins.int] = ..., mean: _Optional[_builtins.float] = ..., variance: _Optional[_builtins.float] = ..., window: _Optional[_builtins.int] = ..., total: _Optional[_builtins.float] = ..., recent: _Optional[_builtins.int] = ...) -> None: ...

class ColumnInputNode(_message.Message):
    __slots__ = ("columns", "source")
    COLUMNS_FIELD_NUMBER: _ClassVar[_builtins.int]
    SOURCE_FIELD_NUMBER: _ClassVar[_builtins.int]
    columns: _builtins.int
    source: _builtins.int
    def __init__(self, columns: _Optional[_builtins.int] = ..., source: _Optional[_builtins.int] = ...) -> None: ...
