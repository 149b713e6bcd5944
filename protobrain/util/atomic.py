"""Files written whole or not at all.

:func:`atomic_write` writes to a temporary file in the target's directory and renames it
over the target only once everything is written and synced, so a crash, an error or
Ctrl-C never leaves a file that looks complete: the target is either untouched or whole.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["atomic_write", "remove_leftovers"]


#: The longest part of the target's name a temporary name repeats, in UTF-8 bytes, so
#: that ``.<name>.<8 hex digits>.tmp`` fits where the target's own name (up to the usual
#: limit of 255 bytes) fits.
_NAME_BYTES = 240


def _prefix(name: str) -> str:
    """The start of the temporary names for the target ``name``: ``.<name>.``, the name
    cut (at a character boundary) to :data:`_NAME_BYTES` bytes."""
    short = name.encode("utf-8", "surrogateescape")[:_NAME_BYTES].decode("utf-8", "ignore")
    return f".{short}."


def _create_temporary(directory: str, name: str) -> tuple[str, int]:
    """Create a new, unique temporary file next to ``name``; return its path and descriptor.

    ``O_EXCL`` makes the name ours alone; the mode 0o666 is reduced by the umask, so the
    finished file gets the permissions a plain ``open(path, 'wb')`` would give it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = os.path.join(directory, f"{_prefix(name)}{secrets.token_hex(4)}.tmp")
        try:
            return path, os.open(path, flags, 0o666)
        except FileExistsError:
            continue


def remove_leftovers(path: str | os.PathLike[str]) -> list[str]:
    """Delete the temporary files that :func:`atomic_write` left next to ``path`` when its
    process was killed outright (SIGKILL, power loss) mid-write; return their paths.

    Only names of exactly the form :func:`atomic_write` creates for ``path``
    (``.<name>.<8 hex digits>.tmp``) are touched. Call it only when nothing else is
    writing ``path``, e.g. once a run that owns it has finished. (Names longer than 240
    bytes are cut in temporary names, so two such targets sharing their first 240 bytes
    in one directory share their temporary names' form too.)
    """
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    prefix = _prefix(name)
    removed: list[str] = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        token = entry[len(prefix) : -len(".tmp")]
        if entry.startswith(prefix) and entry.endswith(".tmp") and len(token) == 8:
            if all(c in "0123456789abcdef" for c in token):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, entry))
                    removed.append(os.path.join(directory, entry))
    return removed


def _sync_directory(directory: str) -> None:
    """Make the rename durable where the platform allows opening directories."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary file that replaces ``path`` only when the ``with`` block succeeds.

    On success the data is flushed and fsynced, then ``os.replace`` moves it to ``path``.
    On any exception (``KeyboardInterrupt`` included) the temporary file is removed and
    ``path`` is left as it was. Errors creating the file (missing directory, no
    permission, ``path`` is a directory) are the usual ``OSError``; an ``OSError`` without a
    file name raised in the block (a failed write: a full disk, a file size limit) gets
    ``path`` as its name, so the message says which file could not be written.
    """
    target = os.fspath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(21, "Is a directory", target)
    directory, name = os.path.split(os.path.abspath(target))
    try:
        temporary, fd = _create_temporary(directory, name)
    except OSError as err:
        err.filename = target  # the file the caller asked for, not our temporary name
        raise
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(err, OSError) and err.filename is None:
            err.filename = target
        raise
    _sync_directory(directory)
