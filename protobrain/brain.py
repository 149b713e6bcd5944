"""The brain: neurons fed by a sensor (docs/specification.md §6).

The documented loop is ``sensor.feed(v); brain.compute(); brain.learn()``. A brain compiles
its model into one engine network, so each of those calls crosses into Rust once, whatever
the number of layers; :meth:`Brain.run` runs a whole sequence in Rust.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, NamedTuple, overload

import numpy as np

from protobrain import _core, _graph, _rollback
from protobrain.computation import BUILTIN as _BUILTIN_COMPUTATIONS
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.category import CategoryEncoder
from protobrain.encoders.composite import CompositeEncoder, DayOfWeekEncoder, TimeOfDayEncoder
from protobrain.encoders.numerical import _encoder_inputs
from protobrain.learning import HebbianLearning
from protobrain.neuron import LayeredNeurons, Neurons, _unconnected_input_error
from protobrain.sensor import _BUILTIN_ENCODERS, Sensor
from protobrain.sequence import SequenceMemory, SequenceOutputs
from protobrain.synapses import Output

__all__ = ["Brain"]

#: Encoders whose whole batch :meth:`Brain.run` encodes before the first step.
_BATCH_ENCODERS = (ArrayEncoder, CategoryEncoder, CompositeEncoder, TimeOfDayEncoder, DayOfWeekEncoder)


class Brain(_graph.TracksStepMethods, _graph.Saveable):
    """Connects ``neurons.input = sensor`` and steps the neurons.

    A ``computation`` or ``learning`` given here is set on the neurons (on every layer);
    ``None`` leaves what the neurons already have. ``synapse_function`` draws the synapses
    from the sensor (for example :class:`~protobrain.connectivity.PotentialPool`); ``None``
    draws the default dense uniform weights.
    """

    def __init__(
        self,
        neurons: Any,
        sensor: Any,
        computation: Any = None,
        learning: Any = None,
        synapse_function: Any = None,
    ) -> None:
        self.neurons = neurons
        self.sensor = sensor
        if computation is not None:
            neurons.computation = computation
        if learning is not None:
            neurons.learning = learning
        if synapse_function is None:
            neurons.input = sensor
        else:
            neurons.input.connect(sensor, synapse_function)

    @property
    def neurons(self) -> Any:
        """The neurons the sensor feeds. Another group assigned here is stepped from the next
        call on; connecting its input is up to you."""
        return self._neurons

    @neurons.setter
    def neurons(self, value: Any) -> None:
        self._neurons = value
        _graph.changed()

    @property
    def sensor(self) -> Any:
        """The sensor feeding the neurons."""
        return self._sensor

    @sensor.setter
    def sensor(self, value: Any) -> None:
        self._sensor = value
        _graph.changed()

    @property
    def computation(self) -> Any:
        """The neurons' computation (a list, one per layer, for layered groups); assigning sets it on every layer."""
        return self.neurons.computation

    @computation.setter
    def computation(self, value: Any) -> None:
        self.neurons.computation = value

    @property
    def learning(self) -> Any:
        """The neurons' learning rule (a list, one per layer, for layered groups); assigning sets it on every layer."""
        return self.neurons.learning

    @learning.setter
    def learning(self, value: Any) -> None:
        self.neurons.learning = value

    @property
    def layers(self) -> list[Any]:
        """The groups of the brain in compute order (nested stacks flattened); what
        :meth:`run` records, in this order."""
        return self._compiled()[1]

    def compute(self) -> np.ndarray:
        """Compute the neurons from the sensor's current values; return their new values.

        If a part raises, the exception propagates unchanged and every output keeps the
        activity it had before the call (see ``docs/checkpoints.md``).
        """
        cache = self._compiled_cache()
        cache.check_connected()
        if cache.plan.guard_compute:
            with _rollback.whole_step(self, cache.plan, compute=True, learn=False):
                cache.network.compute()
                _noted(cache.sequences, getattr(self.sensor, "value", None))
        else:
            cache.network.compute()
            _noted(cache.sequences, getattr(self.sensor, "value", None))
        if cache.values_activity is not None and cache.version == _graph._version:  # a user part may relayer
            return cache.values_activity.snapshot()
        return self.neurons.values

    def learn(self) -> None:
        """Let the neurons learn from this step.

        If a Python learning rule raises, the exception propagates unchanged and every
        weight and output is as it was before the call.
        """
        network, _, plan = self._compiled_with_guards()
        if plan.guard_learn:
            with _rollback.whole_step(self, plan, compute=False, learn=True):
                network.learn()
        else:
            network.learn()

    @overload
    def run(
        self,
        values: Iterable[Any],
        learn: bool = True,
        record: bool | Sequence[int] = True,
        sequence_outputs: Literal[False] = False,
    ) -> list[np.ndarray]: ...

    @overload
    def run(
        self,
        values: Iterable[Any],
        learn: bool = True,
        record: bool | Sequence[int] = True,
        *,
        sequence_outputs: Literal[True],
    ) -> tuple[list[np.ndarray], list[SequenceOutputs]]: ...

    def run(
        self,
        values: Iterable[Any],
        learn: bool = True,
        record: bool | Sequence[int] = True,
        sequence_outputs: bool = False,
    ) -> list[np.ndarray] | tuple[list[np.ndarray], list[SequenceOutputs]]:
        """Feed, compute and (when ``learn``) learn for every value, in one call.

        Returns the recorded activity: for each group in :attr:`layers` order whose index
        is recorded (``record=True``: all; ``False``: none; or a list of indices), a bool
        array of shape ``(len(values),) + group.shape``. Results are bit-identical to the
        documented per-step loop. ``values`` may be any iterable (a generator is read
        whole first); with an :class:`~protobrain.encoders.array.ArrayEncoder` each value
        is an array (``values`` may be one array with a leading steps axis), encoded
        whole before the first step, as are the values of a
        :class:`~protobrain.encoders.category.CategoryEncoder`. With only built-in parts
        the whole run stays in Rust with
        the GIL released (held instead while a ``synapses`` view of the brain's weights is
        alive, so no other thread can write through it meanwhile); user parts are called
        back at their place in each step. When
        every part is built in, every value is checked before the first step; otherwise a
        bad value stops the run at its step (the steps before it stay done). Ctrl-C stops
        the run after a whole step (the brain stays usable) and raises KeyboardInterrupt.
        An exception from a user part propagates unchanged; the step it interrupted is
        undone, so the brain is as the previous whole step left it.

        With ``sequence_outputs=True`` it returns ``(activity, outputs)``: ``outputs`` has
        one :class:`~protobrain.sequence.SequenceOutputs` per
        :class:`~protobrain.sequence.SequenceMemory` among :attr:`layers`, in that order:
        each step's raw anomaly score and anomaly likelihood and, for a recorded layer,
        the cells it predicted for the next step. A value that is a real number is the
        stream value the likelihood sees (NaN otherwise: it only tells a flat stream).
        """
        if not isinstance(values, (Sequence, np.ndarray)):
            values = list(values)  # a generator or other iterable: its values, in order
        cache = self._compiled_cache()
        cache.check_connected()
        network, layers, plan = cache.network, cache.layers, cache.plan
        wanted = _record_mask(record, len(layers))
        steps = len(values)
        memories = [(i, layer) for i, layer in enumerate(layers) if isinstance(layer, SequenceMemory)]
        if network.builtin or (network.takes_patterns and _encodes_batches(self.sensor)):
            # The engine notes each memory's raw scores (and predictions, when recorded).
            predicted = [wanted[i] and sequence_outputs for i, _ in memories]
            with _rollback.whole_step(self, plan, compute=True, learn=False):
                if network.builtin:
                    done, recorded, interrupt, logs = network.run(
                        _encoder_inputs(values), bool(learn), wanted, predicted
                    )
                else:  # an array or category encoder: every value encoded before the first step
                    patterns = self.sensor.encoder.encode_batch(values).reshape(steps, self.sensor.output.size)
                    done, recorded, interrupt, logs = network.run_patterns(patterns, bool(learn), wanted, predicted)
            # The steps are done: what follows brings the likelihoods and the sensor up to
            # them, so a Ctrl-C now waits until it is whole.
            with _rollback.deferred_interrupt() as late:
                outputs = [
                    _logged_outputs(layer, anomalies, cells, values)
                    for (_, layer), (anomalies, cells) in zip(memories, logs)
                ]
                if done:
                    self.sensor._value = values[done - 1]
            if interrupt is not None:
                raise interrupt
            if late[0]:
                raise KeyboardInterrupt
        else:
            sizes = list(network.sizes)
            recorded = [np.zeros((steps, size), dtype=bool) if w else None for w, size in zip(wanted, sizes)]
            outputs = [_empty_outputs(layer, steps, wanted[i] and sequence_outputs) for i, layer in memories]
            with _rollback.deferred_interrupt() as interrupted:
                for step, value in enumerate(values):
                    if step:
                        # A user part may have changed the model (a parameter, a connection)
                        # during the last step; the documented loop would see that at its
                        # next compute(), so this run does too.
                        cache = self._compiled_cache()
                        network, now, plan = cache.network, cache.layers, cache.plan
                        if (
                            len(now) != len(layers)
                            or any(a is not b for a, b in zip(now, layers))
                            or (list(network.sizes) != sizes)
                        ):
                            raise ValueError(
                                f"the brain's groups changed during run() (before step {step}), so its "
                                "recordings no longer fit; step the brain instead"
                            )
                    with _rollback.whole_step(self, plan, compute=True, learn=bool(learn), feed=True):
                        self.sensor.feed(value)
                        network.compute()
                        _noted(cache.sequences, value)
                        if learn:
                            network.learn()
                    network.record(recorded, step)
                    for (_, layer), out in zip(memories, outputs):
                        out.anomaly[step] = layer.anomaly
                        out.likelihood[step] = layer.anomaly_likelihood
                        if out.predicted is not None:
                            out.predicted[step] = layer.predicted_cells
                    if interrupted[0]:
                        raise KeyboardInterrupt
        activity = [r.reshape((steps,) + layer.shape) for r, layer in zip(recorded, layers) if r is not None]
        if sequence_outputs:
            return activity, outputs
        return activity

    def _compiled(self) -> tuple[_core.Network, list[Any]]:
        network, layers, _ = self._compiled_with_guards()
        return network, layers

    def _compiled_with_guards(self) -> tuple[_core.Network, list[Any], _rollback.Plan]:
        """The compiled network, its groups, and what a failing step would need undone."""
        cache = self._compiled_cache()
        return cache.network, cache.layers, cache.plan

    def _compiled_cache(self) -> _Compiled:
        """What the model compiles to; rebuilt only when the model's structure changed."""
        cache: _Compiled | None = self.__dict__.get("_network_cache")
        if cache is None or cache.version != _graph._version:  # one check per step: keep it cheap
            network, layers, guard_compute, guard_learn, unconnected, sequences = _compile(self)
            plan = _rollback.plan(self, guard_compute, guard_learn)
            values_activity = _values_activity(self.neurons)
            cache = _Compiled(network, layers, plan, _graph.version(), values_activity, unconnected, sequences)
            self.__dict__["_network_cache"] = cache
        return cache

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_network_cache", None)
        return state

    def __repr__(self) -> str:
        return f"Brain({self.neurons!r}, {self.sensor!r})"


class _Compiled(NamedTuple):
    """What :meth:`Brain._compiled_cache` keeps between steps."""

    network: _core.Network
    #: The groups in compute order.
    layers: list[Any]
    #: What a failing step would need undone.
    plan: _rollback.Plan
    #: The model-structure version this was compiled at (see ``_graph``).
    version: int
    #: The buffer ``neurons.values`` snapshots, when that can be read directly.
    values_activity: _core.Activity | None
    #: A built-in computation's group and the name of an input of it that is not
    #: connected, found at compile time and raised at the next compute or run.
    unconnected: tuple[Any, str] | None
    #: The sequence memories the brain steps itself (their likelihoods are its to update),
    #: in the engine or, reading an object of yours, in Python.
    sequences: tuple[SequenceMemory, ...] = ()

    def check_connected(self) -> None:
        """Raise the error for :attr:`unconnected`, if there is one."""
        if self.unconnected is not None:
            raise _unconnected_input_error(*self.unconnected)


class _GroupSpec(NamedTuple):
    """One group as :class:`protobrain._core.Network` takes it, in compute order."""

    output: _core.Activity
    connections: list[_core.Connection]
    #: The engine's computation, or None when ``compute`` is called back.
    computation: _core.Computation | None
    #: The engine's learning rule, or None when ``learn`` (or nothing) is called.
    learning: _core.Hebbian | None
    #: The group's ``compute`` called back from the engine, for a part of yours.
    compute: Callable[[], object] | None
    #: The group's ``learn`` called back from the engine, for a part of yours.
    learn: Callable[[], object] | None
    #: The group's duty cycles, for a boosting computation.
    duty: _core.DutyCycles | None = None
    #: For a sequence memory the engine steps: the memory and the source of its columns.
    sequence: tuple[_core.SequenceMemory, _core.Source] | None = None


def _values_activity(neurons: Any) -> _core.Activity | None:
    """The engine buffer that ``neurons.values`` snapshots, when only the built-in
    ``values``/``output`` properties lie between them (so :meth:`Brain.compute` can
    snapshot it without the property hops); None when a subclass may define them its own way.
    Structural changes rebuild the cache this is kept in, so it follows relayering."""
    group = neurons
    while True:
        cls = type(group)
        if isinstance(group, LayeredNeurons):
            if cls.values is not LayeredNeurons.values or cls.output is not LayeredNeurons.output:
                return None
            group = group.layers[-1]
        elif isinstance(group, Neurons):
            if cls.values is not Neurons.values or cls.output is not Neurons.output:
                return None
            output = group.output
            return output._activity if type(output) is Output else None
        else:
            return None


def _record_mask(record: bool | Sequence[int], count: int) -> list[bool]:
    if record is True or record is False:
        return [record] * count
    mask = [False] * count
    for index in record:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not -count <= index < count:
            raise IndexError(f"record: no group {index!r}; the brain has {count} groups")
        mask[index] = True
    return mask


def _encodes_batches(sensor: Any) -> bool:
    """Whether ``sensor`` is a plain :class:`Sensor` whose encoder is a built-in one that
    encodes a whole batch at once, so a run can hand the engine every step's pattern."""
    return (
        type(sensor) is Sensor
        and type(sensor.encoder) in _BATCH_ENCODERS
        and not _overrides(sensor, ("feed",))
        and not _overrides(sensor.encoder, ("encode", "encode_batch"))
    )


def _groups(neurons: Any) -> list[Any]:
    """The groups in compute order: plain and layered groups are flattened; any other
    object (or one that overrides compute/learn) is one opaque group."""
    if type(neurons) is LayeredNeurons and not _overrides(neurons, ("compute", "learn")):
        return [g for layer in neurons.layers for g in _groups(layer)]
    return [neurons]


def _overrides(obj: Any, names: tuple[str, ...]) -> bool:
    return any(name in vars(obj) for name in names)


def _compile(
    brain: Brain,
) -> tuple[_core.Network, list[Any], bool, bool, tuple[Any, str] | None, tuple[SequenceMemory, ...]]:
    """The engine network of ``brain``, its groups in compute order, whether a compute
    step and a learn step call Python code (a group, computation or learning rule of yours),
    the first input a built-in computation would read that is not connected, and the
    sequence memories the engine steps."""
    layers = _groups(brain.neurons)
    specs: list[_GroupSpec] = []
    unconnected: tuple[Any, str] | None = None
    sequences: list[SequenceMemory] = []
    for group in layers:
        if isinstance(group, SequenceMemory) and any(group is other for other in sequences):
            raise ValueError(f"{group!r} is among the brain's groups twice; a sequence memory can be one group only")
        if type(group) is SequenceMemory and not _overrides(group, ("compute", "learn")):
            sequences.append(group)  # the brain feeds its likelihood the stream's values
            source = group.input._native_source() if group.input.connected else None
            if source is None:
                # Unconnected (it raises the error), or reading an object of yours: the
                # layer activates itself in Python.
                if not group.input.connected and unconnected is None:
                    unconnected = (group, SequenceMemory.MAIN_INPUT)
                compute = group._activate_from_input
                specs.append(_GroupSpec(group.output._activity, [], None, None, compute, group.learn))
            else:
                spec = _GroupSpec(group.output._activity, [], None, None, None, None, sequence=(group._native, source))
                specs.append(spec)
            continue
        native = type(group) is Neurons and not _overrides(group, ("compute", "learn"))
        # Binding the inputs first (after unpickling or loading they are not yet) is what
        # tells whether one reads a user object through a mirror refreshed in Python.
        connections = group._connections() if native else []
        if not native or any(i._mirror is not None for i in group.inputs.values() if i.connected):
            specs.append(_GroupSpec(group.output._activity, [], None, None, group.compute, group.learn, None))
            continue
        computation, learning = group.computation, group.learning
        builtin_computation = type(computation) in _BUILTIN_COMPUTATIONS
        builtin_learning = type(learning) is HebbianLearning
        if builtin_computation and unconnected is None:
            missing = [name for name, i in group.inputs.items() if not i.connected]
            unconnected = (group, missing[0]) if missing else None
        specs.append(
            _GroupSpec(
                group.output._activity,
                connections,
                computation._native if builtin_computation else None,
                learning._native if builtin_learning else None,
                None if builtin_computation else group.compute,
                None if builtin_learning or learning is None else group.learn,
                group._duty_cycles()._native if builtin_computation and computation.boosts else None,
            )
        )
    sensor = brain.sensor
    builtin_sensor = (
        type(sensor) is Sensor and type(sensor.encoder) in _BUILTIN_ENCODERS and not _overrides(sensor, ("feed",))
    )
    if builtin_sensor:
        network = _core.Network((sensor.encoder._native, sensor.output._activity), None, specs)
    else:
        # The engine may still write whole patterns into a sensor's output (batch-encoded
        # runs, probes) when that output is one of protobrain's buffers.
        output = getattr(sensor, "output", None)
        buffer = (None, output._activity) if type(output) is Output else None
        network = _core.Network(buffer, sensor.feed, specs)
    guard_compute = any(spec.compute is not None for spec in specs)
    guard_learn = any(spec.learn is not None for spec in specs)
    return network, layers, guard_compute, guard_learn, unconnected, tuple(sequences)


def _stream_value(value: Any) -> float:
    """What a step's value means to an anomaly likelihood: the number, or NaN when it is
    not one (an array, a tuple of a value and a timestamp, a category)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return math.nan


def _noted(sequences: Sequence[SequenceMemory], value: Any) -> None:
    """After the engine computed a step: each sequence memory's likelihood takes its raw score."""
    for layer in sequences:
        layer._noted(_stream_value(value))


def _logged_outputs(layer: SequenceMemory, anomalies: np.ndarray, predicted: Any, values: Any) -> SequenceOutputs:
    """A run's :class:`SequenceOutputs` of ``layer`` from what the engine noted at each
    activation (the raw scores, and the cells predicted for each step, made the step
    before); the likelihood takes each step's score now, in order."""
    done = len(anomalies)
    likelihood = layer._noted_batch(
        np.array([_stream_value(values[t]) for t in range(done)], dtype=np.float64), anomalies
    )
    cells_predicted: np.ndarray | None = None
    if predicted is not None:
        cells, ends = predicted
        flat = np.zeros((done, layer.columns * layer.cells_per_column), dtype=bool)
        counts = np.diff(np.concatenate(([0], ends.astype(np.int64))))
        step_of = np.repeat(np.arange(done), counts)
        later = step_of > 0  # predictions for step t were made at step t - 1
        flat[step_of[later] - 1, cells[later]] = True
        if done:
            flat[done - 1] = layer.predicted_cells.reshape(-1)
        cells_predicted = flat.reshape((done, *layer.shape))
    return SequenceOutputs(np.asarray(anomalies, dtype=np.float64), likelihood, cells_predicted)


def _empty_outputs(layer: SequenceMemory, steps: int, with_predicted: bool) -> SequenceOutputs:
    """Room for ``steps`` steps of ``layer``'s outputs, filled step by step."""
    predicted = np.zeros((steps, *layer.shape), dtype=bool) if with_predicted else None
    return SequenceOutputs(np.zeros(steps), np.full(steps, math.nan), predicted)
