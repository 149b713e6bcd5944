"""``protobrain-experiment EXPERIMENT OUTPUT``: run an experiment file, write its snapshots.

Reads an ``Experiment`` message (binary, or protobuf text format for ``.textproto`` /
``.txtpb`` / ``.pbtxt`` / ``.prototxt`` files or with ``--format text``), builds the encoder,
a feed-forward cortex of the given layer sizes and a sensor, then for every input feeds,
computes (``SparseComputation(5)`` unless the experiment says otherwise), learns
(``HebbianLearning()`` unless it says otherwise) and appends one ``Snapshot`` per step to
OUTPUT, a stream of 4-byte big-endian lengths and messages (SPEC section 8).

OUTPUT is written to a temporary file in its directory and renamed when the run is
complete, so an interrupted or failed run leaves no file that looks whole (and leaves an
existing OUTPUT as it was). Also available as ``protobrain experiment`` and
``python -m protobrain.cli.experiment``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.protobuf import text_format
from google.protobuf.message import DecodeError
from tqdm import tqdm

from protobrain.cli.errors import CliError, fail
from protobrain.proto import experiment_pb2
from protobrain.util import proto_parse
from protobrain.util.atomic import atomic_write
from protobrain.util.proto_io import ProtoWriter

__all__ = ["PROGRESS_DELAY", "TEXT_SUFFIXES", "add_parser", "build_parser", "load_experiment", "main", "run", "run_experiment"]

#: File name endings read as protobuf text format when ``--format`` is ``auto``.
TEXT_SUFFIXES = (".textproto", ".txtpb", ".pbtxt", ".prototxt")

#: Seconds a run must last before its progress bar appears, so short runs stay quiet.
PROGRESS_DELAY = 0.5

_DESCRIPTION = (
    "Run an experiment (a protobuf Experiment, binary or text format) and write one Snapshot per "
    "input to OUTPUT as a stream of 4-byte big-endian lengths and messages."
)


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def load_experiment(path: str | os.PathLike[str], file_format: str = "auto") -> experiment_pb2.Experiment:
    """Read an ``Experiment`` from ``path``; CliError naming the file and what is wrong.

    ``file_format`` is ``binary``, ``text`` or ``auto`` (text for the :data:`TEXT_SUFFIXES`).
    """
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as err:
        raise CliError(f"cannot read experiment {name}: {_reason(err)}") from None
    text = file_format == "text" or (file_format == "auto" and name.lower().endswith(TEXT_SUFFIXES))
    experiment = experiment_pb2.Experiment()
    if text:
        try:
            text_format.Parse(data.decode("utf-8"), experiment)
        except UnicodeDecodeError as err:
            raise CliError(f"experiment {name} is not UTF-8 text (byte offset {err.start})") from None
        except text_format.ParseError as err:
            raise CliError(f"experiment {name} is not a valid text-format Experiment: {err}") from None
        return experiment
    try:
        experiment.ParseFromString(data)
    except DecodeError as err:
        hint = " (a text-format file needs a .textproto name or --format text)" if file_format == "auto" else ""
        raise CliError(f"experiment {name} is not a valid binary Experiment: {err}{hint}") from None
    return experiment


def run_experiment(
    experiment: experiment_pb2.Experiment, output: str | os.PathLike[str], progress: bool = False
) -> int:
    """Run ``experiment`` and write its snapshots to ``output``; return the number of steps.

    Raises ValueError for an experiment that cannot run (see
    :func:`~protobrain.util.proto_parse.decode_experiment`), OSError if ``output`` cannot be
    written; in both cases ``output`` is left as it was.
    """
    brain, inputs = proto_parse.decode_experiment(experiment)
    snapshot = None
    with atomic_write(output) as file:
        writer = ProtoWriter(file)
        with tqdm(
            total=len(inputs), unit="step", desc="experiment", disable=not progress, delay=PROGRESS_DELAY, file=sys.stderr
        ) as bar:
            for value in inputs:
                brain.sensor.feed(value)
                brain.compute()
                brain.learn()
                snapshot = proto_parse.encode_brain(brain, snapshot)
                writer.write(snapshot)
                bar.update()
    return len(inputs)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    """The command: ``args.experiment``, ``args.output``, ``args.format``, ``args.progress``."""
    if _same_file(args.experiment, args.output):
        raise CliError(f"OUTPUT {args.output} is the experiment file itself; choose another name")
    experiment = load_experiment(args.experiment, args.format)
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    try:
        run_experiment(experiment, args.output, progress=show)
    except ValueError as err:
        raise CliError(f"experiment {args.experiment}: {err}") from None
    except MemoryError as err:
        raise CliError(f"experiment {args.experiment}: the model does not fit in memory ({err})") from None
    except OSError as err:
        raise CliError(f"cannot write {args.output}: {_reason(err)}") from None
    return 0


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT", help="the Experiment file (binary or text format)")
    parser.add_argument("output", metavar="OUTPUT", help="where to write the snapshots (replaced when complete)")
    parser.add_argument(
        "--format",
        choices=("auto", "binary", "text"),
        default="auto",
        help="how EXPERIMENT is written (default: text for %s, else binary)" % ", ".join(TEXT_SUFFIXES),
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on long runs (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=run)


def add_parser(subparsers: Any) -> None:
    """Register ``protobrain experiment``."""
    parser = subparsers.add_parser("experiment", help="run an experiment file", description=_DESCRIPTION)
    _add_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``protobrain-experiment``."""
    parser = argparse.ArgumentParser(prog="protobrain-experiment", description=_DESCRIPTION)
    _add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``protobrain-experiment``: user errors print one line, exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted", code=130)


if __name__ == "__main__":
    sys.exit(main())
