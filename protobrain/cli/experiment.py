"""``protobrain-experiment EXPERIMENT OUTPUT``: run an experiment file, write its snapshots.

Reads an ``Experiment`` message (binary, or protobuf text format for ``.textproto`` /
``.txtpb`` / ``.pbtxt`` / ``.prototxt`` files or with ``--format text``), builds the encoder,
a feed-forward cortex of the given layer sizes and a sensor, then for every input feeds,
computes (``SparseComputation(5)`` unless the experiment says otherwise), learns
(``HebbianLearning()`` unless it says otherwise) and appends one ``Snapshot`` per step to
OUTPUT, a stream of 4-byte big-endian lengths and messages (docs/specification.md §8).

OUTPUT is written to a temporary file in its directory and renamed when the run is
complete, so an interrupted or failed run leaves no file that looks whole (and leaves an
existing OUTPUT as it was). Also available as ``protobrain experiment`` and
``python -m protobrain.cli.experiment``.

Long runs can be resumed: with ``--checkpoint-every N`` the snapshots go to
``OUTPUT.partial`` and every N steps the model is saved to a checkpoint
(``--checkpoint PATH``, default ``OUTPUT.checkpoint``) that records how far the run got;
``--resume CHECKPOINT`` continues a killed or interrupted run from there, and the
finished OUTPUT is byte for byte the one an uninterrupted run writes (see
``docs/checkpoints.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from google.protobuf import text_format
from google.protobuf.message import DecodeError
from tqdm import tqdm

from protobrain import checkpoint as _checkpoint
from protobrain import messages
from protobrain.brain import Brain
from protobrain.cli.errors import ArgumentParser, CliError, dispatch, reason, whole_number
from protobrain.proto import experiment_pb2
from protobrain.util.atomic import _sync_directory, atomic_write, remove_leftovers
from protobrain.util.proto_io import frame

__all__ = [
    "CHECKPOINT_SUFFIX",
    "PARTIAL_SUFFIX",
    "PROGRESS_DELAY",
    "PROGRESS_KEY",
    "TEXT_SUFFIXES",
    "add_parser",
    "build_parser",
    "load_experiment",
    "main",
    "run",
    "run_experiment",
]

#: File name endings read as protobuf text format when ``--format`` is ``auto``.
TEXT_SUFFIXES = (".textproto", ".txtpb", ".pbtxt", ".prototxt")

#: Seconds a run must last before its progress bar appears, so short runs stay quiet.
PROGRESS_DELAY = 0.5

#: With checkpoints, the snapshots are written to OUTPUT + this until the run is complete.
PARTIAL_SUFFIX = ".partial"
#: The default checkpoint path is OUTPUT + this.
CHECKPOINT_SUFFIX = ".checkpoint"
#: The checkpoint metadata key under which a run records its progress (JSON).
PROGRESS_KEY = "protobrain.cli.experiment"

_DESCRIPTION = (
    "Run an experiment (a protobuf Experiment, binary or text format) and write one Snapshot per "
    "input to OUTPUT as a stream of 4-byte big-endian lengths and messages."
)


def load_experiment(path: str | os.PathLike[str], file_format: str = "auto") -> experiment_pb2.Experiment:
    """Read an ``Experiment`` from ``path``; CliError naming the file and what is wrong.

    ``file_format`` is ``binary``, ``text`` or ``auto`` (text for the :data:`TEXT_SUFFIXES`).
    """
    name = os.fspath(path)
    try:
        data = Path(name).read_bytes()
    except OSError as err:
        raise CliError(f"cannot read experiment {name}: {reason(err)}") from None
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
    experiment: experiment_pb2.Experiment,
    output: str | os.PathLike[str],
    progress: bool = False,
    checkpoint_every: int | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: str | os.PathLike[str] | None = None,
) -> int:
    """Run ``experiment`` and write its snapshots to ``output``; return the number of steps.

    Raises ValueError for an experiment that cannot run (see
    :func:`~protobrain.messages.decode_experiment`), OSError if ``output`` cannot be
    written; in both cases ``output`` is left as it was.

    With ``checkpoint_every`` or ``resume`` the run can be resumed (see
    :func:`_run_resumable`); CliError when a checkpoint does not fit the run.
    """
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool) or int(checkpoint_every) < 1):
        raise ValueError(f"checkpoint_every must be a whole number of steps of at least 1, got {checkpoint_every!r}")
    if checkpoint is not None and checkpoint_every is None and resume is None:
        raise ValueError("a checkpoint path needs checkpoint_every or resume (a plain run saves no checkpoint)")
    if checkpoint_every is not None or resume is not None:
        return _run_resumable(experiment, os.fspath(output), progress, checkpoint_every, checkpoint, resume)
    brain, inputs = messages.decode_experiment(experiment)
    with atomic_write(output) as file, _progress_bar(len(inputs), 0, progress) as bar:
        for record in _records(brain, inputs):
            file.write(record)
            bar.update()
    return len(inputs)


def _records(brain: Brain, inputs: Sequence[Any]) -> Iterator[bytes]:
    """Step ``brain`` through ``inputs`` (feed, compute, learn: docs/specification.md §8) and yield
    each step's snapshot as the record the output file holds (see ``proto_io.frame``)."""
    snapshot = None
    for value in inputs:
        brain.sensor.feed(value)
        brain.compute()
        brain.learn()
        snapshot = messages.encode_brain(brain, snapshot)
        yield frame(snapshot)


def _progress_bar(total: int, done: int, show: bool) -> Any:
    """The run's progress bar on stderr, shown only when asked and after PROGRESS_DELAY."""
    return tqdm(
        total=total,
        initial=done,
        unit="step",
        desc="experiment",
        disable=not show,
        delay=PROGRESS_DELAY,
        file=sys.stderr,
    )


def _fingerprint(experiment: experiment_pb2.Experiment) -> str:
    """SHA-256 of the experiment's deterministic serialization: which run a checkpoint is of."""
    return hashlib.sha256(experiment.SerializeToString(deterministic=True)).hexdigest()


def _hash_prefix(path: str, length: int) -> Any:
    """A running SHA-256 of the first ``length`` bytes of ``path`` (OSError if shorter)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        remaining = length
        while remaining:
            piece = file.read(min(remaining, 1 << 20))
            if not piece:
                raise OSError(f"{path} has fewer than the {length} bytes the checkpoint recorded")
            digest.update(piece)
            remaining -= len(piece)
    return digest


def _resume_point(resume: str, experiment_sha256: str, partial: str, total: int) -> tuple[Any, dict[str, Any], Any]:
    """Load checkpoint ``resume`` and check it belongs to this run; return the brain, its
    progress record and the running hash of the snapshots it covers."""
    try:
        loaded = _checkpoint.read(resume)
    except (OSError, ValueError) as err:
        raise CliError(f"cannot resume from {resume}: {reason(err)}") from None
    record = loaded.metadata.get(PROGRESS_KEY)
    if record is None:
        raise CliError(f"cannot resume from {resume}: it is not a checkpoint of an experiment run")
    try:
        progress = json.loads(record.decode("utf-8"))
        step, length, every = int(progress["step"]), int(progress["output_bytes"]), int(progress["every"])
        expected_digest, fingerprint = str(progress["output_sha256"]), str(progress["experiment_sha256"])
    except (TypeError, ValueError, KeyError, UnicodeDecodeError):
        raise CliError(f"cannot resume from {resume}: it is not a checkpoint of an experiment run") from None
    if fingerprint != experiment_sha256:
        raise CliError(f"cannot resume from {resume}: it is a checkpoint of another experiment")
    if not 0 <= step <= total or every < 1:
        raise CliError(f"cannot resume from {resume}: its step {step} is outside the experiment's {total} steps")
    if not isinstance(loaded.model, Brain):
        raise CliError(f"cannot resume from {resume}: it holds a {type(loaded.model).__name__}, not a brain")
    try:
        digest = _hash_prefix(partial, length)
    except OSError as err:
        raise CliError(
            f"cannot resume from {resume}: the partial output {partial} is missing or short ({reason(err)})"
        ) from None
    if digest.hexdigest() != expected_digest:
        raise CliError(f"cannot resume from {resume}: the partial output {partial} is not the one it recorded")
    return loaded.model, {"step": step, "output_bytes": length, "every": every}, digest


def _run_resumable(
    experiment: experiment_pb2.Experiment,
    output: str,
    progress: bool,
    checkpoint_every: int | None,
    checkpoint: str | os.PathLike[str] | None,
    resume: str | os.PathLike[str] | None,
) -> int:
    """A run that saves a checkpoint every ``checkpoint_every`` steps and can resume.

    Snapshots are appended to OUTPUT.partial. After every ``checkpoint_every`` steps the
    partial file is flushed and synced, then the brain is saved (atomically) to the
    checkpoint with its progress: the step, the partial file's length and SHA-256, the
    experiment's SHA-256 and the interval. Resuming checks all of these, cuts the partial
    file back to the recorded length (dropping snapshots written after the checkpoint) and
    goes on from the recorded step. When the run completes, the partial file is synced and
    renamed to OUTPUT and the checkpoint, now stale, is removed.
    """
    partial, target = _resumable_paths(output, checkpoint, resume)
    _check_paths(None, output, checkpoint, resume)
    fingerprint = _fingerprint(experiment)
    if resume is None:
        brain, inputs = messages.decode_experiment(experiment)
        step, length, digest = 0, 0, hashlib.sha256()
        every = int(checkpoint_every)  # type: ignore[arg-type]
        file: BinaryIO = open(partial, "wb")
    else:
        inputs = messages.decode_input(experiment.input)
        brain, state, digest = _resume_point(os.fspath(resume), fingerprint, partial, len(inputs))
        step, length = state["step"], state["output_bytes"]
        every = checkpoint_every if checkpoint_every is not None else state["every"]
        file = open(partial, "r+b")
        file.truncate(length)
        file.seek(length)
    with _naming(partial), file, _progress_bar(len(inputs), step, progress) as bar:
        for record in _records(brain, inputs[step:]):
            file.write(record)
            digest.update(record)
            length += len(record)
            step += 1
            bar.update()
            if step % every == 0 and step < len(inputs):
                file.flush()
                os.fsync(file.fileno())
                progress_record = {
                    "step": step,
                    "total": len(inputs),
                    "output_bytes": length,
                    "output_sha256": digest.hexdigest(),
                    "experiment_sha256": fingerprint,
                    "every": every,
                }
                # (atomic_write names the checkpoint in a failed save's error.)
                _checkpoint.save(brain, target, metadata={PROGRESS_KEY: json.dumps(progress_record, sort_keys=True)})
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, output)
    _sync_directory(os.path.dirname(os.path.abspath(output)))
    # The checkpoint saved to, and the one resumed from when that was another file: both
    # are stale now. A run killed outright while saving a checkpoint leaves that save's
    # temporary file; the finished run owns the checkpoint's name, so its leftovers go too.
    stale = [target] if resume is None or _same_path(resume, target) else [target, os.fspath(resume)]
    for path in stale:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        remove_leftovers(path)
    return len(inputs)


def _resumable_paths(
    output: str, checkpoint: str | os.PathLike[str] | None, resume: str | os.PathLike[str] | None
) -> tuple[str, str]:
    """The partial output and the checkpoint a resumable run writes: OUTPUT.partial, and
    ``checkpoint``, else the ``resume`` file, else OUTPUT.checkpoint."""
    if checkpoint is not None:
        target = os.fspath(checkpoint)
    elif resume is not None:
        target = os.fspath(resume)
    else:
        target = output + CHECKPOINT_SUFFIX
    return output + PARTIAL_SUFFIX, target


def _check_paths(
    experiment_path: str | None,
    output: str,
    checkpoint: str | os.PathLike[str] | None,
    resume: str | os.PathLike[str] | None,
) -> None:
    """CliError when two of the files a resumable run reads and writes are one file (the
    experiment, OUTPUT, OUTPUT.partial, the checkpoint, the resumed checkpoint), where one
    would overwrite or delete another. Files that do not exist yet count too. The resumed
    checkpoint may be the one saved to (the default)."""
    partial, target = _resumable_paths(output, checkpoint, resume)
    named = [("OUTPUT", output), ("the partial output", partial), ("the checkpoint", target)]
    if resume is not None:
        named.append(("--resume", os.fspath(resume)))
    if experiment_path is not None:
        named.insert(0, ("the experiment", experiment_path))
    for k, (what, path) in enumerate(named):
        for other, other_path in named[k + 1 :]:
            if {what, other} == {"the checkpoint", "--resume"}:
                continue
            if _same_path(path, other_path):
                raise CliError(f"{what} {path} and {other} {other_path} are the same file; choose other names")


def _same_path(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path once resolved (whether or not
    it exists yet), or the same existing file by another name (a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """Give an OSError raised inside the block without a file name (a failed write to an
    open file) the name ``path``, so the error says which file could not be written."""
    try:
        yield
    except OSError as err:
        if err.filename is None:
            err.filename = path
        raise


def run(args: argparse.Namespace) -> int:
    """The command: ``args.experiment``, ``args.output``, ``args.format``, ``args.progress``."""
    if _same_path(args.experiment, args.output):
        raise CliError(f"OUTPUT {args.output} is the experiment file itself; choose another name")
    experiment = load_experiment(args.experiment, args.format)
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    if args.checkpoint is not None and args.checkpoint_every is None and args.resume is None:
        raise CliError("--checkpoint needs --checkpoint-every or --resume")
    if args.checkpoint_every is not None or args.resume is not None:
        _check_paths(args.experiment, args.output, args.checkpoint, args.resume)
    try:
        run_experiment(
            experiment,
            args.output,
            progress=show,
            checkpoint_every=args.checkpoint_every,
            checkpoint=args.checkpoint,
            resume=args.resume,
        )
    except ValueError as err:
        raise CliError(f"experiment {args.experiment}: {err}") from None
    except MemoryError as err:
        raise CliError(f"experiment {args.experiment}: the model does not fit in memory ({err})") from None
    except OSError as err:
        # The checkpoint or the partial file may be the one that failed: name it.
        raise CliError(f"cannot write {err.filename or args.output}: {reason(err)}") from None
    return 0


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT", help="the Experiment file (binary or text format)")
    parser.add_argument("output", metavar="OUTPUT", help="where to write the snapshots (replaced when complete)")
    parser.add_argument(
        "--format",
        choices=("auto", "binary", "text"),
        default="auto",
        help=f"how EXPERIMENT is written (default: text for {', '.join(TEXT_SUFFIXES)}, else binary)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on long runs (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--checkpoint-every",
        metavar="N",
        type=whole_number(1),
        default=None,
        help=f"save the model every N steps so a killed run can be resumed; snapshots go to OUTPUT{PARTIAL_SUFFIX} "
        "until the run is complete",
    )
    parser.add_argument(
        "--checkpoint",
        metavar="PATH",
        default=None,
        help=f"where --checkpoint-every saves (default: OUTPUT{CHECKPOINT_SUFFIX}, or the --resume file)",
    )
    parser.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        default=None,
        help="continue the run CHECKPOINT was saved from (same EXPERIMENT and OUTPUT); keeps saving at its interval",
    )
    parser.set_defaults(func=run, command_parser=parser)


def add_parser(subparsers: Any) -> None:
    """Register ``protobrain experiment``."""
    parser = subparsers.add_parser("experiment", help="run an experiment file", description=_DESCRIPTION)
    _add_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``protobrain-experiment``."""
    parser = ArgumentParser(prog="protobrain-experiment", description=_DESCRIPTION)
    _add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``protobrain-experiment``: user errors print one line, exit 1."""
    return dispatch(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
