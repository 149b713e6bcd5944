"""The protobrain NAB detector and corpus runner on the package's two-file NAB sample."""

from __future__ import annotations

import csv
import os
import shutil

import numpy as np
import pytest

from protobrain.nab import SAMPLE
from protobrain.nab import score as nab_score
from protobrain.nab.detector import DetectorSettings, detect
from protobrain.nab.run import run_corpus

DATA = SAMPLE  # the package's two-file NAB folder
SMALL = DetectorSettings(columns=256, active_columns=10, cells_per_column=8, activation_threshold=6, min_threshold=4)


def _series(n=600, period=48):
    stamps = [str(np.datetime64("2014-01-01T00:00") + np.timedelta64(5 * i, "m")).replace("T", " ") for i in range(n)]
    values = [10 + 5 * np.sin(2 * np.pi * i / period) for i in range(n)]
    return stamps, values


def test_a_periodic_stream_becomes_predictable_and_a_break_is_flagged():
    stamps, values = _series()
    values[500] = 40.0  # far outside the range seen: a spatial anomaly
    found = detect(stamps, values, SMALL)
    assert found.raw_score[0] == 1.0
    assert found.raw_score[300:500].mean() < 0.2, "the pattern is learned"
    assert found.anomaly_score[500] == 1.0
    probation = nab_score.probation_length(len(values))
    # Through the probation the likelihood is 0.5 (score 0.0301), except for values beyond the
    # range seen so far by 5% of it: at the start, while the sine climbs, that is most rows.
    early = found.anomaly_score[:probation]
    assert np.all(np.isclose(early, 0.0301029996658834) | (early == 1.0))
    assert np.isclose(early[60:], 0.0301029996658834).all()  # after a whole period


def test_the_same_settings_give_the_same_scores():
    stamps, values = _series(300)
    a, b = detect(stamps, values, SMALL), detect(stamps, values, SMALL)
    assert np.array_equal(a.anomaly_score, b.anomaly_score) and np.array_equal(a.raw_score, b.raw_score)


def test_bad_series_are_refused():
    with pytest.raises(ValueError, match="as many timestamps as values"):
        detect(["2014-01-01 00:00:00"], [1.0, 2.0], SMALL)
    with pytest.raises(ValueError, match="values must be finite, got nan"):
        detect(["2014-01-01 00:00:00"], [float("nan")], SMALL)


def test_a_run_writes_nab_results_that_score_and_resumes(tmp_path):
    out = tmp_path / "results"
    written = run_corpus(DATA, out, "mine", SMALL)
    assert len(written) == 2
    corpus = nab_score.read_corpus(DATA)
    for file in corpus.files:
        path = nab_score.results_path(out, "mine", file.name)
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == ["timestamp", "value", "anomaly_score", "raw_score", "label"]
        assert len(rows) == len(file.timestamps)
        labels = np.array([int(r["label"]) for r in rows])
        inside = np.zeros(len(rows), dtype=int)
        for start, end in file.windows:
            inside[start : end + 1] = 1
        assert np.array_equal(labels, inside)
    scores = nab_score.score_detector(out, "mine", corpus)
    assert set(scores.profiles) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}
    # A second run finds every file done; a removed one is run again, the same.
    assert run_corpus(DATA, out, "mine", SMALL) == []
    first = corpus.files[0].name
    path = nab_score.results_path(out, "mine", first)
    before = open(path).read()
    os.remove(path)
    assert run_corpus(DATA, out, "mine", SMALL) == [path]
    assert open(path).read() == before


def test_a_nab_folder_without_labels_is_refused(tmp_path):
    shutil.copytree(os.path.join(DATA, "data"), tmp_path / "data")
    with pytest.raises(ValueError, match="has no labels"):
        run_corpus(tmp_path, tmp_path / "out", "mine", SMALL)


def test_the_cli_runs_the_sample_and_says_bad_input_in_one_line(tmp_path, capsys):
    from protobrain.cli.main import main

    assert main(["nab", "run", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "2 files written" in capsys.readouterr().out
    assert main(["nab", "run", "--out", str(tmp_path), "--no-progress"]) == 0  # nothing left to do
    assert "0 files written" in capsys.readouterr().out
    assert main(["nab", "score", str(tmp_path), "--json"]) == 0
    assert '"protobrain"' in capsys.readouterr().out
    assert main(["nab", "run", "--out", str(tmp_path), "--data", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such folder" in err
