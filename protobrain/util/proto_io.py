"""Streams of protobuf messages: each one a 4-byte big-endian length, then the message.

This is the snapshot file format of the original project (docs/specification.md §8)::

    with open('snapshots.bin', 'wb') as f:
        writer = ProtoWriter(f)
        writer.write(snapshot)

    with open('snapshots.bin', 'rb') as f:
        for snapshot in ProtoReader(f, snapshot_pb2.Snapshot):
            ...

Reading never returns a damaged message silently: a stream that ends inside a length
prefix or inside a message, a length above ``max_message_size`` (refused before any
memory is set aside for it) and bytes that do not parse as the message class all raise
:class:`ProtoStreamError`, which names the byte offset of the bad record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Generic, Protocol, TypeVar

from google.protobuf.message import DecodeError, Message

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "LENGTH_PREFIX_SIZE",
    "ProtoReader",
    "ProtoStreamError",
    "ProtoWriter",
    "frame",
    "read_exactly",
]

#: Bytes in the length prefix of every message.
LENGTH_PREFIX_SIZE = 4
#: The largest message a reader accepts unless told otherwise: 64 MiB. A snapshot stores
#: only the indices of active units, so even a million-unit cortex at full activity fits.
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024
#: The largest length the 4-byte prefix can hold.
_MAX_PREFIX_VALUE = 2**32 - 1
#: Messages are read in pieces of this size, so a length that the file cannot back
#: costs no more memory than the bytes actually there.
_CHUNK = 1024 * 1024

M = TypeVar("M", bound=Message)


class ProtoStreamError(ValueError):
    """A stream of length-prefixed messages is truncated, oversized or corrupt.

    ``offset`` is the byte offset (from where reading started) of the length prefix of
    the record at fault.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def frame(message: Message) -> bytes:
    """One record of a stream: the message's 4-byte big-endian length, then the message.

    Raises ValueError if the message is too large for a 4-byte length.
    """
    data = message.SerializeToString()
    if len(data) > _MAX_PREFIX_VALUE:
        raise ValueError(f"a {type(message).__name__} of {len(data)} bytes does not fit a 4-byte length prefix")
    return len(data).to_bytes(LENGTH_PREFIX_SIZE, "big") + data


class ProtoWriter:
    """Appends messages to a binary file, each preceded by its 4-byte big-endian length."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def write(self, message: Message) -> int:
        """Write one message (one :func:`frame`); return the number of bytes written.

        Raises ValueError, writing nothing, if the message is too large for a 4-byte length.
        """
        record = frame(message)
        self.file.write(record)
        return len(record)

    def flush(self) -> None:
        """Flush the underlying file."""
        self.file.flush()


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


def read_exactly(file: _Readable, size: int) -> bytes:
    """Read up to ``size`` bytes, fewer only at the end of the stream (pipes included), in
    chunks, so a huge size read from a damaged file allocates only what is really there."""
    pieces = []
    remaining = size
    while remaining > 0:
        piece = file.read(min(remaining, _CHUNK))
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)


class ProtoReader(Generic[M]):
    """Iterates over the messages of a stream written by :class:`ProtoWriter`.

    ``message_class`` is the generated class to parse each record with. A record longer
    than ``max_message_size`` bytes is refused before it is read. Iteration stops cleanly
    at the end of the stream and raises :class:`ProtoStreamError` for anything else.
    """

    def __init__(
        self, file: IO[bytes], message_class: type[M], max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    ) -> None:
        if max_message_size < 0:
            raise ValueError(f"max_message_size must be >= 0, got {max_message_size}")
        self.file = file
        self.message_class = message_class
        self.max_message_size = max_message_size
        #: Bytes consumed so far: the offset of the next record's length prefix.
        self.offset = 0

    def _read_exactly(self, size: int) -> bytes:
        return read_exactly(self.file, size)

    def read(self) -> M | None:
        """The next message, or None at the end of the stream."""
        start = self.offset
        name = self.message_class.__name__
        prefix = self._read_exactly(LENGTH_PREFIX_SIZE)
        if not prefix:
            return None
        if len(prefix) < LENGTH_PREFIX_SIZE:
            self.offset += len(prefix)
            raise ProtoStreamError(
                f"truncated stream: the length prefix at byte offset {start} has {len(prefix)} of "
                f"{LENGTH_PREFIX_SIZE} bytes",
                start,
            )
        length = int.from_bytes(prefix, "big")
        if length > self.max_message_size:
            raise ProtoStreamError(
                f"the record at byte offset {start} declares a {length}-byte {name}, over the limit of "
                f"{self.max_message_size} bytes (corrupt stream, or pass a larger max_message_size)",
                start,
            )
        data = self._read_exactly(length)
        self.offset += LENGTH_PREFIX_SIZE + len(data)
        if len(data) < length:
            raise ProtoStreamError(
                f"truncated stream: the {name} at byte offset {start} declares {length} bytes but only "
                f"{len(data)} remain",
                start,
            )
        try:
            return self.message_class.FromString(data)
        except DecodeError as err:
            raise ProtoStreamError(
                f"corrupt stream: the {length}-byte record at byte offset {start} is not a valid {name} ({err})",
                start,
            ) from None

    def __iter__(self) -> Iterator[M]:
        while True:
            message = self.read()
            if message is None:
                return
            yield message
