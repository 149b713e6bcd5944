"""``protobrain.nab``: NAB's scoring, against NAB's own numbers and against its definitions.

On the package's NAB sample (two NAB files, ``protobrain.nab.SAMPLE``), with the
``random`` detector's results, NAB's published per-file scores and what NAB's code
computes on it (its sweep of today, and NAB 1.0's twiddle and Runner run by Python 2.7),
all described in tests/nab/README.md.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from protobrain import nab
from protobrain.cli.main import main
from protobrain.nab import SAMPLE, score

HERE = Path(__file__).resolve().parent
DATA = Path(SAMPLE)  # the package's two-file NAB folder (tests/nab/README.md)
RESULTS = HERE / "results"
REFERENCE = HERE / "reference"
IIO = "realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv"
FLAT = "artificialNoAnomaly/art_flatline.csv"
STANDARD, LOW_FP, LOW_FN = score.STANDARD_PROFILES

with open(REFERENCE / "published_scores.csv", encoding="utf-8", newline="") as _f:
    PUBLISHED = list(csv.DictReader(_f))
NAB_CODE = json.loads((REFERENCE / "nab_code.json").read_text(encoding="utf-8"))
NAB_1_0 = json.loads((REFERENCE / "nab_1_0_twiddle.json").read_text(encoding="utf-8"))
_spec = importlib.util.spec_from_file_location("make_reference", HERE / "make_reference.py")
assert _spec is not None and _spec.loader is not None
make_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_reference)


@pytest.fixture(scope="module")
def corpus():
    return nab.read_corpus(DATA)


@pytest.fixture(scope="module")
def random_scores(corpus):
    return nab.read_results(RESULTS, "random", corpus)


# --- the subset against NAB's numbers -----------------------------------------------------------


def test_the_subset_reads_as_nab_reads_it(corpus):
    assert [f.name for f in corpus.files] == [FLAT, IIO]
    assert corpus.profiles == score.STANDARD_PROFILES
    flat, iio = corpus.files
    assert (flat.rows, flat.probation, flat.windows.shape) == (4032, 604, (0, 2))
    assert (iio.rows, iio.probation) == (1243, 186)
    labels = json.loads((DATA / "labels" / "combined_windows.json").read_text(encoding="utf-8"))
    for (first, last), (start, end) in zip(iio.windows.tolist(), labels[IIO]):
        assert iio.timestamps[first] == np.datetime64(start) and iio.timestamps[last] == np.datetime64(end)
    assert corpus.window_count == 2 and corpus.rows == 4032 + 1243


@pytest.mark.parametrize("row", PUBLISHED, ids=lambda r: f"{r['Profile']}-{r['File'].split('/')[1]}")
def test_published_per_file_rows(corpus, random_scores, row, monkeypatch):
    """NAB's published rows: the counts always; the score too where no window has a
    detection, and everywhere once a true positive is divided by the 0.98661 of the scorer
    that wrote them (NAB 1.0 divides by scaledSigmoid(-1) = 0.98661429815)."""
    file = corpus.file(row["File"])
    profile = corpus.profile(row["Profile"])
    got = nab.score_file(file, random_scores[file.name], profile, float(row["Threshold"]))
    assert (got.tp, got.tn, got.fp, got.fn, got.rows) == tuple(
        int(row[k]) for k in ("TP", "TN", "FP", "FN", "Total_Count")
    )
    difference = abs(got.score - float(row["Score"]))
    if got.tp == 0:
        assert difference <= 1e-9
    else:
        assert 1e-7 < difference < 1e-5
    monkeypatch.setattr(score, "_MAX_TP", 0.98661)
    then = nab.score_file(file, random_scores[file.name], profile, float(row["Threshold"]))
    assert then.score == pytest.approx(float(row["Score"]), abs=1e-9)


@pytest.mark.parametrize("profile", score.STANDARD_PROFILES, ids=lambda p: p.name)
def test_per_file_scores_equal_nab_code(corpus, random_scores, profile):
    """At the published threshold and at the best one: NAB's sweeper.py (2024) and NAB 1.0's results."""
    expected = NAB_CODE["profiles"][profile.name]
    best = expected["sweep"]["best"][0]
    published = (expected["published_threshold"], expected["files_at_published"])
    for threshold, files in (published, (best, expected["sweep"]["files_at_best"])):
        for file in corpus.files:
            got = nab.score_file(file, random_scores[file.name], profile, threshold)
            want = files[file.name]
            assert (got.tp, got.tn, got.fp, got.fn) == (want["tp"], want["tn"], want["fp"], want["fn"])
            assert got.score == pytest.approx(want["score"], abs=1e-9)
            if threshold == published[0]:
                assert got.score == pytest.approx(expected["nab_1_0_scores"][file.name], abs=1e-9)


@pytest.mark.parametrize("profile", score.STANDARD_PROFILES, ids=lambda p: p.name)
def test_the_threshold_sweep_equals_nab_code(corpus, random_scores, profile):
    expected = NAB_CODE["profiles"][profile.name]["sweep"]
    thresholds, totals = nab.threshold_sweep(corpus, random_scores, profile)
    assert len(thresholds) == expected["count"]
    top = np.array(expected["top"])
    assert np.array_equal(thresholds[: len(top)], top[:, 0])
    np.testing.assert_allclose(totals[: len(top)], top[:, 1], rtol=0, atol=1e-9)
    found = nab.optimize_threshold(corpus, random_scores, profile, optimizer="sweep")
    assert found == pytest.approx(tuple(expected["best"]), abs=1e-9)


def test_score_detector_on_the_subset(corpus):
    result = nab.score_detector(RESULTS, "random", corpus, optimizer="sweep")
    assert result.detector == "random" and list(result.profiles) == [p.name for p in score.STANDARD_PROFILES]
    for name, s in result.profiles.items():
        expected = NAB_CODE["profiles"][name]["sweep"]
        assert s.optimized and s.optimizer == "sweep" and s.threshold == expected["best"][0]
        assert s.raw == pytest.approx(expected["best"][1], abs=1e-9)
        assert s.raw == sum(f.score for f in s.files)
        assert s.null == -2 * s.profile.fn_weight and s.perfect == 2.0
        assert s.normalized == pytest.approx(100 * (s.raw - s.null) / (s.perfect - s.null))
        assert (s.tp, s.tn, s.fp, s.fn, s.rows) == (
            sum(f.tp for f in s.files),
            sum(f.tn for f in s.files),
            sum(f.fp for f in s.files),
            sum(f.fn for f in s.files),
            4032 + 1243,
        )


def test_scoring_at_given_thresholds(corpus, random_scores):
    published = {p.name: NAB_CODE["profiles"][p.name]["published_threshold"] for p in score.STANDARD_PROFILES}
    result = nab.score_corpus(corpus, random_scores, "random", thresholds={"standard": published["standard"]})
    assert not result.profiles["standard"].optimized
    assert result.profiles["standard"].threshold == published["standard"]
    assert result.profiles["reward_low_FP_rate"].optimized
    expected = NAB_CODE["profiles"]["standard"]["files_at_published"]
    assert result.profiles["standard"].raw == pytest.approx(sum(v["score"] for v in expected.values()), abs=1e-9)


def test_null_scores_0_and_perfect_scores_100(corpus):
    null = {f.name: np.zeros(f.rows) for f in corpus.files}
    constant = {f.name: np.full(f.rows, 0.5) for f in corpus.files}
    perfect = {f.name: np.zeros(f.rows) for f in corpus.files}
    for f in corpus.files:
        perfect[f.name][f.windows[:, 0]] = 1.0
    for optimizer in score.OPTIMIZERS:
        for scores, expected in ((null, 0.0), (constant, 0.0), (perfect, 100.0)):
            result = nab.score_corpus(corpus, scores, optimizer=optimizer)
            for s in result.profiles.values():
                assert s.normalized == expected
    swept = nab.score_corpus(corpus, perfect, optimizer="sweep")
    assert [s.threshold for s in swept.profiles.values()] == [1.0, 1.0, 1.0]
    # Twiddle stays at 0.5, where it starts: nothing above detects more.
    assert [s.threshold for s in nab.score_corpus(corpus, perfect).profiles.values()] == [0.5, 0.5, 0.5]


# --- hand-made cases against NAB's definitions ----------------------------------------------------

START = np.datetime64("2020-01-01T00:00:00", "us")


def stamps(rows):
    return START + np.arange(rows) * np.timedelta64(5, "m")


def labelled(rows=40, windows=((20, 29),), name="cat/a.csv"):
    return nab.LabelledFile(name, stamps(rows), np.array(windows, dtype=np.int64).reshape(-1, 2))


def scaled(x):
    return -1.0 if x > 3.0 else 2 * (1 / (1 + math.exp(5 * x))) - 1.0


MAX_TP = scaled(-1.0)


def detections(rows, *at, value=1.0):
    scores = np.zeros(rows)
    scores[list(at)] = value
    return scores


def test_probation_length():
    assert [score.probation_length(n) for n in (0, 6, 7, 39, 40, 4999, 5000, 5001, 22695)] == [
        0, 0, 1, 5, 6, 749, 750, 750, 750,
    ]  # fmt: skip
    assert labelled(40).probation == 6


def test_scaled_sigmoid_is_nabs():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 2.999, 3.0, 3.0001, 50.0, 1e6])
    assert score.scaled_sigmoid(x).tolist() == [scaled(v) for v in x]
    assert score.scaled_sigmoid(np.array(-1.0)) == pytest.approx(0.98661, abs=1e-5)


def test_a_detection_at_the_window_start_scores_the_tp_weight():
    file = labelled()  # rows 0..5 probation; window rows 20..29; 24 scored rows outside
    got = nab.score_file(file, detections(40, 20), STANDARD, 0.5)
    assert got == nab.FileScore("cat/a.csv", 0.5, 1.0, tp=1, tn=24, fp=0, fn=9, rows=40)
    assert nab.score_file(file, detections(40, 20), LOW_FN, 0.5).score == 1.0


def test_a_detection_at_the_window_end():
    got = nab.score_file(labelled(), detections(40, 29), STANDARD, 0.5)
    # position -(29 - 29 + 1) / 10 = -0.1
    assert got.score == pytest.approx(scaled(-0.1) / MAX_TP, abs=1e-15)
    assert (got.tp, got.fn) == (1, 9)


def test_a_detection_just_after_the_window_is_a_false_positive_weighted_by_distance():
    got = nab.score_file(labelled(), detections(40, 30), STANDARD, 0.5)
    # The window is missed (-1) and the detection is 1 row past its end: 1 / (10 - 1).
    assert got.score == pytest.approx(-1.0 + 0.11 * scaled(1 / 9), abs=1e-15)
    assert (got.tp, got.tn, got.fp, got.fn) == (0, 23, 1, 10)
    low_fp = nab.score_file(labelled(), detections(40, 30), LOW_FP, 0.5)
    assert low_fp.score == pytest.approx(-1.0 + 0.22 * scaled(1 / 9), abs=1e-15)


def test_false_positives_before_any_window_and_far_after_one_cost_the_full_fp_weight():
    file = labelled(80)
    assert file.probation == 12
    assert nab.score_file(file, detections(80, 15), STANDARD, 0.5).score == -1.0 - 0.11
    # 28 rows past the end: 28 / 9 > 3, so -1; 27 rows past: exactly 3, the sigmoid.
    assert nab.score_file(file, detections(80, 57), STANDARD, 0.5).score == -1.0 - 0.11
    assert nab.score_file(file, detections(80, 56), STANDARD, 0.5).score == pytest.approx(
        -1.0 + 0.11 * scaled(3.0), abs=1e-15
    )
    assert scaled(3.0) > -1.0


def test_false_positives_are_weighted_by_the_preceding_window_only():
    file = labelled(100, ((20, 29), (60, 79)))  # widths 10 and 20
    got = nab.score_file(file, detections(100, 35, 85), STANDARD, 0.5)
    assert got.score == pytest.approx(-2.0 + 0.11 * (scaled(6 / 9) + scaled(6 / 19)), abs=1e-15)
    assert got.fp == 2


def test_only_the_earliest_detection_in_a_window_counts():
    file = labelled()
    both = nab.score_file(file, detections(40, 22, 25), STANDARD, 0.5)
    assert both.score == pytest.approx(scaled(-8 / 10) / MAX_TP, abs=1e-15)
    assert both.score == nab.score_file(file, detections(40, 22), STANDARD, 0.5).score
    assert both.score > nab.score_file(file, detections(40, 25), STANDARD, 0.5).score
    assert (both.tp, both.fn) == (2, 8)


def test_no_detection_costs_the_fn_weight_per_window():
    file = labelled(100, ((20, 29), (60, 79)))
    got = nab.score_file(file, np.zeros(100), LOW_FN, 0.5)
    assert got == nab.FileScore("cat/a.csv", 0.5, -4.0, tp=0, tn=85 - 30, fp=0, fn=30, rows=100)


def test_probation_rows_are_not_scored():
    file = labelled()
    got = nab.score_file(file, detections(40, 0, 1, 2, 3, 4, 5), STANDARD, 0.5)
    assert got == nab.FileScore("cat/a.csv", 0.5, -1.0, tp=0, tn=24, fp=0, fn=10, rows=40)
    assert nab.score_file(file, detections(40, 6), STANDARD, 0.5).score == -1.0 - 0.11


def test_a_window_inside_the_probation_is_not_counted():
    file = labelled(40, ((1, 3), (20, 29)))
    assert nab.score_file(file, np.zeros(40), STANDARD, 0.5).score == -1.0
    # A window partly in probation counts with its scored rows, positions in the whole window.
    partly = labelled(40, ((4, 13),))
    assert nab.score_file(partly, np.zeros(40), STANDARD, 0.5).score == -1.0
    assert nab.score_file(partly, detections(40, 6), STANDARD, 0.5).score == pytest.approx(
        scaled(-8 / 10) / MAX_TP, abs=1e-15
    )
    assert nab.score_file(partly, detections(40, 4), STANDARD, 0.5).score == -1.0


def test_detection_is_at_or_above_the_threshold():
    file = labelled()
    assert nab.score_file(file, detections(40, 20, value=0.7), STANDARD, 0.7).tp == 1
    assert nab.score_file(file, detections(40, 20, value=0.7), STANDARD, np.nextafter(0.7, 1)).tp == 0
    with pytest.raises(ValueError, match="the threshold is NaN"):
        nab.score_file(file, detections(40, 20), STANDARD, math.nan)


def test_ties_in_the_threshold_sweep():
    """Tied scores are one threshold and are detected together; of thresholds with equal
    corpus scores the highest wins."""
    file = labelled()
    scores = np.zeros(40)
    scores[[20, 25, 10, 22]] = [0.9, 0.8, 0.7, 0.7]
    thresholds, totals = nab.threshold_sweep([file], {file.name: scores}, STANDARD)
    assert thresholds.tolist() == [1.1, 0.9, 0.8, 0.7, 0.0]
    fp_10 = -0.11  # before the window
    all_fp = 0.11 * sum(
        scaled(abs(29 - i) / 9) if i > 29 else -1.0 for i in range(6, 40) if not 20 <= i <= 29 and i != 10
    )
    assert totals.tolist()[:3] == [-1.0, 1.0, 1.0]  # equal exactly: nothing changed
    assert totals[3] == pytest.approx(1.0 + fp_10, abs=1e-15)
    assert totals[4] == pytest.approx(1.0 + fp_10 + all_fp, abs=1e-12)
    assert nab.optimize_threshold([file], {file.name: scores}, STANDARD, optimizer="sweep") == (0.9, 1.0)
    at_tie = nab.score_file(file, scores, STANDARD, 0.7)
    assert (at_tie.tp, at_tie.fp) == (3, 1)


def nab_literal(files, scores, profile):
    """NAB's ``sweeper.py``, row by row as NAB writes it (``calcSweepScore`` then
    ``calcScoreByThreshold``): thresholds and scores, to check the vectorised version."""
    points = []
    for file in files:
        windows = [tuple(w) for w in file.windows.tolist()]
        probation = min(math.floor(0.15 * file.rows), 0.15 * 5000)
        current, prev_right, prev_width, width = None, None, None, None
        for i in range(file.rows):
            if windows and i == windows[0][0]:
                current = windows.pop(0)
                width = float(current[1] - current[0] + 1)
            if current is not None:
                weight = scaled(-(current[1] - i + 1) / width) * profile.tp_weight / MAX_TP
            elif prev_right is None:
                weight = -1.0 * profile.fp_weight
            else:
                weight = scaled(abs(prev_right - i) / float(prev_width - 1)) * profile.fp_weight
            name = "probationary" if i < probation else (None if current is None else (file.name, current[0]))
            points.append((float(scores[file.name][i]), weight, name))
            if current is not None and i == current[1]:
                prev_right, prev_width, current = i, width, None
    scorable = sorted([p for p in points if p[2] != "probationary"], key=lambda p: p[0], reverse=True)
    parts = {"fp": 0.0}
    for p in scorable:
        if p[2] is not None:
            parts[p[2]] = -profile.fn_weight
    out = []
    threshold = 1.1
    for anomaly, weight, name in scorable:
        if anomaly != threshold:
            out.append((threshold, sum(parts.values())))
            threshold = anomaly
        if name is None:
            parts["fp"] += weight
        else:
            parts[name] = max(parts[name], weight)
    out.append((threshold, sum(parts.values())))
    return out


def random_files(rng, count):
    files, scores = [], {}
    for k in range(count):
        rows = int(rng.integers(8, 300))
        cuts = np.sort(rng.choice(np.arange(rows), size=2 * int(rng.integers(0, 5)), replace=False))
        windows = [(int(a), int(b)) for a, b in cuts.reshape(-1, 2) if b > a]
        file = labelled(rows, windows or np.zeros((0, 2)), name=f"cat/f{k}.csv")
        files.append(file)
        # Few distinct values: many ties, within and across files; some 0 and 1.
        scores[file.name] = np.round(rng.random(rows), int(rng.integers(1, 3)))
    return files, scores


@pytest.mark.parametrize("seed", range(25))
def test_the_vectorised_sweep_is_nabs_row_by_row_sweep(seed):
    rng = np.random.default_rng(seed)
    files, scores = random_files(rng, int(rng.integers(1, 5)))
    for profile in (*score.STANDARD_PROFILES, nab.Profile("odd", tp_weight=0.5, fp_weight=0.7, fn_weight=0.3)):
        thresholds, totals = nab.threshold_sweep(files, scores, profile)
        expected = nab_literal(files, scores, profile)
        assert thresholds.tolist() == [t for t, _ in expected]
        np.testing.assert_allclose(totals, [s for _, s in expected], rtol=0, atol=1e-9)
        best = int(np.argmax([s for _, s in expected]))  # NAB: sorted by score, stable, first
        assert nab.optimize_threshold(files, scores, profile, optimizer="sweep")[0] == expected[best][0]
        # The per-file scores at a threshold add up to the sweep's total there.
        for t, total in expected[:: max(1, len(expected) // 5)]:
            assert sum(nab.score_file(f, scores[f.name], profile, t).score for f in files) == pytest.approx(
                total, abs=1e-9
            )


# --- NAB 1.0's twiddle ------------------------------------------------------------------------------
# Against NAB 1.0's own code, run by Python 2.7 (reference/nab_1_0_twiddle.json, written by
# make_reference.py --python2), and against a port of its text.


def test_python_2_float_hashes_and_dict_order():
    lists = make_reference.dict_keys()
    assert len(lists) == len(NAB_1_0["orders"])
    for keys, expected in zip(lists, NAB_1_0["orders"]):
        if "keys_sha256" in expected:
            assert make_reference.order_digest(keys) == expected["keys_sha256"]
            assert make_reference.order_digest(score._py2_dict_order(keys)) == expected["order_sha256"]
        else:
            assert keys == expected["keys"]
            assert [score._py2_hash(k) for k in keys] == expected["hashes"]
            assert score._py2_dict_order(keys) == expected["order"]
    assert sum("keys_sha256" in o for o in NAB_1_0["orders"]) == 7 and len(lists[-1]) == 60000


def case_objective(case):
    """A hand-made objective of make_reference.twiddle_cases, as NAB 1.0's run of it computes it."""

    def value(x):
        if case["kind"] == "quadratic":
            return -((x - case["centre"]) ** 2)
        if case.get("unit", True) and not 0 <= x <= 1:
            return -math.inf
        return next((v for t, v in case["levels"] if t >= x), case["above"])

    return value


def twiddle_as_written(objective, initial_guess, tolerance, domain=(-math.inf, math.inf)):
    """NAB 1.0's ``optimizer.twiddle``, line for line (its prints left out), with Python 2's
    dict iteration order for ``max(pastCalls.iterkeys(), ...)``."""
    past_calls = {}
    x = initial_guess
    delta = 0.1
    best_score = objective(x)
    past_calls[x] = best_score
    while delta > tolerance:
        if x + delta > domain[1]:
            delta = abs(domain[1] - x) / 2
        x += delta
        if x not in past_calls:
            past_calls[x] = objective(x)
        s = past_calls[x]
        if s > best_score:
            best_score = s
            delta *= 2
        else:
            if x - delta < domain[0]:
                delta = abs(domain[0] - x) / 2
            x -= 2 * delta
            if x not in past_calls:
                past_calls[x] = objective(x)
            s = past_calls[x]
            if s > best_score:
                best_score = s
                delta *= 2
            else:
                x += delta
                delta *= 0.5
    best = max(score._py2_dict_order(list(past_calls)), key=lambda key: past_calls[key])
    return best, past_calls[best]


def case_arguments(case):
    domain = tuple(case["domain"]) if case.get("domain") else (-math.inf, math.inf)
    return case["initial"], case["tolerance"], domain


@pytest.mark.parametrize("case", NAB_1_0["cases"], ids=lambda c: c["name"])
def test_twiddle_on_hand_made_objectives_is_nab_1_0s(case):
    initial, tolerance, domain = case_arguments(case)
    found = nab.twiddle(case_objective(case), initial, tolerance, domain)
    assert (found.threshold, found.score) == (case["threshold"], case["score"])
    assert [list(e) for e in found.evaluations] == case["evaluations"]  # every parameter, to the last bit
    assert twiddle_as_written(case_objective(case), initial, tolerance, domain) == (found.threshold, found.score)


def test_ties_are_broken_in_python_2s_dict_order():
    """Of equally good parameters NAB 1.0 returns the first in its Python 2 dict's order,
    which is often not the first tried: the evaluation order alone would not give NAB's."""
    differ = 0
    for case in NAB_1_0["cases"]:
        best = max(v for _, v in case["evaluations"])
        first_tried = next(x for x, v in case["evaluations"] if v == best)
        differ += first_tried != case["threshold"]
    assert differ >= 5


@pytest.mark.parametrize("seed", range(40))
def test_twiddle_against_the_port_on_random_objectives(seed):
    rng = np.random.default_rng(seed)
    centre = float(rng.uniform(-0.5, 1.5))
    initial = float(rng.uniform(0.05, 0.95))
    lower, upper = float(rng.uniform(-0.2, initial)), float(rng.uniform(initial, 1.2))
    levels = sorted(rng.random(int(rng.integers(1, 30))).round(int(rng.integers(1, 4))).tolist())
    values = rng.integers(-3, 4, size=len(levels)).astype(float).tolist()
    objectives = [
        lambda x: -((x - centre) ** 2),
        lambda x: -math.inf if not 0 <= x <= 1 else next((v for t, v in zip(levels, values) if t >= x), 0.0),
    ]
    for objective in objectives:
        for domain in ((-math.inf, math.inf), (lower, upper)):
            found = nab.twiddle(objective, initial, 1e-6, domain)
            assert (found.threshold, found.score) == twiddle_as_written(objective, initial, 1e-6, domain)
            assert found.score == max(v for _, v in found.evaluations)
            assert len({x for x, _ in found.evaluations}) == len(found.evaluations)


@pytest.mark.parametrize("profile", score.STANDARD_PROFILES, ids=lambda p: p.name)
def test_twiddle_on_the_subset_is_nab_1_0s(corpus, random_scores, profile):
    """NAB 1.0's Runner (optimize, score, normalize) on the subset: the same thresholds to
    the last bit, the same parameters tried, the same scores; and for NAB's null detector."""
    expected = NAB_1_0["subset"]["optimize"]["random"][profile.name]
    found = nab.twiddle(
        nab.threshold_objective(corpus, random_scores, profile), score.TWIDDLE_START, score.TWIDDLE_TOLERANCE
    )
    assert found.threshold == expected["threshold"]
    assert [x for x, _ in found.evaluations] == [x for x, _ in expected["evaluations"]]
    np.testing.assert_allclose([v for _, v in found.evaluations], [v for _, v in expected["evaluations"]], atol=1e-9)
    assert nab.optimize_threshold(corpus, random_scores, profile) == (found.threshold, found.score)
    assert found.score == pytest.approx(expected["score"], abs=1e-9)

    result = nab.score_corpus(corpus, random_scores, "random").profiles[profile.name]
    assert result.optimizer == "twiddle" and result.threshold == expected["threshold"]
    assert result.raw == pytest.approx(NAB_1_0["subset"]["raw"]["random"][profile.name], abs=1e-9)
    assert result.null == NAB_1_0["subset"]["raw"]["null"][profile.name]
    assert result.normalized == pytest.approx(NAB_1_0["subset"]["final"]["random"][profile.name], abs=1e-9)

    null = {f.name: np.full(f.rows, score.NULL_SCORE) for f in corpus.files}
    expected_null = NAB_1_0["subset"]["optimize"]["null"][profile.name]
    found_null = nab.twiddle(nab.threshold_objective(corpus, null, profile), 0.5, score.TWIDDLE_TOLERANCE)
    assert (found_null.threshold, found_null.score) == (expected_null["threshold"], expected_null["score"])
    assert found_null.threshold == 0.6250000000000001  # NAB's config/thresholds.json for null since 2016


def test_twiddle_can_stop_below_the_sweep(corpus, random_scores):
    """On the subset, reward_low_FP_rate: twiddle stops at a local maximum, below the null
    detector's score, where the sweep finds no detection best."""
    twiddled = nab.score_corpus(corpus, random_scores, optimizer="twiddle").profiles["reward_low_FP_rate"]
    swept = nab.score_corpus(corpus, random_scores, optimizer="sweep").profiles["reward_low_FP_rate"]
    assert twiddled.normalized == pytest.approx(-20.982013927176734, abs=1e-9)
    assert swept.threshold == score.NO_DETECTION_THRESHOLD and swept.normalized == 0.0


@pytest.mark.parametrize("seed", range(10))
def test_the_sweep_is_never_below_twiddle(seed):
    rng = np.random.default_rng(100 + seed)
    files, scores = random_files(rng, int(rng.integers(1, 5)))
    for profile in score.STANDARD_PROFILES:
        twiddled = nab.optimize_threshold(files, scores, profile, optimizer="twiddle")
        swept = nab.optimize_threshold(files, scores, profile, optimizer="sweep")
        assert swept[1] >= twiddled[1] - 1e-12


@pytest.mark.parametrize("seed", range(10))
def test_the_objective_is_the_score_at_the_threshold(seed):
    """The objective read from the sweep has exactly the detections of scoring at the
    threshold (rows at or above it), at every anomaly score and just either side of it:
    its value is the sweep's at the lowest anomaly score at or above the threshold."""
    rng = np.random.default_rng(200 + seed)
    files, scores = random_files(rng, int(rng.integers(1, 5)))
    profile = score.STANDARD_PROFILES[seed % 3]
    objective = nab.threshold_objective(files, scores, profile)
    thresholds, totals = nab.threshold_sweep(files, scores, profile)
    values = np.unique(np.concatenate(list(scores.values())))
    points = np.concatenate([values, np.nextafter(values, 2.0), np.nextafter(values, -1.0), [0.0, 0.5, 1.0]])
    for t in points[(points >= 0) & (points <= 1)].tolist():
        at = [nab.score_file(f, scores[f.name], profile, t) for f in files]
        assert objective(t) == pytest.approx(sum(f.score for f in at), abs=1e-9)
        above = [k for k, s in enumerate(thresholds.tolist()) if 1.0 >= s >= t]
        k = above[-1] if above else 0  # the entry of the lowest score >= t; else 1.1, no detection
        assert objective(t) == totals[k]
        if above:
            there = [nab.score_file(f, scores[f.name], profile, thresholds[k]) for f in files]
            assert [(f.tp, f.fp) for f in there] == [(f.tp, f.fp) for f in at]
        else:
            assert sum(f.tp + f.fp for f in at) == 0
    for t in (-0.1, -1e-300, np.nextafter(1.0, 2.0), 1.1, math.nan, math.inf):
        assert objective(t) == -math.inf


def test_twiddle_refuses_runaway_and_nan_objectives():
    """Where NAB's twiddle would never stop: an objective that keeps improving, a start
    above the domain (the clipped step carries x further out and back, for ever)."""
    with pytest.raises(ValueError, match="did not converge within 50 steps"):
        nab.twiddle(lambda x: x, max_steps=50)
    with pytest.raises(ValueError, match="did not converge within 1000 steps"):
        nab.twiddle(lambda x: -((x - 0.77) ** 2), 0.89, 1e-6, (-0.1, 0.18), max_steps=1000)
    with pytest.raises(ValueError, match="the objective is NaN at 0.5"):
        nab.twiddle(lambda x: math.nan)


def test_an_unknown_optimizer_is_refused(corpus, random_scores):
    with pytest.raises(ValueError, match="unknown threshold optimizer 'best'; expected one of twiddle, sweep"):
        nab.optimize_threshold(corpus, random_scores, STANDARD, optimizer="best")
    with pytest.raises(ValueError, match="unknown threshold optimizer 'Sweep'"):
        nab.score_corpus(corpus, random_scores, optimizer="Sweep")
    with pytest.raises(ValueError, match="unknown threshold optimizer ''"):
        nab.score_detector(RESULTS, "random", corpus, optimizer="")


# --- reading NAB folders and results --------------------------------------------------------------


def text(t):
    return str(t).replace("T", " ")[:19]


def write_nab(root, files=None, profiles=True):
    """A NAB folder: ``files`` maps names to (rows, windows as row pairs)."""
    files = {"cat/a.csv": (40, [(20, 29)])} if files is None else files
    labels = {}
    for name, (rows, windows) in files.items():
        path = root / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        times = stamps(rows)
        path.write_text("timestamp,value\n" + "".join(f"{text(t)},{i}.0\n" for i, t in enumerate(times)))
        labels[name] = [[text(times[a]) + ".000000", text(times[b]) + ".000000"] for a, b in windows]
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "combined_windows.json").write_text(json.dumps(labels))
    if profiles:
        (root / "config").mkdir(exist_ok=True)
        shutil.copyfile(DATA / "config" / "profiles.json", root / "config" / "profiles.json")
    return root


def write_results(root, detector="det", name="cat/a.csv", scores=None, rows=40, times=None, header=None):
    category, base = name.split("/")
    path = root / detector / category / f"{detector}_{base}"
    path.parent.mkdir(parents=True, exist_ok=True)
    scores = [repr(float(s)) for s in np.zeros(rows)] if scores is None else scores
    times = [text(t) for t in stamps(len(scores))] if times is None else times
    lines = [header or "timestamp,value,anomaly_score"]
    lines += [f"{t},0.0,{s}" for t, s in zip(times, scores)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_folder_without_labels_or_data(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        nab.read_corpus(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"is not a NAB folder: it has no labels/combined_windows.json"):
        nab.read_corpus(tmp_path)
    root = write_nab(tmp_path)
    (root / "data" / "cat" / "a.csv").unlink()
    with pytest.raises(ValueError, match=r"combined_windows.json: cat/a.csv: the labels name a data file that does"):
        nab.read_corpus(root)


def test_without_profiles_json_nabs_three_profiles_are_used(tmp_path):
    corpus = nab.read_corpus(write_nab(tmp_path, profiles=False))
    assert corpus.profiles == score.STANDARD_PROFILES
    assert [(p.tp_weight, p.fp_weight, p.fn_weight) for p in corpus.profiles] == [
        (1.0, 0.11, 1.0),
        (1.0, 0.22, 1.0),
        (1.0, 0.11, 2.0),
    ]
    assert nab.read_corpus(DATA).profiles == score.STANDARD_PROFILES


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"profiles.json: not valid JSON"),
        ("[]", r"profiles.json: expected an object of profiles"),
        ('{"standard": {}}', r"profile 'standard' has no CostMatrix"),
        ('{"standard": {"CostMatrix": {"tpWeight": 1, "fpWeight": "x", "fnWeight": 1}}}', r"fpWeight must be a num"),
    ],
)
def test_bad_profiles(tmp_path, content, message):
    root = write_nab(tmp_path)
    (root / "config" / "profiles.json").write_text(content)
    with pytest.raises(ValueError, match=message):
        nab.read_corpus(root)


def test_custom_profiles_are_read(tmp_path):
    root = write_nab(tmp_path)
    (root / "config" / "profiles.json").write_text(
        '{"mine": {"CostMatrix": {"tpWeight": 2, "fpWeight": 0.5, "fnWeight": 3, "tnWeight": 1}}}'
    )
    assert nab.read_corpus(root).profiles == (nab.Profile("mine", 2.0, 0.5, 3.0),)


def relabel(root, windows):
    (root / "labels" / "combined_windows.json").write_text(json.dumps({"cat/a.csv": windows}))


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ({"x": 1}, r"cat/a.csv: expected a list of \[start, end\] timestamp pairs"),
        ([["2020-01-01 01:40:00", "soon"]], r"window limit 'soon' is not a timestamp$"),
        ([["2020-01-01 01:41:00", "2020-01-01 02:25:00"]], r"'2020-01-01 01:41:00' is not a timestamp of .*a.csv"),
        ([["2020-01-01 01:40:00", "2020-01-01 01:40:00"]], r"window 1 \(rows 20 to 20\) covers a single row"),
        ([["2020-01-01 02:25:00", "2020-01-01 01:40:00"]], r"window 1 \(rows 29 to 20\) is not within"),
        (
            [["2020-01-01 01:40:00", "2020-01-01 02:25:00"], ["2020-01-01 02:25:00", "2020-01-01 02:45:00"]],
            r"window 2 \(rows 29 to 33\) starts before the previous window ends",
        ),
    ],
)
def test_bad_windows(tmp_path, windows, message):
    root = write_nab(tmp_path)
    relabel(root, windows)
    with pytest.raises(ValueError, match=message):
        nab.read_corpus(root)


def test_a_window_limit_must_be_the_timestamp_of_exactly_one_row(tmp_path):
    root = write_nab(tmp_path)
    path = root / "data" / "cat" / "a.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[21]]) + "\n")
    with pytest.raises(ValueError, match=r"'2020-01-01 01:40:00.000000' is the timestamp of 2 rows of"):
        nab.read_corpus(root)


def test_bad_data_files(tmp_path):
    root = write_nab(tmp_path)
    path = root / "data" / "cat" / "a.csv"
    path.write_text("time,value\n2020-01-01 00:00:00,1\n")
    with pytest.raises(ValueError, match=r"a.csv: no 'timestamp' column \(the header is time,value\)"):
        nab.read_corpus(root)
    path.write_text("timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:05:00\n")
    with pytest.raises(ValueError, match=r"a.csv: line 3 has 1 fields, the header has 2"):
        nab.read_corpus(root)
    path.write_text("timestamp,value\n2020-01-01 00:00:00,1\nyesterday,2\n")
    with pytest.raises(ValueError, match=r"a.csv: line 3: 'yesterday' is not a timestamp"):
        nab.read_corpus(root)


def test_results_in_nabs_layout_are_read(tmp_path):
    root = write_nab(tmp_path / "nab")
    scores = detections(40, 20, value=0.75)
    write_results(tmp_path / "results", scores=[repr(s) for s in scores.tolist()])
    corpus = nab.read_corpus(root)
    assert nab.list_detectors(tmp_path / "results") == ["det"]
    got = nab.read_results(tmp_path / "results", "det", corpus)
    assert list(got) == ["cat/a.csv"] and got["cat/a.csv"].tolist() == scores.tolist()
    assert nab.score_detector(tmp_path / "results", "det", corpus).profiles["standard"].normalized == 100.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scores": ["0.1"] * 39}, r"det_a.csv: 39 rows of results, but cat/a.csv has 40 rows"),
        ({"header": "timestamp,value,score"}, r"det_a.csv: no 'anomaly_score' column"),
        ({"header": "time,value,anomaly_score"}, r"det_a.csv: no 'timestamp' column"),
        ({"scores": ["0.1"] * 3 + [""] + ["0.1"] * 36}, r"det_a.csv: line 5: the anomaly_score is missing"),
        ({"scores": ["0.1"] * 7 + ["high"] + ["0.1"] * 32}, r"det_a.csv: line 9: the anomaly_score 'high' is not a n"),
        ({"scores": ["0.1"] * 9 + ["nan"] + ["0.1"] * 30}, r"det_a.csv: line 11: the anomaly_score nan is not in \[0"),
        ({"scores": ["1.5"] + ["0.1"] * 39}, r"det_a.csv: line 2: the anomaly_score 1.5 is not in \[0, 1\]"),
        ({"scores": ["0.1"] * 39 + ["-0.01"]}, r"det_a.csv: line 41: the anomaly_score -0.01 is not in \[0, 1\]"),
        ({"scores": ["0.1"] * 39 + ["inf"]}, r"det_a.csv: line 41: the anomaly_score inf is not in \[0, 1\]"),
    ],
)
def test_bad_results(tmp_path, change, message):
    corpus = nab.read_corpus(write_nab(tmp_path / "nab"))
    write_results(tmp_path / "results", **change)
    with pytest.raises(ValueError, match=message):
        nab.read_results(tmp_path / "results", "det", corpus)


def test_results_whose_timestamps_are_not_the_data_files(tmp_path):
    corpus = nab.read_corpus(write_nab(tmp_path / "nab"))
    times = [text(t) for t in stamps(40)]
    times[6] = "2020-01-01 00:31:00"
    write_results(tmp_path / "results", times=times)
    with pytest.raises(ValueError, match=r"line 8: timestamp 2020-01-01 00:31:00 is not cat/a.csv's 2020-01-01 00:30"):
        nab.read_results(tmp_path / "results", "det", corpus)
    times[6] = "the day after"
    write_results(tmp_path / "results", times=times)
    with pytest.raises(ValueError, match=r"det_a.csv: line 8: 'the day after' is not a timestamp"):
        nab.read_results(tmp_path / "results", "det", corpus)
    # The same instants written otherwise are the same timestamps.
    write_results(tmp_path / "results", times=[str(t) for t in stamps(40)])
    assert nab.read_results(tmp_path / "results", "det", corpus)["cat/a.csv"].shape == (40,)


def test_missing_results(tmp_path):
    corpus = nab.read_corpus(write_nab(tmp_path / "nab", {"cat/a.csv": (40, [(20, 29)]), "cat/b.csv": (30, [])}))
    with pytest.raises(ValueError, match=r"no such folder, so no results of detector 'det'"):
        nab.read_results(tmp_path / "results", "det", corpus)
    write_results(tmp_path / "results")
    with pytest.raises(ValueError, match=r"det_b.csv: missing: detector 'det' has no results for data file cat/b.csv"):
        nab.read_results(tmp_path / "results", "det", corpus)
    with pytest.raises(ValueError, match=r"no such results folder"):
        nab.list_detectors(tmp_path / "elsewhere")


def test_scores_in_memory_are_checked_too(corpus):
    zeros = {f.name: np.zeros(f.rows) for f in corpus.files}
    with pytest.raises(ValueError, match=r"no anomaly scores for data file realAWSCloudwatch/iio"):
        nab.score_corpus(corpus, {FLAT: zeros[FLAT]})
    with pytest.raises(ValueError, match=r"art_flatline.csv: 10 anomaly scores, but the file has 4032 rows"):
        nab.score_corpus(corpus, {**zeros, FLAT: np.zeros(10)})
    bad = np.zeros(1243)
    bad[99] = np.nan
    with pytest.raises(ValueError, match=r"iio_us-east-1_i-a2eb1cd9_NetworkIn.csv: row 100: anomaly score nan is"):
        nab.score_corpus(corpus, {**zeros, IIO: bad})


def test_labelled_files_check_their_windows():
    with pytest.raises(ValueError, match=r"x.csv: window 1 \(rows 5 to 12\) is not within the file's 10 rows"):
        nab.LabelledFile("x.csv", stamps(10), np.array([[5, 12]]))
    with pytest.raises(ValueError, match=r"x.csv: timestamps must be one-dimensional"):
        nab.LabelledFile("x.csv", np.zeros((2, 2)))


def test_a_corpus_without_windows_has_no_normalised_score(tmp_path):
    corpus = nab.read_corpus(write_nab(tmp_path, {"cat/a.csv": (40, [])}))
    with pytest.raises(ValueError, match=r"the perfect and the null detector score the same"):
        nab.score_corpus(corpus, {"cat/a.csv": np.zeros(40)})


# --- the command ------------------------------------------------------------------------------------


def run_cli(capsys, *argv):
    code = main(["nab", "score", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_each_profiles_score_and_threshold(capsys):
    code, out, err = run_cli(capsys, RESULTS, "--data", DATA)
    assert code == 0 and err == ""
    assert "NAB scores: 2 files, 5275 rows, 2 windows" in out
    result = nab.score_detector(RESULTS, "random", nab.read_corpus(DATA))
    for name, s in result.profiles.items():
        line = next(line for line in out.splitlines() if line.startswith("random") and f" {name} " in line)
        assert f"{s.normalized:.2f}" in line and f"{s.threshold:.12g}" in line


def test_the_command_prints_json(capsys):
    code, out, _ = run_cli(capsys, RESULTS, "--data", DATA, "--json", "--detector", "random")
    assert code == 0
    report = json.loads(out)
    assert (report["files"], report["rows"], report["windows"]) == (2, 5275, 2)
    assert list(report["profiles"]) == ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]
    for name, got in report["detectors"]["random"].items():
        # By default NAB 1.0's twiddle: what NAB 1.0's own code gives.
        nab_1_0 = NAB_1_0["subset"]
        assert got["threshold"] == nab_1_0["optimize"]["random"][name]["threshold"]
        assert got["raw"] == pytest.approx(nab_1_0["raw"]["random"][name], abs=1e-9)
        assert got["score"] == pytest.approx(nab_1_0["final"]["random"][name], abs=1e-9)
        assert got["threshold_optimized"] is True and got["optimizer"] == "twiddle"
    standard = report["detectors"]["random"]["standard"]
    assert standard["null"] == -2.0 and standard["perfect"] == 2.0
    assert set(standard["files"]) == {FLAT, IIO} and standard["files"][FLAT]["rows"] == 4032


def test_the_command_chooses_the_optimizer(capsys):
    code, out, _ = run_cli(capsys, RESULTS, "--data", DATA, "--json", "--optimizer", "sweep")
    assert code == 0
    for name, got in json.loads(out)["detectors"]["random"].items():
        best = NAB_CODE["profiles"][name]["sweep"]["best"]
        assert got["threshold"] == best[0] and got["raw"] == pytest.approx(best[1], abs=1e-9)
        assert got["optimizer"] == "sweep"
    code, out, _ = run_cli(capsys, RESULTS, "--data", DATA, "--optimizer", "sweep")
    assert code == 0 and "by NAB's sweep (since 2019)" in out and "0.998454440854" in out
    code, out, _ = run_cli(capsys, RESULTS, "--data", DATA)
    assert code == 0 and "by NAB 1.0's twiddle (as NAB's published scores)" in out and "0.998431396484" in out
    with pytest.raises(SystemExit, match="2"):
        run_cli(capsys, RESULTS, "--data", DATA, "--optimizer", "best")
    one_line_error(capsys.readouterr().err, "argument --optimizer: invalid choice: 'best'")


def test_the_command_scores_at_given_thresholds(capsys, tmp_path):
    published = {name: {"threshold": p["published_threshold"]} for name, p in NAB_CODE["profiles"].items()}
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps({"random": published}))
    code, out, _ = run_cli(capsys, RESULTS, "--data", DATA, "--json", "--thresholds", path)
    assert code == 0
    for name, s in json.loads(out)["detectors"]["random"].items():
        assert s["threshold"] == published[name]["threshold"] and s["threshold_optimized"] is False
        assert s["optimizer"] is None
        expected = NAB_CODE["profiles"][name]["files_at_published"]
        assert s["raw"] == pytest.approx(sum(v["score"] for v in expected.values()), abs=1e-9)
    code, out, _ = run_cli(capsys, RESULTS, "--data", DATA, "--thresholds", path)
    assert "(given)" in out
    path.write_text(json.dumps({"random": {"standard": published["standard"]}}))
    code, _, err = run_cli(capsys, RESULTS, "--data", DATA, "--thresholds", path)
    assert code == 1 and "no threshold for detector 'random', reward_low_FP_rate, reward_low_FN_rate" in err


def one_line_error(err, *parts):
    assert err.startswith("protobrain: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    for part in parts:
        assert part in err


def test_the_command_reports_errors_on_one_line(capsys, tmp_path):
    code, out, err = run_cli(capsys, RESULTS, "--data", tmp_path)
    assert code == 1 and out == ""
    one_line_error(err, "is not a NAB folder: it has no labels/combined_windows.json")
    code, _, err = run_cli(capsys, RESULTS, "--data", DATA, "--detector", "random", "nobody")
    assert code == 1
    one_line_error(err, "nobody: no such folder, so no results of detector 'nobody'")
    bad = tmp_path / "results"
    shutil.copytree(RESULTS, bad)
    target = bad / "random" / IIO.replace("/", "/random_")
    lines = target.read_text().splitlines()
    lines[300] = lines[300].split(",")[0] + ",oops"
    target.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli(capsys, bad, "--data", DATA)
    assert code == 1
    one_line_error(err, "random_iio_us-east-1_i-a2eb1cd9_NetworkIn.csv: line 301: the anomaly_score 'oops' is not")
    code, _, err = run_cli(capsys, tmp_path / "empty", "--data", DATA)
    one_line_error(err, "empty: no such results folder")
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, tmp_path / "empty", "--data", DATA)
    assert code == 1
    one_line_error(err, "empty: no detector folders in it")


def test_the_nab_group_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["nab"])
    one_line_error(capsys.readouterr().err, "required: COMMAND", "protobrain nab --help")
    # Without --data, the sample in the package (the files these results are of).
    assert main(["nab", "score", str(RESULTS)]) == 0
    assert "random" in capsys.readouterr().out
