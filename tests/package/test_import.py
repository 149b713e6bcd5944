"""Importing protobrain from a folder that has no compiled engine, as happens in the
repository root after ``pip install .``: one clear sentence, not a circular-import riddle."""

import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import protobrain
from protobrain import _missing_engine

PACKAGE = Path(protobrain.__file__).resolve().parent


def _source_copy(tmp_path: Path) -> Path:
    """The package as the repository holds it: sources, no compiled module."""
    shutil.copytree(
        PACKAGE,
        tmp_path / "protobrain",
        ignore=shutil.ignore_patterns(*(f"_core{s}" for s in EXTENSION_SUFFIXES), "__pycache__"),
    )
    return tmp_path


def test_importing_the_source_folder_says_what_happened_and_what_to_do(tmp_path):
    root = _source_copy(tmp_path)
    done = subprocess.run([sys.executable, "-c", "import protobrain"], cwd=root, capture_output=True, text=True)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"ImportError: protobrain was imported from {root / 'protobrain'}, a folder without")
    assert "run Python from another folder" in last and "pip install -e ." in last
    assert "circular import" not in done.stderr


def test_a_present_engine_that_fails_to_load_keeps_its_own_error(tmp_path, monkeypatch):
    error = ImportError("undefined symbol: something")
    assert _missing_engine.explain(error) is error  # this folder has its compiled module
    root = _source_copy(tmp_path)
    monkeypatch.setattr(_missing_engine, "__file__", str(root / "protobrain" / "_missing_engine.py"))
    assert _missing_engine.explain(error) is not error
