"""Where a command's work runs: here, on N processes (``--jobs N``) or on a Dask cluster
(``--scheduler ADDRESS``), for the commands that run many independent brains
(``protobrain benchmark``, ``protobrain sweep``).

The N processes run one task each at a time, on one thread each (``PROTOBRAIN_THREADS=1``
in the workers), unless ``PROTOBRAIN_THREADS`` is set: N tasks at once already keep N cores
busy, and a brain that also split its layers over every core would compete with the
others for them. The results do not depend on where the work runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

from protobrain.cli.errors import CliError, whole_number

__all__ = ["add_arguments", "executor"]


def add_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """``--jobs N`` and ``--scheduler ADDRESS`` (one or the other), running ``what`` (the
    brains, the combinations, ...) there."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs", type=whole_number(1), default=1, metavar="N", help=f"run {what} on N processes (1: here)"
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"run {what} on the Dask cluster at ADDRESS, e.g. tcp://host:8786 (needs protobrain[distributed])",
    )


@contextlib.contextmanager
def executor(args: argparse.Namespace) -> Iterator[tuple[Executor | None, str]]:
    """The executor ``args`` ask for (None: run here) and a label of where that is; a
    process pool or Dask client is shut down when the block ends."""
    if args.scheduler:
        try:
            from distributed import Client  # Dask is an optional extra: imported only when asked for
        except ImportError:
            raise CliError("--scheduler needs Dask: pip install 'protobrain[distributed]'") from None
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise CliError(f"cannot reach the Dask scheduler at {args.scheduler}: {err}") from None
        with client:
            yield client.get_executor(), f"dask {args.scheduler}"
    elif args.jobs > 1:
        one_thread = None if "PROTOBRAIN_THREADS" in os.environ else _one_thread
        with ProcessPoolExecutor(max_workers=args.jobs, initializer=one_thread) as pool:
            yield pool, f"{args.jobs} processes"
    else:
        yield None, "serial"


def _one_thread() -> None:
    """A worker process's start: its brains run on one thread (read at their first step)."""
    os.environ["PROTOBRAIN_THREADS"] = "1"
