"""Whole steps: a step that raises leaves the brain as it was before the step.

:class:`~protobrain.brain.Brain` steps a compiled engine network, which calls Python parts
(your computations, learning rules, groups, encoders) back at their place in the step.
When one of them raises, the exception propagates unchanged, and what the step had
already changed is put back:

- ``Brain.compute()``: the activity of every output of the model (every group, the sensor,
  any other output a source reads) and the state of every sequence memory, when the step
  calls Python code. (A k-winners asking
  for more units than its group has fails in the engine before any group changes.)
- ``Brain.learn()``: the activity and every weight of the model, when a learning rule is
  written in Python (built-in learning never raises).
- ``Brain.run()`` stepping in Python (some part is not built in): per step, the activity,
  the sensor's last value and, when learning with a Python rule, every weight. A Ctrl-C
  (SIGINT with Python's default handler, in the main thread) is held back until the step
  in progress is whole, like the all-Rust run does, then raised.

What a Python part changes outside the model (its own attributes, files, other objects)
is its business: it is not rolled back.

Which objects to snapshot is worked out when the brain compiles its model (once per model
structure, see :mod:`_graph`).
"""

from __future__ import annotations

import contextlib
import copy
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from protobrain import _core, connectivity
from protobrain._parts import parts
from protobrain.sequence import SequenceMemory
from protobrain.synapses import Input, Output

__all__ = ["Plan", "deferred_interrupt", "plan", "whole_step"]


@dataclass(frozen=True)
class Plan:
    """What a step of one brain can change, for its current structure."""

    activities: tuple[_core.Activity, ...]
    inputs: tuple[Input, ...]
    #: The sequence memories (their cells, segments and likelihoods change every step).
    memories: tuple[SequenceMemory, ...]
    #: A compute step calls Python code.
    guard_compute: bool
    #: A learn step calls Python code.
    guard_learn: bool


def plan(brain: Any, guard_compute: bool, guard_learn: bool) -> Plan:
    """The :class:`Plan` of ``brain``, whose compiled network calls Python code when
    computing (``guard_compute``) or learning (``guard_learn``): which parts are Python is
    the compiler's decision, so it is passed in, not worked out again here. The brain keeps
    the plan with its compiled network (both are rebuilt when the structure changes)."""
    activities, inputs, memories = _reachable(brain)
    return Plan(tuple(activities), tuple(inputs), tuple(memories), guard_compute, guard_learn)


def _reachable(brain: Any) -> tuple[list[_core.Activity], list[Input], list[SequenceMemory]]:
    """Every output activity, connected input and sequence memory reachable from the
    brain's neurons and sensor, following the model's parts (:func:`~protobrain._parts.parts`)."""
    activities: dict[int, _core.Activity] = {}
    inputs: dict[int, Input] = {}
    memories: dict[int, SequenceMemory] = {}
    seen: set[int] = set()
    stack = [part.obj for part in parts(brain)]
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Output):
            activities[id(obj._activity)] = obj._activity
        elif isinstance(obj, Input) and obj.connected:
            inputs[id(obj)] = obj
        elif isinstance(obj, SequenceMemory):
            memories[id(obj)] = obj
        stack.extend(part.obj for part in parts(obj))
    return list(activities.values()), list(inputs.values()), list(memories.values())


class _Snapshot:
    """The state a step may change, taken before the step; :meth:`restore` puts it back."""

    def __init__(self, brain: Any, the_plan: Plan, sensor: bool, weights: bool) -> None:
        self.activities = [(a, a.snapshot()) for a in the_plan.activities]
        # A sequence memory's state is copied whole: its cells, segments, pending learning
        # and random generator, and its likelihood.
        self.memories = [
            (
                m,
                m._native.copy(),
                m.likelihood,
                copy.deepcopy(vars(m.likelihood) if m.likelihood else {}),
                m._likelihood_score,
            )
            for m in the_plan.memories
        ]
        self.sensor = brain.sensor if sensor and "_value" in vars(brain.sensor) else None
        self.value = self.sensor._value if self.sensor is not None else None
        self.weights: list[tuple[_core.Connection, Any]] = []
        if weights:
            for inp in the_plan.inputs:
                connection = inp._connection if inp._connection is not None else inp._native()
                self.weights.append((connection, connectivity.weights_copy(connection)))

    def restore(self) -> None:
        for activity, values in self.activities:
            activity.assign(values)
        for memory, native, likelihood, likelihood_state, score in self.memories:
            memory._native.assign(native)
            memory.likelihood = likelihood  # the same object, its state put back
            if likelihood is not None:
                vars(likelihood).clear()
                vars(likelihood).update(copy.deepcopy(likelihood_state))
            memory._likelihood_score = score
        if self.sensor is not None:
            self.sensor._value = self.value
        for connection, weights in self.weights:
            connectivity.restore(connection, weights)


@contextlib.contextmanager
def whole_step(brain: Any, the_plan: Plan, *, compute: bool, learn: bool, feed: bool = False) -> Iterator[None]:
    """Run the body as one step of ``brain`` (whose :class:`Plan` is ``the_plan``): if it
    raises, restore what it changed and re-raise.

    ``compute``/``learn``/``feed`` say what the body does. Nothing is snapshotted when the
    body cannot fail part-way (only built-in parts and no feeding).
    """
    guard_weights = learn and the_plan.guard_learn
    if not (feed or guard_weights or (compute and the_plan.guard_compute)):
        yield
        return
    snapshot = _Snapshot(brain, the_plan, sensor=feed, weights=guard_weights)
    try:
        yield
    except BaseException:
        snapshot.restore()
        raise


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[list[bool]]:
    """Hold back SIGINT: yields a one-item list that becomes ``[True]`` when one arrived.

    Only in the main thread and while Python's default SIGINT handler is installed (a
    handler of your own is left alone, and so is its behaviour). The caller raises
    ``KeyboardInterrupt`` at a point where the model is whole.
    """
    flag = [False]
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield flag
        return

    def note(signum: int, frame: Any) -> None:
        flag[0] = True

    signal.signal(signal.SIGINT, note)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
