"""``protobrain nab``: the Numenta Anomaly Benchmark (NAB).

``protobrain nab score RESULTS --data NAB_DIR`` scores detectors' results laid out as NAB
writes them (``RESULTS/<detector>/<category>/<detector>_<file>.csv``, columns
``timestamp`` and ``anomaly_score``) against the labels of a NAB folder, exactly as NAB
does (:mod:`protobrain.nab.score`): per profile (``standard``, ``reward_low_FP_rate``,
``reward_low_FN_rate``), a corpus-wide threshold, the raw score at it and the normalised
final score (null detector 0, perfect detector 100).

``--optimizer`` chooses how the threshold is found:

- ``twiddle`` (the default): NAB 1.0's optimiser (2015 to 2018), a local search from 0.5.
  It chose the thresholds of NAB's scoreboard (the README's table and
  ``results/final_results.json``: Numenta HTM 70.1, ...; every threshold NAB optimised
  before 2019 is twiddle's here to the last bit), so these scores are comparable with the
  published ones;
- ``sweep``: NAB's optimiser since 2019, the best of every distinct anomaly score (the
  global maximum: never below twiddle, sometimes above, e.g. Numenta HTM's
  reward_low_FP_rate score, 63.21 where NAB publishes twiddle's 63.12).

``--detector`` picks detectors (default: every subfolder of RESULTS); ``--thresholds FILE``
scores at the thresholds of a NAB ``config/thresholds.json`` instead of optimising them
(NAB's ``run.py --score`` without ``--optimize``); ``--json`` prints one JSON object,
per-file scores included.

``nab`` is a group of subcommands: ``score``, and ``run`` (:mod:`protobrain.cli.nab_run`), which
runs protobrain's own detector over a corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from protobrain.cli import nab_run
from protobrain.cli.errors import CliError
from protobrain.nab import SAMPLE
from protobrain.nab import score as nab_score

__all__ = ["add_parser", "format_scores", "run_score", "to_json"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``nab`` and its subcommands on the ``protobrain`` command."""
    parser = subparsers.add_parser(
        "nab",
        help="the Numenta Anomaly Benchmark: score anomaly detectors' results",
        description="The Numenta Anomaly Benchmark (NAB): score anomaly detectors' results as NAB does.",
    )
    commands = parser.add_subparsers(dest="nab_command", metavar="COMMAND", required=True)
    score = commands.add_parser(
        "score",
        help="score detectors' results (NAB's layout) against a NAB folder's labels",
        description=(
            "Score detectors' results, laid out as NAB writes them (RESULTS/<detector>/<category>/"
            "<detector>_<file>.csv with columns timestamp and anomaly_score), against the labelled windows of "
            "a NAB folder, exactly as NAB does: per profile, a corpus-wide threshold (see --optimizer), the raw "
            "score and the normalised score (null detector 0, perfect detector 100)."
        ),
    )
    score.add_argument("results", metavar="RESULTS", help="NAB results folder, one subfolder per detector")
    score.add_argument(
        "--data",
        metavar="NAB_DIR",
        help="NAB folder: data/, labels/combined_windows.json, config/profiles.json (default: the package sample)",
    )
    score.add_argument(
        "--detector",
        dest="detectors",
        nargs="+",
        action="extend",
        metavar="NAME",
        help="detectors to score (default: every subfolder of RESULTS)",
    )
    score.add_argument(
        "--thresholds",
        metavar="FILE",
        help="score at the thresholds of FILE (NAB's config/thresholds.json) instead of optimising them",
    )
    score.add_argument(
        "--optimizer",
        choices=nab_score.OPTIMIZERS,
        default="twiddle",
        help=(
            "how the threshold is chosen: twiddle (default), NAB 1.0's local search from 0.5, which chose the "
            "thresholds of NAB's published scoreboard (Numenta HTM 70.1, ...), so the scores are comparable with "
            "it; sweep, NAB's since 2019, the best of every distinct anomaly score (never lower, sometimes higher)"
        ),
    )
    score.add_argument("--json", action="store_true", help="print JSON (per-file scores included) instead of a table")
    score.set_defaults(func=run_score, command_parser=score)
    run = nab_run.add_parser(commands)
    run.set_defaults(func=nab_run.run, command_parser=run)
    return parser


def run_score(args: argparse.Namespace) -> int:
    """Read the NAB folder and each detector's results, score them, print the table or JSON."""
    try:
        corpus = nab_score.read_corpus(args.data if args.data is not None else SAMPLE)
        detectors = list(dict.fromkeys(args.detectors)) if args.detectors else nab_score.list_detectors(args.results)
        if not detectors:
            raise ValueError(f"{args.results}: no detector folders in it")
        given = nab_score.read_thresholds(args.thresholds) if args.thresholds is not None else None
        results = []
        for detector in detectors:
            thresholds = None
            if given is not None:
                thresholds = given.get(detector)
                missing = [p.name for p in corpus.profiles if p.name not in (thresholds or {})]
                if missing:
                    raise ValueError(f"{args.thresholds}: no threshold for detector {detector!r}, {', '.join(missing)}")
            results.append(
                nab_score.score_detector(
                    args.results, detector, corpus, thresholds=thresholds, optimizer=args.optimizer
                )
            )
    except ValueError as err:
        raise CliError(str(err)) from None
    if args.json:
        json.dump(to_json(corpus, results), sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        print(format_scores(corpus, results))
    return 0


def to_json(corpus: nab_score.Corpus, results: list[nab_score.DetectorScore]) -> dict[str, Any]:
    """The scores as one JSON-ready object: the corpus, then per detector and profile the
    threshold, the scores and counts, and the per-file scores."""
    return {
        "data": corpus.root,
        "files": len(corpus.files),
        "rows": corpus.rows,
        "windows": corpus.window_count,
        "profiles": {
            p.name: {"tp_weight": p.tp_weight, "fp_weight": p.fp_weight, "fn_weight": p.fn_weight}
            for p in corpus.profiles
        },
        "detectors": {
            result.detector: {
                name: {
                    "score": s.normalized,
                    "threshold": s.threshold,
                    "threshold_optimized": s.optimized,
                    "optimizer": s.optimizer,
                    "raw": s.raw,
                    "null": s.null,
                    "perfect": s.perfect,
                    "tp": s.tp,
                    "tn": s.tn,
                    "fp": s.fp,
                    "fn": s.fn,
                    "files": {
                        f.file: {"score": f.score, "tp": f.tp, "tn": f.tn, "fp": f.fp, "fn": f.fn, "rows": f.rows}
                        for f in s.files
                    },
                }
                for name, s in result.profiles.items()
            }
            for result in results
        },
    }


def format_scores(corpus: nab_score.Corpus, results: list[nab_score.DetectorScore]) -> str:
    """A heading (the corpus), then one line per detector and profile: the normalised score,
    the threshold, the raw, null and perfect scores and the counts of detected rows."""
    lines = [
        f"NAB scores: {len(corpus.files)} files, {corpus.rows} rows, {corpus.window_count} windows ({corpus.root})",
        "",
    ]
    header = ["detector", "profile", "score", "threshold", "raw", "null", "perfect", "TP", "FP"]
    table = [header]
    for result in results:
        for name, s in result.profiles.items():
            threshold = f"{s.threshold:.12g}" + ("" if s.optimized else " (given)")
            table.append(
                [
                    result.detector,
                    name,
                    f"{s.normalized:.2f}",
                    threshold,
                    f"{s.raw:.4f}",
                    f"{s.null:.4f}",
                    f"{s.perfect:.4f}",
                    str(s.tp),
                    str(s.fp),
                ]
            )
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    for row in table:
        cells = [c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    used = sorted({s.optimizer for result in results for s in result.profiles.values() if s.optimizer})
    how = {"twiddle": "NAB 1.0's twiddle (as NAB's published scores)", "sweep": "NAB's sweep (since 2019)"}
    chosen = " or ".join(how[o] for o in used) if used else "given"
    lines.append(
        f"score: 100 * (raw - null) / (perfect - null); threshold: one for the whole corpus, by {chosen}; "
        "TP, FP: detected rows inside, outside windows"
    )
    return "\n".join(lines)
