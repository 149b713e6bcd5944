"""What the command-line tools share: how they report what went wrong (one line on
stderr, a non-zero exit), how they run, and the argument checks more than one uses."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from protobrain import plot


class CliError(Exception):
    """Something the user can fix (a missing file, a bad value); the message says what."""


def fail(message: str, code: int = 1) -> int:
    """Print ``protobrain: error: message`` on one line to stderr; return the exit code."""
    print(f"protobrain: error: {' '.join(message.split())}", file=sys.stderr)
    return code


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, but a usage error (a missing argument, a bad value) is one line
    on stderr, like every other error of the tools, pointing at ``--help``; the exit code
    stays argparse's 2. Subcommand parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        sys.exit(fail(f"{message} (see {self.prog} --help)", code=2))


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and call the chosen ``func``; user errors, I/O errors (such as a full
    disk under standard output) and Ctrl-C become one line on stderr and an exit code (1,
    or 130 for Ctrl-C) instead of a traceback, and a closed output pipe ends the command
    quietly (exit 141, as after SIGPIPE)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        # Reported by the command's own parser, so the pointer is to its --help.
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(extras)}")
    try:
        code = int(args.func(args) or 0)
        # Standard output is written now, while a failure can still be reported, rather
        # than at exit.
        sys.stdout.flush()
        return code
    except CliError as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted", code=130)
    except BrokenPipeError:
        # The reader went away (`protobrain inspect ... | head`): stop quietly, as Unix
        # tools do, and keep Python from complaining again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:
        # Commands name the files they read and write in their own errors; what reaches
        # here unnamed is mostly standard output failing (a full disk, a closed terminal).
        # What is still buffered for it is dropped, so exit does not fail on it again.
        if err.filename is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return fail(f"cannot write the output: {reason(err)}")
        return fail(f"{err.filename}: {reason(err)}")


def reason(err: BaseException) -> str:
    """What went wrong, for one line: an OSError's system message ("No such file or
    directory") without the errno and path the caller names itself, else the exception's text."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err)


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers from ``minimum`` to ``maximum`` (inclusive)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    return parse


def fraction(text: str) -> float:
    """An argparse ``type`` accepting numbers in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def check_plot_output(path: str) -> None:
    """Refuse ``--plot PATH`` before any work when matplotlib is missing, the format is
    unknown, the folder does not exist or the path is a folder."""
    if os.path.isdir(path):
        raise CliError(f"--plot: {path} is a folder; give a file name such as {os.path.join(path, 'plot.png')}")
    try:
        plot.check_output(path)
    except (ImportError, ValueError) as err:
        raise CliError(f"--plot: {err}") from None
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"--plot: cannot write {path}: the folder {folder} does not exist")
