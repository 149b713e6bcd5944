"""``protobrain-experiment``: files of the original project, defaults, errors, whole outputs.

The compatibility tests build experiments with message classes compiled here from the
definitions of docs/specification.md §8 (laid out as the original project had them, one ``.proto`` per
topic, importing each other by bare file name), never with ``protobrain.proto``, and read
the snapshots back with those classes and a framing parser written here.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from helpers import ROOT

from protobrain import brain, computation, learning, neuron, sensor
from protobrain.cli import experiment as cli
from protobrain.cli import main as protobrain_main
from protobrain.encoders import numerical

ORIGINAL_PROTOS = {
    "encoder.proto": """
        syntax = "proto2";
        package protobrain.proto;
        message Encoder {
          enum EncoderType { UNKNOWN = 0; NUMERICAL_SIMPLE = 1; NUMERICAL_CYCLIC = 2; }
          optional EncoderType type = 1;
          repeated int32 shape = 2;
          extensions 100 to 500;
        }
        message SimpleEncoder {
          extend Encoder { optional SimpleEncoder simple_encoder = 100; }
          optional float min_value = 1;
          optional float max_value = 2 [default = 10];
        }
        message CyclicEncoder {
          extend Encoder { optional CyclicEncoder cyclic_encoder = 101; }
          optional float min_value = 1;
          optional float max_value = 2 [default = 10];
        }
        message SensorValue { oneof value { int32 int = 1; float float = 2; string text = 3; } }
    """,
    "experiment.proto": """
        syntax = "proto2";
        import "encoder.proto";
        package protobrain.proto;
        message Experiment {
          optional Encoder encoder = 1;
          optional Cortex cortex = 2;
          repeated SensorValue input = 3;
        }
        message Cortex { repeated int32 layer = 1; }
    """,
    "sdr.proto": """
        syntax = "proto2";
        package protobrain.proto;
        message SparseDistributedRepresentation { repeated int32 shape = 1; repeated int32 on_bits = 2; }
    """,
    "snapshot.proto": """
        syntax = "proto2";
        import "encoder.proto";
        import "sdr.proto";
        package protobrain.proto;
        message Snapshot { optional CorticalSnapshot cortex = 1; optional SensorSnapshot sensor = 2; }
        message CorticalSnapshot { repeated SparseDistributedRepresentation sdr = 1; }
        message SensorSnapshot { optional SensorValue value = 1; optional SparseDistributedRepresentation sdr = 2; }
    """,
}


class Spec8:
    """Message classes compiled from ORIGINAL_PROTOS into a pool of their own."""

    def __init__(self, directory: Path) -> None:
        from grpc_tools import protoc

        for name, text in ORIGINAL_PROTOS.items():
            (directory / name).write_text(text)
        descriptor_set = directory / "spec8.pb"
        code = protoc.main(
            [
                "protoc",
                f"-I{directory}",
                f"--descriptor_set_out={descriptor_set}",
                "--include_imports",
                *ORIGINAL_PROTOS,
            ]
        )
        assert code == 0
        self.pool = descriptor_pool.DescriptorPool()
        for file_proto in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes()).file:
            self.pool.Add(file_proto)

    def __getattr__(self, name: str):
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(f"protobrain.proto.{name}"))

    def extension(self, name: str):
        return self.pool.FindExtensionByName(f"protobrain.proto.{name}")


@pytest.fixture(scope="module")
def spec8(tmp_path_factory):
    return Spec8(tmp_path_factory.mktemp("spec8"))


def _original_experiment(
    spec8, kind="NUMERICAL_CYCLIC", length=98, bounds=(0, 100), layers=(40, 40, 30, 20), inputs=()
):
    """An experiment as the original project's scripts built it."""
    experiment = spec8.Experiment()
    experiment.encoder.type = spec8.Encoder.EncoderType.Value(kind)
    experiment.encoder.shape.append(length)
    extension = spec8.extension(
        "CyclicEncoder.cyclic_encoder" if kind == "NUMERICAL_CYCLIC" else "SimpleEncoder.simple_encoder"
    )
    experiment.encoder.Extensions[extension].min_value = bounds[0]
    experiment.encoder.Extensions[extension].max_value = bounds[1]
    experiment.cortex.layer.extend(layers)
    for value in inputs:
        entry = experiment.input.add()
        setattr(entry, "int" if isinstance(value, int) else "float", value)
    return experiment


def _read_stream(path: Path, message_class) -> list:
    """Framing parser written from docs/specification.md §8: 4-byte big-endian length, then the message."""
    data = path.read_bytes()
    messages, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        body = data[offset + 4 : offset + 4 + length]
        assert len(body) == length
        messages.append(message_class.FromString(body))
        offset += 4 + length
    return messages


def _cyclic_bits(value, low, high, length, sparsity=0.02):
    """docs/specification.md §5: start = int((value - min) / range * (length - 1)), w bits, wrapping."""
    width = math.ceil(sparsity * length)
    start = int((value - low) / (high - low) * (length - 1))
    return sorted((start + i) % length for i in range(width))


def _run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_experiment_of_the_original_project_runs_and_reads_back(spec8, tmp_path, capsys):
    inputs = [0, 10, 25, 50, 99, 100, 2.5, 37.75, 0, 10]
    experiment = _original_experiment(spec8, inputs=inputs)
    path, output = tmp_path / "experiment.bin", tmp_path / "snapshots.bin"
    path.write_bytes(experiment.SerializeToString())

    assert _run([path, output], capsys) == (0, "", "")

    snapshots = _read_stream(output, spec8.Snapshot)
    assert len(snapshots) == len(inputs)
    for value, snapshot in zip(inputs, snapshots):
        assert [list(s.shape) for s in snapshot.cortex.sdr] == [[40], [40], [30], [20]]
        for sdr, size in zip(snapshot.cortex.sdr, (40, 40, 30, 20)):
            bits = list(sdr.on_bits)
            assert len(bits) == 5 and bits == sorted(set(bits)) and 0 <= bits[0] and bits[-1] < size
        sensor_value = snapshot.sensor.value
        assert sensor_value.WhichOneof("value") == ("int" if isinstance(value, int) else "float")
        assert getattr(sensor_value, sensor_value.WhichOneof("value")) == value
        assert list(snapshot.sensor.sdr.shape) == [98]
        assert list(snapshot.sensor.sdr.on_bits) == _cyclic_bits(value, 0, 100, 98)


def _python_model(seed, layers, encoder, comp, learn):
    np.random.seed(seed)
    sensor_ = sensor.Sensor(encoder)
    neurons = neuron.FeedForward([neuron.Neurons(size) for size in layers])
    return brain.Brain(neurons, sensor_, computation=comp, learning=learn)


def _expected_activity(brain_, inputs):
    steps = []
    for value in inputs:
        brain_.sensor.feed(value)
        brain_.compute()
        brain_.learn()
        steps.append([list(np.flatnonzero(layer.values)) for layer in brain_.neurons.layers])
    return steps


def _activity(snapshots):
    return [[list(sdr.on_bits) for sdr in snapshot.cortex.sdr] for snapshot in snapshots]


@pytest.mark.parametrize(
    "settings, comp, learn",
    [
        ("", computation.SparseComputation(5), learning.HebbianLearning()),
        ("computation { sparse { fraction: 0.25 } }", computation.SparseComputation(0.25), learning.HebbianLearning()),
        (
            "computation { standard { threshold: 2.5 } } learning { none {} }",
            computation.StandardComputation(2.5),
            None,
        ),
        (
            "learning { hebbian { increase: 0.2 decrease: 0.1 } }",
            computation.SparseComputation(5),
            learning.HebbianLearning(0.2, 0.1),
        ),
    ],
    ids=["defaults", "fraction", "threshold-no-learning", "hebbian-rates"],
)
def test_runs_match_the_same_model_built_in_python(tmp_path, capsys, settings, comp, learn):
    inputs = [3, 7, 1, 9, 3, 7, 1, 9, 5, 5, 2, 8]
    path = tmp_path / "run.textproto"
    path.write_text(
        """
        encoder { type: NUMERICAL_SIMPLE shape: 60
                  [protobrain.proto.SimpleEncoder.simple_encoder] { min_value: 0 max_value: 10 sparsity: 0.1 } }
        cortex { layer: [24, 16] }
        seed: 1234
        """
        + settings
        + "".join(f" input {{ int: {v} }}" for v in inputs)
    )
    output = tmp_path / "out.bin"
    assert _run([path, output], capsys)[0] == 0
    from protobrain.proto import snapshot_pb2

    got = _activity(_read_stream(output, snapshot_pb2.Snapshot))
    expected = _expected_activity(
        _python_model(1234, (24, 16), numerical.SimpleEncoder(0, 10, 60, 0.1), comp, learn), inputs
    )
    assert got == expected
    # A seeded experiment is reproducible.
    assert _run([path, tmp_path / "again.bin"], capsys)[0] == 0
    assert (tmp_path / "again.bin").read_bytes() == output.read_bytes()


def test_learning_changes_the_outcome(tmp_path, capsys):
    """Guards the comparison above: with and without learning the runs differ."""
    inputs = [3, 7, 1, 9] * 6
    model = _python_model(5, (24, 16), numerical.SimpleEncoder(0, 10, 60, 0.1), computation.SparseComputation(5), None)
    learned = _python_model(
        5,
        (24, 16),
        numerical.SimpleEncoder(0, 10, 60, 0.1),
        computation.SparseComputation(5),
        learning.HebbianLearning(0.2, 0.1),
    )
    assert _expected_activity(model, inputs) != _expected_activity(learned, inputs)


def test_the_shipped_example_runs(tmp_path, capsys):
    output = tmp_path / "example.bin"
    assert _run([ROOT / "examples" / "experiment.textproto", output], capsys) == (0, "", "")
    from protobrain.proto import snapshot_pb2

    snapshots = _read_stream(output, snapshot_pb2.Snapshot)
    assert len(snapshots) == 24
    assert all(len(s.sensor.sdr.on_bits) == 13 and len(s.cortex.sdr) == 3 for s in snapshots)


def test_protobrain_experiment_subcommand_is_the_same_command(spec8, tmp_path, capsys):
    path = tmp_path / "e.bin"
    path.write_bytes(_original_experiment(spec8, inputs=[1, 2, 3]).SerializeToString())
    assert protobrain_main.main(["experiment", str(path), str(tmp_path / "out.bin")]) == 0
    assert len(_read_stream(tmp_path / "out.bin", spec8.Snapshot)) == 3
    assert protobrain_main.main(["experiment", str(tmp_path / "missing.bin"), str(tmp_path / "x.bin")]) == 1
    assert capsys.readouterr().err.startswith("protobrain: error: cannot read experiment")


def test_progress_bar_when_asked(spec8, tmp_path, capsys, monkeypatch):
    path = tmp_path / "e.bin"
    path.write_bytes(_original_experiment(spec8, inputs=[1, 2, 3]).SerializeToString())
    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0.0)
    code, _, err = _run([path, tmp_path / "out.bin", "--progress"], capsys)
    assert code == 0 and "3/3" in err and "step" in err
    code, _, err = _run([path, tmp_path / "out.bin", "--no-progress"], capsys)
    assert code == 0 and err == ""


# ---------------------------------------------------------------------------- errors


def _assert_one_line_error(code, err, *fragments):
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("protobrain: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def _error_cases(spec8, tmp_path):
    good = _original_experiment(spec8, inputs=[1, 2])
    unknown = _original_experiment(spec8, inputs=[1])
    unknown.encoder.type = spec8.Encoder.EncoderType.Value("UNKNOWN")
    out_of_range = _original_experiment(spec8, inputs=[1, 50, 101])
    cases = {
        "missing": (tmp_path / "nope.bin", None, ["cannot read experiment", "nope.bin", "No such file"]),
        "corrupt": (
            tmp_path / "corrupt.bin",
            b"\x0a\xff\xff\xff\xff\x0f",
            ["corrupt.bin", "not a valid binary Experiment"],
        ),
        "bad-text": (
            tmp_path / "bad.textproto",
            b"encoder { type: NUMERICAL_CIRCULAR }",
            ["bad.textproto", "1:17", "NUMERICAL_CIRCULAR"],
        ),
        "not-utf8": (tmp_path / "latin.txtpb", b"cortex { layer: 3 } # \xe9", ["not UTF-8 text", "byte offset 22"]),
        "unknown-encoder": (
            tmp_path / "unknown.bin",
            unknown.SerializeToString(),
            ["unsupported encoder type UNKNOWN"],
        ),
        "out-of-range": (
            tmp_path / "range.bin",
            out_of_range.SerializeToString(),
            ["input 2 (101)", "outside the encoder's range [0, 100]"],
        ),
        "no-encoder": (tmp_path / "empty.bin", b"", ["the experiment has no encoder"]),
        "unwritable-dir": (tmp_path / "good.bin", good.SerializeToString(), ["cannot write", "No such file"]),
        "output-is-dir": (tmp_path / "good2.bin", good.SerializeToString(), ["cannot write", "Is a directory"]),
    }
    outputs = {"unwritable-dir": tmp_path / "no" / "such" / "dir" / "out.bin", "output-is-dir": tmp_path}
    return cases, outputs


ERROR_CASES = [
    "missing",
    "corrupt",
    "bad-text",
    "not-utf8",
    "unknown-encoder",
    "out-of-range",
    "no-encoder",
    "unwritable-dir",
    "output-is-dir",
]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_are_one_line_and_leave_no_output(spec8, tmp_path, capsys, case):
    cases, outputs = _error_cases(spec8, tmp_path)
    path, data, fragments = cases[case]
    if data is not None:
        path.write_bytes(data)
    output = outputs.get(case, tmp_path / "out.bin")
    before = sorted(os.listdir(tmp_path))
    code, out, err = _run([path, output], capsys)
    _assert_one_line_error(code, err, *fragments)
    assert out == ""
    assert sorted(os.listdir(tmp_path)) == before  # no output, no temporary file


def test_output_cannot_be_the_experiment(spec8, tmp_path, capsys):
    path = tmp_path / "e.bin"
    data = _original_experiment(spec8, inputs=[1]).SerializeToString()
    path.write_bytes(data)
    _assert_one_line_error(*_run([path, path], capsys)[::2], "is the experiment file itself")
    assert path.read_bytes() == data


def test_unwritable_directory(spec8, tmp_path, capsys, monkeypatch):
    path = tmp_path / "e.bin"
    path.write_bytes(_original_experiment(spec8, inputs=[1]).SerializeToString())
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):  # running as root: make creating the file fail the same way
        real_open = os.open

        def refuse(name, *args, **kwargs):
            if os.fspath(name).startswith(str(locked)):
                raise PermissionError(13, "Permission denied", name)
            return real_open(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
    _assert_one_line_error(*_run([path, locked / "out.bin"], capsys)[::2], "cannot write", "Permission denied")
    assert os.listdir(locked) == []


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_interrupted_run_keeps_the_old_output(spec8, tmp_path, capsys, monkeypatch, interruption):
    path, output = tmp_path / "e.bin", tmp_path / "out.bin"
    path.write_bytes(_original_experiment(spec8, inputs=list(range(10))).SerializeToString())
    output.write_bytes(b"previous results")
    real = cli.messages.encode_brain
    calls = []

    def failing(brain_, out=None):
        calls.append(1)
        if len(calls) == 4:
            raise interruption(28, "No space left on device") if interruption is OSError else interruption()
        return real(brain_, out)

    monkeypatch.setattr(cli.messages, "encode_brain", failing)
    code, _, err = _run([path, output], capsys)
    if interruption is KeyboardInterrupt:
        assert code == 130 and err == "protobrain: error: interrupted\n"
    else:
        _assert_one_line_error(code, err, "cannot write", "No space left on device")
    assert output.read_bytes() == b"previous results"
    assert sorted(os.listdir(tmp_path)) == ["e.bin", "out.bin"]


def test_module_entry_point_runs_without_traceback(spec8, tmp_path):
    """``python -m protobrain.cli.experiment``, as a user would start it."""
    path = tmp_path / "e.bin"
    path.write_bytes(_original_experiment(spec8, inputs=[1, 2]).SerializeToString())
    run = [sys.executable, "-m", "protobrain.cli.experiment"]
    ok = subprocess.run([*run, str(path), str(tmp_path / "out.bin")], capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert len(_read_stream(tmp_path / "out.bin", spec8.Snapshot)) == 2
    bad = subprocess.run(
        [*run, str(tmp_path / "nope"), str(tmp_path / "o.bin")], capture_output=True, text=True, timeout=60
    )
    _assert_one_line_error(bad.returncode, bad.stderr, "cannot read experiment")


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: EXPERIMENT, OUTPUT"),
        (["a.pb", "out.bin", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["a.pb", "out.bin", "--checkpoint-every", "0"], "argument --checkpoint-every: must be at least 1, got 0"),
        (["a.pb", "out.bin", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_are_one_line_and_point_at_help(capsys, argv, message):
    with pytest.raises(SystemExit, match="^2$") as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("protobrain: error: ")
    assert message in err and err.rstrip().endswith("(see protobrain-experiment --help)")


def test_an_output_name_as_long_as_the_file_system_allows(tmp_path, capsys):
    """The temporary file beside OUTPUT repeats at most 240 bytes of its name, so any
    name the file system takes for OUTPUT itself works (255 bytes on common ones)."""
    from protobrain.util.atomic import atomic_write, remove_leftovers

    output = tmp_path / ("o" * 251 + ".bin")
    with atomic_write(output) as file:
        file.write(b"whole")
    assert output.read_bytes() == b"whole"
    leftover = tmp_path / ("." + "o" * 240 + ".0123abcd.tmp")
    leftover.write_bytes(b"")
    assert remove_leftovers(output) == [str(leftover)]


@pytest.mark.parametrize("command", [["experiment", "a.pb", "out.bin"], ["inspect", "s.bin"], ["benchmark"]])
def test_an_unknown_flag_points_at_the_subcommands_help(capsys, command):
    from protobrain.cli import main as protobrain_main

    with pytest.raises(SystemExit, match="^2$") as exit_:
        protobrain_main.main([*command, "--bogus"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"protobrain: error: unrecognized arguments: --bogus (see protobrain {command[0]} --help)\n"
    )


@pytest.mark.parametrize(
    "error, line",
    [
        (FileNotFoundError(2, "No such file or directory", "some.bin"), "some.bin: No such file or directory"),
        (OSError(28, "No space left on device"), "cannot write the output: No space left on device"),
    ],
)
def test_an_os_error_no_command_caught_is_one_line(capfd, error, line):
    from protobrain.cli.errors import ArgumentParser, dispatch

    def fails(args):
        raise error

    parser = ArgumentParser(prog="protobrain")
    parser.set_defaults(func=fails)
    saved = os.dup(sys.stdout.fileno())  # the unnamed case points stdout at /dev/null
    try:
        assert dispatch(parser, []) == 1
    finally:
        os.dup2(saved, sys.stdout.fileno())
        os.close(saved)
    assert capfd.readouterr().err == f"protobrain: error: {line}\n"
