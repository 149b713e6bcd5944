"""``protobrain nab run``: run protobrain's detector over a NAB corpus (docs/nab.md).

``protobrain nab run --out RESULTS [--data NAB_DIR]`` runs
:func:`protobrain.nab.detector.detect` over every labelled file of the NAB folder (the
small sample inside the package when ``--data`` is not given) and writes
``RESULTS/<detector>/<category>/<detector>_<file>.csv`` in NAB's layout, which
``protobrain nab score`` and NAB's own scorer read. Files run on ``--jobs`` processes or
a Dask cluster (``--scheduler``); each file is written whole or not at all, so running
the same command again after an interruption does only the files still missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from protobrain.cli import executors
from protobrain.cli.errors import CliError
from protobrain.nab import SAMPLE
from protobrain.nab import run as nab_run
from protobrain.nab.detector import DetectorSettings

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register ``run`` on the ``protobrain nab`` subcommands."""
    parser = commands.add_parser(
        "run",
        help="run protobrain's HTM detector over a NAB corpus, writing NAB-format results",
        description=(
            "Run protobrain's HTM detector (encoders, spatial pooler, sequence memory, anomaly likelihood; "
            "docs/nab.md) over every labelled file of a NAB folder and write its results in NAB's layout, "
            "OUT/<detector>/<category>/<detector>_<file>.csv. Files already written are skipped, so an "
            "interrupted run resumes where it stopped."
        ),
    )
    parser.add_argument("--out", required=True, metavar="RESULTS", help="results folder (created if missing)")
    parser.add_argument(
        "--data",
        metavar="NAB_DIR",
        help="NAB folder: data/, labels/combined_windows.json (default: the two-file sample in the package)",
    )
    parser.add_argument("--detector", default="protobrain", metavar="NAME", help="the detector's name (protobrain)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    executors.add_arguments(parser, "the files")
    return parser


def run(args: argparse.Namespace) -> int:
    data = args.data if args.data is not None else SAMPLE
    if not args.detector or os.sep in args.detector or args.detector in (".", ".."):
        raise CliError(f"--detector must be a plain name, got {args.detector!r}")
    start = time.perf_counter()
    with executors.executor(args) as (pool, where):
        try:
            written = nab_run.run_corpus(
                data, args.out, args.detector, DetectorSettings(), pool, None if args.no_progress else _progress
            )
        except ValueError as err:
            raise CliError(str(err)) from None
    elapsed = time.perf_counter() - start
    print(f"{len(written)} files written to {os.path.join(args.out, args.detector)} ({where}, {elapsed:.1f} s)")
    return 0


def _progress(items: Any, total: int) -> Any:
    from tqdm import tqdm  # imported here: only runs that show progress need it

    return tqdm(items, total=total, unit="file", file=sys.stderr, leave=False)
