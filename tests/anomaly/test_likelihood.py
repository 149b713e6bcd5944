"""protobrain.anomaly: Numenta's anomaly likelihood, against its definition step by step."""

import math

import numpy as np
import pytest

from protobrain.anomaly import AnomalyLikelihood, log_likelihood


def test_log_likelihood_matches_nabs_numbers():
    assert log_likelihood(0.5) == pytest.approx(0.0301029996658834, abs=1e-15)  # NAB's CSVs during probation
    assert log_likelihood(0.999) == pytest.approx(0.2999999967, abs=1e-10)
    assert log_likelihood(1.0) == pytest.approx(1.0, abs=1e-12)


def _tail(x, dist):
    mean, sd = dist
    x = 2 * mean - x if x < mean else x
    return 0.5 * math.erfc((x - mean) / sd / 1.4142)


def _by_hand(raws, values, learning, estimation, reestimation, window=10**6):
    """The likelihoods written straight from the description, recomputing everything."""
    out, dist, ma, recent = [], None, [], []
    for t, raw in enumerate(raws):
        if t < learning + estimation:
            out.append(0.5)
            continue
        if dist is None or t % reestimation == 0:
            history = list(zip(values[:t], raws[:t]))[-window:]
            skip = min(t, max(0, learning - max(0, t - window)))
            ma, averages = [], []
            for _, r in history:
                ma = (ma + [r])[-10:]
                averages.append(sum(ma) / len(ma))
            fitted = np.array(averages[skip:])
            mean, var = max(fitted.mean(), 0.03), max(fitted.var(), 0.0003)
            if np.array(values[:t][-window:][skip:]).var() < 1.5e-5:
                mean, var = 0.5, 1e6
            dist = (mean, math.sqrt(var))
            recent = [_tail(a, dist) for a in averages][-10:]
        ma = (ma + [raw])[-10:]
        tp = _tail(sum(ma) / len(ma), dist)
        filtered = 1 - 0.999 if recent and tp <= 1 - 0.99999 and recent[-1] <= 1 - 0.99999 else tp
        recent = (recent + [tp])[-10:]
        out.append(1 - filtered)
    return out


def test_a_stream_matches_the_description_step_by_step():
    rng = np.random.default_rng(3)
    raws = np.clip(rng.normal(0.2, 0.1, 400), 0, 1)
    raws[300:310] = 1.0  # a burst of surprises
    values = rng.normal(10, 2, 400)
    likelihood = AnomalyLikelihood(learning_period=40, estimation_samples=30, reestimation_period=50)
    got = [likelihood.update(r, v) for r, v in zip(raws, values)]
    want = _by_hand(list(raws), list(values), 40, 30, 50)
    assert np.allclose(got, want, rtol=0, atol=1e-12)
    assert got[:70] == [0.5] * 70
    assert max(got[300:310]) > 0.999 and np.median(got[100:300]) < 0.9


def test_the_history_window_drops_old_steps():
    rng = np.random.default_rng(4)
    raws, values = list(rng.random(300)), list(rng.random(300))
    likelihood = AnomalyLikelihood(
        learning_period=20, estimation_samples=10, historic_window=50, reestimation_period=25
    )
    got = [likelihood.update(r, v) for r, v in zip(raws, values)]
    assert np.allclose(got, _by_hand(raws, values, 20, 10, 25, window=50), rtol=0, atol=1e-12)


def test_a_flat_stream_is_never_surprising():
    likelihood = AnomalyLikelihood(learning_period=10, estimation_samples=10)
    scores = [likelihood.update(r, 5.0) for r in [0.0] * 50 + [1.0] * 10]
    assert all(abs(s - 0.5) < 1e-3 for s in scores)


def test_a_run_of_surprises_counts_fully_once():
    likelihood = AnomalyLikelihood(learning_period=20, estimation_samples=20, reestimation_period=1000)
    rng = np.random.default_rng(0)
    for _ in range(60):
        likelihood.update(0.0, float(rng.random()))
    burst = [likelihood.update(1.0, float(rng.random())) for _ in range(6)]
    # Averages 0.1, 0.2, 0.3, ... against mean 0.03 (floored), sd 0.0173: the first tail
    # probability is 2.7e-5, the second tiny (the first below 1e-5 counts fully), and each
    # later one, after another below 1e-5, is capped at 1 - 0.999.
    assert 0.9999 < burst[0] < 0.99999
    assert burst[1] > 0.99999
    assert burst[2:] == [1 - (1 - 0.999)] * 4


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_bad_raw_scores_are_refused(bad):
    with pytest.raises(ValueError, match=r"raw_score must be a number in \[0, 1\]"):
        AnomalyLikelihood().update(bad)


@pytest.mark.parametrize("name", ["learning_period", "estimation_samples", "historic_window", "reestimation_period"])
def test_bad_parameters_are_refused_naming_them(name):
    with pytest.raises(ValueError, match=rf"{name} must be an int >= \d, got -1"):
        AnomalyLikelihood(**{name: -1})
