"""Score anomaly detectors on the Numenta Anomaly Benchmark (NAB) exactly as NAB does.

NAB (https://github.com/numenta/NAB, MIT licence) scores a detector's anomaly score for
every row of 58 time series against labelled anomaly windows. This module follows NAB's
own scorer (``nab/sweeper.py``, ``nab/optimizer.py``, ``nab/scorer.py``, ``nab/runner.py``,
``nab/labeler.py``, ``nab/util.py``), vectorised with numpy:

- **Probation.** The first ``min(floor(0.15 * rows), 0.15 * 5000)`` rows of each file (at
  most 750) are not scored at all (``util.getProbationPeriod``).
- **Windows** are rows: a window runs from the row whose timestamp is its start to the row
  whose timestamp is its end, both included (``Sweeper.calcSweepScore``). Each limit must
  be the timestamp of exactly one row (``CorpusLabel.getWindows``).
- **Row weights** (``Sweeper.calcSweepScore``), with ``scaled(x) = 2 * sigmoid(-5 x) - 1``,
  or ``-1`` for ``x > 3``: row ``i`` of a window of rows ``l..r`` (width ``r - l + 1``)
  weighs ``scaled(-(r - i + 1) / width) * tp_weight / scaled(-1)``, which is ``tp_weight``
  at the window's first row; a row outside every window weighs
  ``scaled(|r' - i| / (width' - 1)) * fp_weight`` after a window of rows ``l'..r'``, or
  ``-fp_weight`` before the first window.
- **Detections** are the scored rows whose anomaly score is at or above the threshold. A
  window contributes ``max(-fn_weight, weights of its detected rows)``: the earliest
  detection counts, later ones add nothing, none costs ``fn_weight``. A detection outside
  every window adds its (negative) weight. A window none of whose rows is scored (all in
  probation) contributes nothing (``Sweeper._prepareScoreByThresholdParts``).
- **Counts** are of rows: TP and FP are detected rows inside and outside windows, FN and
  TN the undetected ones; probation rows are in none of them.
- **The threshold**: one per profile, the same for every file, chosen to maximise the
  corpus's raw score by one of two optimisers (``optimizer=``):

  - ``"twiddle"`` (the default): NAB 1.0's (2015) local search, ``twiddle`` in the
    ``nab/optimizer.py`` of NAB 1.0 to 2018 (:func:`twiddle`). From ``x = 0.5`` with a step
    ``delta = 0.1``, while ``delta > 1e-7``: try ``x + delta``, and if it does not score
    strictly better, ``x - delta``; move to a strictly better one and double ``delta``,
    else stay and halve it (the corpus score is ``-inf`` outside [0, 1]). Every threshold
    tried is remembered, and the first best of them in Python 2's iteration order of that
    dictionary is returned (the order is reproduced exactly). It can stop at a local
    maximum. The corpus score at a threshold is read from the sweep below (the same
    detections); it is summed in another order than NAB 1.0's, so it differs from NAB's
    by rounding (1e-11 relative, on NAB's corpus) but is the same for the same detections: the
    thresholds tried and chosen are NAB 1.0's to the last bit;
  - ``"sweep"``: NAB's code since 2019 (``Sweeper.calcScoreByThreshold``,
    ``optimizer.optimizeThreshold``): the scored rows of the whole corpus are sorted by
    anomaly score, highest first, and the corpus score is evaluated at ``1.1`` (no
    detection) and at every distinct anomaly score (all rows at or above it detected). The
    highest score wins; of equal scores, the highest threshold. This is the global maximum.

  The default is ``"twiddle"`` because NAB's scoreboard (the README's table,
  ``results/final_results.json``) was made with it: every threshold of NAB's
  ``config/thresholds.json`` that NAB's optimiser chose on this corpus is the one twiddle
  finds here, to the last bit (``numenta``, Numenta HTM 70.1; ``numentaTM``,
  ``contextOSE``, ``skyline``, ``twitterADVec``, ``relativeEntropy``,
  ``earthgeckoSkyline``, ``randomCutForest``, ``expose``, ``null``), and where the sweep
  finds better (``numenta`` and ``expose`` reward_low_FP_rate, ``numentaTM``
  reward_low_FN_rate) only twiddle gives the published score. The other entries were not
  optimised on this corpus before 2019: ``knncad`` and ``windowedGaussian`` were scored at
  a threshold of 1.0 set by hand, ``htmjava`` at ``numentaTM``'s thresholds, ``ARTime``
  (2022) with the sweep, and ``random`` at thresholds twiddle found in 2015 on the
  32-file corpus of then, never optimised again: twiddle on this corpus reproduces its
  published reward_low_FP_rate score but not the other two (only scoring at those
  thresholds, ``thresholds=``, does). ``benchmarks/nab_score.py --nab`` prints all of it.
- **Final score** (``Runner.normalize``): the per-file scores at that threshold are summed
  (``raw``, NAB's ``Totals`` row) and normalised to
  ``100 * (raw - null) / (perfect - null)``, with ``perfect`` the number of windows in the
  labels times ``tp_weight`` and ``null`` the raw score of NAB's null detector (0.5 for
  every row, its threshold chosen by the same optimiser: ``-fn_weight`` per scored window
  on NAB's corpus). Nothing is rounded or clipped.

Scoring at given thresholds (``thresholds=``, e.g. those of NAB's ``config/thresholds.json``:
:func:`read_thresholds`) is what NAB's ``run.py --score`` does without ``--optimize``.

Where NAB would crash or silently skip, this module raises :class:`ValueError` instead:
windows out of time order or overlapping, a window of a single row (NAB divides by its
width minus one), labels naming a missing data file, and detector results that are
missing, not numbers, NaN, outside [0, 1] or not row for row the data file's timestamps.
Data files without labels are not scored (NAB cannot score them either).

Layout of a NAB folder (:func:`read_corpus`): ``data/<category>/<file>.csv`` with a
``timestamp`` column, ``labels/combined_windows.json`` and ``config/profiles.json``; when
``config/profiles.json`` is absent, NAB's three standard profiles
(:data:`STANDARD_PROFILES`) are used. Detector results (:func:`read_results`) are laid
out as NAB writes them: ``RESULTS/<detector>/<category>/<detector>_<file>.csv`` with at
least the columns ``timestamp`` and ``anomaly_score``.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "NO_DETECTION_THRESHOLD",
    "NULL_SCORE",
    "OPTIMIZERS",
    "PROBATION_PERCENT",
    "STANDARD_PROFILES",
    "TWIDDLE_START",
    "TWIDDLE_TOLERANCE",
    "Corpus",
    "DetectorScore",
    "FileScore",
    "LabelledFile",
    "Profile",
    "ProfileScore",
    "TwiddleResult",
    "list_detectors",
    "normalize",
    "optimize_threshold",
    "parse_scores",
    "probation_length",
    "read_corpus",
    "read_results",
    "read_thresholds",
    "results_path",
    "row_weights",
    "scaled_sigmoid",
    "score_corpus",
    "score_detector",
    "score_file",
    "threshold_objective",
    "threshold_sweep",
    "twiddle",
]

#: The share of each file NAB does not score (``Runner.probationaryPercent``).
PROBATION_PERCENT = 0.15

#: The threshold NAB's sweep starts from: above every anomaly score, so nothing is detected.
NO_DETECTION_THRESHOLD = 1.1

#: The threshold optimisers: NAB 1.0's local search (the default) and NAB's sweep since 2019.
OPTIMIZERS = ("twiddle", "sweep")

#: NAB 1.0's ``optimizeThreshold``: twiddle's first threshold and the step it stops at.
TWIDDLE_START = 0.5
TWIDDLE_TOLERANCE = 0.0000001

#: The anomaly score of NAB's null detector, for every row (``NullDetector.handleRecord``).
NULL_SCORE = 0.5

#: Where the labels and the profiles are in a NAB folder.
WINDOWS_FILE = os.path.join("labels", "combined_windows.json")
PROFILES_FILE = os.path.join("config", "profiles.json")

_TIME_UNIT = "datetime64[us]"


@dataclass(frozen=True)
class Profile:
    """A NAB scoring profile: the weights of its cost matrix (``tnWeight`` is unused by NAB)."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


#: NAB's ``config/profiles.json``, used when a NAB folder has no such file.
STANDARD_PROFILES = (
    Profile("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0),
    Profile("reward_low_FP_rate", tp_weight=1.0, fp_weight=0.22, fn_weight=1.0),
    Profile("reward_low_FN_rate", tp_weight=1.0, fp_weight=0.11, fn_weight=2.0),
)


def probation_length(rows: int) -> int:
    """The number of leading rows NAB does not score in a file of ``rows`` rows
    (``util.getProbationPeriod``: ``min(floor(0.15 * rows), 0.15 * 5000)``)."""
    return int(min(math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000))


@dataclass(frozen=True, eq=False)
class LabelledFile:
    """One labelled data file: its rows' timestamps and its anomaly windows.

    ``name`` is the path under ``data/`` as the labels write it (``realKnownCause/nyc_taxi.csv``);
    ``windows`` holds one ``[first row, last row]`` pair (both included) per window, in time
    order. Construction checks the windows: inside the file, in order, not overlapping, and
    at least two rows wide.
    """

    name: str
    timestamps: np.ndarray
    windows: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))

    def __post_init__(self) -> None:
        timestamps = np.asarray(self.timestamps)
        if timestamps.ndim != 1:
            raise ValueError(f"{self.name}: timestamps must be one-dimensional, got shape {timestamps.shape}")
        windows = np.asarray(self.windows, dtype=np.int64).reshape(-1, 2)
        rows = timestamps.shape[0]
        for k, (first, last) in enumerate(windows.tolist()):
            where = f"{self.name}: window {k + 1} (rows {first} to {last})"
            if not 0 <= first <= last < rows:
                raise ValueError(f"{where} is not within the file's {rows} rows in order")
            if last == first:
                raise ValueError(f"{where} covers a single row; NAB divides by a window's width minus one")
            if k and first <= windows[k - 1, 1]:
                raise ValueError(f"{where} starts before the previous window ends; windows must be in time order")
        windows.setflags(write=False)
        object.__setattr__(self, "timestamps", timestamps)
        object.__setattr__(self, "windows", windows)

    @property
    def rows(self) -> int:
        return int(self.timestamps.shape[0])

    @property
    def probation(self) -> int:
        """The number of leading rows not scored (:func:`probation_length`)."""
        return probation_length(self.rows)


@dataclass(frozen=True, eq=False)
class Corpus:
    """The labelled files of a NAB folder (sorted by name) and its scoring profiles."""

    root: str
    files: tuple[LabelledFile, ...]
    profiles: tuple[Profile, ...] = STANDARD_PROFILES

    @property
    def window_count(self) -> int:
        """The number of windows in the labels: the number of perfect detections."""
        return sum(len(f.windows) for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def file(self, name: str) -> LabelledFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)

    def profile(self, name: str) -> Profile:
        for p in self.profiles:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class FileScore:
    """One file's NAB score at a threshold, as in a row of NAB's ``<detector>_<profile>_scores.csv``:
    the score, the counts of scored rows (``tp + tn + fp + fn`` is ``rows`` less the
    probation) and the file's number of rows (NAB 1.0's ``Total_Count``)."""

    file: str
    threshold: float
    score: float
    tp: int
    tn: int
    fp: int
    fn: int
    rows: int


@dataclass(frozen=True)
class ProfileScore:
    """A detector's result under one profile: the corpus-wide threshold (``optimized``: chosen
    by ``optimizer``, one of :data:`OPTIMIZERS`; else given, and ``optimizer`` is None), the
    summed raw score (NAB's ``Totals`` row), the null and perfect raw scores, the normalised
    score, and the counts and per-file scores at the threshold."""

    profile: Profile
    threshold: float
    raw: float
    null: float
    perfect: float
    normalized: float
    tp: int
    tn: int
    fp: int
    fn: int
    rows: int
    files: tuple[FileScore, ...]
    optimized: bool = True
    optimizer: str | None = "twiddle"


@dataclass(frozen=True)
class DetectorScore:
    """A detector's results, one :class:`ProfileScore` per profile name (in the corpus's order)."""

    detector: str
    profiles: dict[str, ProfileScore]


# --- reading -------------------------------------------------------------------------------


def _read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({what}): {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({what}): {err}") from None


def _read_profiles(path: str) -> tuple[Profile, ...]:
    raw = _read_json(path, "NAB's scoring profiles")
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: expected an object of profiles, each with a CostMatrix")
    profiles = []
    for name, spec in raw.items():
        matrix = spec.get("CostMatrix") if isinstance(spec, dict) else None
        if not isinstance(matrix, dict):
            raise ValueError(f"{path}: profile {name!r} has no CostMatrix object")
        weights = {}
        for key in ("tpWeight", "fpWeight", "fnWeight"):
            value = matrix.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{path}: profile {name!r}: CostMatrix {key} must be a number, got {value!r}")
            weights[key] = float(value)
        profiles.append(Profile(name, weights["tpWeight"], weights["fpWeight"], weights["fnWeight"]))
    return tuple(profiles)


def _read_csv(path: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a CSV file; every row must have the header's fields."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            rows = list(csv.reader(f))
        except (csv.Error, UnicodeDecodeError) as err:
            raise ValueError(f"{path}: not a readable CSV file: {err}") from None
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        raise ValueError(f"{path}: empty file, expected a header line")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    width = len(header)
    if any(len(r) != width for r in body):
        line = next(i for i, r in enumerate(body) if len(r) != width) + 2
        raise ValueError(f"{path}: line {line} has {len(body[line - 2])} fields, the header has {width}")
    return header, body


def _column(path: str, header: list[str], body: list[list[str]], name: str) -> list[str]:
    if name not in header:
        raise ValueError(f"{path}: no {name!r} column (the header is {','.join(header)})")
    k = header.index(name)
    return [r[k] for r in body]


def _parse_times(values: Sequence[str] | np.ndarray, where: str) -> np.ndarray:
    """Timestamps as numpy datetimes; an unreadable one is an error naming its line."""
    try:
        return np.array(values, dtype=_TIME_UNIT)
    except ValueError:
        for i, v in enumerate(values):
            try:
                np.datetime64(v, "us")
            except ValueError:
                raise ValueError(f"{where}: line {i + 2}: {v!r} is not a timestamp") from None
        raise


def read_corpus(nab_dir: str | os.PathLike[str]) -> Corpus:
    """Read a NAB folder: the labels, the data files they name, and the profiles.

    Every file in ``labels/combined_windows.json`` must exist under ``data/`` and every
    window limit must be the timestamp of exactly one of its rows. Without
    ``config/profiles.json``, :data:`STANDARD_PROFILES` are used.
    """
    root = os.fspath(nab_dir)
    if not os.path.isdir(root):
        raise ValueError(f"{root}: no such folder (expected a NAB folder with data/, labels/ and config/)")
    windows_path = os.path.join(root, WINDOWS_FILE)
    if not os.path.isfile(windows_path):
        raise ValueError(f"{root} is not a NAB folder: it has no {WINDOWS_FILE}")
    profiles_path = os.path.join(root, PROFILES_FILE)
    profiles = _read_profiles(profiles_path) if os.path.isfile(profiles_path) else STANDARD_PROFILES

    labels = _read_json(windows_path, "NAB's anomaly windows")
    if not isinstance(labels, dict):
        raise ValueError(f"{windows_path}: expected an object mapping data files to lists of windows")
    files = []
    for name in sorted(labels):
        where = f"{windows_path}: {name}"
        limits = labels[name]
        if not isinstance(limits, list) or not all(
            isinstance(w, list) and len(w) == 2 and all(isinstance(t, str) for t in w) for w in limits
        ):
            raise ValueError(f"{where}: expected a list of [start, end] timestamp pairs")
        data_path = os.path.join(root, "data", *name.split("/"))
        if not os.path.isfile(data_path):
            raise ValueError(f"{where}: the labels name a data file that does not exist: {data_path}")
        header, body = _read_csv(data_path)
        timestamps = _parse_times(_column(data_path, header, body, "timestamp"), data_path)
        rows = []
        for start, end in limits:
            pair = []
            for t in (start, end):
                try:
                    when = np.datetime64(t.strip(), "us")
                except ValueError:
                    raise ValueError(f"{where}: window limit {t!r} is not a timestamp") from None
                found = np.flatnonzero(timestamps == when)
                if found.size != 1:
                    times = "is not a timestamp" if found.size == 0 else f"is the timestamp of {found.size} rows"
                    raise ValueError(f"{where}: window limit {t!r} {times} of {data_path}; it must be of exactly one")
                pair.append(int(found[0]))
            rows.append(pair)
        try:
            files.append(LabelledFile(name, timestamps, np.array(rows, dtype=np.int64).reshape(-1, 2)))
        except ValueError as err:
            raise ValueError(f"{windows_path}: {err}") from None
    return Corpus(root, tuple(files), profiles)


def parse_scores(
    file: LabelledFile, timestamps: Sequence[str] | np.ndarray, scores: Sequence[str] | np.ndarray, source: str
) -> np.ndarray:
    """A detector's anomaly scores for ``file`` from the text of its results' columns.

    There must be one score per row of the data file, each a number in [0, 1], and the
    timestamps must be the data file's, row for row. Errors name ``source`` and the first
    bad line (line 1 being the header).
    """
    if len(scores) != file.rows or len(timestamps) != file.rows:
        raise ValueError(f"{source}: {len(scores)} rows of results, but {file.name} has {file.rows} rows")
    times = _parse_times(timestamps, source)
    bad = np.flatnonzero(times != file.timestamps)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{source}: line {i + 2}: timestamp {timestamps[i]} is not {file.name}'s "
            f"{np.datetime_as_string(file.timestamps[i], unit='s').replace('T', ' ')} (row {i + 1})"
        )
    try:
        values = np.array(scores, dtype=np.float64)
    except ValueError:
        for i, s in enumerate(scores):
            try:
                float(s)
            except ValueError:
                what = "is missing" if not s.strip() else f"{s!r} is not a number"
                raise ValueError(f"{source}: line {i + 2}: the anomaly_score {what}") from None
        raise
    outside = np.flatnonzero(~((values >= 0.0) & (values <= 1.0)))
    if outside.size:
        i = int(outside[0])
        raise ValueError(f"{source}: line {i + 2}: the anomaly_score {scores[i].strip()} is not in [0, 1]")
    return values


def results_path(results_dir: str | os.PathLike[str], detector: str, file_name: str) -> str:
    """Where NAB keeps ``detector``'s results for data file ``file_name`` (``cat/name.csv``)."""
    *folders, base = file_name.split("/")
    return os.path.join(os.fspath(results_dir), detector, *folders, f"{detector}_{base}")


def read_results(results_dir: str | os.PathLike[str], detector: str, corpus: Corpus) -> dict[str, np.ndarray]:
    """``detector``'s anomaly scores for every labelled file of ``corpus``, from NAB's layout
    ``RESULTS/<detector>/<category>/<detector>_<file>.csv`` (columns ``timestamp`` and
    ``anomaly_score`` at least; see :func:`parse_scores` for the checks)."""
    folder = os.path.join(os.fspath(results_dir), detector)
    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: no such folder, so no results of detector {detector!r}")
    scores = {}
    for file in corpus.files:
        path = results_path(results_dir, detector, file.name)
        if not os.path.isfile(path):
            raise ValueError(f"{path}: missing: detector {detector!r} has no results for data file {file.name}")
        header, body = _read_csv(path)
        timestamps = _column(path, header, body, "timestamp")
        values = _column(path, header, body, "anomaly_score")
        scores[file.name] = parse_scores(file, timestamps, values, path)
    return scores


def list_detectors(results_dir: str | os.PathLike[str]) -> list[str]:
    """The detectors of a NAB results folder: its subfolders (not hidden ones), sorted."""
    root = os.fspath(results_dir)
    if not os.path.isdir(root):
        raise ValueError(f"{root}: no such results folder")
    return sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))


# --- scoring -------------------------------------------------------------------------------


def scaled_sigmoid(x: np.ndarray) -> np.ndarray:
    """NAB's ``sweeper.scaledSigmoid``: ``2 * sigmoid(-5 x) - 1``, or ``-1`` where ``x > 3``."""
    x = np.asarray(x, dtype=np.float64)
    # sigmoid(-5x) = 1 / (1 + exp(5x)); x is capped so exp cannot overflow where it is unused.
    value = 2.0 * (1.0 / (1.0 + np.exp(5.0 * np.minimum(x, 3.0)))) - 1.0
    return np.where(x > 3.0, -1.0, value)


#: ``scaledSigmoid(-1.0)``: the unweighted score of a detection at a window's first row.
_MAX_TP = float(scaled_sigmoid(np.array(-1.0)))


def _unweighted(file: LabelledFile) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``file``: the index of its window (-1 outside every window) and NAB's
    unweighted sweep score (a true-positive score inside a window, a false-positive one outside)."""
    rows = np.arange(file.rows, dtype=np.int64)
    firsts, lasts = file.windows[:, 0], file.windows[:, 1]
    widths = (lasts - firsts + 1).astype(np.float64)
    # The window a row may be in: the last one starting at or before it.
    k = np.searchsorted(firsts, rows, side="right") - 1
    kc = np.maximum(k, 0)
    inside = (k >= 0) & (rows <= lasts[kc]) if len(firsts) else np.zeros(file.rows, dtype=bool)
    window = np.where(inside, k, -1)
    values = np.full(file.rows, -1.0)
    if len(firsts):
        # Inside: position -(last - i + 1) / width, -1 at the first row, just below 0 at the last.
        position = -(lasts[kc] - rows + 1) / widths[kc]
        # Outside: distance past the end of the preceding window over its width minus one.
        p = np.searchsorted(lasts, rows, side="left") - 1
        pc = np.maximum(p, 0)
        past = np.abs(lasts[pc] - rows) / (widths[pc] - 1.0)
        values = np.where(inside, scaled_sigmoid(position), np.where(p >= 0, scaled_sigmoid(past), -1.0))
    return window, values


def row_weights(file: LabelledFile, profile: Profile) -> np.ndarray:
    """NAB's weighted score of a detection at each row of ``file`` (``AnomalyPoint.sweepScore``),
    probation rows included."""
    window, values = _unweighted(file)
    return np.where(window >= 0, values * profile.tp_weight / _MAX_TP, values * profile.fp_weight)


class _Rows:
    """The scored rows of several files, concatenated: each row's file, window (numbered
    across the files, -1 outside), unweighted score and anomaly score."""

    def __init__(self, files: Sequence[LabelledFile], scores: Mapping[str, np.ndarray]) -> None:
        self.files = tuple(files)
        parts_file, parts_window, parts_value, parts_score = [], [], [], []
        window_file = []
        offset = 0
        for f, file in enumerate(self.files):
            score = _checked(file, scores)
            window, value = _unweighted(file)
            keep = slice(file.probation, None)
            parts_file.append(np.full(file.rows - file.probation, f, dtype=np.int64))
            parts_window.append(np.where(window[keep] >= 0, window[keep] + offset, -1))
            parts_value.append(value[keep])
            parts_score.append(score[keep])
            window_file.extend([f] * len(file.windows))
            offset += len(file.windows)
        self.file = np.concatenate(parts_file) if parts_file else np.zeros(0, dtype=np.int64)
        self.window = np.concatenate(parts_window) if parts_window else np.zeros(0, dtype=np.int64)
        self.value = np.concatenate(parts_value) if parts_value else np.zeros(0)
        self.score = np.concatenate(parts_score) if parts_score else np.zeros(0)
        self.window_file = np.array(window_file, dtype=np.int64)
        self.inside = self.window >= 0
        # Windows with at least one scored row: only these count (as a miss or a detection).
        self.scored_window = np.zeros(offset, dtype=bool)
        self.scored_window[self.window[self.inside]] = True

    def weights(self, profile: Profile) -> np.ndarray:
        return np.where(self.inside, self.value * profile.tp_weight / _MAX_TP, self.value * profile.fp_weight)

    def sweep(self, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
        """NAB's ``calcScoreByThreshold`` over these rows: thresholds (1.1, then every distinct
        anomaly score, descending) and the summed score with detections at or above each."""
        order = np.argsort(-self.score, kind="stable")
        score = self.score[order]
        window = self.window[order]
        weight = self.weights(profile)[order]
        miss = -profile.fn_weight
        # The change of the total score as each row (in that order) is detected: its weight
        # outside windows; inside, how much it raises its window's best (earliest) detection.
        step = np.where(window < 0, weight, 0.0)
        at = np.flatnonzero(window >= 0)
        if at.size:
            w, s = window[at], weight[at]
            # A running maximum per window, on integer ranks so windows are kept apart exactly.
            levels, rank = np.unique(s, return_inverse=True)
            group = np.lexsort((at, w))
            w, rank, at = w[group], rank.reshape(-1)[group], at[group]
            lift = w * (levels.size + 1)
            best = np.maximum(levels[np.maximum.accumulate(rank + lift) - lift], miss)
            first = np.ones(at.size, dtype=bool)
            first[1:] = w[1:] != w[:-1]
            before = np.empty(at.size)
            before[first] = miss
            before[~first] = best[:-1][~first[1:]]
            step[at] = best - before
        base = miss * int(self.scored_window.sum())
        ends = np.flatnonzero(np.append(score[1:] != score[:-1], True)) if score.size else np.zeros(0, dtype=np.int64)
        thresholds = np.concatenate(([NO_DETECTION_THRESHOLD], score[ends]))
        totals = np.concatenate(([base], base + np.cumsum(step)[ends]))
        return thresholds, totals

    def objective(self, profile: Profile) -> Callable[[float], float]:
        """NAB 1.0's ``optimizer.objectiveFunction``: the summed score with detections at or
        above a threshold, ``-inf`` outside [0, 1].

        It reads the sweep: the rows at or above ``t`` are those at or above the smallest
        distinct anomaly score ``s >= t`` (none if there is none), so the score at ``t`` is
        the sweep's at ``s``, exactly the same detections.
        """
        thresholds, totals = self.sweep(profile)
        ascending = thresholds[:0:-1]  # the distinct anomaly scores, lowest first
        at = totals[:0:-1].tolist()
        none = float(totals[0])

        def value(threshold: float) -> float:
            if not 0.0 <= threshold <= 1.0:
                return -math.inf
            k = int(np.searchsorted(ascending, threshold, side="left"))
            return none if k == len(at) else at[k]

        return value

    def at_threshold(self, profile: Profile, threshold: float) -> list[FileScore]:
        """NAB's ``scorer.scoreDataSet`` for each file: the score and counts with detections
        at or above ``threshold``."""
        if math.isnan(threshold):
            raise ValueError("the threshold is NaN")
        n = len(self.files)
        detected = self.score >= threshold
        weight = self.weights(profile)
        out = detected & ~self.inside
        fp_sum = np.bincount(self.file[out], weights=weight[out], minlength=n)
        best = np.full(self.scored_window.size, -np.inf)
        hit = detected & self.inside
        np.maximum.at(best, self.window[hit], weight[hit])
        part = np.where(self.scored_window, np.maximum(best, -profile.fn_weight), 0.0)
        window_sum = np.bincount(self.window_file, weights=part, minlength=n)
        tp = np.bincount(self.file[hit], minlength=n)
        fp = np.bincount(self.file[out], minlength=n)
        inside = np.bincount(self.file[self.inside], minlength=n)
        outside = np.bincount(self.file[~self.inside], minlength=n)
        return [
            FileScore(
                file=file.name,
                threshold=float(threshold),
                score=float(fp_sum[f] + window_sum[f]),
                tp=int(tp[f]),
                tn=int(outside[f] - fp[f]),
                fp=int(fp[f]),
                fn=int(inside[f] - tp[f]),
                rows=file.rows,
            )
            for f, file in enumerate(self.files)
        ]


def _checked(file: LabelledFile, scores: Mapping[str, np.ndarray]) -> np.ndarray:
    if file.name not in scores:
        raise ValueError(f"no anomaly scores for data file {file.name}")
    score = np.asarray(scores[file.name], dtype=np.float64)
    if score.shape != (file.rows,):
        raise ValueError(
            f"{file.name}: {score.shape[0] if score.ndim == 1 else score.shape} anomaly scores, "
            f"but the file has {file.rows} rows"
        )
    bad = np.flatnonzero(~((score >= 0.0) & (score <= 1.0)))
    if bad.size:
        raise ValueError(f"{file.name}: row {int(bad[0]) + 1}: anomaly score {score[bad[0]]} is not in [0, 1]")
    return score


def threshold_sweep(
    corpus: Corpus | Sequence[LabelledFile], scores: Mapping[str, np.ndarray], profile: Profile
) -> tuple[np.ndarray, np.ndarray]:
    """Every threshold NAB's sweep tries (1.1, then each distinct anomaly score of a scored
    row, descending) and the corpus's raw score at it (``Sweeper.calcScoreByThreshold``)."""
    files = corpus.files if isinstance(corpus, Corpus) else corpus
    return _Rows(files, scores).sweep(profile)


def threshold_objective(
    corpus: Corpus | Sequence[LabelledFile], scores: Mapping[str, np.ndarray], profile: Profile
) -> Callable[[float], float]:
    """The function NAB 1.0's twiddle maximises (``optimizer.objectiveFunction``): threshold
    to the corpus's raw score with detections at or above it, ``-inf`` outside [0, 1]."""
    files = corpus.files if isinstance(corpus, Corpus) else corpus
    return _Rows(files, scores).objective(profile)


@dataclass(frozen=True)
class TwiddleResult:
    """What :func:`twiddle` found: the best parameter, its score, and every evaluation of the
    objective in order (``(parameter, score)``; a parameter already tried is not evaluated again)."""

    threshold: float
    score: float
    evaluations: tuple[tuple[float, float], ...]


_ULONG = 1 << 64
_LONG_MAX = (1 << 63) - 1


def _py2_hash(value: float) -> int:
    """Python 2.7's ``hash`` of a float on a 64-bit system (``_Py_HashDouble``)."""
    if math.isinf(value):
        return -271828 if value < 0 else 314159
    if math.isnan(value):
        return 0
    fraction, whole = math.modf(value)
    if fraction == 0.0:
        if whole > float(_LONG_MAX // 2) or -whole > float(_LONG_MAX // 2):
            # The hash of the equal Python 2 long: its absolute value modulo 2**64 - 1 (never 0).
            n = int(whole)
            folded = abs(n) % (_ULONG - 1) or _ULONG - 1
            x = folded if n > 0 else -folded % _ULONG
            x = _ULONG - 2 if x == _ULONG - 1 else x
            return x - _ULONG if x > _LONG_MAX else x
        x = int(whole)
    else:
        mantissa, exponent = math.frexp(value)
        v = mantissa * 2147483648.0
        high = int(v)  # C's (long) truncates towards zero, as int() does
        v = (v - float(high)) * 2147483648.0
        x = high + int(v) + exponent * (1 << 15)
    return -2 if x == -1 else x


def _py2_dict_order(keys: Sequence[float]) -> list[float]:
    """The order in which Python 2.7 iterates a dict whose (distinct) float keys were inserted
    in this order and none deleted: open addressing from ``hash & mask``, probing
    ``i = 5 * i + perturb + 1`` with ``perturb`` the hash shifted right by 5 each time, in a
    table of 8 slots that grows to the smallest power of two above 4 * used (2 * used past
    50,000) when two thirds full; iteration is in slot order (CPython 2.7 ``dictobject.c``)."""

    def place(table: list[tuple[int, float] | None], key: float, hashed: int) -> None:
        mask = len(table) - 1
        perturb = hashed % _ULONG
        i = perturb & mask
        while table[i & mask] is not None:
            i = (5 * i + perturb + 1) % _ULONG
            perturb >>= 5
        table[i & mask] = (hashed, key)

    table: list[tuple[int, float] | None] = [None] * 8
    used = 0
    for key in keys:
        place(table, key, _py2_hash(key))
        used += 1
        if used * 3 >= len(table) * 2:
            minimum = (2 if used > 50000 else 4) * used
            size = 8
            while size <= minimum:
                size <<= 1
            old, table = table, [None] * size
            for entry in old:
                if entry is not None:
                    place(table, entry[1], entry[0])
    return [entry[1] for entry in table if entry is not None]


def twiddle(
    objective: Callable[[float], float],
    initial_guess: float = 0.5,
    tolerance: float = 0.00001,
    domain: tuple[float, float] = (-math.inf, math.inf),
    max_steps: int = 1_000_000,
) -> TwiddleResult:
    """NAB 1.0's ``optimizer.twiddle``: a local hill climb on one parameter, step for step.

    From ``x = initial_guess`` and ``delta = 0.1``, while ``delta > tolerance``: if
    ``x + delta`` would pass the domain's upper end, ``delta`` becomes half the distance to
    it; ``x += delta``; if the score there is strictly above the best so far, it is the new
    best and ``delta`` doubles. Otherwise (``delta`` becoming half the distance to the lower
    end if ``x - delta`` would pass it) ``x -= 2 * delta``; strictly better: new best,
    ``delta`` doubles; else ``x += delta`` and ``delta`` halves. Every parameter tried is
    kept with its score (a parameter already tried is not evaluated again), and the first
    of the best in the iteration order of NAB's Python 2 dictionary of them is returned:
    ``x`` can drift from the best by rounding, and ties are broken that way (reproduced by
    :func:`_py2_dict_order`). The floating-point steps are NAB's, so the parameters are
    NAB's to the last bit.

    NAB's loop has no limit; this one raises :class:`ValueError` after ``max_steps`` steps.
    NAB's objective (bounded, piecewise constant, no domain) always stops within about a
    hundred, but an objective that keeps improving would not stop, nor would a start above
    the domain's upper end (the clipped step carries ``x`` further out, then back).
    """
    past: dict[float, float] = {}
    evaluations: list[tuple[float, float]] = []

    def evaluate(x: float) -> float:
        value = float(objective(x))
        if math.isnan(value):
            raise ValueError(f"the objective is NaN at {x!r}")
        past[x] = value
        evaluations.append((x, value))
        return value

    lower, upper = domain
    x = initial_guess
    delta = 0.1
    best = evaluate(x)
    steps = 0
    while delta > tolerance:
        steps += 1
        if steps > max_steps:
            raise ValueError(f"twiddle did not converge within {max_steps} steps")
        if x + delta > upper:
            delta = abs(upper - x) / 2
        x += delta
        score = past[x] if x in past else evaluate(x)
        if score > best:
            best = score
            delta *= 2
        else:
            if x - delta < lower:
                delta = abs(lower - x) / 2
            x -= 2 * delta
            score = past[x] if x in past else evaluate(x)
            if score > best:
                best = score
                delta *= 2
            else:
                x += delta
                delta *= 0.5
    # max(pastCalls.iterkeys(), key=pastCalls.get): the first key, in Python 2's order, of the highest score.
    found = None
    for key in _py2_dict_order([e[0] for e in evaluations]):
        if found is None or past[key] > past[found]:
            found = key
    assert found is not None
    return TwiddleResult(found, past[found], tuple(evaluations))


def _check_optimizer(optimizer: str) -> None:
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown threshold optimizer {optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")


def _best(rows: _Rows, profile: Profile, optimizer: str) -> tuple[float, float]:
    if optimizer == "twiddle":
        found = twiddle(rows.objective(profile), TWIDDLE_START, TWIDDLE_TOLERANCE)
        return found.threshold, found.score
    thresholds, totals = rows.sweep(profile)
    best = int(np.argmax(totals))
    return float(thresholds[best]), float(totals[best])


def optimize_threshold(
    corpus: Corpus | Sequence[LabelledFile],
    scores: Mapping[str, np.ndarray],
    profile: Profile,
    optimizer: str = "twiddle",
) -> tuple[float, float]:
    """The corpus-wide threshold ``optimizer`` (one of :data:`OPTIMIZERS`) chooses, and the
    raw score there (``optimizer.optimizeThreshold``): ``"twiddle"``, NAB 1.0's local search
    from 0.5 (:func:`twiddle` of :func:`threshold_objective`), or ``"sweep"``, NAB's since
    2019: the best of every distinct anomaly score and 1.1, of equal scores the highest."""
    _check_optimizer(optimizer)
    files = corpus.files if isinstance(corpus, Corpus) else corpus
    return _best(_Rows(files, scores), profile, optimizer)


def score_file(file: LabelledFile, scores: np.ndarray, profile: Profile, threshold: float) -> FileScore:
    """One file's NAB score and counts at ``threshold`` (``scorer.scoreDataSet``)."""
    return _Rows([file], {file.name: scores}).at_threshold(profile, threshold)[0]


def normalize(raw: float, null: float, perfect: float) -> float:
    """NAB's final score: ``100 * (raw - null) / (perfect - null)`` (``Runner.normalize``)."""
    if perfect == null:
        raise ValueError("the perfect and the null detector score the same (no windows?): no normalised score")
    return 100.0 * (raw - null) / (perfect - null)


def _profile_score(
    rows: _Rows, null_rows: _Rows, window_count: int, profile: Profile, threshold: float | None, optimizer: str
) -> ProfileScore:
    chosen = _best(rows, profile, optimizer)[0] if threshold is None else float(threshold)
    files = rows.at_threshold(profile, chosen)
    raw = 0.0
    for f in files:  # NAB's Totals row: the per-file scores summed in order
        raw += f.score
    null = 0.0
    for f in null_rows.at_threshold(profile, _best(null_rows, profile, optimizer)[0]):
        null += f.score
    perfect = window_count * profile.tp_weight
    return ProfileScore(
        profile=profile,
        threshold=chosen,
        raw=raw,
        null=null,
        perfect=perfect,
        normalized=normalize(raw, null, perfect),
        tp=sum(f.tp for f in files),
        tn=sum(f.tn for f in files),
        fp=sum(f.fp for f in files),
        fn=sum(f.fn for f in files),
        rows=sum(f.rows for f in files),
        files=tuple(files),
        optimized=threshold is None,
        optimizer=optimizer if threshold is None else None,
    )


def score_corpus(
    corpus: Corpus,
    scores: Mapping[str, np.ndarray],
    detector: str = "detector",
    profiles: Sequence[Profile] | None = None,
    thresholds: Mapping[str, float] | None = None,
    optimizer: str = "twiddle",
) -> DetectorScore:
    """Score a detector's anomaly scores (one array per labelled file, by name) as NAB does:
    per profile, the corpus-wide threshold ``optimizer`` chooses (``"twiddle"``, NAB 1.0's,
    which made NAB's published scores; ``"sweep"``, NAB's since 2019), the per-file scores
    at it, their sum and the normalised final score.

    ``thresholds`` (profile name to threshold) scores at given thresholds instead, as NAB's
    ``run.py --score`` does with the thresholds of ``config/thresholds.json``; profiles it
    does not name are optimised. The null baseline is always NAB's null detector (0.5 for
    every row), its threshold chosen by ``optimizer``.
    """
    _check_optimizer(optimizer)
    rows = _Rows(corpus.files, scores)
    null_rows = _Rows(corpus.files, {f.name: np.full(f.rows, NULL_SCORE) for f in corpus.files})
    chosen = corpus.profiles if profiles is None else tuple(profiles)
    given = thresholds or {}
    return DetectorScore(
        detector,
        {p.name: _profile_score(rows, null_rows, corpus.window_count, p, given.get(p.name), optimizer) for p in chosen},
    )


def score_detector(
    results_dir: str | os.PathLike[str],
    detector: str,
    corpus: Corpus,
    profiles: Sequence[Profile] | None = None,
    thresholds: Mapping[str, float] | None = None,
    optimizer: str = "twiddle",
) -> DetectorScore:
    """Read ``detector``'s results from a NAB results folder (:func:`read_results`) and score
    them (:func:`score_corpus`)."""
    _check_optimizer(optimizer)
    return score_corpus(corpus, read_results(results_dir, detector, corpus), detector, profiles, thresholds, optimizer)


def read_thresholds(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """NAB's ``config/thresholds.json``: detector name to profile name to threshold (the
    ``threshold`` of each ``{"score": ..., "threshold": ...}`` entry)."""
    where = os.fspath(path)
    if not os.path.isfile(where):
        raise ValueError(f"{where}: no such thresholds file")
    raw = _read_json(where, "NAB's thresholds")
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object of detectors, each an object of profiles")
    out: dict[str, dict[str, float]] = {}
    for detector, by_profile in raw.items():
        if not isinstance(by_profile, dict):
            raise ValueError(f"{where}: detector {detector!r}: expected an object of profiles")
        out[detector] = {}
        for profile, entry in by_profile.items():
            value = entry.get("threshold") if isinstance(entry, dict) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise ValueError(f"{where}: {detector} {profile}: expected a numeric threshold, got {value!r}")
            out[detector][profile] = float(value)
    return out
