"""Bad input gives clear Python exceptions: never a crash or a Rust panic."""

import numpy as np
import pytest

from protobrain import _core
from protobrain.computation import SparseComputation
from protobrain.neuron import Neurons
from protobrain.synapses import Input, Output


def test_impossible_group_is_a_memory_error():
    with pytest.raises(MemoryError, match="cannot allocate"):
        Neurons(2**61)
    with pytest.raises(MemoryError, match=r"cannot allocate an array of shape \[1099511627776, 1099511627776\]"):
        Neurons((2**40, 2**40))


def test_impossible_connection_is_a_memory_error_and_draws_nothing():
    big = Neurons(2**22)
    target = Neurons(2**22)
    np.random.seed(0)
    with pytest.raises(MemoryError, match="weights"):
        target.input = big  # 2**44 weights: 128 TiB
    assert not target.input.connected
    assert np.random.uniform() == np.float64(np.random.RandomState(0).uniform())


def test_native_module_rejects_bad_picks_with_python_exceptions():
    a = _core.Activity([3])
    with pytest.raises(IndexError, match="source pick 0 reads index 3 of a part of size 3"):
        _core.Source.gather([1], [a], np.array([0]), np.array([3]))
    with pytest.raises(IndexError, match="negative index -1"):
        _core.Source.gather([1], [a], np.array([0]), np.array([-1]))
    with pytest.raises(ValueError, match=r"source picks: expected shape \(2,\), got shape \(1,\)"):
        _core.Source.gather([2], [a], np.array([0]), np.array([0]))
    with pytest.raises(ValueError, match=r"synapses: expected shape \(3, 2\), got shape \(5,\)"):
        _core.Connection(_core.Source.whole(a), [2], np.zeros(5))
    with pytest.raises(ValueError, match=r"output values: expected shape \(3,\), got shape \(4,\)"):
        a.assign(np.zeros(4))
    with pytest.raises(ValueError, match="kind"):
        _core.NumericalEncoder("log", 0, 1, 4, 0.5)


def test_engine_errors_are_ordinary_exceptions_not_panics():
    # PyO3 turns a panic into PanicException, a BaseException that `except Exception` misses.
    n = Neurons(3, computation=SparseComputation(4))
    try:
        n.compute()
    except Exception as err:  # noqa: BLE001 - the point is that it is an Exception
        assert isinstance(err, ValueError)
    else:
        pytest.fail("expected a ValueError")


def test_mismatched_inputs_in_a_direct_call():
    a, b = Input("a", 2), Input("b", 3)
    a.connect(Output(1))
    b.connect(Output(1))
    with pytest.raises(ValueError, match="different shapes"):
        SparseComputation(1)(a=a, b=b)
    with pytest.raises(ValueError, match="inputs"):
        SparseComputation(1)()


def test_connect_needs_values_and_shape():
    with pytest.raises(TypeError, match="values"):
        Input("main", 2).connect(object())
    with pytest.raises(TypeError, match="callable"):
        Neurons(2, computation=5)


def test_assigning_while_a_view_is_alive_still_clips_later_edits():
    from protobrain.learning import HebbianLearning

    src = Neurons(2)
    src.output.values = [1, 0]
    n = Neurons(2)
    n.input = src
    n.output.values = [1, 0]
    view = n.input.synapses
    n.input.synapses = np.full((2, 2), 0.5)
    view[1, 1] = 3.0  # a silent row and a silent column: only the clip reaches it
    HebbianLearning(0.1, 0.1)(n)
    assert n.input.synapses[1, 1] == 1.0
    n.input.synapses = n.input.synapses  # assigning a view of the weights to themselves
    assert n.input.synapses[1, 1] == 1.0


def test_learning_an_input_shaped_for_another_group_is_a_value_error():
    from protobrain.learning import HebbianLearning

    n = Neurons(10)
    inp = Input("x", 3)
    inp.connect(Output(2))
    n.inputs["x"] = inp
    n.output.values = np.eye(10)[5]
    with pytest.raises(ValueError, match="shape"):
        HebbianLearning()(n)


def test_huge_numbers_give_the_promised_exceptions():
    with pytest.raises(ValueError, match="n"):
        SparseComputation(2**70)
    with pytest.raises(ValueError, match="n"):
        SparseComputation(-(2**70))
    with pytest.raises(MemoryError, match=r"cannot allocate an output of shape \(18446744073709551616,\)"):
        Neurons(2**64)
    from protobrain.computation import StandardComputation

    with pytest.raises(ValueError, match="threshold"):
        StandardComputation(10**400)
    with pytest.raises(ValueError, match="shape"):
        Input("main", 2).connect(type("Src", (), {"values": np.zeros(2), "shape": (2.5,)})())


def test_encoder_parameters_can_change_and_are_checked_again():
    from protobrain.encoders.numerical import SimpleEncoder

    e = SimpleEncoder(0, 10, 10, 0.2)
    e.sparsity = 0.5
    e.min_value = -10
    assert e.width == 5 and e.range == 20
    assert list(e.encode(0)) == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0]
    with pytest.raises(ValueError, match="min_value"):
        e.max_value = -20
    assert e.max_value == 10 and e.encode(10)[-1] == 1
    with pytest.raises(AttributeError, match="length"):
        e.length = 4
