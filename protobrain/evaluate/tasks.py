"""The benchmark's tasks: what a brain is trained on and which probes measure it.

- :class:`CyclicTask`: the original protobrain benchmark. A cyclic sensor over 0..100
  sees 0, 1, ..., 99, 0, 1, ... Probes: noise robustness of the codes of 0..99, their
  stability at five checkpoints, and (with scikit-learn) a readout of the input's bucket
  of ten (0-9, 10-19, ...) trained on the codes of the whole numbers 0..99 and scored on
  the half-way values 0.5..98.5, so the decoder must generalise to inputs it never saw.
- :class:`DigitsTask`: scikit-learn's handwritten digits (``load_digits``: 1,797 8x8
  images of 0..16, bundled in the scikit-learn wheel, nothing downloaded), each pixel
  encoded by a :class:`~protobrain.encoders.numerical.SimpleEncoder`. The brain learns on
  one half (stratified, fixed seed) and the readout of the digit is trained on that half's
  codes and scored on the other half's; noise robustness and stability use the first
  100 test images.

:func:`build_brain` builds the benchmark's model for a task: feed-forward layers with
k-winners (``SparseComputation``) and a Hebbian set-up or none.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.numerical import CyclicEncoder, SimpleEncoder
from protobrain.evaluate.probes import NoiseRobustnessProbe, Probe, ReadoutProbe, StabilityProbe
from protobrain.evaluate.readout import buckets

__all__ = ["TASKS", "CyclicTask", "DigitsTask", "Task", "build_brain", "has_readout", "make_task"]


def has_readout() -> bool:
    """Whether scikit-learn (the ``evaluate`` extra) imports, so readouts can run."""
    try:
        import sklearn.linear_model  # noqa: F401  (optional extra: whether it imports is the question)
    except ImportError:
        return False
    return True


class Task:
    """What a benchmark trains a brain on and how it measures it."""

    name: str = ""

    def sensor(self) -> sensor.Sensor:
        """A new sensor for one brain."""
        raise NotImplementedError

    def inputs(self) -> list[Any]:
        """The training inputs, in order."""
        raise NotImplementedError

    def probes(self, readout: bool = True) -> list[Probe]:
        """The probes to take around each brain's run; the readout only when ``readout``."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for a report's heading."""
        raise NotImplementedError


@dataclasses.dataclass
class CyclicTask(Task):
    """The original benchmark: a cyclic sensor of ``sensor_bits`` bits over 0..100, fed
    0..99 cycled for ``steps`` steps."""

    sensor_bits: int = 1024
    steps: int = 500
    name: str = "cyclic"

    def sensor(self) -> sensor.Sensor:
        return sensor.Sensor(CyclicEncoder(0, 100, self.sensor_bits))

    def inputs(self) -> list[Any]:
        return [step % 100 for step in range(self.steps)]

    def probes(self, readout: bool = True) -> list[Probe]:
        values = list(range(100))
        found: list[Probe] = [
            NoiseRobustnessProbe(values),
            StabilityProbe(values, every=max(1, self.steps // 5)),
        ]
        if readout:
            halves = [v + 0.5 for v in range(99)]
            found.append(ReadoutProbe(values, buckets(values, 0, 100, 10), halves, buckets(halves, 0, 100, 10)))
        return found

    def describe(self) -> str:
        return f"cyclic sensor {self.sensor_bits} bits, inputs 0..99 cycled, {self.steps} steps"


@dataclasses.dataclass
class DigitsTask(Task):
    """Handwritten digits: each of the 64 pixels (0..16) encoded by
    ``SimpleEncoder(0, 16, pixel_bits, pixel_sparsity)``; the brain trains on one half of
    the 1,797 images, ``epochs`` times (each epoch in its own shuffled order, from ``seed``)."""

    pixel_bits: int = 16
    pixel_sparsity: float = 0.25
    epochs: int = 1
    seed: int = 0
    name: str = "digits"

    def __post_init__(self) -> None:
        if not has_readout():  # the data and the readout both come with scikit-learn
            raise ImportError("the digits task needs scikit-learn: pip install 'protobrain[evaluate]'")
        self.train_images, self.test_images, self.train_labels, self.test_labels = _digits_split(self.seed)

    def sensor(self) -> sensor.Sensor:
        return sensor.Sensor(ArrayEncoder(SimpleEncoder(0, 16, self.pixel_bits, self.pixel_sparsity), (8, 8)))

    def inputs(self) -> list[Any]:
        rng = np.random.default_rng(self.seed)
        order = np.concatenate([rng.permutation(len(self.train_images)) for _ in range(self.epochs)])
        return list(self.train_images[order])

    def probes(self, readout: bool = True) -> list[Probe]:
        probe_images = list(self.test_images[:100])
        steps = self.epochs * len(self.train_images)
        found: list[Probe] = [
            NoiseRobustnessProbe(probe_images),
            StabilityProbe(probe_images, every=max(1, steps // 5)),
        ]
        if readout:
            found.append(
                ReadoutProbe(list(self.train_images), self.train_labels, list(self.test_images), self.test_labels)
            )
        return found

    def describe(self) -> str:
        return (
            f"digits: {len(self.train_images)} training images x {self.epochs} "
            f"epoch{'s' if self.epochs != 1 else ''}, {len(self.test_images)} test, "
            f"{self.pixel_bits} bits per pixel"
        )


@functools.lru_cache(maxsize=4)
def _digits_split(seed: int) -> tuple[np.ndarray, ...]:
    """scikit-learn's digits as float64 images, split in stratified halves by ``seed``:
    (train images, test images, train labels, test labels), read-only. Kept, so a sweep's
    many digits tasks read the file and split it once per process. Needs scikit-learn
    (the caller checks it is there)."""
    from sklearn.datasets import load_digits  # optional extra: only this task needs it
    from sklearn.model_selection import train_test_split  # (same)

    digits = load_digits()
    images = digits.images.astype(np.float64)
    split = train_test_split(images, digits.target, test_size=0.5, stratify=digits.target, random_state=seed)
    for array in split:
        array.flags.writeable = False
    return tuple(split)


#: The tasks by name, as ``protobrain benchmark --task`` and sweeps name them.
TASKS = {"cyclic": CyclicTask, "digits": DigitsTask}


def make_task(name: str, **settings: Any) -> Task:
    """The task called ``name`` with ``settings``; ValueError naming an unknown task."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; the tasks are {', '.join(sorted(TASKS))}")
    return TASKS[name](**settings)  # type: ignore[no-any-return]


def build_brain(
    task: Task,
    layers: Sequence[int],
    sparsity: float,
    rule: tuple[float, ...] | None,
    *,
    connected: float | None = None,
    boost_strength: float = 0.0,
    duty_cycle_period: int = 1000,
    synapse_function: Any = None,
) -> brain.Brain:
    """The benchmark's model: feed-forward layers of ``layers`` units fed by the task's
    sensor, computing with ``SparseComputation(sparsity, connected, boost_strength,
    duty_cycle_period)`` and learning with ``HebbianLearning(*rule)`` (``rule=None``: no
    learning). Every connection draws its synapses with ``synapse_function`` (None: dense
    uniform weights; e.g. ``PotentialPool(0.5)``), from numpy's global random state, as
    every protobrain connection draws them."""
    learn = None if rule is None else learning.HebbianLearning(*rule)
    group = neuron.FeedForward([neuron.Neurons(size) for size in layers], synapse_function=synapse_function)
    comp = computation.SparseComputation(sparsity, connected, boost_strength, duty_cycle_period)
    return brain.Brain(group, task.sensor(), comp, learn, synapse_function=synapse_function)
