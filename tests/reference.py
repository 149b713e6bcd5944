"""A plain numpy model of docs/specification.md, written straight from it and independent of protobrain.

The tests use it as the oracle: protobrain must give bit-identical activity and weights.
It is deliberately simple (Python loops over active rows, full-matrix masks), not fast.
"""

from __future__ import annotations

import math

import numpy as np


# -- docs/specification.md §3: activation and the two computations ----------------------------------
def activation(inputs, post_size, connected=None):
    """``inputs``: (pre values, W) pairs, W of shape pre_shape + post_shape, in input order.

    a[j] = sum over inputs, then over pre units i with v[i] != 0 in ascending i, of
    v[i] * W[i, j] (shapes flattened in C order). With ``connected`` set, W[i, j] is
    replaced by 1.0 where it is at least ``connected`` and 0.0 elsewhere.
    """
    a = np.zeros(post_size)
    for values, weights in inputs:
        v = np.asarray(values, dtype=np.float64).ravel()
        w = np.asarray(weights, dtype=np.float64).reshape(v.size, post_size)
        if connected is not None:
            w = np.where(w >= connected, 1.0, 0.0)
        for i in np.flatnonzero(v != 0):
            a += v[i] * w[i]
    return a


def standard(a, threshold):
    return a > threshold


def sparse(a, n):
    """k-winners: the k highest activations are 1, ties to the lower index (NaN lowest)."""
    k = n if isinstance(n, (int, np.integer)) else math.ceil(n * a.size)
    key = np.where(np.isnan(a), -np.inf, a)
    order = np.lexsort((np.arange(a.size), -key))
    out = np.zeros(a.size)
    out[order[:k]] = 1
    return out


def boosted(a, duty, target, strength):
    """Homeostasis (protobrain.homeostasis): ``a * exp((target - duty) * strength)``, unit by
    unit with ``math.exp`` (the C library's exp, which the engine calls too)."""
    return np.array([x * math.exp((target - d) * strength) for x, d in zip(a, duty)])


def update_duty(duty, steps, values, period):
    """One duty-cycle update: ``duty + (active - duty) / min(steps, period)`` after counting
    this update; returns the new duty cycles and count."""
    steps += 1
    active = (np.asarray(values).ravel() != 0).astype(np.float64)
    return duty + (active - duty) / float(min(steps, period)), steps


# -- docs/specification.md §4: Hebbian learning ---------------------------------------------------------
def hebbian(weights, pre_values, post_values, increase, decrease):
    shape = weights.shape
    pre = np.asarray(pre_values).ravel() == 1
    post = np.asarray(post_values).ravel() == 1
    w = weights.reshape(pre.size, post.size)
    new = w.copy()
    new[np.ix_(pre, ~post)] -= decrease
    new[np.ix_(~pre, post)] -= decrease
    new[np.ix_(pre, post)] += increase
    dead = w == 0
    new[dead] = w[dead]
    return np.clip(new, 0, 1).reshape(shape)


# -- docs/connectivity.md: potential pools ---------------------------------------------------------------
def candidates(pre_shape, post_shape, radius, wrap, unit):
    """The flat input indices unit ``unit`` (flat, C order) of a group of ``post_shape``
    may connect to: every input without a radius; otherwise the inputs whose coordinate
    is within ``radius`` of the unit's centre ``floor((c + 0.5) * in / out)`` in every
    dimension, clipped to the input, or taken modulo its size when ``wrap``."""
    size = int(np.prod(pre_shape))
    if radius is None:
        return list(range(size))
    coords = np.unravel_index(unit, post_shape)
    per_dim = []
    for c, n_in, n_out in zip(coords, pre_shape, post_shape):
        centre = math.floor((c + 0.5) * n_in / n_out)
        near = range(centre - radius, centre + radius + 1)
        per_dim.append(sorted({x % n_in for x in near}) if wrap else [x for x in near if 0 <= x < n_in])
    found = []
    for index in range(size):
        point = np.unravel_index(index, pre_shape)
        if all(x in allowed for x, allowed in zip(point, per_dim)):
            found.append(index)
    return found


def pool_size(fraction, candidate_count):
    """A unit's number of synapses: ``fraction * candidates`` rounded half to even."""
    return int(np.rint(fraction * candidate_count))


# -- docs/specification.md §5: encoders --------------------------------------------------------------
def simple_encode(value, min_value, max_value, length, sparsity=0.02):
    w = math.ceil(sparsity * length)
    start = int((float(value) - min_value) / (max_value - min_value) * (length - w))
    out = np.zeros(length)
    out[start : start + w] = 1
    return out


def cyclic_encode(value, min_value, max_value, length, sparsity=0.02):
    w = math.ceil(sparsity * length)
    start = int((float(value) - min_value) / (max_value - min_value) * (length - 1))
    out = np.zeros(length)
    out[(start + np.arange(w)) % length] = 1
    return out


# -- a small network model -----------------------------------------------------------------
class Sensor:
    def __init__(self, kind, min_value, max_value, length, sparsity=0.02):
        self.encode = simple_encode if kind == "simple" else cyclic_encode
        self.params = (min_value, max_value, length, sparsity)
        self.values = np.zeros(length)

    def feed(self, value):
        self.values = self.encode(value, *self.params)

    def flat(self):
        return self.values


class Group:
    """A group of neurons: flat values and named inputs (source, weights), in order."""

    def __init__(self, shape):
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.size = int(np.prod(self.shape))
        self.values = np.zeros(self.size)
        self.inputs = {"main": None}  # a fresh group has an unconnected 'main' input first
        self.duty, self.duty_steps = np.zeros(self.size), 0
        self.boost = None  # (strength, period) of the last boosting computation

    def flat(self):
        return self.values

    def set(self, name, source, weights):
        self.inputs[name] = [source, np.array(weights, dtype=np.float64)]

    def compute(self, computation):
        """``computation``: ("standard", threshold) or ("sparse", n), and optionally a third
        item, the ``connected`` weight threshold (or None), and a fourth, the boost
        ``(strength, period)`` of a sparse computation."""
        kind, param, *options = computation
        connected = [entry for entry in self.inputs.values() if entry is not None]
        a = activation([(src.flat(), w) for src, w in connected], self.size, *options[:1])
        self.boost = options[1] if len(options) > 1 and options[1][0] > 0 else None
        if kind == "sparse" and self.boost is not None:
            k = param if isinstance(param, (int, np.integer)) else math.ceil(param * self.size)
            a = boosted(a, self.duty, k / self.size, self.boost[0])
        self.values = (standard(a, param) if kind == "standard" else sparse(a, param)).astype(np.float64)

    def learn(self, increase, decrease):
        for entry in self.inputs.values():
            if entry is None:
                continue
            source, weights = entry
            entry[1] = hebbian(weights, source.flat(), self.values, increase, decrease)
        if self.boost is not None:
            self.duty, self.duty_steps = update_duty(self.duty, self.duty_steps, self.values, self.boost[1])


class Model:
    """A sensor feeding layers that compute in order, then learn in order."""

    def __init__(self, sensor, layers):
        self.sensor, self.layers = sensor, layers

    def step(self, value, computation, learning=None):
        self.sensor.feed(value)
        for layer in self.layers:
            layer.compute(computation)
        if learning is not None:
            for layer in self.layers:
                layer.learn(*learning)
        return [layer.values for layer in self.layers]


def benchmark_model(layer_sizes=(100, 100, 100), sensor_length=1024, min_value=0, max_value=100, seed=0):
    """The original benchmark script's model, drawing weights in its order: the layers'
    feed-forward synapses first, then the sensor's."""
    np.random.seed(seed)
    layers = [Group(n) for n in layer_sizes]
    for before, after in zip(layers, layers[1:]):
        after.set("main", before, np.random.uniform(0, 1, before.shape + after.shape))
    sensor = Sensor("cyclic", min_value, max_value, sensor_length)
    layers[0].set("main", sensor, np.random.uniform(0, 1, (sensor_length,) + layers[0].shape))
    return Model(sensor, layers)
