"""How command-line tools report what went wrong: one line on stderr, a non-zero exit."""

from __future__ import annotations

import sys


class CliError(Exception):
    """Something the user can fix (a missing file, a bad value); the message says what."""


def fail(message: str, code: int = 1) -> int:
    """Print ``protobrain: error: message`` on one line to stderr; return the exit code."""
    print(f"protobrain: error: {' '.join(message.split())}", file=sys.stderr)
    return code
