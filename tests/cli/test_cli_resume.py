"""``protobrain experiment --checkpoint-every N`` / ``--resume CHECKPOINT``: a killed run
resumes and writes the same snapshot stream as an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protobrain import checkpoint
from protobrain.cli import experiment as cli
from protobrain.proto import encoder_pb2, experiment_pb2


def make_experiment(path: Path, steps: int, layers=(200, 200, 200), length=512, seed=5) -> Path:
    experiment = experiment_pb2.Experiment(seed=seed)
    experiment.encoder.type = encoder_pb2.Encoder.NUMERICAL_CYCLIC
    experiment.encoder.shape.append(length)
    params = experiment.encoder.Extensions[encoder_pb2.CyclicEncoder.cyclic_encoder]
    params.min_value, params.max_value, params.sparsity = 0, 1000, 0.05
    experiment.cortex.layer.extend(layers)
    for i in range(steps):
        experiment.input.add().int = i * 37 % 1001
    path.write_bytes(experiment.SerializeToString())
    return path


def progress_of(path: Path) -> dict:
    return json.loads(checkpoint.read(path).metadata[cli.PROGRESS_KEY])


def run_cli(args, capsys):
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def _command(experiment: Path, output: Path, every: int) -> list[str]:
    """``protobrain-experiment EXPERIMENT OUTPUT --checkpoint-every N`` in a process of its own."""
    return [
        sys.executable,
        "-m",
        "protobrain.cli.experiment",
        str(experiment),
        str(output),
        "--checkpoint-every",
        str(every),
    ]


def _kill_after_a_checkpoint(command: list[str], saved: Path, partial: Path) -> subprocess.Popen | None:
    """Start ``command``; once a checkpoint exists and the output has grown past the point
    it records (snapshots written after it), SIGKILL the process. Decided by those events,
    not by a sleep; None when the run ended before they could be seen (a fast machine)."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                assert process.returncode == 0, process.stderr.read().decode()
                return None
            assert time.monotonic() < deadline, "no checkpoint and output past it appeared"
            try:
                if partial.stat().st_size > progress_of(saved)["output_bytes"]:
                    break
            except (FileNotFoundError, KeyError):
                pass  # no checkpoint (or output) yet
            time.sleep(0.001)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_a_run_killed_with_sigkill_resumes_to_the_same_output(tmp_path, capsys):
    output = tmp_path / "out.bin"
    saved = tmp_path / "out.bin.checkpoint"
    partial = tmp_path / "out.bin.partial"
    for steps in (4000, 16000, 64000):
        experiment = make_experiment(tmp_path / "e.bin", steps)
        process = _kill_after_a_checkpoint(_command(experiment, output, every=250), saved, partial)
        if process is not None:
            break
        output.unlink()  # the run finished first: try a longer one
    assert process is not None, "every run finished before it could be killed"
    assert run_cli([experiment, tmp_path / "reference.bin"], capsys) == (0, "")
    assert process.returncode == -signal.SIGKILL
    assert not output.exists()  # nothing that looks whole
    progress = progress_of(saved)
    assert 0 < progress["step"] < steps  # really killed mid-run
    assert partial.stat().st_size > progress["output_bytes"]

    # What a kill in the middle of saving a checkpoint leaves (it may or may not have
    # happened above): the finished run removes it with the checkpoint.
    (tmp_path / ".out.bin.checkpoint.0123abcd.tmp").write_bytes(b"half a checkpoint")
    assert run_cli([experiment, output, "--resume", saved], capsys) == (0, "")
    assert output.read_bytes() == (tmp_path / "reference.bin").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["e.bin", "out.bin", "reference.bin"]


def _interrupt_at(monkeypatch, at: int):
    real = cli.messages.encode_brain
    calls = []

    def interrupting(brain_, out=None):
        calls.append(1)
        if len(calls) == at:
            raise KeyboardInterrupt
        return real(brain_, out)

    monkeypatch.setattr(cli.messages, "encode_brain", interrupting)


@pytest.mark.parametrize("interrupt_at", [25, 30, 51, 59])
def test_interrupted_runs_resume_to_the_same_output(tmp_path, capsys, monkeypatch, interrupt_at):
    experiment = make_experiment(tmp_path / "e.bin", 60, layers=(30, 20), length=64)
    assert run_cli([experiment, tmp_path / "reference.bin"], capsys)[0] == 0
    _interrupt_at(monkeypatch, interrupt_at)
    output, saved = tmp_path / "o.bin", tmp_path / "my.ckpt"
    code, err = run_cli([experiment, output, "--checkpoint-every", 10, "--checkpoint", saved], capsys)
    assert (code, err) == (130, "protobrain: error: interrupted\n")
    assert progress_of(saved)["step"] == (interrupt_at - 1) // 10 * 10
    monkeypatch.undo()
    assert run_cli([experiment, output, "--resume", saved], capsys) == (0, "")
    assert output.read_bytes() == (tmp_path / "reference.bin").read_bytes()
    assert not saved.exists() and not (tmp_path / "o.bin.partial").exists()


def test_resuming_twice_and_changing_the_interval(tmp_path, capsys, monkeypatch):
    experiment = make_experiment(tmp_path / "e.bin", 50, layers=(20,), length=32)
    assert run_cli([experiment, tmp_path / "reference.bin"], capsys)[0] == 0
    output, saved = tmp_path / "o.bin", tmp_path / "o.bin.checkpoint"
    _interrupt_at(monkeypatch, 17)
    assert run_cli([experiment, output, "--checkpoint-every", 5], capsys)[0] == 130
    _interrupt_at(monkeypatch, 20)  # counts the resumed run's steps: step 15 + 20
    assert run_cli([experiment, output, "--resume", saved, "--checkpoint-every", 3], capsys)[0] == 130
    assert progress_of(saved)["step"] == 15 + 18 and progress_of(saved)["every"] == 3
    monkeypatch.undo()
    assert run_cli([experiment, output, "--resume", saved], capsys) == (0, "")
    assert output.read_bytes() == (tmp_path / "reference.bin").read_bytes()


def test_a_checkpointed_run_that_completes_equals_a_plain_one(tmp_path, capsys):
    experiment = make_experiment(tmp_path / "e.bin", 40, layers=(20, 10), length=32)
    assert run_cli([experiment, tmp_path / "a.bin"], capsys)[0] == 0
    assert run_cli([experiment, tmp_path / "b.bin", "--checkpoint-every", 7], capsys) == (0, "")
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["a.bin", "b.bin", "e.bin"]


def _stopped_run(tmp_path, capsys, monkeypatch):
    experiment = make_experiment(tmp_path / "e.bin", 30, layers=(20,), length=32)
    _interrupt_at(monkeypatch, 15)
    assert run_cli([experiment, tmp_path / "o.bin", "--checkpoint-every", 10], capsys)[0] == 130
    monkeypatch.undo()
    return experiment, tmp_path / "o.bin", tmp_path / "o.bin.checkpoint", tmp_path / "o.bin.partial"


def test_resume_refuses_another_experiment(tmp_path, capsys, monkeypatch):
    _, output, saved, _ = _stopped_run(tmp_path, capsys, monkeypatch)
    other = make_experiment(tmp_path / "other.bin", 30, layers=(20,), length=32, seed=6)
    code, err = run_cli([other, output, "--resume", saved], capsys)
    assert code == 1 and "another experiment" in err and err.count("\n") == 1


def test_resume_refuses_a_changed_or_missing_partial_output(tmp_path, capsys, monkeypatch):
    experiment, output, saved, partial = _stopped_run(tmp_path, capsys, monkeypatch)
    data = partial.read_bytes()
    partial.write_bytes(data[:5] + bytes([data[5] ^ 0xFF]) + data[6:])
    code, err = run_cli([experiment, output, "--resume", saved], capsys)
    assert code == 1 and "is not the one it recorded" in err
    partial.unlink()
    code, err = run_cli([experiment, output, "--resume", saved], capsys)
    assert code == 1 and "missing or short" in err
    assert not output.exists()


def test_resume_refuses_a_damaged_checkpoint(tmp_path, capsys, monkeypatch):
    experiment, output, saved, _ = _stopped_run(tmp_path, capsys, monkeypatch)
    saved.write_bytes(saved.read_bytes()[:-10])
    code, err = run_cli([experiment, output, "--resume", saved], capsys)
    assert code == 1 and f"cannot resume from {saved}: checkpoint {saved} is truncated" in err
    code, err = run_cli([experiment, output, "--resume", tmp_path / "nope"], capsys)
    assert code == 1 and "No such file" in err


def test_checkpoint_every_must_be_positive(tmp_path, capsys):
    experiment = make_experiment(tmp_path / "e.bin", 3, layers=(8,), length=16)
    with pytest.raises(SystemExit, match="^2$") as info:
        cli.main([str(experiment), str(tmp_path / "o.bin"), "--checkpoint-every", "0"])
    assert info.value.code == 2 and "must be at least 1" in capsys.readouterr().err


def test_checkpoint_arguments_are_checked_and_failures_name_the_file(tmp_path, capsys):
    from protobrain.cli.experiment import load_experiment, run_experiment

    experiment = make_experiment(tmp_path / "e.bin", 20, layers=(10,), length=16)
    code, err = run_cli([experiment, tmp_path / "o.bin", "--checkpoint", tmp_path / "c"], capsys)
    assert code != 0 and err == "protobrain: error: --checkpoint needs --checkpoint-every or --resume\n"
    missing = tmp_path / "nodir" / "c"
    code, err = run_cli([experiment, tmp_path / "o.bin", "--checkpoint-every", 5, "--checkpoint", missing], capsys)
    assert code != 0 and err.startswith(f"protobrain: error: cannot write {missing}") and err.count("\n") == 1
    code, err = run_cli([experiment, tmp_path / "nodir" / "o.bin"], capsys)
    assert err.startswith(f"protobrain: error: cannot write {tmp_path / 'nodir' / 'o.bin'}:")
    message = load_experiment(str(experiment), "auto")
    with pytest.raises(ValueError, match="checkpoint_every must be .* got 0"):
        run_experiment(message, tmp_path / "o.bin", checkpoint_every=0)


@pytest.mark.parametrize(
    "names",
    [
        # --checkpoint is OUTPUT, which does not exist yet: the finished run would delete it.
        {"output": "z.bin", "checkpoint": "z.bin"},
        # --checkpoint is OUTPUT.partial: the checkpoint would be renamed to OUTPUT.
        {"output": "v.bin", "checkpoint": "v.bin.partial"},
        # The experiment is OUTPUT.partial, truncated when the run starts.
        {"output": "y.bin", "experiment": "y.bin.partial"},
        # The experiment is the default checkpoint, overwritten and then deleted.
        {"output": "r.bin", "experiment": "r.bin.checkpoint"},
        # The same through another spelling of the directory.
        {"output": "q.bin", "checkpoint": "./sub/../q.bin"},
    ],
)
def test_a_resumable_run_refuses_files_that_would_clobber_each_other(tmp_path, capsys, names):
    (tmp_path / "sub").mkdir()
    experiment = make_experiment(tmp_path / names.get("experiment", "e.bin"), 12, layers=(10,), length=16)
    before = experiment.read_bytes()
    args = [experiment, tmp_path / names["output"], "--checkpoint-every", 5]
    if "checkpoint" in names:
        args += ["--checkpoint", tmp_path / names["checkpoint"]]
    code, err = run_cli(args, capsys)
    assert code == 1 and "choose" in err and err.count("\n") == 1, err
    assert experiment.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["sub", experiment.name])
    # The Python API refuses the clashes it can see (it is not given the experiment's path).
    if "checkpoint" in names:
        message = cli.load_experiment(str(experiment))
        with pytest.raises(cli.CliError, match="same file"):
            cli.run_experiment(
                message, tmp_path / names["output"], checkpoint_every=5, checkpoint=tmp_path / names["checkpoint"]
            )


def test_a_run_resumed_into_another_checkpoint_removes_both(tmp_path, capsys, monkeypatch):
    experiment, output, saved, partial = _stopped_run(tmp_path, capsys, monkeypatch)
    other = tmp_path / "other.ckpt"
    assert run_cli([experiment, output, "--resume", saved, "--checkpoint", other], capsys) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.bin", "o.bin"]


def test_a_failed_checkpoint_save_names_the_checkpoint(tmp_path):
    """A file size limit the snapshots fit under but the checkpoint does not: the error names
    the checkpoint, not OUTPUT, and OUTPUT is not written."""
    import resource

    experiment = make_experiment(tmp_path / "e.bin", 40, layers=(400, 400), length=512)
    output = tmp_path / "g.bin"

    def limit() -> None:  # Python ignores SIGXFSZ, so writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    done = subprocess.run(
        _command(experiment, output, every=5), capture_output=True, text=True, preexec_fn=limit, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"protobrain: error: cannot write {output}.checkpoint: "), done.stderr
    assert done.stderr.count("\n") == 1 and not output.exists()
