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


# -- sequence memory (protobrain.sequence; rust/engine/src/sequence.rs) -------------------------------
M64 = (1 << 64) - 1


class Draws:
    """xorshift64*, seeded through splitmix64, and ``below(n) = ((bits >> 32) * n) >> 32``."""

    def __init__(self, seed):
        z = (seed + 0x9E3779B97F4A7C15) & M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        self.state = z if z else 0x9E3779B97F4A7C15

    def below(self, n):
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & M64
        x ^= x >> 27
        self.state = x
        bits = (x * 0x2545F4914F6CDD1D) & M64
        return ((bits >> 32) * n) >> 32


class SequenceMemory:
    """HTM temporal memory, written from the rules of rust/engine/src/sequence.rs with plain
    lists: a segment is ``[cell, ordinal, last_used, synapses]``, a synapse ``[presyn,
    permanence]``; segments of a cell are kept in creation order."""

    def __init__(
        self,
        columns,
        cells_per_column,
        activation_threshold,
        min_threshold,
        initial_permanence,
        connected_permanence,
        permanence_increment,
        permanence_decrement,
        predicted_segment_decrement,
        max_new_synapses,
        max_segments_per_cell,
        max_synapses_per_segment,
        seed,
    ):
        self.columns, self.cpc = columns, cells_per_column
        self.activation_threshold, self.min_threshold = activation_threshold, min_threshold
        self.initial, self.connected = initial_permanence, connected_permanence
        self.inc, self.dec, self.psd = permanence_increment, permanence_decrement, predicted_segment_decrement
        self.max_new, self.max_segments, self.max_synapses = (
            max_new_synapses,
            max_segments_per_cell,
            max_synapses_per_segment,
        )
        self.draws = Draws(seed)
        self.cell_segments = [[] for _ in range(columns * cells_per_column)]
        self.ordinal = 0
        self.iteration = 0
        self.active_cells, self.winner_cells = [], []
        self.active_segments, self.matching_segments = [], []  # lists of segment objects, by (cell, ordinal)
        self.potential = {}  # id(segment) -> active potential synapses of the active cells
        self.stale = False  # whether the two lists above are out of date
        self.plan = None  # what the last activation left for learn()
        self.anomaly = 0.0

    def reset(self):
        self.active_cells, self.winner_cells = [], []
        self.active_segments, self.matching_segments = [], []
        self.stale, self.plan = False, None

    def predicted_cells(self):
        self.predict()
        return sorted({seg[0] for seg in self.active_segments})

    def compute(self, columns, learn):
        self.activate(columns)
        if learn:
            self.learn()

    def predict(self):
        if self.stale:
            self.activate_dendrites()
            self.stale = False

    def activate(self, columns):
        columns = sorted(columns)
        self.predict()
        predicted_columns = {seg[0] // self.cpc for seg in self.active_segments}
        hit = sum(1 for c in columns if c in predicted_columns)
        self.anomaly = (len(columns) - hit) / len(columns) if columns else 0.0
        prev_active, prev_winners = set(self.active_cells), sorted(self.winner_cells)
        active_by_column, matching_by_column = {}, {}
        for seg in self.active_segments:
            active_by_column.setdefault(seg[0] // self.cpc, []).append(seg)
        for seg in self.matching_segments:
            matching_by_column.setdefault(seg[0] // self.cpc, []).append((seg, self.potential[id(seg)]))
        self.active_cells, self.winner_cells = [], []
        bursts = {}
        for column in columns:
            if column in active_by_column:
                for seg in active_by_column[column]:
                    if seg[0] not in self.active_cells:
                        self.active_cells.append(seg[0])
                        self.winner_cells.append(seg[0])
                continue
            first = column * self.cpc
            self.active_cells.extend(range(first, first + self.cpc))
            best = None
            for seg, potential in matching_by_column.get(column, []):  # most active potential synapses, first in order
                if best is None or potential > best[1]:
                    best = (seg, potential)
            if best is not None:
                cell = best[0][0]
            else:
                counts = [len(self.cell_segments[c]) for c in range(first, first + self.cpc)]
                ties = [first + k for k, n in enumerate(counts) if n == min(counts)]
                cell = ties[self.draws.below(len(ties))] if len(ties) > 1 else ties[0]
            self.winner_cells.append(cell)
            bursts[column] = (best, cell)
        self.active_cells.sort()
        self.winner_cells.sort()
        self.plan = (columns, prev_active, prev_winners, active_by_column, matching_by_column, bursts)
        self.stale = True

    def learn(self):
        if self.plan is None:
            return
        columns, prev_active, prev_winners, active_by_column, matching_by_column, bursts = self.plan
        self.plan = None
        self.iteration += 1
        for segs in active_by_column.values():
            for seg in segs:
                seg[2] = self.iteration
        active_set = set(columns)
        for column in sorted(active_set | set(active_by_column) | set(matching_by_column)):
            potential = {id(seg): p for seg, p in matching_by_column.get(column, [])}
            if column in active_set:
                if column in active_by_column:
                    for seg in active_by_column[column]:
                        self.reinforce(seg, potential[id(seg)], prev_active, prev_winners)
                else:
                    best, cell = bursts[column]
                    if best is not None:
                        self.reinforce(best[0], best[1], prev_active, prev_winners)
                    elif prev_winners:
                        wanted = min(self.max_new, len(prev_winners))
                        if wanted > 0:
                            seg = self.create_segment(cell)
                            self.grow(seg, wanted, prev_winners)
            elif self.psd > 0:
                for seg, _ in matching_by_column.get(column, []):
                    self.adapt(seg, prev_active, -self.psd, 0.0)
        self.stale = True

    def reinforce(self, seg, potential, prev_active, prev_winners):
        if self.adapt(seg, prev_active, self.inc, self.dec):
            wanted = max(self.max_new - potential, 0)
            if wanted > 0:
                self.grow(seg, wanted, prev_winners)

    def adapt(self, seg, prev_active, inc, dec):
        kept = []
        for syn in seg[3]:
            delta = inc if syn[0] in prev_active else -dec
            syn[1] = min(max(syn[1] + delta, 0.0), 1.0)
            if syn[1] > 0.0:
                kept.append(syn)
        seg[3] = kept
        if not kept:
            self.cell_segments[seg[0]].remove(seg)
            return False
        return True

    def grow(self, seg, wanted, prev_winners):
        on_segment = {syn[0] for syn in seg[3]}
        candidates = [c for c in prev_winners if c not in on_segment]
        n = min(wanted, len(candidates))
        if n == 0:
            return
        if len(seg[3]) + n > self.max_synapses:
            excess = len(seg[3]) + n - self.max_synapses
            order = sorted(range(len(seg[3])), key=lambda k: (seg[3][k][1], k))
            gone = set(order[:excess])
            seg[3] = [syn for k, syn in enumerate(seg[3]) if k not in gone]
        n = min(n, self.max_synapses - len(seg[3]))
        if n < len(candidates):
            for i in range(n):
                j = i + self.draws.below(len(candidates) - i)
                candidates[i], candidates[j] = candidates[j], candidates[i]
            chosen = candidates[:n]
        else:
            chosen = candidates
        for presyn in chosen:
            seg[3].append([presyn, self.initial])

    def create_segment(self, cell):
        segs = self.cell_segments[cell]
        if len(segs) >= self.max_segments:
            segs.remove(min(segs, key=lambda s: (s[2], s[1])))
        seg = [cell, self.ordinal, self.iteration, []]
        self.ordinal += 1
        segs.append(seg)
        return seg

    def activate_dendrites(self):
        active = set(self.active_cells)
        self.potential = {}
        self.active_segments, self.matching_segments = [], []
        for segs in self.cell_segments:
            for seg in segs:
                potential = sum(1 for syn in seg[3] if syn[0] in active)
                connected = sum(1 for syn in seg[3] if syn[0] in active and syn[1] >= self.connected)
                self.potential[id(seg)] = potential
                if connected >= self.activation_threshold:
                    self.active_segments.append(seg)
                if potential >= self.min_threshold:
                    self.matching_segments.append(seg)

    def segments(self):
        return [(seg[0], [(p, w) for p, w in seg[3]]) for segs in self.cell_segments for seg in segs]


# -- n-step-ahead prediction (protobrain.predictor; rust/engine/src/predictor.rs) ---------------------
class Classifier:
    """htm.core's ``Classifier`` with a dense ``(inputs, categories)`` weight matrix (None before
    anything is learned). ``infer`` adds the rows of the active inputs in ascending order to
    zeros, then a softmax: ``math.exp(v - max)`` per category, a running sum in category order,
    each divided by it. ``learn`` widens the matrix with zero columns up to the largest category,
    then adds ``alpha * (target - infer)`` to every active row, ``target`` being
    ``1 / len(categories)`` at each category."""

    def __init__(self, alpha):
        self.alpha = alpha
        self.weights = None

    @property
    def categories(self):
        return 0 if self.weights is None else self.weights.shape[1]

    def infer(self, active):
        if self.weights is None:
            return np.zeros(0)
        votes = np.zeros(self.weights.shape[1])
        for i in sorted(active):
            votes = votes + self.weights[i]
        peak = max(votes)
        exps = [math.exp(v - peak) for v in votes]
        total = 0.0
        for e in exps:
            total += e
        return np.array([e / total for e in exps])

    def learn(self, active, size, categories):
        needed = max(categories) + 1
        if self.weights is None:
            self.weights = np.zeros((size, needed))
        elif needed > self.weights.shape[1]:
            self.weights = np.hstack([self.weights, np.zeros((size, needed - self.weights.shape[1]))])
        target = np.zeros(self.weights.shape[1])
        target[list(categories)] = 1.0 / len(categories)
        error = target - self.infer(active)
        for i in sorted(active):
            self.weights[i] = self.weights[i] + self.alpha * error


class Predictor:
    """htm.core's ``Predictor``: a ``Classifier`` per step and the last ``max(steps) + 1`` patterns
    with their record numbers. ``learn`` first appends the pattern when its record is new (and
    drops the oldest beyond the limit), then teaches each classifier ``n`` the pattern of record
    ``record - n`` if the history holds it."""

    def __init__(self, steps, alpha):
        self.steps = sorted(steps)
        self.classifiers = {n: Classifier(alpha) for n in self.steps}
        self.history = []

    def reset(self):
        self.history = []

    def infer(self, active):
        return {n: self.classifiers[n].infer(active) for n in self.steps}

    def learn(self, record, active, size, categories):
        if not self.history or record > self.history[-1][0]:
            self.history.append((record, sorted(active)))
            self.history = self.history[-(self.steps[-1] + 1) :]
        for past, pattern in self.history:
            if record - past in self.classifiers:
                self.classifiers[record - past].learn(pattern, size, categories)


# The anomaly likelihood as protobrain/anomaly.py computed it in Python (Numenta's, see its
# module docs), kept as the oracle of the engine's.
_LIKELIHOOD_WINDOW = 10
_LIKELIHOOD_RED = 1.0 - 0.99999
_LIKELIHOOD_YELLOW = 1.0 - 0.999
_LIKELIHOOD_FLAT = (0.5, 1e6)


class _LikelihoodNormal:
    def __init__(self, mean, variance):
        self.mean, self.variance = mean, variance
        self.sd = math.sqrt(variance) if variance > 0 else 0.0

    def tail(self, x):
        if x < self.mean:
            x = 2 * self.mean - x
        z = (x - self.mean) / self.sd
        return 0.5 * math.erfc(z / 1.4142)


def _likelihood_count(value, name, low):
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


class AnomalyLikelihood:
    """Numenta's anomaly likelihood, step by step in Python (protobrain/anomaly.py's before
    the engine computed it)."""

    def __init__(self, learning_period=288, estimation_samples=100, historic_window=8640, reestimation_period=100):
        from collections import deque

        self.learning_period = _likelihood_count(learning_period, "learning_period", 0)
        self.estimation_samples = _likelihood_count(estimation_samples, "estimation_samples", 0)
        self.historic_window = _likelihood_count(historic_window, "historic_window", 1)
        self.reestimation_period = _likelihood_count(reestimation_period, "reestimation_period", 1)
        self._history = deque(maxlen=self.historic_window)
        self._steps = 0
        self._distribution = None
        self._window = []
        self._total = 0.0
        self._recent = []

    @property
    def probation(self):
        return self.learning_period + self.estimation_samples

    def update(self, raw_score, value=math.nan):
        raw = float(raw_score)
        if not 0.0 <= raw <= 1.0:
            raise ValueError(f"raw_score must be a number in [0, 1], got {raw_score!r}")
        if self._steps < self.probation:
            likelihood = 0.5
        else:
            if self._distribution is None or self._steps % self.reestimation_period == 0:
                self._estimate()
            assert self._distribution is not None
            average = self._average(raw)
            tail = self._distribution.tail(average)
            sequence = [*self._recent, tail]
            filtered = tail
            if len(sequence) > 1 and tail <= _LIKELIHOOD_RED and sequence[-2] <= _LIKELIHOOD_RED:
                filtered = _LIKELIHOOD_YELLOW
            self._recent = sequence[-_LIKELIHOOD_WINDOW:]
            likelihood = 1.0 - filtered
        self._history.append((float(value), raw))
        self._steps += 1
        return likelihood

    def _state(self):
        distribution = self._distribution
        return {
            "learning_period": self.learning_period,
            "estimation_samples": self.estimation_samples,
            "historic_window": self.historic_window,
            "reestimation_period": self.reestimation_period,
            "steps": self._steps,
            "history": np.array(self._history, dtype=np.float64).reshape(-1, 2),
            "distribution": None if distribution is None else (distribution.mean, distribution.variance),
            "window": np.array(self._window, dtype=np.float64),
            "total": self._total,
            "recent": np.array(self._recent, dtype=np.float64),
        }

    def _average(self, raw):
        if len(self._window) == _LIKELIHOOD_WINDOW:
            self._total -= self._window.pop(0)
        self._window.append(raw)
        self._total += raw
        return self._total / len(self._window)

    def _estimate(self):
        steps = self._steps
        skip = min(steps, max(0, self.learning_period - max(0, steps - self.historic_window)))
        self._window, self._total = [], 0.0
        averages = [self._average(raw) for _, raw in self._history]
        values = np.array([value for value, _ in self._history], dtype=np.float64)
        if len(averages) <= skip:
            mean, variance = _LIKELIHOOD_FLAT
        else:
            fitted = np.array(averages[skip:], dtype=np.float64)
            mean = max(float(fitted.mean()), 0.03)
            variance = max(float(fitted.var()), 0.0003)
        if not np.isnan(values).any() and values[skip:].size and float(values[skip:].var()) < 1.5e-5:
            mean, variance = _LIKELIHOOD_FLAT
        self._distribution = _LikelihoodNormal(mean, variance)
        tails = [self._distribution.tail(a) for a in averages]
        self._recent = tails[-_LIKELIHOOD_WINDOW:]
