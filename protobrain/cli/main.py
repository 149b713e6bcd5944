"""``protobrain``: one command, several subcommands.

Each subcommand lives in its own module of this package, which provides
``add_parser(subparsers)`` (registering its arguments and setting ``func``) and raises
:class:`CliError` for anything the user got wrong. Errors print one line to stderr and
exit non-zero, without a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from protobrain.cli.errors import ArgumentParser, dispatch

#: Subcommand modules, in the order ``protobrain --help`` lists them.
SUBCOMMANDS = ("experiment", "inspect", "benchmark", "sweep", "nab")


def build_parser() -> ArgumentParser:
    """The ``protobrain`` parser with every subcommand whose module is present."""
    parser = ArgumentParser(prog="protobrain", description="protobrain command-line tools")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"protobrain.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``protobrain`` with ``argv`` (default: the command line); return the exit code."""
    return dispatch(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
