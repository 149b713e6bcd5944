import builtins as _builtins
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf.internal import python_message as _python_message
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Encoder(_message.Message):
    __slots__ = ("type", "shape")
    Extensions: _python_message._ExtensionDict
    class EncoderType(_builtins.int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Encoder.EncoderType]
        NUMERICAL_SIMPLE: _ClassVar[Encoder.EncoderType]
        NUMERICAL_CYCLIC: _ClassVar[Encoder.EncoderType]
    UNKNOWN: Encoder.EncoderType
    NUMERICAL_SIMPLE: Encoder.EncoderType
    NUMERICAL_CYCLIC: Encoder.EncoderType
    TYPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SHAPE_FIELD_NUMBER: _ClassVar[_builtins.int]
    type: Encoder.EncoderType
    shape: _containers.RepeatedScalarFieldContainer[_builtins.int]
    def __init__(self, type: _Optional[_Union[Encoder.EncoderType, _builtins.str]] = ..., shape: _Optional[_Iterable[_builtins.int]] = ...) -> None: ...

class SimpleEncoder(_message.Message):
    __slots__ = ("min_value", "max_value", "sparsity")
    SIMPLE_ENCODER_FIELD_NUMBER: _ClassVar[_builtins.int]
    simple_encoder: _descriptor.FieldDescriptor
    MIN_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SPARSITY_FIELD_NUMBER: _ClassVar[_builtins.int]
    min_value: _builtins.float
    max_value: _builtins.float
    sparsity: _builtins.float
    def __init__(self, min_value: _Optional[_builtins.float] = ..., max_value: _Optional[_builtins.float] = ..., sparsity: _Optional[_builtins.float] = ...) -> None: ...

class CyclicEncoder(_message.Message):
    __slots__ = ("min_value", "max_value", "sparsity")
    CYCLIC_ENCODER_FIELD_NUMBER: _ClassVar[_builtins.int]
    cyclic_encoder: _descriptor.FieldDescriptor
    MIN_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    MAX_VALUE_FIELD_NUMBER: _ClassVar[_builtins.int]
    SPARSITY_FIELD_NUMBER: _ClassVar[_builtins.int]
    min_value: _builtins.float
    max_value: _builtins.float
    sparsity: _builtins.float
    def __init__(self, min_value: _Optional[_builtins.float] = ..., max_value: _Optional[_builtins.float] = ..., sparsity: _Optional[_builtins.float] = ...) -> None: ...

class SensorValue(_message.Message):
    __slots__ = ("int", "float", "text", "double", "long")
    INT_FIELD_NUMBER: _ClassVar[_builtins.int]
    FLOAT_FIELD_NUMBER: _ClassVar[_builtins.int]
    TEXT_FIELD_NUMBER: _ClassVar[_builtins.int]
    DOUBLE_FIELD_NUMBER: _ClassVar[_builtins.int]
    LONG_FIELD_NUMBER: _ClassVar[_builtins.int]
    int: _builtins.int
    float: _builtins.float
    text: _builtins.str
    double: _builtins.float
    long: _builtins.int
    def __init__(self, int: _Optional[_builtins.int] = ..., float: _Optional[_builtins.float] = ..., text: _Optional[_builtins.str] = ..., double: _Optional[_builtins.float] = ..., long: _Optional[_builtins.int] = ...) -> None: ...
