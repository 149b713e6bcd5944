"""The checkpoint file: its layout, format version and checksums, and reading and writing it.

A checkpoint is a 32-byte preamble, a data section of raw little-endian arrays and a
protobuf header (``protobrain/proto/checkpoint.proto``), each protected by a CRC-32; the
layout is documented byte by byte in ``docs/checkpoints.md``. :func:`write_file` writes a
header and its arrays in that layout; :func:`read_file` checks everything a file says about
itself (magic number, version, sizes, checksums) and returns the header and the arrays. What
the header means (which object each node is) is :mod:`~protobrain.checkpoint.saver`'s and
:mod:`~protobrain.checkpoint.loader`'s business.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import struct
import zlib
from collections.abc import Callable
from typing import BinaryIO

import numpy as np
from google.protobuf.message import DecodeError

from protobrain.checkpoint.errors import (
    CheckpointError,
    CorruptCheckpointError,
    NotACheckpointError,
    TruncatedCheckpointError,
    UnsupportedVersionError,
)
from protobrain.proto import checkpoint_pb2 as pb
from protobrain.util.proto_io import read_exactly

__all__ = ["DTYPES", "FORMAT_VERSION", "MAGIC", "PREAMBLE_SIZE", "PendingArray", "read_file", "write_file"]

#: The first eight bytes of every checkpoint (PNG-style: a high byte catches 7-bit
#: transfers, the newline catches newline translation).
MAGIC = b"\x89PBRAIN\n"
#: The newest format version: this module reads every version up to it. Version 2 added
#: sequence memories (new node kinds); a file without any is written as version 1, so
#: older protobrains still read it.
FORMAT_VERSION = 2
#: magic, version, header length, data length, header CRC-32, preamble CRC-32.
_PREAMBLE = struct.Struct("<8sIIQII")
#: Bytes in the preamble.
PREAMBLE_SIZE = _PREAMBLE.size
#: Bytes read or CRC'd per call when streaming arrays.
_CHUNK = 1 << 24

#: The numpy dtype of each array dtype of the format.
DTYPES = {
    pb.CheckpointArray.FLOAT64: np.dtype("<f8"),
    pb.CheckpointArray.INT64: np.dtype("<i8"),
    pb.CheckpointArray.BOOL: np.dtype("?"),
    pb.CheckpointArray.BYTES: np.dtype("u1"),
}


def _as_bytes(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array (no copy)."""
    return memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]


@dataclasses.dataclass
class PendingArray:
    """An array of the data section: its header entry and what produces its contents."""

    entry: pb.CheckpointArray
    produce: Callable[[], np.ndarray]


# ------------------------------------------------------------------------------ writing


def write_file(
    file: BinaryIO, header: pb.Checkpoint, arrays: list[PendingArray], version: int = FORMAT_VERSION
) -> None:
    """Write ``header`` and its ``arrays`` (one per entry of ``header.array``, in order):
    a preamble placeholder, the arrays, the header, then the real preamble over the
    placeholder, as format ``version``. Each array's offset, length and CRC-32 are set in
    its entry as it is written."""
    file.write(bytes(PREAMBLE_SIZE))
    offset = 0
    for pending in arrays:
        array = pending.produce()
        data = _as_bytes(array)
        expected = math.prod(pending.entry.shape) * DTYPES[pending.entry.dtype].itemsize
        if data.nbytes != expected:
            raise CheckpointError(
                f"{pending.entry.owner} changed size while saving ({data.nbytes} != {expected} bytes)"
            )
        crc = 0
        for start in range(0, data.nbytes, _CHUNK):
            piece = data[start : start + _CHUNK]
            crc = zlib.crc32(piece, crc)
            file.write(piece)
        pending.entry.offset = offset
        pending.entry.length = data.nbytes
        pending.entry.crc32 = crc
        offset += data.nbytes
        del array, data
    serialized = header.SerializeToString(deterministic=True)
    if len(serialized) > 2**32 - 1:
        raise CheckpointError(f"the checkpoint header is {len(serialized)} bytes, over the format's 4 GiB limit")
    file.write(serialized)
    file.seek(0)
    preamble = _PREAMBLE.pack(MAGIC, version, len(serialized), offset, zlib.crc32(serialized), 0)
    file.write(preamble[:-4] + struct.pack("<I", zlib.crc32(preamble[:-4])))


# ------------------------------------------------------------------------------ reading


def read_file(file: io.BufferedIOBase, name: str) -> tuple[pb.Checkpoint, list[np.ndarray], int]:
    """Check the preamble, the length and the header; read and check every array. Returns
    the header, the arrays and the file's format version."""
    size = os.fstat(file.fileno()).st_size
    preamble = read_exactly(file, PREAMBLE_SIZE)
    if preamble[: len(MAGIC)] != MAGIC[: len(preamble)] or (not preamble and size):
        raise NotACheckpointError(
            f"{name} is not a protobrain checkpoint: it starts with {preamble[:8]!r}, not {MAGIC!r}"
        )
    if len(preamble) < PREAMBLE_SIZE:
        what = "is empty" if not preamble else f"has only {len(preamble)} bytes"
        raise TruncatedCheckpointError(
            f"checkpoint {name} is truncated: it {what}, less than the {PREAMBLE_SIZE}-byte preamble"
        )
    _, version, header_length, data_length, header_crc, preamble_crc = _PREAMBLE.unpack(preamble)
    if zlib.crc32(preamble[:-4]) != preamble_crc:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: its preamble (bytes 0-{PREAMBLE_SIZE - 1}) fails its CRC-32 check"
        )
    if not 1 <= version <= FORMAT_VERSION:
        newer = " (written by a newer protobrain; upgrade to read it)" if version > FORMAT_VERSION else ""
        raise UnsupportedVersionError(
            f"checkpoint {name} has format version {version}; this protobrain reads versions 1 to "
            f"{FORMAT_VERSION}{newer}",
            version,
        )
    expected = PREAMBLE_SIZE + data_length + header_length
    if size < expected:
        raise TruncatedCheckpointError(
            f"checkpoint {name} is truncated: it has {size} bytes, its preamble says {expected}"
        )
    if size > expected:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: {size - expected} unexpected bytes after its end at byte {expected}"
        )
    header_start = PREAMBLE_SIZE + data_length
    file.seek(header_start)
    data = read_exactly(file, header_length)
    if len(data) != header_length:
        raise TruncatedCheckpointError(f"checkpoint {name} is truncated: its header ends early")
    if zlib.crc32(data) != header_crc:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: its header (bytes {header_start}-{expected - 1}) fails its CRC-32 check"
        )
    try:
        header = pb.Checkpoint.FromString(data)
    except DecodeError as err:
        raise CorruptCheckpointError(f"checkpoint {name} is corrupt: its header does not parse ({err})") from None
    _check_array_table(header, data_length, name)
    file.seek(PREAMBLE_SIZE)
    return header, [_read_array(file, entry, name) for entry in header.array], version


def _check_array_table(header: pb.Checkpoint, data_length: int, name: str) -> None:
    """The arrays must tile the data section exactly, each as long as its shape says.

    This bounds every allocation by the file's size, so a damaged header can never ask
    for more memory than the file holds.
    """
    offset = 0
    for i, entry in enumerate(header.array):
        where = f"checkpoint {name} is corrupt: array {i} ({entry.owner or 'unnamed'})"
        dtype = DTYPES.get(entry.dtype)
        if dtype is None:
            raise CorruptCheckpointError(f"{where} has unknown dtype {entry.dtype}")
        if entry.offset != offset:
            raise CorruptCheckpointError(f"{where} starts at data byte {entry.offset}, expected {offset}")
        if math.prod(entry.shape) * dtype.itemsize != entry.length:
            raise CorruptCheckpointError(f"{where} has shape {list(entry.shape)} of {dtype} but {entry.length} bytes")
        offset += entry.length
        if offset > data_length:
            raise CorruptCheckpointError(f"{where} ends past the data section ({data_length} bytes)")
    if offset != data_length:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: its arrays fill {offset} of the {data_length} bytes of the data section"
        )


def _read_array(file: io.BufferedIOBase, entry: pb.CheckpointArray, name: str) -> np.ndarray:
    array = np.empty(tuple(entry.shape), dtype=DTYPES[entry.dtype])
    view = _as_bytes(array)
    crc = 0
    for start in range(0, view.nbytes, _CHUNK):
        piece = view[start : start + _CHUNK]
        if file.readinto(piece) != piece.nbytes:
            raise TruncatedCheckpointError(f"checkpoint {name} is truncated inside {entry.owner}")
        crc = zlib.crc32(piece, crc)
    if crc != entry.crc32:
        raise CorruptCheckpointError(
            f"checkpoint {name} is corrupt: the data of {entry.owner} (data bytes {entry.offset}-"
            f"{entry.offset + entry.length - 1}) fails its CRC-32 check"
        )
    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    return array
