"""``protobrain inspect``: summaries of snapshot streams, readable and JSON."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT

from protobrain.cli import main as protobrain_main
from protobrain.proto import encoder_pb2, sdr_pb2, snapshot_pb2
from protobrain.util.proto_io import ProtoWriter


def _snapshot(layers, sensor_bits=(0,), value=None, sensor_size=8):
    snapshot = snapshot_pb2.Snapshot()
    for shape, bits in layers:
        snapshot.cortex.sdr.add(shape=shape, on_bits=bits)
    snapshot.sensor.sdr.CopyFrom(sdr_pb2.SparseDistributedRepresentation(shape=[sensor_size], on_bits=sensor_bits))
    if value is not None:
        snapshot.sensor.value.CopyFrom(
            encoder_pb2.SensorValue(text=value) if isinstance(value, str) else encoder_pb2.SensorValue(float=value)
        )
    return snapshot


def _write(path, snapshots):
    buffer = io.BytesIO()
    writer = ProtoWriter(buffer)
    for snapshot in snapshots:
        writer.write(snapshot)
    path.write_bytes(buffer.getvalue())
    return path


def _inspect(capsys, *argv):
    code = protobrain_main.main(["inspect", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


HAND_MADE = [
    # layer 0: 4 units; layer 1: shape (2, 3)
    _snapshot([([4], [0, 2]), ([2, 3], [5])], sensor_bits=[0, 1], value=2.0),
    _snapshot([([4], [2]), ([2, 3], [1, 5])], sensor_bits=[1, 2], value=4.0),
    _snapshot([([4], [2, 3]), ([2, 3], [])], sensor_bits=[2, 3], value="label"),
]


def test_json_summary_of_a_known_stream(tmp_path, capsys):
    path = _write(tmp_path / "s.bin", HAND_MADE)
    code, out, err = _inspect(capsys, path, "--json", "--top", "3")
    assert (code, err) == (0, "")
    summary = json.loads(out)
    assert summary["steps"] == 3
    assert summary["sensor"] == {
        "shape": [8],
        "units": 8,
        "mean_density": 6 / 24,
        "values": {"numbers": 2, "other": 1, "nan": 0, "min": 2.0, "max": 4.0},
    }
    layer0, layer1 = summary["layers"]
    assert layer0 == {
        "layer": 0,
        "shape": [4],
        "units": 4,
        "mean_density": 5 / 12,
        # counts per unit: [1, 0, 3, 1]; ties go to the lower index
        "most_active": [{"unit": 2, "steps": 3}, {"unit": 0, "steps": 1}, {"unit": 3, "steps": 1}],
        "least_active": [{"unit": 1, "steps": 0}, {"unit": 0, "steps": 1}, {"unit": 3, "steps": 1}],
        "silent_units": 1,
    }
    assert layer1["shape"] == [2, 3] and layer1["units"] == 6
    assert layer1["mean_density"] == 3 / 18
    assert layer1["most_active"][:2] == [{"unit": 5, "steps": 2}, {"unit": 1, "steps": 1}]
    assert layer1["silent_units"] == 4


def test_readable_summary(tmp_path, capsys):
    path = _write(tmp_path / "s.bin", HAND_MADE)
    code, out, _ = _inspect(capsys, path, "--top", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{path}: 3 steps, 2 layers"
    assert lines[1] == "sensor: shape (8,), mean density 0.2500, values 2 to 4, 1 non-numeric"
    assert lines[2] == "layer 0: shape (4,), mean density 0.4167, 1 of 4 units never active"
    assert lines[3].split(":", 1)[1].strip() == "2 (3), 0 (1)"
    assert lines[4].split(":", 1)[1].strip() == "1 (0), 0 (1)"
    assert lines[5].startswith("layer 1: shape (2, 3), mean density 0.1667")


def test_summary_of_an_experiment_run(tmp_path, capsys):
    output = tmp_path / "run.bin"
    assert protobrain_main.main(["experiment", str(ROOT / "examples" / "experiment.textproto"), str(output)]) == 0
    code, out, _ = _inspect(capsys, output, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["steps"] == 24
    assert [layer["shape"] for layer in summary["layers"]] == [[64]] * 3
    for layer in summary["layers"]:
        assert layer["mean_density"] == pytest.approx(5 / 64)
        counts = [entry["steps"] for entry in layer["most_active"]]
        assert counts == sorted(counts, reverse=True) and len(counts) == 5
        # Every step has 5 active units: the counts sum to 5 * steps.
        assert sum(counts) <= 5 * 24 and counts[0] >= 5 * 24 / 64
    assert summary["sensor"]["mean_density"] == pytest.approx(13 / 256)
    assert (summary["sensor"]["values"]["min"], summary["sensor"]["values"]["max"]) == (0, 90)


def test_empty_stream(tmp_path, capsys):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    code, out, _ = _inspect(capsys, path, "--json")
    assert code == 0 and json.loads(out) == {"file": str(path), "steps": 0, "sensor": None, "layers": []}
    assert _inspect(capsys, path)[1] == f"{path}: 0 steps, 0 layers\n"


def _assert_error(result, *fragments):
    code, out, err = result
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("protobrain: error: ")
    for fragment in fragments:
        assert fragment in err, err


def test_truncated_and_corrupt_files(tmp_path, capsys):
    data = _write(tmp_path / "s.bin", HAND_MADE).read_bytes()
    first = 4 + len(HAND_MADE[0].SerializeToString())
    (tmp_path / "cut.bin").write_bytes(data[: first + 6])
    _assert_error(_inspect(capsys, tmp_path / "cut.bin"), "truncated", f"byte offset {first}")
    (tmp_path / "huge.bin").write_bytes(data[:first] + b"\xff\xff\xff\xff")
    _assert_error(_inspect(capsys, tmp_path / "huge.bin"), f"byte offset {first}", "over the limit")
    (tmp_path / "bad.bin").write_bytes(data[:first] + b"\x00\x00\x00\x01\x0f")
    _assert_error(_inspect(capsys, tmp_path / "bad.bin"), "corrupt", f"byte offset {first}")
    _assert_error(_inspect(capsys, tmp_path / "missing.bin"), "cannot read snapshots", "No such file")


@pytest.mark.parametrize(
    "second, fragments",
    [
        (_snapshot([([4], [0])]), ["step 1: 1 layers, earlier steps had 2"]),
        (_snapshot([([5], [0]), ([2, 3], [])]), ["step 1: layer 0 has shape [5], earlier steps had [4]"]),
        (_snapshot([([4], [4]), ([2, 3], [])]), ["step 1: layer 0 lists unit 4, outside its 4 units"]),
        (_snapshot([([4], [1, 1]), ([2, 3], [])]), ["step 1: layer 0 lists a unit more than once"]),
        (_snapshot([([4], []), ([2, 3], [])], sensor_size=9), ["step 1: the sensor has shape [9]"]),
    ],
    ids=["layer-count", "layer-shape", "unit-range", "repeated-unit", "sensor-shape"],
)
def test_inconsistent_snapshots(tmp_path, capsys, second, fragments):
    path = _write(tmp_path / "s.bin", [HAND_MADE[0], second])
    _assert_error(_inspect(capsys, path), *fragments)


def test_top_must_be_a_count(tmp_path, capsys):
    path = _write(tmp_path / "s.bin", HAND_MADE)
    with pytest.raises(SystemExit, match="^2$"):
        protobrain_main.main(["inspect", str(path), "--top", "-1"])
    assert "--top" in capsys.readouterr().err
    code, out, _ = _inspect(capsys, path, "--json", "--top", "0")
    assert code == 0 and json.loads(out)["layers"][0]["most_active"] == []
    assert np.isclose(json.loads(out)["layers"][0]["mean_density"], 5 / 12)


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`protobrain inspect ... | head`: no traceback when the reader goes away."""
    import subprocess
    import sys

    out = tmp_path / "run.snap"
    example = ROOT / "examples" / "experiment.textproto"
    subprocess.run([sys.executable, "-m", "protobrain.cli.experiment", str(example), str(out)], check=True)
    child = subprocess.Popen(
        [sys.executable, "-m", "protobrain.cli.main", "inspect", str(out), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()  # the reader is gone before the command writes anything
    stderr = child.stderr.read().decode()
    assert child.wait() == 141
    assert stderr == ""


@pytest.mark.parametrize("shape", [[-1], [-2, -3], [0], [2**31 - 1] * 3, []])
def test_impossible_layer_shapes_are_one_line_errors(tmp_path, capsys, shape):
    path = _write(tmp_path / "bad.snap", [_snapshot([(shape, [])])])
    code, out, err = _inspect(capsys, path)
    assert code == 1 and out == ""
    assert err.startswith("protobrain: error: ") and "impossible shape" in err and err.count("\n") == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_a_full_disk_under_standard_output_is_one_line(tmp_path, extra):
    path = tmp_path / "s.bin"
    _write(path, HAND_MADE)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "protobrain.cli.main", "inspect", str(path), *extra],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == "protobrain: error: cannot write the output: No space left on device\n"


def test_json_is_strict_when_the_values_fed_include_nan_and_infinity(tmp_path, capsys):
    values = [2.0, float("nan"), float("inf"), -1.0]
    path = _write(tmp_path / "s.bin", [_snapshot([([4], [0])], value=v) for v in values])
    code, out, err = _inspect(capsys, path, "--json")
    assert (code, err) == (0, "")

    def no_constants(name):
        raise AssertionError(f"not JSON: {name}")

    fed = json.loads(out, parse_constant=no_constants)["sensor"]["values"]
    assert fed == {"numbers": 4, "other": 0, "nan": 1, "min": -1.0, "max": "inf"}
    code, out, err = _inspect(capsys, path)
    assert "values -1 to inf, 1 NaN" in out
