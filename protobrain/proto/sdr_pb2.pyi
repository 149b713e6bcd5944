from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class SparseDistributedRepresentation(_message.Message):
    __slots__ = ("shape", "on_bits")
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    ON_BITS_FIELD_NUMBER: _ClassVar[int]
    shape: _containers.RepeatedScalarFieldContainer[int]
    on_bits: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, shape: _Optional[_Iterable[int]] = ..., on_bits: _Optional[_Iterable[int]] = ...) -> None: ...
