"""Length-prefixed message streams (protobrain.util.proto_io) and atomic files (util.atomic)."""

from __future__ import annotations

import io
import os

import pytest

from protobrain.proto import encoder_pb2, experiment_pb2, sdr_pb2, snapshot_pb2
from protobrain.util import atomic, proto_io
from protobrain.util.proto_io import ProtoReader, ProtoStreamError, ProtoWriter


def _sdr(shape, on_bits):
    return sdr_pb2.SparseDistributedRepresentation(shape=shape, on_bits=on_bits)


def _snapshots():
    return [
        snapshot_pb2.Snapshot(
            cortex=snapshot_pb2.CorticalSnapshot(sdr=[_sdr([10], [1, 4]), _sdr([2, 3], [5])]),
            sensor=snapshot_pb2.SensorSnapshot(value=encoder_pb2.SensorValue(int=step), sdr=_sdr([8], [step])),
        )
        for step in range(4)
    ] + [snapshot_pb2.Snapshot()]  # an empty message is a valid record of length 0


def _stream(messages):
    buffer = io.BytesIO()
    writer = ProtoWriter(buffer)
    for message in messages:
        writer.write(message)
    return buffer.getvalue()


def test_framing_is_a_4_byte_big_endian_length_then_the_message():
    message = experiment_pb2.Experiment(cortex=experiment_pb2.Cortex(layer=[300] * 100))
    body = message.SerializeToString()
    assert len(body) > 255  # the length needs two bytes, so byte order matters
    buffer = io.BytesIO()
    assert ProtoWriter(buffer).write(message) == 4 + len(body)
    assert buffer.getvalue() == len(body).to_bytes(4, "big") + body


@pytest.mark.parametrize(
    "messages",
    [
        _snapshots(),
        [experiment_pb2.Experiment(seed=7, input=[encoder_pb2.SensorValue(text="x")])] * 3,
        [_sdr([4, 4], [0, 15]), _sdr([1], [])],
        [encoder_pb2.SensorValue(float=0.5), encoder_pb2.SensorValue(double=0.1), encoder_pb2.SensorValue(long=2**40)],
    ],
    ids=["snapshots", "experiments", "sdrs", "sensor-values"],
)
def test_round_trip(messages):
    data = _stream(messages)
    reader = ProtoReader(io.BytesIO(data), type(messages[0]))
    assert list(reader) == messages
    assert reader.offset == len(data)


def test_empty_stream_has_no_messages():
    assert list(ProtoReader(io.BytesIO(b""), snapshot_pb2.Snapshot)) == []


class _Trickle(io.RawIOBase):
    """A pipe-like file that hands out at most 3 bytes per read, and logs read sizes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.requests.append(size)
        piece = self.data[self.position : self.position + min(size, 3)]
        self.position += len(piece)
        return piece


def test_short_reads_are_completed():
    messages = _snapshots()
    assert list(ProtoReader(_Trickle(_stream(messages)), snapshot_pb2.Snapshot)) == messages


def _second_record_offset(messages):
    return 4 + len(messages[0].SerializeToString())


@pytest.mark.parametrize("kept", [1, 2, 3])
def test_stream_cut_inside_a_length_prefix_names_the_offset(kept):
    messages = _snapshots()[:2]
    data = _stream(messages)
    start = _second_record_offset(messages)
    reader = ProtoReader(io.BytesIO(data[: start + kept]), snapshot_pb2.Snapshot)
    assert next(iter(reader)) == messages[0]
    with pytest.raises(ProtoStreamError, match=rf"truncated.*byte offset {start}\b.*{kept} of 4") as info:
        list(reader)
    assert info.value.offset == start


def test_stream_cut_inside_a_message_names_the_offset():
    messages = _snapshots()[:2]
    data = _stream(messages)
    start = _second_record_offset(messages)
    length = len(messages[1].SerializeToString())
    with pytest.raises(ProtoStreamError, match=rf"byte offset {start}\b.*declares {length} bytes but only 5") as info:
        list(ProtoReader(io.BytesIO(data[: start + 4 + 5]), snapshot_pb2.Snapshot))
    assert info.value.offset == start
    assert isinstance(info.value, ValueError)


def test_oversized_length_is_refused_before_reading_it():
    data = _stream(_snapshots()[:1])
    start = len(data)
    trickle = _Trickle(data + (2**32 - 1).to_bytes(4, "big") + b"\x00" * 10)
    with pytest.raises(ProtoStreamError, match=rf"byte offset {start}\b.*4294967295-byte.*limit of {2**26}") as info:
        list(ProtoReader(trickle, snapshot_pb2.Snapshot))
    assert info.value.offset == start
    # Nothing beyond the prefix was requested: no buffer was set aside for the claimed size.
    assert max(trickle.requests) <= proto_io.LENGTH_PREFIX_SIZE + len(data)
    assert trickle.position == start + 4


def test_max_message_size_is_configurable():
    messages = _snapshots()[:1]
    size = len(messages[0].SerializeToString())
    data = _stream(messages)
    assert list(ProtoReader(io.BytesIO(data), snapshot_pb2.Snapshot, max_message_size=size)) == messages
    with pytest.raises(ProtoStreamError, match=f"limit of {size - 1} bytes"):
        list(ProtoReader(io.BytesIO(data), snapshot_pb2.Snapshot, max_message_size=size - 1))
    with pytest.raises(ValueError, match="max_message_size"):
        ProtoReader(io.BytesIO(data), snapshot_pb2.Snapshot, max_message_size=-1)


@pytest.mark.parametrize(
    "body",
    [b"\x0f", b"\x0a\x05ab", b"\x0a\x03\x0a\x80\x80"],
    ids=["bad-wire-type", "field-longer-than-record", "bad-nested-message"],
)
def test_corrupt_message_names_the_offset(body):
    good = _stream(_snapshots()[:1])
    data = good + len(body).to_bytes(4, "big") + body
    with pytest.raises(ProtoStreamError, match=rf"corrupt.*byte offset {len(good)}\b.*not a valid Snapshot") as info:
        list(ProtoReader(io.BytesIO(data), snapshot_pb2.Snapshot))
    assert info.value.offset == len(good)


# ----------------------------------------------------------------------- atomic_write


def test_atomic_write_replaces_the_file_only_when_complete(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic.atomic_write(target) as file:
        file.write(b"new contents")
        assert target.read_bytes() == b"old"  # still the old file while writing
    assert target.read_bytes() == b"new contents"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_gives_the_usual_permissions(tmp_path):
    with atomic.atomic_write(tmp_path / "a") as file:
        file.write(b"x")
    (tmp_path / "b").write_bytes(b"x")
    assert (tmp_path / "a").stat().st_mode == (tmp_path / "b").stat().st_mode


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path, error):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(type(error), match=f"^{str(error)}$"):
        with atomic.atomic_write(target) as file:
            file.write(b"half")
            raise error
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_atomic_write_reports_unwritable_targets(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        with atomic.atomic_write(tmp_path / "missing" / "out.bin"):
            pass
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        with atomic.atomic_write(tmp_path):
            pass


def test_leftovers_of_a_killed_atomic_write_are_removed_and_nothing_else(tmp_path):
    target = tmp_path / "out.bin"
    with atomic.atomic_write(target) as file:  # its own temporary name, for the pattern
        file.write(b"x")
        (ours,) = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    keep = [".out.bin.12345678.tmp.bak", ".out.bin.xyz.tmp", ".other.bin.0123abcd.tmp", "out.bin"]
    for name in [ours, ".out.bin.0123abcd.tmp"] + keep[:-1]:
        (tmp_path / name).write_bytes(b"left")
    removed = atomic.remove_leftovers(target)
    assert sorted(os.path.basename(p) for p in removed) == sorted([ours, ".out.bin.0123abcd.tmp"])
    assert sorted(os.listdir(tmp_path)) == sorted(keep)
    assert atomic.remove_leftovers(tmp_path / "missing" / "x") == []


def test_a_message_too_large_for_the_prefix_is_refused_and_nothing_is_written(monkeypatch):
    message = experiment_pb2.Experiment(cortex=experiment_pb2.Cortex(layer=[300] * 100))
    size = len(message.SerializeToString())
    assert proto_io.frame(message) == size.to_bytes(4, "big") + message.SerializeToString()
    monkeypatch.setattr(proto_io, "_MAX_PREFIX_VALUE", size - 1)  # as if 4 bytes held less
    buffer = io.BytesIO()
    with pytest.raises(ValueError, match=f"Experiment of {size} bytes does not fit"):
        ProtoWriter(buffer).write(message)
    assert buffer.getvalue() == b""
    with pytest.raises(ValueError, match="does not fit"):
        proto_io.frame(message)
