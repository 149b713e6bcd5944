"""The errors of checkpoints: every one is a :class:`CheckpointError`, itself a ValueError.

The message of each names the file and the fault, so it can be shown as it is.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "CorruptCheckpointError",
    "NotACheckpointError",
    "PickleNotAllowedError",
    "TruncatedCheckpointError",
    "UnsupportedVersionError",
]


class CheckpointError(ValueError):
    """A checkpoint cannot be written or read; the message names the file and the fault."""


class NotACheckpointError(CheckpointError):
    """The file does not start with the checkpoint magic number."""


class TruncatedCheckpointError(CheckpointError):
    """The file is shorter than its preamble says (an interrupted copy or download)."""


class CorruptCheckpointError(CheckpointError):
    """A checksum does not match, or the header describes something impossible."""


class UnsupportedVersionError(CheckpointError):
    """The file was written in a format version this protobrain does not read."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


class PickleNotAllowedError(CheckpointError):
    """The model has user parts, which are stored only by pickle, and pickle was not allowed."""
