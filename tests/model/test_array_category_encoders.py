"""ArrayEncoder, CategoryEncoder and ``encode_batch`` (docs/encoders.md, docs/specification.md §5).

An ArrayEncoder's code is, element by element, what its scalar encoder gives (and what
the numpy reference of §5 gives); a batch is the stack of the single encodings. Brain.run
with these encoders is tested in tests/engine/test_pattern_runs.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import reference
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from protobrain.encoders import Encoder
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.category import CategoryEncoder
from protobrain.encoders.numerical import CyclicEncoder, NumericalEncoder, SimpleEncoder
from protobrain.sensor import Sensor


def bits(array):
    return "".join(str(int(b)) for b in array)


def reference_encode(encoder, value):
    """§5's band for one element, from tests/reference.py (plain numpy, not protobrain)."""
    encode = reference.simple_encode if type(encoder) is SimpleEncoder else reference.cyclic_encode
    return encode(value, encoder.min_value, encoder.max_value, encoder.length, encoder.sparsity)


# -- ArrayEncoder: every element encoded by its scalar encoder ------------------------------------------

element_shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


@st.composite
def array_cases(draw):
    """A scalar encoder (integer or non-integer bounds), an element shape, and a batch of
    values in range (floats, or ints when the bounds allow), at most 4 steps."""
    kind = draw(st.sampled_from([SimpleEncoder, CyclicEncoder]))
    if draw(st.booleans()):
        low = draw(st.integers(-50, 50))
        high = low + draw(st.integers(1, 100))
    else:
        low = draw(st.floats(-100, 100, allow_nan=False, allow_infinity=False))
        high = low + draw(st.floats(0.01, 200))
    length = draw(st.integers(1, 40))
    sparsity = draw(st.floats(0.01, 1.0))
    encoder = kind(low, high, length, sparsity)
    shape = draw(element_shapes)
    steps = draw(st.integers(1, 4))
    if isinstance(low, int) and draw(st.booleans()):
        dtype, elements = np.int64, st.integers(low, high)
    else:
        dtype, elements = np.float64, st.floats(low, high)
    values = draw(hnp.arrays(dtype, (steps, *shape), elements=elements))
    return encoder, shape, values


@given(array_cases())
def test_every_element_is_encoded_by_the_scalar_encoder_and_the_reference(case):
    encoder, shape, values = case
    array_encoder = ArrayEncoder(encoder, shape)
    assert array_encoder.shape == shape + (encoder.length,)
    assert array_encoder.element_shape == shape
    batch = array_encoder.encode_batch(values)
    assert batch.dtype == bool and batch.shape == (len(values), *shape, encoder.length)
    for t, value in enumerate(values):
        code = array_encoder.encode(value)
        assert code.dtype == np.float64 and code.shape == shape + (encoder.length,)
        assert np.array_equal(batch[t], code != 0), t
        assert set(np.unique(code)) <= {0.0, 1.0}
        for index in np.ndindex(shape):
            expected = encoder.encode(value[index])
            assert np.array_equal(code[index], expected), (t, index)
            assert np.array_equal(code[index], reference_encode(encoder, value[index])), (t, index)
    # a list of arrays is the same batch
    assert np.array_equal(array_encoder.encode_batch(list(values)), batch)


def test_the_specification_vectors_element_by_element():
    simple = ArrayEncoder(SimpleEncoder(1, 4, 5, sparsity=0.4), (2, 2))
    code = simple.encode([[1, 2], [3, 4]])
    assert [bits(code[i, j]) for i in range(2) for j in range(2)] == ["11000", "01100", "00110", "00011"]
    cyclic = ArrayEncoder(CyclicEncoder(1, 5, 5, sparsity=0.4), 5)
    assert [bits(row) for row in cyclic.encode([1, 2, 3, 4, 5])] == ["11000", "01100", "00110", "00011", "10001"]
    # §5's rounding vector: 0.29 * 100 is 28.999999999999996
    rounding = ArrayEncoder(CyclicEncoder(0, 1, 101, sparsity=0.005), (3,))
    assert [np.flatnonzero(row).tolist() for row in rounding.encode([0.29, 0.3, 1])] == [[28], [30], [100]]


def test_values_of_any_real_dtype_and_nested_lists_encode_alike():
    encoder = ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (2, 3))
    want = encoder.encode(np.array([[0.0, 1, 2], [8, 15, 16]]))
    for value in (
        [[0, 1, 2], [8, 15, 16]],
        np.array([[0, 1, 2], [8, 15, 16]], dtype=np.int64),
        np.array([[0, 1, 2], [8, 15, 16]], dtype=np.uint8),
        np.array([[0, 1, 2], [8, 15, 16]], dtype=np.float32),
        ((0, 1, 2), (8, 15, 16)),
    ):
        assert np.array_equal(encoder.encode(value), want)
    # exactly 2**53 is a float64; an int64 array holding it encodes
    big = ArrayEncoder(SimpleEncoder(0, 2**54, 10, 0.1), (2,))
    assert np.flatnonzero(big.encode(np.array([0, 2**53], dtype=np.int64))[1]).tolist() == [4]


def test_attributes_default_value_and_a_new_sensor():
    element = CyclicEncoder(-1, 1, 12, 0.25)
    encoder = ArrayEncoder(element, (2, 3))
    assert encoder.encoder is element and encoder.shape == (2, 3, 12)
    assert np.array_equal(encoder.default_value, np.full((2, 3), -1.0))
    assert repr(encoder) == f"ArrayEncoder({element!r}, (2, 3))"
    assert ArrayEncoder(element, 4).element_shape == (4,)
    s = Sensor(encoder)  # a new sensor reads min_value everywhere
    assert s.shape == (2, 3, 12) and np.array_equal(s.value, np.full((2, 3), -1.0))
    assert np.array_equal(s.values, np.broadcast_to(element.encode(-1), (2, 3, 12)))
    s.feed(np.zeros((2, 3)))
    assert np.array_equal(s.values, np.broadcast_to(element.encode(0), (2, 3, 12)))
    with pytest.raises(ValueError, match=r"value 2 at element \(1, 0\) is outside"):
        s.feed([[0, 0, 0], [2, 0, 0]])
    assert np.array_equal(s.value, np.zeros((2, 3)))  # a refused value changes nothing
    assert np.array_equal(s.values, np.broadcast_to(element.encode(0), (2, 3, 12)))


def test_the_element_encoder_is_read_at_every_encoding():
    element = SimpleEncoder(0, 10, 20, 0.1)
    encoder = ArrayEncoder(element, (2,))
    before = encoder.encode([5, 10])
    element.sparsity = 0.25
    element.max_value = 20
    after = encoder.encode([5, 10])
    assert after.sum() == 2 * 5 and not np.array_equal(before, after)
    assert np.array_equal(after[1], element.encode(10))


def test_the_default_value_follows_a_new_min_value():
    encoder = ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (2,))
    encoder.encoder.min_value = 5
    assert np.array_equal(Sensor(encoder).value, [5.0, 5.0])


def test_an_empty_batch_array_encodes_to_no_rows():
    encoder = ArrayEncoder(SimpleEncoder(0, 1, 8, 0.25), (2, 3))
    out = encoder.encode_batch(np.zeros((0, 2, 3)))
    assert out.shape == (0, 2, 3, 8) and out.dtype == bool


# -- ArrayEncoder: what it refuses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.ones((3, 2)), r"arrays of shape \(2, 3\) expected, got shape \(3, 2\)"),
        (np.ones(6), r"arrays of shape \(2, 3\) expected, got shape \(6,\)"),
        (np.ones((1, 2, 3)), r"got shape \(1, 2, 3\)"),
        (5.0, r"got shape \(\)"),
        ([[1, 2, np.nan], [1, 1, 1]], r"value nan at element \(0, 2\) is outside the encoder's range"),
        ([[1, 2, 3], [1, 1, np.inf]], r"value inf at element \(1, 2\) is outside"),
        ([[1, 2, 3], [-0.5, 1, 1]], r"value -0.5 at element \(1, 0\) is outside .*\[0.0, 16.0\]"),
        ([[1, 2, 3], [1, 17, 1]], r"value 17 at element \(1, 1\) is outside"),
        (np.ones((2, 3), dtype=bool), "encodes real numbers, got an array of dtype bool"),
        (np.full((2, 3), "1"), "encodes real numbers, got an array of dtype <U1"),
        ([["1", "2", "3"], ["4", "5", "6"]], "encodes real numbers, got an array of dtype <U1"),
        (np.ones((2, 3), dtype=object), "encodes real numbers that fit a float64; got an array of objects"),
        (np.ones((2, 3), dtype=complex), "encodes real numbers, got an array of dtype complex128"),
        ([[1, 2, 3], [4, None, 6]], "encodes real numbers that fit a float64; got an array of objects"),
    ],
)
def test_a_bad_value_raises_naming_it(value, match):
    encoder = ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (2, 3))
    with pytest.raises(ValueError, match=match):
        encoder.encode(value)


def test_a_bad_value_in_a_batch_names_its_step_and_element():
    encoder = ArrayEncoder(CyclicEncoder(0, 16, 16, 0.25), (2, 3))
    values = np.full((6, 2, 3), 3.0)
    values[4, 1, 2] = 16.5
    values[5, 0, 0] = np.nan  # only the first bad one is named
    with pytest.raises(ValueError, match=r"value 16.5 at step 4, element \(1, 2\) is outside .*\[0.0, 16.0\]"):
        encoder.encode_batch(values)
    with pytest.raises(ValueError, match=r"got shape \(3, 2\)"):
        encoder.encode_batch(np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match="not an array of values of shape"):
        encoder.encode_batch([np.zeros((2, 3)), np.zeros((3, 2))])


def test_a_ragged_value_gets_the_array_encoder_message():
    encoder = ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (2, 3))
    with pytest.raises(ValueError, match="ArrayEncoder: not an array of value"):
        encoder.encode([[1, 2, 3], [4, 5]])


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_integers_float64_cannot_hold_are_refused(dtype):
    encoder = ArrayEncoder(SimpleEncoder(0, 2**54, 10, 0.1), (3,))
    with pytest.raises(ValueError, match=r"value 9007199254740993 at element \(1,\) is not exactly a float64"):
        encoder.encode(np.array([0, 2**53 + 1, 2**53 + 1], dtype=dtype))
    with pytest.raises(ValueError, match=r"value 9007199254740993 at element \(2,\) is not exactly a float64"):
        encoder.encode([0, 2**53, 2**53 + 1])  # Python ints, in an int64 array
    with pytest.raises(ValueError, match=r"value 9007199254740993 at step 1, element \(0,\)"):
        encoder.encode_batch(np.array([[0, 1, 2], [2**53 + 1, 0, 0]], dtype=dtype))


def test_the_largest_integers_are_refused_without_a_warning():
    encoder = ArrayEncoder(SimpleEncoder(-(2**64), 2**64, 10, 0.1), (2,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="is not exactly a float64"):
            encoder.encode(np.array([0, 2**63 - 1], dtype=np.int64))


def test_a_bool_among_numbers_is_refused():
    encoder = ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (3,))
    with pytest.raises(ValueError, match="True"):
        encoder.encode([1, True, 2])


@pytest.mark.parametrize(
    ("element", "match"),
    [
        (CategoryEncoder(["a"]), "ArrayEncoder needs a SimpleEncoder or CyclicEncoder, got CategoryEncoder"),
        (NumericalEncoder(0, 1, 4), "got NumericalEncoder"),
        (3, "got int"),
        (None, "got NoneType"),
        (lambda v: v, "got function"),
    ],
)
def test_the_element_encoder_must_be_a_numerical_one(element, match):
    with pytest.raises(TypeError, match=match):
        ArrayEncoder(element, (2,))


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((), r"ArrayEncoder shape must have at least one dimension, got \(\)"),
        (0, "ArrayEncoder shape: every dimension must be a positive int, got 0"),
        ((2, 0), r"ArrayEncoder shape: every dimension must be a positive int, got \(2, 0\)"),
        (-1, "every dimension must be a positive int, got -1"),
        ((True, 2), r"every dimension must be a positive int, got \(True, 2\)"),
        ((2.0,), r"every dimension must be a positive int, got \(2.0,\)"),
        (2.0, "ArrayEncoder shape must be an int or a tuple of ints, got 2.0"),
        (None, "ArrayEncoder shape must be an int or a tuple of ints, got None"),
        ("ab", "every dimension must be a positive int, got 'ab'"),
    ],
)
def test_a_bad_shape_is_refused(shape, match):
    with pytest.raises(ValueError, match=match):
        ArrayEncoder(SimpleEncoder(0, 1, 4), shape)


# -- CategoryEncoder ---------------------------------------------------------------------------------

categories = st.lists(st.one_of(st.integers(-20, 20), st.text(max_size=3)), min_size=1, max_size=8, unique=True)


@given(categories, st.integers(1, 6), st.data())
def test_each_category_has_its_own_band_in_order(cats, width, data):
    encoder = CategoryEncoder(cats, width)
    assert encoder.shape == (len(cats) * width,) and encoder.width == width
    assert encoder.categories == tuple(cats)
    codes = np.array([encoder.encode(c) for c in cats])
    assert codes.dtype == np.float64
    for i, code in enumerate(codes):
        assert np.flatnonzero(code).tolist() == list(range(i * width, (i + 1) * width))
        assert encoder.index(cats[i]) == i
    assert np.array_equal(codes.sum(axis=0), np.ones(len(cats) * width))  # no overlap, every bit used
    values = data.draw(st.lists(st.sampled_from(cats), max_size=10))
    batch = encoder.encode_batch(values)
    assert batch.dtype == bool and batch.shape == (len(values), len(cats) * width)
    for t, value in enumerate(values):
        assert np.array_equal(batch[t], encoder.encode(value) != 0), t
    assert np.array_equal(encoder.encode_batch(tuple(values)), batch)
    assert np.array_equal(encoder.encode_batch(v for v in values), batch)  # any iterable


def test_numpy_categories_and_values_are_the_python_ones():
    python = CategoryEncoder([1, "a", 2.5], width=3)
    numpy_ = CategoryEncoder([np.int64(1), np.str_("a"), np.float64(2.5)], width=3)
    for value in (1, "a", 2.5, np.int64(1), np.int32(1), np.str_("a"), np.float64(2.5), 1.0):
        assert np.array_equal(python.encode(value), numpy_.encode(value)), value
    assert np.array_equal(python.encode(np.int64(1)), python.encode(1))
    assert np.array_equal(python.encode(np.str_("a")), python.encode("a"))
    from_array = CategoryEncoder(np.array(["x", "y", "z"]), width=2)
    assert np.array_equal(from_array.encode_batch(np.array(["z", "x"])), from_array.encode_batch(["z", "x"]))
    assert np.flatnonzero(from_array.encode("y")).tolist() == [2, 3]
    assert CategoryEncoder([1], np.int64(4)).shape == (4,)


def test_a_category_sensor_shows_nothing_before_a_value():
    encoder = CategoryEncoder(["cat", "dog", "fish"], width=4)
    assert encoder.default_value is None and encoder.shape == (12,)
    assert np.flatnonzero(encoder.encode("dog")).tolist() == [4, 5, 6, 7]
    assert repr(encoder) == "CategoryEncoder(['cat', 'dog', 'fish'], width=4)"
    s = Sensor(encoder)
    assert s.value is None and not s.values.any()
    s.feed("fish")
    assert s.value == "fish" and np.flatnonzero(s.values).tolist() == [8, 9, 10, 11]
    with pytest.raises(ValueError, match="unknown category 'bird'"):
        s.feed("bird")
    assert s.value == "fish" and np.flatnonzero(s.values).tolist() == [8, 9, 10, 11]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([],), "CategoryEncoder needs at least one category"),
        ((iter(()),), "CategoryEncoder needs at least one category"),
        ((["a", "b", "a"],), "CategoryEncoder: category 'a' is given twice"),
        (([1, 1.0],), "CategoryEncoder: category 1.0 is given twice"),
        (([1, True],), "CategoryEncoder: category True is given twice"),
        ((["a", [1, 2]],), r"CategoryEncoder: category \[1, 2\] is not hashable"),
        ((["a", {}],), r"CategoryEncoder: category \{\} is not hashable"),
        ((["a"], 0), "CategoryEncoder width must be an int >= 1, got 0"),
        ((["a"], -2), "CategoryEncoder width must be an int >= 1, got -2"),
        ((["a"], True), "CategoryEncoder width must be an int >= 1, got True"),
        ((["a"], 2.0), "CategoryEncoder width must be an int >= 1, got 2.0"),
        ((["a"], "2"), "CategoryEncoder width must be an int >= 1, got '2'"),
    ],
)
def test_bad_categories_or_width_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        CategoryEncoder(*args)


def test_an_unknown_category_is_named():
    encoder = CategoryEncoder(["a", "b", 3], width=2)
    with pytest.raises(ValueError, match=r"unknown category 'z'; the categories are 'a', 'b', 3$"):
        encoder.encode("z")
    with pytest.raises(ValueError, match=r"unknown category \[1\]"):  # unhashable: unknown too
        encoder.encode([1])
    with pytest.raises(ValueError, match="unknown category '3'"):
        encoder.encode("3")
    with pytest.raises(ValueError, match="unknown category 'c'"):
        encoder.encode_batch(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="unknown category 4"):
        encoder.index(4)
    many = CategoryEncoder(range(12))
    with pytest.raises(ValueError, match=r"unknown category 12; the categories are 0, 1, .*, 9, \.\.\.$"):
        many.encode(12)


# -- Encoder.encode_batch: the default for encoders of yours ------------------------------------------


class Digits(Encoder):
    """A user encoder: a 2x2 code with values other than 0 and 1."""

    def __init__(self):
        super().__init__(default_value=None, shape=(2, 2))
        self.calls = 0

    def encode(self, value):
        self.calls += 1
        return np.array([value % 3, 0, value // 3 % 3, -value * (value % 2)])  # flat: reshaped by the default


def test_the_default_encode_batch_stacks_encode():
    encoder = Digits()
    values = [0, 1, 2, 3, 4, 5, 7]
    batch = encoder.encode_batch(values)
    assert batch.dtype == bool and batch.shape == (7, 2, 2) and encoder.calls == 7
    for t, value in enumerate(values):
        assert np.array_equal(batch[t], (encoder.encode(value) != 0).reshape(2, 2))
    assert np.array_equal(encoder.encode_batch(v for v in values), batch)  # any iterable
    empty = encoder.encode_batch([])
    assert empty.shape == (0, 2, 2) and empty.dtype == bool
    assert encoder.encode_batch(iter(())).shape == (0, 2, 2)


# -- NumericalEncoder.encode_batch ---------------------------------------------------------------------


@given(
    st.sampled_from([SimpleEncoder, CyclicEncoder]),
    st.floats(-100, 100),
    st.floats(0.01, 100),
    st.integers(1, 40),
    st.floats(0.01, 1.0),
    st.data(),
)
def test_numerical_encode_batch_is_the_stack_of_encode(kind, low, span, length, sparsity, data):
    encoder = kind(low, low + span, length, sparsity)
    values = data.draw(st.lists(st.floats(low, low + span), max_size=12))
    batch = encoder.encode_batch(values)
    assert batch.dtype == bool and batch.shape == (len(values), length)
    for t, value in enumerate(values):
        assert np.array_equal(batch[t], encoder.encode(value) != 0), t
    for same in (tuple(values), np.array(values, dtype=np.float64), (v for v in values)):
        assert np.array_equal(encoder.encode_batch(same), batch)


def test_numerical_encode_batch_takes_ints_and_mixed_lists():
    encoder = SimpleEncoder(0, 10, 8, 0.25)
    want = np.array([encoder.encode(v) != 0 for v in (0, 3, 10)])
    for values in ([0, 3, 10], (0, 3.0, np.int64(10)), np.array([0, 3, 10], dtype=np.uint8), iter([0, 3, 10])):
        assert np.array_equal(encoder.encode_batch(values), want)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ([1, 2, float("nan")], r"value NaN is outside the encoder's range \[0, 10\] \(at position 2\)"),
        (np.array([1, 2, 11.0]), r"value 11 is outside the encoder's range \[0, 10\] \(at position 2\)"),
        (np.array([1, 11, 2]), r"value 11 is outside .* \(at position 1\)"),
        ([-1, 2], r"value -1 is outside .* \(at position 0\)"),
        ([1, "x"], r"encodes real numbers, got 'x' \(at position 1\)"),
        ([1, None, 2], r"encodes real numbers, got None \(at position 1\)"),
        (np.array([True, False]), r"encodes real numbers, got np.True_ \(at position 0\)"),
        ("12", r"encodes real numbers, got '1' \(at position 0\)"),
        (np.ones((2, 2)), r"encodes real numbers, got array\(\[1., 1.\]\) \(at position 0\)"),
    ],
)
def test_numerical_encode_batch_names_the_position_of_a_bad_value(values, match):
    with pytest.raises(ValueError, match=match):
        SimpleEncoder(0, 10, 8, 0.25).encode_batch(values)


def test_numerical_encode_batch_refuses_integers_float64_cannot_hold():
    encoder = CyclicEncoder(0, 2**54, 8, 0.25)
    for values in ([0, 1, 2**53 + 1], np.array([0, 1, 2**53 + 1], dtype=np.int64)):
        with pytest.raises(ValueError, match=r"value 9007199254740993 is not exactly a float64.*\(at position 2\)"):
            encoder.encode_batch(values)
    assert encoder.encode_batch(np.array([0, 2**53], dtype=np.int64)).shape == (2, 8)


def test_the_numerical_base_class_does_not_encode_batches():
    with pytest.raises(NotImplementedError, match="NumericalEncoder is a base class"):
        NumericalEncoder(0, 1, 4).encode_batch([0.5])


def test_numerical_encode_batch_refuses_a_bool_among_numbers():
    with pytest.raises(ValueError, match=r"got True \(at position 1\)"):
        SimpleEncoder(0, 10, 8, 0.25).encode_batch([1, True])
