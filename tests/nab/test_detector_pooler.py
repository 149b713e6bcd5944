"""The NAB detector's spatial pooler as NuPIC ran it: its initial permanences and its
learning rule (protobrain/nab/detector.py), against their definitions."""

import dataclasses

import numpy as np
import pytest
from scipy import sparse as scipy_sparse

from protobrain.connectivity import PotentialPool
from protobrain.nab.detector import DetectorSettings, _NupicLearning, _NupicPermanences, detect
from protobrain.neuron import Neurons
from protobrain.synapses import Output


def test_initial_permanences_sit_around_the_threshold_in_the_pools_of_a_potential_pool():
    np.random.seed(4)
    nupic = _NupicPermanences(0.8, 0.2, 0.003, 0.5)((205,), (300,))
    np.random.seed(4)
    pools = PotentialPool(0.8)((205,), (300,))
    assert np.array_equal(nupic.indptr, pools.indptr) and np.array_equal(nupic.indices, pools.indices)
    connected = nupic.data >= 0.2
    assert 0.47 < connected.mean() < 0.53
    assert (nupic.data[connected] < 0.2 + 0.003 / 4).all()
    assert (nupic.data[~connected] >= 0).all()
    with pytest.raises(ValueError, match="sp_connected_pct must be in"):
        _NupicPermanences(0.8, 0.2, 0.003, 1.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_only_winners_learn_and_trimmed_permanences_may_grow_back(sparse):
    winners = np.zeros(40)

    def chosen(**inputs):
        """The winners the test sets, whatever the inputs."""
        return winners.copy()

    # Units 4 to 39 have no synapses (so the engine stores them sparsely when it may).
    pooler = Neurons(40, chosen, _NupicLearning(0.1, 0.05))
    code = Output(3)
    weights = np.zeros((3, 40))
    weights[:, :4] = [[0.5, 0.5, 0.5, 0.5], [0.5, 0.06, 0.5, 0.5], [0.5, 0.5, 0.5, 0.0]]
    pooler.input.connect(code, (lambda pre, post: scipy_sparse.csr_array(weights)) if sparse else None)
    if not sparse:
        pooler.input.synapses = weights
    assert pooler.input.sparse == sparse

    def step(active_inputs, winning_units):
        code.values = np.isin(np.arange(3), active_inputs).astype(float)
        winners[:] = np.isin(np.arange(40), winning_units)
        pooler.compute()
        pooler.learn()
        return pooler.input.synapses

    after = step([0, 2], [0, 1])
    assert after[:, 0].tolist() == [0.6, 0.45, 0.6]  # a winner: active inputs gain, others lose
    assert after[1, 1] == 0.0  # 0.06 - 0.05 is below the trim (0.1 / 2): 0, still in the pool
    assert after[:, 2:].tolist() == weights[:, 2:].tolist()  # the others do not learn
    after = step([1], [1, 3])
    assert after[1, 1] == pytest.approx(0.1)  # grew back from 0
    assert after[2, 3] == 0.0  # not in the pool: never grows
    assert after[1, 3] == pytest.approx(0.6) and after[0, 3] == pytest.approx(0.45)


def test_bad_pooler_settings_are_refused_naming_them():
    with pytest.raises(ValueError, match="sp_learning must be 'nupic' or 'hebbian', got 'oja'"):
        detect(["2020-01-01 00:00:00"], [1.0], dataclasses.replace(DetectorSettings(), sp_learning="oja"))
    with pytest.raises(ValueError, match="sp_init must be 'nupic' or 'uniform', got 'zeros'"):
        detect(["2020-01-01 00:00:00"], [1.0], dataclasses.replace(DetectorSettings(), sp_init="zeros"))
