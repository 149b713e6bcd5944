"""Protocol-buffer messages of experiments and snapshots (proto2, package ``protobrain.proto``).

The ``.proto`` files sit next to the generated modules, which the package ships so that
nobody needs ``protoc`` (``scripts/gen_proto.py`` regenerates them):

- :mod:`~protobrain.proto.encoder_pb2`: ``Encoder`` (with the ``SimpleEncoder`` and
  ``CyclicEncoder`` extensions) and ``SensorValue``;
- :mod:`~protobrain.proto.experiment_pb2`: ``Experiment``, ``Cortex`` and the optional
  ``Computation``, ``Learning`` and ``seed`` settings;
- :mod:`~protobrain.proto.sdr_pb2`: ``SparseDistributedRepresentation``;
- :mod:`~protobrain.proto.snapshot_pb2`: ``Snapshot``, ``CorticalSnapshot``,
  ``SensorSnapshot``;
- :mod:`~protobrain.proto.checkpoint_pb2`: ``Checkpoint``, the header of a saved model
  (see :mod:`protobrain.checkpoint` and ``docs/checkpoints.md``).

Field numbers are those of the original project, so its files still parse; fields added
since have new numbers. See ``docs/experiments.md``.
"""

from protobrain.proto import encoder_pb2, sdr_pb2  # isort: skip (dependencies first)
from protobrain.proto import checkpoint_pb2, experiment_pb2, snapshot_pb2

__all__ = ["checkpoint_pb2", "encoder_pb2", "experiment_pb2", "sdr_pb2", "snapshot_pb2"]
