"""A network's activity as arrays: :class:`Recording`, from a live brain, ``Brain.run``'s
recording or a snapshot file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from protobrain.messages import decode_sdr, decode_value
from protobrain.proto import snapshot_pb2
from protobrain.util.proto_io import ProtoReader

#: Anything the pictures of :mod:`~protobrain.plot.activity` (``raster``, ``spike_counts``,
#: ``density``, ``overview``) take: a Brain (with ``values``), a Recording, a recording as
#: returned by ``Brain.run`` (a list of arrays, or one array), or the path of a snapshot file.
ActivitySource = Union["Recording", Sequence[np.ndarray], np.ndarray, str, "os.PathLike[str]", Any]


def _layer_names(count: int) -> list[str]:
    """The names of ``count`` layers known only by their position: ``"layer 0"``, ``"layer 1"``, ..."""
    return [f"layer {index}" for index in range(count)]


def _is_brain(source: Any) -> bool:
    """Whether ``source`` looks like a :class:`~protobrain.brain.Brain` (it runs and has layers)."""
    return hasattr(source, "run") and hasattr(source, "layers")


@dataclasses.dataclass
class Recording:
    """The activity of a model's layers over a run of steps.

    Args:
        layers: one array per layer, of shape ``(steps,) + layer shape`` (any dtype; a unit
            is active where the value is not 0), all with the same number of steps.
        names: a name per layer; ``"layer 0"``, ``"layer 1"``, ... by default.
        values: the value fed at each step, when known.
        sensor: the sensor's activity, shape ``(steps,) + sensor shape``, when known.

    The arrays are kept as bool arrays; :meth:`flat` gives one as ``(steps, units)``.
    """

    layers: list[np.ndarray]
    names: list[str] | None = None
    values: list[Any] | None = None
    sensor: np.ndarray | None = None

    def __post_init__(self) -> None:
        if isinstance(self.layers, np.ndarray):
            self.layers = [self.layers]
        arrays = [np.asarray(layer) for layer in self.layers]
        if not arrays:
            raise ValueError("a recording needs at least one layer")
        for index, array in enumerate(arrays):
            if array.ndim < 2:
                raise ValueError(
                    f"layer {index}: a recording has shape (steps,) + layer shape, got an array of shape {array.shape}"
                )
        steps = {array.shape[0] for array in arrays}
        if len(steps) != 1:
            raise ValueError(f"the layers' recordings have different numbers of steps: {sorted(steps)}")
        self.layers = [array != 0 if array.dtype != np.bool_ else array for array in arrays]
        if self.names is None:
            self.names = _layer_names(len(arrays))
        elif len(self.names) != len(arrays):
            raise ValueError(f"{len(self.names)} names for {len(arrays)} layers")
        if self.values is not None and len(self.values) != self.steps:
            raise ValueError(f"{len(self.values)} values for {self.steps} steps")
        if self.sensor is not None:
            self.sensor = np.asarray(self.sensor) != 0
            if self.sensor.shape[0] != self.steps:
                raise ValueError(f"the sensor's recording has {self.sensor.shape[0]} steps, the layers {self.steps}")

    @property
    def steps(self) -> int:
        """The number of recorded steps."""
        return int(self.layers[0].shape[0])

    @property
    def layer_names(self) -> list[str]:
        """The name of every layer, in order."""
        assert self.names is not None
        return list(self.names)

    def flat(self, layer: int) -> np.ndarray:
        """Layer ``layer``'s activity as a ``(steps, units)`` bool array."""
        array = self.layers[layer]
        return array.reshape(array.shape[0], -1)

    def spike_counts(self) -> list[np.ndarray]:
        """Per layer, how many steps each unit was active in (flat int64 arrays)."""
        return [np.count_nonzero(self.flat(i), axis=0).astype(np.int64) for i in range(len(self.layers))]

    def densities(self) -> np.ndarray:
        """The fraction of active units, shape ``(steps, layers)``."""
        return np.stack([self.flat(i).mean(axis=1) for i in range(len(self.layers))], axis=1)


def record(brain: Any, values: Sequence[Any], learn: bool = True) -> Recording:
    """Step ``brain`` through ``values`` with ``brain.run`` and return what every layer did.

    The brain learns at every step unless ``learn`` is False (its weights change).
    """
    activity = brain.run(values, learn=learn, record=True)
    return Recording(activity, values=list(values))


def read_snapshots(path: str | os.PathLike[str]) -> Recording:
    """Read a snapshot stream (``protobrain experiment``'s output) into a :class:`Recording`.

    Holds ``steps x units`` bytes per layer. Raises ``OSError`` when the file cannot be read,
    ``ValueError`` (:class:`~protobrain.util.proto_io.ProtoStreamError` included) for a
    truncated or corrupt stream, a stream with no steps, and layers that change shape.
    """
    layers: list[list[np.ndarray]] = []
    shapes: list[tuple[int, ...]] = []
    sensor: list[np.ndarray] = []
    values: list[Any] = []
    with open(path, "rb") as file:
        for step, snapshot in enumerate(ProtoReader(file, snapshot_pb2.Snapshot)):
            sdrs = list(snapshot.cortex.sdr)
            if step == 0:
                shapes = [tuple(sdr.shape) for sdr in sdrs]
                layers = [[] for _ in sdrs]
            if [tuple(sdr.shape) for sdr in sdrs] != shapes:
                raise ValueError(f"step {step}: the layers' shapes changed from {shapes}")
            for frames, sdr in zip(layers, sdrs):
                frames.append(decode_sdr(sdr) != 0)
            if snapshot.sensor.HasField("sdr") and len(sensor) == step:
                sensor.append(decode_sdr(snapshot.sensor.sdr) != 0)
            values.append(decode_value(snapshot.sensor.value))
    if not values:
        raise ValueError(f"{os.fspath(path)} holds no snapshots")
    if not layers:
        raise ValueError(f"the snapshots in {os.fspath(path)} hold no layers")
    steps = len(values)
    return Recording(
        [np.stack(frames) for frames in layers],
        values=values,
        sensor=np.stack(sensor) if len(sensor) == steps else None,
    )


def _recording(source: ActivitySource, values: Sequence[Any] | None, learn: bool) -> Recording:
    """Turn any activity source (see :data:`ActivitySource`) into a Recording."""
    if isinstance(source, Recording):
        return source
    if isinstance(source, (str, os.PathLike)):
        return read_snapshots(source)
    if _is_brain(source):
        if values is None:
            raise TypeError("to plot a live brain, pass the values to feed it: plot.raster(brain, values)")
        return record(source, values, learn=learn)
    if isinstance(source, np.ndarray):
        return Recording([source])
    if isinstance(source, (list, tuple)):
        return Recording(list(source))
    raise TypeError(
        "expected a Brain (with values), a Recording, a list of recorded arrays or a snapshot file path, "
        f"got {type(source).__name__}"
    )
