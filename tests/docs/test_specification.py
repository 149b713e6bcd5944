"""docs/specification.md: its eight sections, and its test vectors agree with protobrain.

Each test restates a vector of the specification, checks that the document says exactly
that (whitespace aside), and checks protobrain against it.
"""

from __future__ import annotations

import io
import re

import numpy as np
from helpers import ROOT

from protobrain import brain, computation, learning, neuron, sensor, synapses
from protobrain.encoders import numerical
from protobrain.messages import decode_encoder, encode_sdr
from protobrain.metrics import spike_count, spike_density
from protobrain.proto import encoder_pb2, sdr_pb2
from protobrain.util.proto_io import ProtoReader, ProtoWriter

SPECIFICATION = ROOT / "docs" / "specification.md"

SECTIONS = [
    "Outputs, inputs, synapses",
    "Neurons and wiring",
    "Computations",
    "Learning",
    "Sensors and encoders",
    "Brain",
    "Metrics and benchmark",
    "Protocol buffers",
]


def _text() -> str:
    return SPECIFICATION.read_text(encoding="utf-8")


def _section(number: int) -> str:
    """Section §number, whitespace collapsed (the document wraps its lines anywhere)."""
    text = _text()
    start = text.index(f"\n## {number}. ")
    end = text.find("\n## ", start + 1)
    return " ".join(text[start : end if end != -1 else None].split())


def says(number: int, *phrases: str) -> None:
    """Section §number contains every phrase (whitespace aside)."""
    section = _section(number)
    for phrase in phrases:
        assert " ".join(phrase.split()) in section, f"docs/specification.md §{number} does not say: {phrase}"


def _group(weights, pre, comp=None):
    """A group reading an output of values ``pre`` through ``weights`` (P x Q)."""
    weights = np.array(weights, dtype=float)
    group = neuron.Neurons(weights.shape[1], computation=comp)
    source = synapses.Output(weights.shape[0])
    source.values = np.array(pre, dtype=float)
    group.set("main", source, lambda pre_shape, post_shape: weights.copy())
    return group


# --- the document --------------------------------------------------------------------------


def test_the_eight_sections_in_order():
    numbered = re.findall(r"^## (\d+)\. (.+)$", _text(), re.M)
    assert numbered == [(str(n), title) for n, title in enumerate(SECTIONS, start=1)]
    assert re.findall(r"^# .+$", _text(), re.M) == ["# Specification"]


def test_it_points_at_the_documents_that_extend_it():
    text = _text()
    for name in ("behaviour.md", "metrics.md", "experiments.md", "checkpoints.md", "performance.md"):
        assert f"]({name})" in text, name
    assert "tests/reference.py" in text


# --- §1 ----------------------------------------------------------------------------------


def test_merges_pick_the_first_axis_that_concatenates():
    says(
        1,
        "`(5,)` and `(8,)` merge to `(13,)`; `(2, 3)` and `(2, 4)` merge along axis 1 to `(2, 7)`; "
        "`(2, 3)` and `(2, 3)` merge along axis 0 to `(4, 3)`",
    )
    cases = [((5,), (8,), (13,), 0), ((2, 3), (2, 4), (2, 7), 1), ((2, 3), (2, 3), (4, 3), 0)]
    for a, b, shape, axis in cases:
        merge = synapses.OutputMerge([synapses.Output(a), synapses.Output(b)])
        assert (merge.shape, merge.axis) == (shape, axis)


# --- §3 ----------------------------------------------------------------------------------


def test_the_summation_order_is_part_of_the_model():
    says(
        3,
        "pre values [1, 1, 1] and W = [[0.1, 0.3], [0.2, 0.2], [0.3, 0.1]] give a = [0.6000000000000001, 0.6]",
        "`StandardComputation(0.6)` then gives [True, False]",
    )
    assert (0.1 + 0.2) + 0.3 == 0.6000000000000001 and (0.3 + 0.2) + 0.1 == 0.6
    group = _group([[0.1, 0.3], [0.2, 0.2], [0.3, 0.1]], [1, 1, 1], computation.StandardComputation(0.6))
    assert group.compute().tolist() == [1.0, 0.0]
    direct = computation.StandardComputation(0.6)(**group.inputs)
    assert direct.dtype == bool and direct.tolist() == [True, False]


def test_connected_vector():
    says(
        3,
        "pre values [1, 0, 2.5],\nW = [[0.5, 0.49], [0.7, 0.9], [0.9, 0.5]], `connected=0.5` give a = [3.5, 2.5]",
    )
    group = _group([[0.5, 0.49], [0.7, 0.9], [0.9, 0.5]], [1, 0, 2.5])
    assert computation.StandardComputation(3.4, connected=0.5)(**group.inputs).tolist() == [True, False]
    assert computation.StandardComputation(2.4, connected=0.5)(**group.inputs).tolist() == [True, True]
    assert computation.StandardComputation(3.5, connected=0.5)(**group.inputs).tolist() == [False, False]


def test_threshold_vector():
    says(
        3,
        "pre values [1, 0, 1], W = [[0.8, 0.4], [0.6, 0.8], [0.5, 0.4]], threshold 1.2: a = [1.3, 0.8], "
        "so the result is [True, False]",
    )
    group = _group([[0.8, 0.4], [0.6, 0.8], [0.5, 0.4]], [1, 0, 1])
    assert computation.StandardComputation(1.2)(**group.inputs).tolist() == [True, False]


def test_k_winners_vectors():
    says(
        3,
        "W = [[0.8, 0.4, 0.5, 0.4], [0.6, 0.8, 0.9, 0.2], [0.5, 0.4, 0.5, 0.7]], so a = [1.3, 0.8, 1.0, 1.1]: "
        "`n = 2` gives [1, 0, 0, 1]; `n = 0.25` gives k = 1 and [1, 0, 0, 0]",
        "pre values [1], W = [[0.5, 0.9, 0.9, 0.9]]: `n = 2` gives [0, 1, 1, 0]",
        "pre values [1], W = [[0.0, 0.0, 0.0]], `n = 2` gives [1, 1, 0]",
    )
    group = _group([[0.8, 0.4, 0.5, 0.4], [0.6, 0.8, 0.9, 0.2], [0.5, 0.4, 0.5, 0.7]], [1, 0, 1])
    assert computation.SparseComputation(2)(**group.inputs).tolist() == [1, 0, 0, 1]
    assert computation.SparseComputation(0.25)(**group.inputs).tolist() == [1, 0, 0, 0]
    tie = _group([[0.5, 0.9, 0.9, 0.9]], [1])
    assert computation.SparseComputation(2)(**tie.inputs).tolist() == [0, 1, 1, 0]
    silent = _group([[0.0, 0.0, 0.0]], [1])
    assert computation.SparseComputation(2)(**silent.inputs).tolist() == [1, 1, 0]


def test_how_many_winners_a_fraction_gives():
    says(
        3,
        "`SparseComputation(0.05)` on 100 units lets 5 fire, but `SparseComputation(0.07)` lets 8 fire "
        "(`0.07 * 100` is 7.000000000000001), and `SparseComputation(1.0)` lets every unit fire while "
        "`SparseComputation(1)` lets one",
    )
    assert 0.07 * 100 == 7.000000000000001
    group = _group(np.random.default_rng(0).uniform(size=(3, 100)), [1, 0, 1])
    for n, k in ((0.05, 5), (0.07, 8), (1.0, 100), (1, 1)):
        assert computation.SparseComputation(n)(**group.inputs).sum() == k, n


# --- §4 ----------------------------------------------------------------------------------


def _learn(weights, pre, post, increase=0.1, decrease=0.05):
    group = _group(weights, pre)
    group.output.values = np.array(post, dtype=float)
    learning.HebbianLearning(increase, decrease)(group)
    return group.input.synapses.copy()


def test_hebbian_vector():
    says(
        4,
        "W = [[0.8, 0.4], [0.6, 0.8], [0.5, 0.4]], pre values [1, 0, 1], post values [1, 0] give "
        "[[0.90, 0.35], [0.55, 0.80], [0.60, 0.35]]",
    )
    got = _learn([[0.8, 0.4], [0.6, 0.8], [0.5, 0.4]], [1, 0, 1], [1, 0])
    exact = [[0.8 + 0.1, 0.4 - 0.05], [0.6 - 0.05, 0.8], [0.5 + 0.1, 0.4 - 0.05]]
    assert got.tolist() == exact
    assert np.round(got, 2).tolist() == [[0.90, 0.35], [0.55, 0.80], [0.60, 0.35]]


def test_dead_synapses_and_the_clip():
    says(
        4,
        "W = [[0.0, 0.95], [0.03, 0.5]], pre values [1, 0], post values [1, 1] give [[0.0, 1.0], [0.0, 0.45]]",
        "A second step with pre values [1, 1] and post values [1, 1] gives [[0.0, 1.0], [0.0, 0.55]]",
        "W = [[1.5, -0.2]], pre values [0], post values [0, 0] give [[1.0, 0.0]]",
    )
    first = _learn([[0.0, 0.95], [0.03, 0.5]], [1, 0], [1, 1])
    assert first.tolist() == [[0.0, 1.0], [0.0, 0.45]]
    assert _learn(first, [1, 1], [1, 1]).tolist() == [[0.0, 1.0], [0.0, 0.55]]
    assert _learn([[1.5, -0.2]], [0], [0, 0]).tolist() == [[1.0, 0.0]]


# --- §5 ----------------------------------------------------------------------------------


def _bits(encoder, value):
    return "".join(str(int(bit)) for bit in encoder.encode(value))


def test_the_small_encoder_vectors():
    says(
        5,
        "`SimpleEncoder(1, 4, 5, sparsity=0.4)` (w = 2, span 3): 1 -> 11000, 2 -> 01100, 3 -> 00110, 4 -> 00011",
        "`CyclicEncoder(1, 5, 5, sparsity=0.4)` (w = 2, span 4): 1 -> 11000, 2 -> 01100, 3 -> 00110, 4 -> 00011, "
        "5 -> 10001",
    )
    simple = numerical.SimpleEncoder(1, 4, 5, sparsity=0.4)
    assert [_bits(simple, v) for v in (1, 2, 3, 4)] == ["11000", "01100", "00110", "00011"]
    cyclic = numerical.CyclicEncoder(1, 5, 5, sparsity=0.4)
    assert [_bits(cyclic, v) for v in (1, 2, 3, 4, 5)] == ["11000", "01100", "00110", "00011", "10001"]


def test_the_benchmark_sensor_vectors():
    says(
        5,
        "`CyclicEncoder(0, 100, 1024)` has `w = ceil(20.48) = 21`",
        "`CyclicEncoder(0, 100, 1024)` (w = 21, span 1023): 50 -> bits 511 to 531; 100 -> bits 1023 and 0 to 19. "
        "`SimpleEncoder(0, 100, 1024)` (span 1003): 50 -> bits 501 to 521; 100 -> bits 1003 to 1023.",
    )
    cyclic = numerical.CyclicEncoder(0, 100, 1024)
    assert cyclic.width == 21
    assert np.flatnonzero(cyclic.encode(50)).tolist() == list(range(511, 532))
    assert np.flatnonzero(cyclic.encode(100)).tolist() == [*range(0, 20), 1023]
    simple = numerical.SimpleEncoder(0, 100, 1024)
    assert np.flatnonzero(simple.encode(50)).tolist() == list(range(501, 522))
    assert np.flatnonzero(simple.encode(100)).tolist() == list(range(1003, 1024))


def test_the_encoder_formula_is_rounded_step_by_step():
    says(
        5,
        "`CyclicEncoder(0, 1, 101, sparsity=0.005)` (w = 1, span 100): 0.29 -> bit 28 "
        "(`0.29 * 100` is 28.999999999999996), 0.3 -> bit 30, 1 -> bit 100",
    )
    assert 0.29 * 100 == 28.999999999999996
    encoder = numerical.CyclicEncoder(0, 1, 101, sparsity=0.005)
    assert encoder.width == 1
    assert [np.flatnonzero(encoder.encode(v)).tolist() for v in (0.29, 0.3, 1)] == [[28], [30], [100]]


# --- §6 ----------------------------------------------------------------------------------


def test_the_readme_model_draws_and_ends_as_written():
    says(
        6,
        "`layers[1].input.synapses[0, 0] == 0.5488135039273248` (draw 0), "
        "`layers[2].input.synapses[0, 1] == 0.18020270731629007` (draw 10,001) and "
        "`layers[0].input.synapses[0, 0] == 0.3921729613508653` (draw 20,000)",
        "its layers end with active units [4, 10, 44, 84, 96], [3, 28, 47, 77, 92] and [17, 29, 78, 79, 99]",
    )
    np.random.seed(0)
    layers = [neuron.Neurons(100) for _ in range(3)]
    neurons = neuron.FeedForward(layers)
    sensor_ = sensor.Sensor(numerical.CyclicEncoder(0, 100, 1024))
    brain_ = brain.Brain(
        neurons,
        sensor_,
        computation=computation.SparseComputation(0.05),
        learning=learning.HebbianLearning(0.005, 0.001),
    )
    assert layers[1].input.synapses[0, 0] == 0.5488135039273248
    assert layers[2].input.synapses[0, 1] == 0.18020270731629007
    assert layers[0].input.synapses[0, 0] == 0.3921729613508653
    # The draws in the order §6 gives, from one call: every weight of every connection.
    np.random.seed(0)
    draws = np.random.uniform(0, 1, 2 * 100 * 100 + 1024 * 100)
    assert np.array_equal(layers[1].input.synapses.ravel(), draws[:10_000])
    assert np.array_equal(layers[2].input.synapses.ravel(), draws[10_000:20_000])
    assert np.array_equal(layers[0].input.synapses.ravel(), draws[20_000:])
    for value in range(100):
        sensor_.feed(value)
        brain_.compute()
        brain_.learn()
    active = [np.flatnonzero(layer.values).tolist() for layer in layers]
    assert active == [[4, 10, 44, 84, 96], [3, 28, 47, 77, 92], [17, 29, 78, 79, 99]]


def test_computing_learning_and_running_draw_nothing():
    says(
        6,
        "Nothing else draws: not the computations (ties go to the lower index), not learning, not encoders or "
        "sensors, not metrics or the benchmark harness, not `Brain.run`",
    )
    np.random.seed(7)
    neurons = neuron.FeedForward([neuron.Neurons(10) for _ in range(2)])
    brain_ = brain.Brain(
        neurons,
        sensor.Sensor(numerical.SimpleEncoder(0, 10, 20)),
        computation=computation.SparseComputation(2),
        learning=learning.HebbianLearning(),
    )
    built = np.random.get_state()
    brain_.run([v % 10 for v in range(30)])
    for value in range(10):
        brain_.sensor.feed(value)
        brain_.compute()
        brain_.learn()
    spike_density.SpikeDensity().next(brain_.neurons)
    stepped = np.random.get_state()
    assert np.array_equal(stepped[1], built[1]) and stepped[2:] == built[2:]


# --- §7 ----------------------------------------------------------------------------------


def test_spike_count_vector():
    says(
        7,
        "a group of 4 units showing [1, 0, 0, 0], then [1, 1, 0, 0], counts [2, 1, 0, 0] and gives "
        "`{0: 2, 1: 1, 2: 1}`",
    )
    group = neuron.Neurons(4)
    metric = spike_count.SpikeCount()
    for values in ([1, 0, 0, 0], [1, 1, 0, 0]):
        group.output.values = np.array(values, dtype=float)
        metric.next(group)
    assert metric.per_unit()[0].tolist() == [2, 1, 0, 0]
    assert metric.compute().global_result == {0: 2, 1: 1, 2: 1}


def test_spike_density_vector():
    says(
        7,
        "`FeedForward([FeedForward([Neurons(4) for _ in range(4)]), Neurons(4)])`",
        "step one with [1, 0, 0, 0] in the four inner layers and [1, 1, 0, 0] in the last, step two with "
        "[1, 0, 1, 0] and [1, 1, 0, 1]: `per_step_result` [0.3, 0.55], `global_result` 0.425 (exactly), "
        "`per_layer_result` [[0.375, 0.375, 0.375, 0.375], 0.625]",
    )
    inner = [neuron.Neurons(4) for _ in range(4)]
    last = neuron.Neurons(4)
    group = neuron.FeedForward([neuron.FeedForward(inner), last])
    metric = spike_density.SpikeDensity()
    for inner_values, last_values in (([1, 0, 0, 0], [1, 1, 0, 0]), ([1, 0, 1, 0], [1, 1, 0, 1])):
        for layer in inner:
            layer.output.values = np.array(inner_values, dtype=float)
        last.output.values = np.array(last_values, dtype=float)
        metric.next(group)
    result = metric.compute()
    assert result.per_step_result == [0.3, 0.55]
    assert result.global_result == 0.425
    assert result.per_layer_result == [[0.375, 0.375, 0.375, 0.375], 0.625]


# --- §8 ----------------------------------------------------------------------------------


def test_stream_vector():
    says(
        8,
        "the SDR of `[0, 1, 0, 1]` (shape [4], on_bits [1, 3]) serializes to the bytes `08 04 10 01 10 03`, "
        "and its record in a stream is `00 00 00 06 08 04 10 01 10 03`",
    )
    sdr = encode_sdr(np.array([0, 1, 0, 1]))
    assert (list(sdr.shape), list(sdr.on_bits)) == ([4], [1, 3])
    assert sdr.SerializeToString() == bytes.fromhex("08 04 10 01 10 03")
    stream = io.BytesIO()
    ProtoWriter(stream).write(sdr)
    assert stream.getvalue() == bytes.fromhex("00 00 00 06 08 04 10 01 10 03")
    stream.seek(0)
    assert list(ProtoReader(stream, sdr_pb2.SparseDistributedRepresentation)) == [sdr]


def test_encoder_bounds_are_32_bit_floats():
    says(8, "`0.1` is stored, and read back, as 0.10000000149011612")
    message = encoder_pb2.Encoder(type=encoder_pb2.Encoder.NUMERICAL_CYCLIC, shape=[10])
    params = message.Extensions[encoder_pb2.CyclicEncoder.cyclic_encoder]
    params.max_value = 0.1
    assert decode_encoder(message).max_value == 0.10000000149011612
