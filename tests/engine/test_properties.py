"""Property tests: random models in protobrain and in the numpy reference agree exactly."""

import numpy as np
import reference
from hypothesis import given
from hypothesis import strategies as st

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders import numerical
from protobrain.synapses import Input, Output, OutputMerge

shapes = st.one_of(
    st.integers(1, 12).map(lambda n: (n,)),
    st.tuples(st.integers(1, 4), st.integers(1, 4)),
)


def weight_maker(rng, special):
    """Weights in [0, 1) with some dead (0) and, with ``special``, some outside [0, 1]."""

    def make(pre, post):
        w = rng.uniform(0, 1, pre + post)
        w[rng.uniform(size=w.shape) < 0.1] = 0.0
        w[rng.uniform(size=w.shape) < 0.05] = 1.0
        if special:
            w[rng.uniform(size=w.shape) < 0.05] = -0.25
            w[rng.uniform(size=w.shape) < 0.05] = 1.5
        return w

    return make


@st.composite
def models(draw):
    layer_shapes = draw(st.lists(shapes, min_size=1, max_size=3))
    kind = draw(st.sampled_from(["simple", "cyclic"]))
    length = draw(st.integers(1, 40))
    sparsity = draw(st.floats(0.01, 1.0))
    low = draw(st.integers(-50, 50))
    high = low + draw(st.integers(1, 100))
    comp = draw(
        st.one_of(
            st.tuples(st.just("sparse"), st.floats(0.01, 1.0)),
            st.tuples(st.just("sparse"), st.integers(1, min(int(np.prod(s)) for s in layer_shapes))),
            st.tuples(st.just("standard"), st.floats(0.0, 3.0)),
        )
    )
    rates = draw(st.one_of(st.none(), st.tuples(st.floats(0, 0.3), st.floats(0, 0.3))))
    extras = draw(st.lists(st.tuples(st.sampled_from(["loop", "back"]), st.integers(0, 2)), max_size=3))
    values = draw(st.lists(st.floats(low, high), min_size=1, max_size=12))
    seed = draw(st.integers(0, 2**32 - 1))
    special = draw(st.booleans())
    return layer_shapes, (kind, low, high, length, sparsity), comp, rates, extras, values, seed, special


def build(spec):
    layer_shapes, enc, comp, rates, extras, values, seed, special = spec
    make = weight_maker(np.random.default_rng(seed), special)
    drawn = []

    def sf(pre, post):
        drawn.append(make(pre, post))
        return drawn[-1]

    # protobrain
    layers = [neuron.Neurons(s) for s in layer_shapes]
    stack = neuron.FeedForward(layers, synapse_function=sf)
    for kind, i in extras:
        i = i % len(layers)
        if kind == "loop":
            layers[i].set("neighbors", layers[i], sf)
        elif i + 1 < len(layers):
            layers[i].set("feedback", layers[i + 1], sf)
    kind_, low, high, length, sparsity = enc
    encoder_class = numerical.SimpleEncoder if kind_ == "simple" else numerical.CyclicEncoder
    s = sensor.Sensor(encoder_class(low, high, length, sparsity))
    c = computation.SparseComputation(comp[1]) if comp[0] == "sparse" else computation.StandardComputation(comp[1])
    hebb = learning.HebbianLearning(*rates) if rates else None
    layers[0].set("main", s, sf)  # Brain then finds the sensor connected and keeps these
    brain.Brain(stack, s, computation=c, learning=hebb)

    # reference, with the same weights in the same order
    ref_layers = [reference.Group(shape) for shape in layer_shapes]
    ref_sensor = reference.Sensor(kind_, low, high, length, sparsity)
    it = iter(drawn)
    for before, after in zip(ref_layers, ref_layers[1:]):
        after.set("main", before, next(it))
    for kind, i in extras:
        i = i % len(layers)
        if kind == "loop":
            ref_layers[i].set("neighbors", ref_layers[i], next(it))
        elif i + 1 < len(layers):
            ref_layers[i].set("feedback", ref_layers[i + 1], next(it))
    ref_layers[0].set("main", ref_sensor, next(it))
    return s, stack, reference.Model(ref_sensor, ref_layers)


@given(models())
def test_random_models_match_the_reference_step_by_step(spec):
    s, stack, ref = build(spec)
    comp, rates, values = spec[2], spec[3], spec[5]
    for t, value in enumerate(values):
        s.feed(value)
        stack.compute()
        if rates:
            stack.learn()
        expected = ref.step(value, comp, rates)
        assert np.array_equal(s.values, ref.sensor.values), t
        for layer, want in zip(stack.layers, expected):
            assert np.array_equal(layer.values.ravel(), want), t
        for layer, ref_layer in zip(stack.layers, ref.layers):
            assert list(layer.inputs) == list(ref_layer.inputs)
            for name, inp in layer.inputs.items():
                assert np.array_equal(inp.synapses, ref_layer.inputs[name][1]), (t, name)


activity_values = st.sampled_from([0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.5, -1.0])


@given(shapes, shapes, st.data())
def test_activation_and_learning_on_arbitrary_activity(pre_shape, post_shape, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    pre = np.array(
        data.draw(st.lists(activity_values, min_size=int(np.prod(pre_shape)), max_size=int(np.prod(pre_shape))))
    )
    post = np.array(
        data.draw(st.lists(activity_values, min_size=int(np.prod(post_shape)), max_size=int(np.prod(post_shape))))
    )
    weights = rng.uniform(-0.5, 1.5, pre_shape + post_shape)
    src = Output(pre_shape)
    src.values = pre.reshape(pre_shape)
    n = neuron.Neurons(post_shape)
    n.set("main", src, lambda p, q: weights)
    threshold = data.draw(st.floats(0, 2))
    got = computation.StandardComputation(threshold)(**n.inputs)
    want = reference.standard(reference.activation([(pre, weights)], post.size), threshold)
    assert np.array_equal(got.ravel(), want)
    n.output.values = post.reshape(post_shape)
    rates = (data.draw(st.floats(0, 0.5)), data.draw(st.floats(0, 0.5)))
    learning.HebbianLearning(*rates)(n)
    assert np.array_equal(n.input.synapses, reference.hebbian(weights, pre, post, *rates))


@given(st.integers(1, 2), st.data())
def test_merged_and_sliced_sources_match_their_values(ndim, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    rows = data.draw(st.integers(1, 4))
    widths = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    members = [Output((w,) if ndim == 1 else (rows, w)) for w in widths]
    for m in members:
        m.values = rng.integers(0, 3, m.shape)
    step = data.draw(st.integers(1, 3))
    sources = [OutputMerge(members), OutputMerge([m[..., ::step] for m in members]), members[0][::-1]]
    for source in sources:
        inp = Input("x", 3)
        weights = rng.uniform(size=tuple(source.shape) + (3,))
        inp.connect(source, lambda p, q, w=weights: w)
        assert np.array_equal(inp.values, source.values)
        got = computation.StandardComputation(0.5)(x=inp)
        want = reference.standard(reference.activation([(source.values, weights)], 3), 0.5)
        assert np.array_equal(got, want)
        for m in members:  # the connection follows later changes of the members
            m.values = rng.integers(0, 3, m.shape)
        got = computation.StandardComputation(0.5)(x=inp)
        want = reference.standard(reference.activation([(source.values, weights)], 3), 0.5)
        assert np.array_equal(got, want)
