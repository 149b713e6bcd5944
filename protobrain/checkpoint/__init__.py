"""Checkpoints: save a model to one file and load it back so it continues bit-identically.

:func:`save` stores a brain, a group, a stack of groups (or any other protobrain object)
with everything reachable from it: the wiring graph (which input reads which source,
slices, merges, loop-backs and other cycles, with the same object sharing), every weight,
every output's current activity, the computation, learning and encoder parameters and the
sensor's last value. :func:`load` rebuilds it; stepping the loaded model gives, bit for
bit, what stepping the original would have given.

The file is a 32-byte preamble, a data section of raw little-endian arrays and a protobuf
header (``protobrain/proto/checkpoint.proto``), each protected by a CRC-32; the layout is
documented byte by byte in ``docs/checkpoints.md``. Files are written to a temporary file,
flushed, synced and renamed (:func:`~protobrain.util.atomic.atomic_write`), so a full disk,
an error or Ctrl-C leaves the previous file as it was. Loading checks the magic number,
the format version, the sizes, every checksum and every shape before it returns anything,
and raises a :class:`CheckpointError` (a ValueError) that names what is wrong.

Parts protobrain does not know (a Python computation, learning rule, encoder or source
of your own, a subclass of a protobrain class) can only be stored with :mod:`pickle`,
and unpickling runs code named by the file, so both :func:`save` and :func:`load` refuse
them unless called with ``allow_pickle=True``. The global numpy random state is not part
of a model and is not saved.

The package's modules follow the seams of the job: :mod:`~protobrain.checkpoint.format`
(the file: layout, version, checksums, reading and writing it),
:mod:`~protobrain.checkpoint.saver` (a model to a header and arrays),
:mod:`~protobrain.checkpoint.loader` (a header and arrays back to a model) and
:mod:`~protobrain.checkpoint.errors`. Import what you use from ``protobrain.checkpoint``
itself: the names in ``__all__`` are its public API.
"""

from __future__ import annotations

from protobrain.checkpoint.errors import (
    CheckpointError,
    CorruptCheckpointError,
    NotACheckpointError,
    PickleNotAllowedError,
    TruncatedCheckpointError,
    UnsupportedVersionError,
)
from protobrain.checkpoint.format import FORMAT_VERSION, MAGIC, PREAMBLE_SIZE
from protobrain.checkpoint.loader import LoadedCheckpoint, load, read
from protobrain.checkpoint.saver import save

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "PREAMBLE_SIZE",
    "CheckpointError",
    "CorruptCheckpointError",
    "LoadedCheckpoint",
    "NotACheckpointError",
    "PickleNotAllowedError",
    "TruncatedCheckpointError",
    "UnsupportedVersionError",
    "load",
    "read",
    "save",
]
