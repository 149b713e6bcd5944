"""docs/specification.md §3: computations, their test vectors and their parameters."""

import numpy as np
import pytest

from protobrain import computation, learning
from protobrain.computation import Computation, SparseComputation, StandardComputation
from protobrain.neuron import Neurons
from protobrain.synapses import Input, Output

W2 = [[0.8, 0.4], [0.6, 0.8], [0.5, 0.4]]
W4 = [[0.8, 0.4, 0.5, 0.4], [0.6, 0.8, 0.9, 0.2], [0.5, 0.4, 0.5, 0.7]]


def _input(weights, pre=(1, 0, 1)):
    src = Output(len(pre))
    src.values = pre
    inp = Input("main", len(weights[0]))
    inp.connect(src, lambda p, q: np.array(weights))
    return inp


def test_standard_vector():
    out = StandardComputation(1.2)(main=_input(W2))
    assert out.dtype == bool
    assert list(out) == [True, False]


def test_sparse_vectors():
    assert list(SparseComputation(2)(main=_input(W4))) == [1, 0, 0, 1]
    assert list(SparseComputation(0.25)(main=_input(W4))) == [1, 0, 0, 0]


def test_sparse_vectors_through_a_group():
    n = Neurons(4)
    n.set("main", _input(W4).source, lambda p, q: np.array(W4))
    n.computation = SparseComputation(2)
    assert list(n.compute()) == [1, 0, 0, 1]
    n.computation = StandardComputation(1.2)
    assert list(n.compute()) == [True, False, False, False]


def test_ties_go_to_the_lower_index():
    inp = _input([[0.5, 0.5, 0.7, 0.5]], pre=(1,))
    assert list(SparseComputation(2)(main=inp)) == [1, 0, 1, 0]
    assert list(SparseComputation(3)(main=inp)) == [1, 1, 1, 0]


def test_all_connected_inputs_count_and_unconnected_ones_are_skipped():
    a = _input([[1.0, 0.0]], pre=(1,))
    b = _input([[0.0, 0.6]], pre=(1,))
    free = Input("free", 2)
    assert list(StandardComputation(0.5)(main=a, other=b, free=free)) == [True, True]


@pytest.mark.parametrize("bad, match", [(-0.1, "threshold"), (float("nan"), "threshold")])
def test_bad_thresholds(bad, match):
    with pytest.raises(ValueError, match=match):
        StandardComputation(bad)


@pytest.mark.parametrize("bad", [0, -3, 0.0, -0.5, 1.5, float("nan")])
def test_bad_sparsity(bad):
    with pytest.raises(ValueError, match="n"):
        SparseComputation(bad)


def test_int_n_larger_than_the_group_is_a_value_error():
    n = Neurons(4, computation=SparseComputation(5))
    n.input = Output(3)
    with pytest.raises(ValueError, match="5.*4"):
        n.compute()
    with pytest.raises(TypeError, match="n must be an int or a float, got '5'"):
        SparseComputation("5")


def test_user_computation_subclass_works_next_to_builtin_ones():
    class Invert(Computation):
        def __call__(self, **inputs):
            return 1 - inputs["main"].values

    class Loud(SparseComputation):
        def __call__(self, **inputs):
            return np.ones(inputs["main"].shape)

    with pytest.raises(TypeError, match="abstract"):
        Computation()
    a, b, c = Neurons(3), Neurons(3), Neurons(3)
    b.input, c.input = a, b
    a.computation = lambda **inputs: np.array([1, 0, 0])
    b.computation = Invert()
    c.computation = Loud(1)
    a.compute(), b.compute()
    assert list(b.values) == [0, 1, 1]
    assert list(c.compute()) == [1, 1, 1]  # the subclass's override is honoured
    c.learning = learning.HebbianLearning()
    c.learn()


def test_exports():
    assert issubclass(computation.StandardComputation, computation.Computation)
