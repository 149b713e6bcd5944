"""docs/specification.md §1: outputs, slices, merges, inputs and synapses."""

import logging

import numpy as np
import pytest

from protobrain import neuron
from protobrain.neuron import Neurons
from protobrain.synapses import Input, Output, OutputMerge, OutputSlice


def test_output_starts_at_zeros_and_rejects_other_shapes():
    out = Output((2, 3))
    assert out.shape == (2, 3)
    assert np.array_equal(out.values, np.zeros((2, 3)))
    assert Output(4).shape == (4,)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        out.values = np.zeros((3, 2))


def test_output_values_are_snapshots_that_never_change_afterwards():
    out = Output(3)
    first = out.values
    out.values = [1, 0, 1]
    assert np.array_equal(first, [0, 0, 0])
    assert np.array_equal(out.values, [1, 0, 1])
    with pytest.raises(ValueError, match="read-only"):
        out.values[0] = 5


def test_output_values_must_be_finite_numbers():
    out = Output(2)
    with pytest.raises(ValueError, match="(?i)nan"):
        out.values = [np.nan, 0]
    with pytest.raises(TypeError, match="dtype"):
        out.values = ["a", "b"]


def test_slices_follow_the_parent():
    out = Output(10)
    tail = out[3:]
    assert isinstance(tail, OutputSlice)
    assert tail.shape == (7,)
    out.values = np.arange(10)
    assert np.array_equal(tail.values, np.arange(3, 10))
    grid = Output((8, 6))
    corner = grid[5:, 3:]
    assert corner.shape == (3, 3)
    grid.values = np.arange(48).reshape(8, 6)
    assert np.array_equal(corner.values, np.arange(48).reshape(8, 6)[5:, 3:])
    with pytest.raises(IndexError, match="index 20 is out of bounds"):
        out[20]


def test_merge_concatenates_along_the_first_axis_that_fits():
    a, b = Output(5), Output(8)
    merged = OutputMerge([a, b])
    assert merged.shape == (13,)
    a.values = np.ones(5)
    assert np.array_equal(merged.values, np.r_[np.ones(5), np.zeros(8)])
    wide = OutputMerge([Output((2, 3)), Output((2, 4))])
    assert wide.axis == 1 and wide.shape == (2, 7)
    with pytest.raises(ValueError, match="OutputMerge needs at least one output"):
        OutputMerge([])
    with pytest.raises(ValueError, match="any axis"):
        OutputMerge([Output((2, 3)), Output((4, 5))])
    with pytest.raises(ValueError, match="do not concatenate along axis 1"):
        OutputMerge([Output(2), Output(3)], axis=1)


def test_inputs_read_slices_and_merges_of_several_outputs():
    a, b = Output(4), Output((2, 3))
    src = OutputMerge([a[1:], b[1]])  # shapes (3,) and (3,) -> (6,)
    inp = Input("x", 2)
    inp.connect(src, lambda pre, post: np.ones(pre + post))
    a.values = [9, 1, 0, 1]
    b.values = [[0, 0, 0], [1, 1, 0]]
    assert np.array_equal(inp.values, [1, 0, 1, 1, 1, 0])


def test_unconnected_input_raises_index_error():
    inp = Input("main", 3)
    assert not inp.connected
    with pytest.raises(IndexError, match="main"):
        _ = inp.values
    with pytest.raises(IndexError, match="input 'main' is not connected"):
        _ = inp.synapses


def test_connect_draws_uniform_weights_from_the_global_random_state():
    src = Output(6)
    np.random.seed(42)
    inp = Input("main", (2, 2))
    inp.connect(src)
    np.random.seed(42)
    expected = np.random.uniform(0, 1, (6, 2, 2))
    assert inp.synapses.dtype == np.float64
    assert np.array_equal(inp.synapses, expected)


def test_chunked_default_draws_equal_one_big_draw(monkeypatch):
    from protobrain import connectivity

    monkeypatch.setattr(connectivity, "_DRAW_CHUNK", 7)
    np.random.seed(3)
    inp = Input("main", 5)
    inp.connect(Output(13))
    np.random.seed(3)
    assert np.array_equal(inp.synapses, np.random.uniform(0, 1, (13, 5)))


def test_connecting_to_the_same_source_warns_and_changes_nothing(caplog):
    src = Output(3)
    inp = Input("main", 2)
    inp.connect(src)
    before = inp.synapses.copy()
    with caplog.at_level(logging.WARNING, logger="protobrain.synapses"):
        inp.connect(src)
    assert "already connected" in caplog.text
    assert np.array_equal(inp.synapses, before)


def test_custom_synapse_function_is_used_and_checked():
    calls = []

    def weights(pre, post):
        calls.append((pre, post))
        return np.full(pre + post, 0.5)

    inp = Input("main", 2)
    inp.connect(Output(3), weights)
    assert calls == [((3,), (2,))]
    assert np.array_equal(inp.synapses, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        Input("main", 2).connect(Output(3), lambda pre, post: np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        Input("main", 2).connect(Output(3), lambda pre, post: np.full(pre + post, np.inf))


def test_synapses_assignment_is_validated():
    inp = Input("main", 2)
    inp.connect(Output(3))
    inp.synapses = np.full((3, 2), -0.5)  # any finite weight is allowed
    assert np.array_equal(inp.synapses, np.full((3, 2), -0.5))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        inp.synapses = np.zeros((2, 3))
    with pytest.raises(ValueError, match="(?i)nan"):
        inp.synapses = np.full((3, 2), np.nan)
    with pytest.raises(TypeError, match="synapses must be an array of real numbers"):
        inp.synapses = np.full((3, 2), "x")


def test_edits_through_the_synapses_view_are_used_by_the_next_step():
    n1, n2 = neuron.Neurons(3), neuron.Neurons(2)
    n2.input = n1
    n2.computation = lambda **inputs: np.zeros(2)
    from protobrain.computation import StandardComputation

    n2.computation = StandardComputation(0.5)
    n1.output.values = [1, 0, 0]
    n2.input.synapses[0] = [0.0, 0.9]
    assert np.array_equal(n2.compute(), [0, 1])
    view = n2.input.synapses
    view[0, 0] = 0.7
    assert np.array_equal(n2.compute(), [1, 1])


def test_duck_typed_sources_are_read_every_step():
    class Feed:
        def __init__(self):
            self.values = np.array([1.0, 0.0])

        @property
        def shape(self):
            return self.values.shape

    from protobrain.computation import StandardComputation

    feed = Feed()
    n = neuron.Neurons(1, computation=StandardComputation(0.5))
    n.set("main", feed, lambda pre, post: np.array([[1.0], [0.0]]))
    assert np.array_equal(n.compute(), [1])
    feed.values = np.array([0.0, 1.0])
    assert np.array_equal(n.compute(), [0])


def test_slices_and_merges_of_user_objects_are_read_every_step():
    class Feed:
        def __init__(self):
            self.values = np.array([1.0, 0.0, 0.0])

        @property
        def shape(self):
            return self.values.shape

    from protobrain.computation import StandardComputation

    feed, out = Feed(), Output(1)
    n = Neurons(1, computation=StandardComputation(0.5))
    n.set("main", OutputMerge([OutputSlice(feed, slice(1, None)), out]), lambda pre, post: np.ones(pre + post))
    assert np.array_equal(n.compute(), [0])
    feed.values = np.array([0.0, 0.0, 1.0])
    assert np.array_equal(n.compute(), [1])
    feed.values = np.array([0.0, 0.0, 0.0])
    out.values = [1]
    assert np.array_equal(n.compute(), [1])
