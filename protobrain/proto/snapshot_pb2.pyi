from protobrain.proto import encoder_pb2 as _encoder_pb2
from protobrain.proto import sdr_pb2 as _sdr_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Snapshot(_message.Message):
    __slots__ = ("cortex", "sensor")
    CORTEX_FIELD_NUMBER: _ClassVar[int]
    SENSOR_FIELD_NUMBER: _ClassVar[int]
    cortex: CorticalSnapshot
    sensor: SensorSnapshot
    def __init__(self, cortex: _Optional[_Union[CorticalSnapshot, _Mapping]] = ..., sensor: _Optional[_Union[SensorSnapshot, _Mapping]] = ...) -> None: ...

class CorticalSnapshot(_message.Message):
    __slots__ = ("sdr",)
    SDR_FIELD_NUMBER: _ClassVar[int]
    sdr: _containers.RepeatedCompositeFieldContainer[_sdr_pb2.SparseDistributedRepresentation]
    def __init__(self, sdr: _Optional[_Iterable[_Union[_sdr_pb2.SparseDistributedRepresentation, _Mapping]]] = ...) -> None: ...

class SensorSnapshot(_message.Message):
    __slots__ = ("value", "sdr")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SDR_FIELD_NUMBER: _ClassVar[int]
    value: _encoder_pb2.SensorValue
    sdr: _sdr_pb2.SparseDistributedRepresentation
    def __init__(self, value: _Optional[_Union[_encoder_pb2.SensorValue, _Mapping]] = ..., sdr: _Optional[_Union[_sdr_pb2.SparseDistributedRepresentation, _Mapping]] = ...) -> None: ...
