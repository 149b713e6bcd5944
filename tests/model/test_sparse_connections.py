"""Sparse connections (protobrain.connectivity): a synapse that is not stored behaves as a
dead one (weight 0) does in a dense connection, so a sparse model gives the activity and
weights of tests/reference.py's dense model holding the same weights and zeros."""

import pickle

import numpy as np
import pytest
import reference
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from protobrain import brain, checkpoint, computation, connectivity, learning, neuron, sensor, synapses
from protobrain.encoders import numerical


def random_sparse(rng, pre, post, density, zeros=0.2):
    """A csr_array of the given density whose stored weights are uniform, some exactly 0."""
    dense = rng.uniform(0, 1, (pre, post))
    dense[rng.random((pre, post)) < zeros] = 0.0
    mask = rng.random((pre, post)) < density
    rows, cols = np.nonzero(mask)
    return scipy.sparse.csr_array((dense[rows, cols], (rows, cols)), shape=(pre, post))


COMPUTATIONS = [
    ("sparse", 3, None, (0.0, 1000)),
    ("sparse", 0.2, 0.5, (0.0, 1000)),
    ("sparse", 2, 0.0, (0.0, 1000)),
    ("sparse", 4, None, (2.0, 7)),
    ("standard", 0.5, None, (0.0, 1000)),
    ("standard", 1.0, 0.25, (0.0, 1000)),
]


def _protobrain_computation(kind, n, connected, boost):
    if kind == "standard":
        return computation.StandardComputation(n, connected=connected)
    return computation.SparseComputation(n, connected=connected, boost_strength=boost[0], duty_cycle_period=boost[1])


def _models(seed, sizes, density, comp, rates, length=64):
    """The same two-layer model (sensor -> layer 0 -> layer 1, layer 1 also reading itself)
    with sparse synapses in protobrain, and dense with zeros in the reference."""
    rng = np.random.default_rng(seed)
    weights = {
        "sensor": random_sparse(rng, length, sizes[0], density),
        "forward": random_sparse(rng, sizes[0], sizes[1], density),
        "self": random_sparse(rng, sizes[1], sizes[1], density),
    }
    layers = [neuron.Neurons(n) for n in sizes]
    layers[1].set("main", layers[0], lambda pre, post: weights["forward"])
    layers[1].set("self", layers[1], lambda pre, post: weights["self"])
    stack = neuron.LayeredNeurons(layers)
    sens = sensor.Sensor(numerical.CyclicEncoder(0, 100, length))
    learn = learning.HebbianLearning(*rates) if rates else None
    model = brain.Brain(
        stack,
        sens,
        computation=_protobrain_computation(*comp),
        learning=learn,
        synapse_function=lambda pre, post: weights["sensor"],
    )
    ref_layers = [reference.Group(n) for n in sizes]
    ref_sensor = reference.Sensor("cyclic", 0, 100, length)
    ref_layers[0].set("main", ref_sensor, weights["sensor"].toarray())
    ref_layers[1].set("main", ref_layers[0], weights["forward"].toarray())
    ref_layers[1].set("self", ref_layers[1], weights["self"].toarray())
    return model, reference.Model(ref_sensor, ref_layers), weights


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.tuples(st.integers(5, 40), st.integers(5, 40)),
    density=st.sampled_from([0.05, 0.3, 0.9]),
    comp=st.sampled_from(COMPUTATIONS),
    rates=st.sampled_from([(0.05, 0.01), (0.0, 0.02), None]),
)
def test_sparse_models_match_the_dense_reference_step_by_step_and_in_runs(seed, sizes, density, comp, rates):
    values = np.random.default_rng(seed).uniform(0, 100, 30)
    stepped, ref, _ = _models(seed, sizes, density, comp, rates)
    run, _, _ = _models(seed, sizes, density, comp, rates)
    recorded = run.run(values)
    ref_comp = comp if comp[0] == "sparse" else comp[:3]
    for t, value in enumerate(values):
        stepped.sensor.feed(value)
        stepped.compute()
        stepped.learn()  # updates the duty cycles even without a learning rule, as runs do
        want = ref.step(value, ref_comp, rates or (0.0, 0.0))
        for i, layer in enumerate(stepped.neurons.layers):
            assert np.array_equal(layer.values, want[i]), f"layer {i} at step {t}"
            assert np.array_equal(recorded[i][t], want[i] != 0), f"layer {i} at step {t} of the run"
    for model in (stepped, run):
        for layer, ref_layer in zip(model.neurons.layers, ref.layers):
            for name, inp in layer.inputs.items():
                want = ref_layer.inputs[name][1]
                assert np.array_equal(inp.synapses.reshape(want.shape), want), name


def test_explicit_zeros_are_dead_synapses_and_stay_stored():
    indptr = np.r_[0, 2, np.full(49, 3)]
    weights = scipy.sparse.csr_array((np.array([0.0, 0.5, 0.25]), np.array([0, 1, 2]), indptr), shape=(50, 3))
    group = neuron.Neurons(3)
    group.input.connect(synapses.Output(50), lambda pre, post: weights)
    assert group.input.sparse
    group.input.source.values = np.r_[1.0, 1.0, np.zeros(48)]
    group.computation = computation.StandardComputation(0.0)
    group.learning = learning.HebbianLearning(0.1, 0.1)
    group.compute()
    group.learn()
    got = group.input.sparse_synapses
    assert got.nnz == 3 and got.data[0] == 0.0


def test_potential_pool_of_one_draws_todays_default_weights():
    for make in (lambda: None, lambda: connectivity.PotentialPool(1.0)):
        np.random.seed(5)
        inp = synapses.Input("main", (3, 4))
        inp.connect(synapses.Output((5, 2)), make())
        np.random.seed(5)
        assert np.array_equal(inp.synapses, np.random.uniform(0, 1, (5, 2, 3, 4)))
        assert not inp.sparse


def test_a_brain_switching_to_potential_pool_of_one_gives_the_same_numbers():
    def build(function):
        np.random.seed(9)
        layers = [neuron.Neurons(40), neuron.Neurons(30)]
        stack = neuron.FeedForward(layers, synapse_function=function)
        return brain.Brain(
            stack,
            sensor.Sensor(numerical.CyclicEncoder(0, 100, 200)),
            computation.SparseComputation(0.1),
            learning.HebbianLearning(0.01, 0.002),
            synapse_function=function,
        )

    values = np.random.default_rng(1).uniform(0, 100, 60)
    a, b = build(None), build(connectivity.PotentialPool(1.0))
    assert all(np.array_equal(x, y) for x, y in zip(a.run(values), b.run(values)))


@pytest.mark.parametrize("fraction", [0.03, 0.3, 0.7])
def test_potential_pool_draws_pools_then_weights_in_row_major_order(fraction):
    from protobrain import _pools

    pre, post = (20, 10), (6, 7)
    np.random.seed(3)
    inp = synapses.Input("main", post)
    inp.connect(synapses.Output(pre), connectivity.PotentialPool(fraction))
    got = inp.sparse_synapses if inp.sparse else scipy.sparse.csr_array(inp.synapses.reshape(200, 42))
    # The same draws by hand: pools unit by unit, then the weights of the synapses input by input.
    np.random.seed(3)
    sizes = _pools.pool_sizes(pre, post, fraction, None, False)
    rows = np.zeros(int(sizes.sum()), dtype=np.uint32)
    _pools.fill_pools(rows, pre, post, fraction, None, False, sizes)
    units = np.repeat(np.arange(42), sizes)
    mask = np.zeros((200, 42), dtype=bool)
    mask[rows, units] = True
    assert (sizes == round(fraction * 200)).all() or (sizes == np.rint(fraction * 200)).all()
    expected = np.zeros((200, 42))
    expected[mask] = np.random.uniform(0, 1, int(mask.sum()))  # row-major order of the synapses
    assert np.array_equal(got.toarray(), expected)
    if inp.sparse:
        pattern = np.zeros((200, 42), dtype=bool)
        pattern[got.nonzero()] = True
        assert np.array_equal(np.diff(got.indptr), mask.sum(axis=1))


@st.composite
def pool_cases(draw):
    ndim = draw(st.integers(1, 3))
    pre = tuple(draw(st.integers(1, 7)) for _ in range(ndim))
    post = tuple(draw(st.integers(1, 7)) for _ in range(ndim))
    radius = draw(st.one_of(st.none(), st.integers(0, 4)))
    return pre, post, radius, draw(st.booleans()), draw(st.sampled_from([0.1, 0.3, 0.5, 0.75, 1.0]))


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.integers(0, 2**32 - 1))
def test_potential_pools_take_their_share_of_the_reference_candidates(case, seed):
    pre, post, radius, wrap, fraction = case
    np.random.seed(seed % 2**32)
    inp = synapses.Input("main", post)
    inp.connect(synapses.Output(pre), connectivity.PotentialPool(fraction, radius=radius, wrap=wrap))
    pre_size, post_size = int(np.prod(pre)), int(np.prod(post))
    if inp.sparse:
        view = inp.sparse_synapses
        pattern = np.zeros((pre_size, post_size), dtype=bool)
        pattern[np.repeat(np.arange(pre_size), np.diff(view.indptr)), view.indices] = True
        del view
    else:  # stored densely: the pattern is where the drawn weights are (uniform draws are never 0 here)
        pattern = inp.synapses.reshape(pre_size, post_size) != 0
    for unit in range(post_size):
        allowed = reference.candidates(pre, post, radius, wrap, unit)
        chosen = np.flatnonzero(pattern[:, unit]).tolist()
        assert set(chosen) <= set(allowed), f"unit {unit}"
        assert len(chosen) == reference.pool_size(fraction, len(allowed)), f"unit {unit}"


def test_one_to_one_wires_unit_i_to_input_i_with_weight_one():
    inp = synapses.Input("main", (3, 5))
    inp.connect(synapses.Output((3, 5)), connectivity.OneToOne())
    assert inp.sparse
    assert np.array_equal(inp.sparse_synapses.toarray(), np.eye(15))
    assert np.array_equal(connectivity.OneToOne()((2,), (2,)).toarray(), np.eye(2))
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(15,\)"):
        synapses.Input("main", 15).connect(synapses.Output((3, 5)), connectivity.OneToOne())


def _sparse_group(pre=30, post=20, density=0.1, seed=0):
    weights = random_sparse(np.random.default_rng(seed), pre, post, density, zeros=0.0)
    group = neuron.Neurons(post)
    group.input.connect(synapses.Output(pre), lambda a, b: weights)
    group.computation = computation.SparseComputation(3)
    group.learning = learning.HebbianLearning(0.05, 0.01)
    return group, weights


def test_the_sparse_view_shares_the_engines_weights():
    group, weights = _sparse_group()
    assert group.input.sparse
    view = group.input.sparse_synapses
    assert isinstance(view, scipy.sparse.csr_array)
    assert (view != weights).nnz == 0
    assert not view.indices.flags.writeable
    view.data[:] = 0.5  # edits through the view are what the next step uses
    assert np.array_equal(group.input.sparse_synapses.data, np.full(weights.nnz, 0.5))
    i, j = view.nonzero()
    view[i[0], j[0]] = 0.25
    assert group.input.synapses[i[0], j[0]] == 0.25
    missing = np.argwhere(weights.toarray() == 0)[0]
    with pytest.raises(ValueError, match="cannot add synapses"):
        view[missing[0], missing[1]] = 0.5
    # Out-of-range edits through a held view are clipped by the next learning step.
    view.data[0] = 3.0
    group.input.source.values = np.ones(30)
    group.compute()
    group.learn()
    assert group.input.sparse_synapses.data.max() <= 1.0


def test_the_dense_view_of_sparse_synapses_is_a_read_only_copy():
    group, weights = _sparse_group()
    dense = group.input.synapses
    assert np.array_equal(dense, weights.toarray())
    with pytest.raises(ValueError, match="read-only"):
        dense[0, 0] = 1.0


def test_a_connection_too_large_to_densify_names_the_alternative(monkeypatch):
    group, _ = _sparse_group()
    monkeypatch.setattr(connectivity, "DENSE_LIMIT", 100)
    with pytest.raises(ValueError, match=r"input 'main'.*600 weights.*input.sparse_synapses"):
        group.input.synapses  # noqa: B018


def test_assigning_sparse_synapses_keeps_the_pattern():
    group, weights = _sparse_group()
    new = weights.copy()
    new.data = np.linspace(0, 1, new.nnz)
    group.input.sparse_synapses = new
    assert np.array_equal(group.input.sparse_synapses.data, new.data)
    group.input.synapses = new.toarray() * 0.5  # dense, zero outside the pattern
    assert np.array_equal(group.input.sparse_synapses.data, new.data * 0.5)
    other = random_sparse(np.random.default_rng(7), 30, 20, 0.3)
    with pytest.raises(ValueError, match="pattern"):
        group.input.sparse_synapses = other
    outside = np.argwhere(weights.toarray() == 0)[0]
    dense = weights.toarray()
    dense[outside[0], outside[1]] = 0.5
    with pytest.raises(ValueError, match=rf"outside the connection's pattern must be 0, got 0.5 at \({outside[0]}, "):
        group.input.synapses = dense
    nan = weights.copy()
    nan.data[0] = np.nan
    with pytest.raises(ValueError, match="finite, got nan"):
        group.input.sparse_synapses = nan
    assert np.array_equal(group.input.sparse_synapses.data, new.data * 0.5), "refused assignments change nothing"


def test_dense_connections_show_a_sparse_copy_and_take_sparse_weights():
    group = neuron.Neurons(4)
    group.input.connect(synapses.Output(3))
    copy = group.input.sparse_synapses
    assert np.array_equal(copy.toarray(), group.input.synapses)
    weights = scipy.sparse.csr_array(np.eye(3, 4) * 0.5)
    group.input.sparse_synapses = weights
    assert np.array_equal(group.input.synapses, np.eye(3, 4) * 0.5)


@pytest.mark.parametrize(
    "weights, match",
    [
        (scipy.sparse.csr_array((4, 3)), r"must have shape \(3, 4\).*got shape \(4, 3\)"),
        (scipy.sparse.csr_array(np.array([[np.nan, 0, 0, 0], [0] * 4, [0] * 4])), "finite, got nan"),
        (scipy.sparse.csr_array(np.array([[np.inf, 0, 0, 0], [0] * 4, [0] * 4])), "finite, got inf"),
    ],
)
def test_bad_sparse_weights_are_refused_naming_them(weights, match):
    with pytest.raises(ValueError, match=match):
        synapses.Input("main", 4).connect(synapses.Output(3), lambda pre, post: weights)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: connectivity.PotentialPool(0), "fraction must be a number in \\(0, 1\\], got 0"),
        (lambda: connectivity.PotentialPool(1.5), "got 1.5"),
        (lambda: connectivity.PotentialPool(-0.1), "got -0.1"),
        (lambda: connectivity.PotentialPool(float("nan")), "got nan"),
        (lambda: connectivity.PotentialPool(0.5, radius=-1), "radius must be None or a non-negative integer, got -1"),
    ],
)
def test_bad_pools_are_refused_naming_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_radius_on_shapes_of_different_dimensions_is_refused():
    inp = synapses.Input("main", 5)
    with pytest.raises(ValueError, match=r"radius of 2.*\(10, 10\).*\(5,\)"):
        inp.connect(synapses.Output((10, 10)), connectivity.PotentialPool(0.5, radius=2))
    assert not inp.connected


def test_potential_pool_repr_and_equality():
    pool = connectivity.PotentialPool(0.25, radius=3, wrap=True)
    assert repr(pool) == "PotentialPool(0.25, radius=3, wrap=True)"
    assert pool == connectivity.PotentialPool(0.25, 3, True) != connectivity.PotentialPool(0.25)
    assert (pool.fraction, pool.radius, pool.wrap) == (0.25, 3, True)
    assert synapses.PotentialPool is connectivity.PotentialPool


def _sparse_brain(seed=0):
    np.random.seed(seed)
    return brain.Brain(
        neuron.Neurons(50),
        sensor.Sensor(numerical.CyclicEncoder(0, 100, 300)),
        computation.SparseComputation(0.1, boost_strength=1.0),
        learning.HebbianLearning(0.02, 0.005),
        synapse_function=connectivity.PotentialPool(0.1),
    )


def test_checkpoints_store_sparse_connections_sparsely_and_load_them_bit_identically(tmp_path):
    model = _sparse_brain()
    values = np.random.default_rng(0).uniform(0, 100, 80)
    model.run(values[:40])
    checkpoint.save(model, tmp_path / "m.pbk")
    loaded = checkpoint.load(tmp_path / "m.pbk")
    assert loaded.neurons.input.sparse
    a, b = model.neurons.input.sparse_synapses, loaded.neurons.input.sparse_synapses
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
    del a, b
    assert np.array_equal(model.run(values[40:]), loaded.run(values[40:]))
    # The file holds the synapses, not a dense matrix: far smaller than 300 x 50 weights.
    assert (tmp_path / "m.pbk").stat().st_size < 300 * 50 * 8 / 2


def test_pickles_and_rollbacks_keep_sparse_connections():
    model = _sparse_brain()
    values = np.random.default_rng(1).uniform(0, 100, 40)
    model.run(values[:20])
    copy = pickle.loads(pickle.dumps(model))
    assert copy.neurons.input.sparse
    assert np.array_equal(model.run(values[20:]), copy.run(values[20:]))

    class Failing(learning.Learning):
        def __call__(self, neurons):
            learning.HebbianLearning(0.5, 0.5)(neurons)
            raise RuntimeError("boom")

    before = model.neurons.input.sparse_synapses.copy()
    model.learning = Failing()
    model.sensor.feed(3.0)
    model.compute()
    with pytest.raises(RuntimeError, match="boom"):
        model.learn()
    assert np.array_equal(model.neurons.input.sparse_synapses.data, before.data)


@pytest.mark.parametrize("indptr", [[0, 3, 1, 3], [0, 3, 0, 3], [1, 2, 3, 3], [0, 1, 2, 4]])
def test_malformed_compressed_weights_are_refused_before_scipy_touches_them(indptr):
    data, indices = np.array([0.1, 0.2, 0.3]), np.array([0, 1, 2])
    bad = scipy.sparse.csr_array((3, 3))
    bad.data, bad.indices, bad.indptr = data, indices, np.array(indptr)  # as a careless user might build it
    with pytest.raises(ValueError, match=r"sparse offsets \(indptr\) must start at 0, never fall"):
        neuron.Neurons(3).input.connect(synapses.Output(3), lambda pre, post: bad)


def test_complex_sparse_weights_are_refused():
    weights = scipy.sparse.csr_array(np.eye(3) * (1 + 1j))
    with pytest.raises(ValueError, match="real numbers, got dtype complex128"):
        neuron.Neurons(3).input.connect(synapses.Output(3), lambda pre, post: weights)


def test_what_is_built_from_a_view_is_a_plain_array_of_its_own():
    group, weights = _sparse_group()
    view = group.input.sparse_synapses
    for built in (view.copy(), view * 2.0, pickle.loads(pickle.dumps(view))):
        assert type(built) is scipy.sparse.csr_array
        assert not np.shares_memory(built.data, view.data)
    copy = view.copy()
    missing = np.argwhere(weights.toarray() == 0)[0]
    with pytest.warns(scipy.sparse.SparseEfficiencyWarning):
        copy[missing[0], missing[1]] = 0.5  # a plain array takes new entries (scipy warns it is slow)
    assert copy.nnz == view.nnz + 1


@pytest.mark.parametrize(
    "indptr, indices, match",
    [
        (lambda n: np.r_[0, n, np.full(299, 1)], None, "offsets"),
        (None, lambda i: np.r_[i[1], i[0], i[2:]], "strictly ascending"),
        (None, lambda i: np.r_[i[0], i[0], i[2:]], "strictly ascending"),
    ],
)
def test_checkpoints_with_malformed_sparse_synapses_are_corrupt(tmp_path, monkeypatch, indptr, indices, match):
    from protobrain.checkpoint import CorruptCheckpointError, saver
    from protobrain.proto import checkpoint_pb2 as pb

    model = _sparse_brain()
    view = model.neurons.input.sparse_synapses
    good = (view.indptr.astype("<i8"), view.indices.astype("<i8"), view.data.copy())
    del view
    bad_indptr = good[0] if indptr is None else indptr(len(good[1])).astype("<i8")
    bad_indices = good[1] if indices is None else indices(good[1]).astype("<i8")

    def write(saver_, obj, message, path):
        int64, float64 = pb.CheckpointArray.INT64, pb.CheckpointArray.FLOAT64
        message.indptr = saver_.array(int64, bad_indptr.shape, f"{path}.indptr", lambda: bad_indptr)
        message.indices = saver_.array(int64, bad_indices.shape, f"{path}.indices", lambda: bad_indices)
        message.data = saver_.array(float64, good[2].shape, f"{path}.data", lambda: good[2])

    monkeypatch.setattr(saver, "_save_sparse_synapses", write)
    checkpoint.save(model, tmp_path / "bad.pbk")
    with pytest.raises(CorruptCheckpointError, match=match):
        checkpoint.load(tmp_path / "bad.pbk")


def test_a_held_view_shows_every_learning_step():
    group, _ = _sparse_group(pre=300, post=200, density=0.05)
    view = group.input.sparse_synapses  # held across the steps
    rng = np.random.default_rng(2)
    for _ in range(20):
        group.input.source.values = (rng.random(300) < 0.2).astype(float)
        group.compute()
        group.learn()
    fresh = group.input.sparse_synapses.data.copy()
    assert np.array_equal(view.data, fresh)
