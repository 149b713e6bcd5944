"""File utilities for experiments and snapshots.

- :mod:`protobrain.util.proto_io`: length-prefixed streams of protobuf messages
  (:class:`~protobrain.util.proto_io.ProtoWriter`, :class:`~protobrain.util.proto_io.ProtoReader`);
- :mod:`protobrain.util.proto_parse`: the original name of :mod:`protobrain.messages`
  (protobuf messages to protobrain objects and back), kept as an alias;
- :mod:`protobrain.util.atomic`: files written whole or not at all.
"""
