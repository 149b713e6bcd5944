"""What the command-line tools share: how they report what went wrong (one line on
stderr, a non-zero exit), how they run, and the argument checks more than one uses."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence


class CliError(Exception):
    """Something the user can fix (a missing file, a bad value); the message says what."""


def fail(message: str, code: int = 1) -> int:
    """Print ``protobrain: error: message`` on one line to stderr; return the exit code."""
    print(f"protobrain: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and call the chosen ``func``; user errors and Ctrl-C become one line
    on stderr and an exit code (1, or 130 for Ctrl-C) instead of a traceback, and a closed
    output pipe ends the command quietly (exit 141, as after SIGPIPE)."""
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted", code=130)
    except BrokenPipeError:
        # The reader went away (`protobrain inspect ... | head`): stop quietly, as Unix
        # tools do, and keep Python from complaining again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def check_plot_output(path: str) -> None:
    """Refuse ``--plot PATH`` before any work when matplotlib is missing or the format unknown."""
    from protobrain import plot

    try:
        plot.check_output(path)
    except (ImportError, ValueError) as err:
        raise CliError(f"--plot: {err}") from None
