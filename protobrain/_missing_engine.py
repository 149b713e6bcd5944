"""The error for a protobrain folder without its compiled engine.

The usual cause: after ``pip install .``, Python started in the repository root imports the
source folder ``protobrain/`` (the current directory comes first on ``sys.path``), and that
folder has no compiled ``_core`` module; only the installed copy has one.
"""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path


def explain(error: ImportError) -> ImportError:
    """An ImportError that says which folder was imported and what to do, when that folder
    has no compiled engine; ``error`` itself otherwise (the engine is there but fails to load)."""
    folder = Path(__file__).resolve().parent
    if any((folder / f"_core{suffix}").exists() for suffix in EXTENSION_SUFFIXES):
        return error
    return ImportError(
        f"protobrain was imported from {folder}, a folder without its compiled engine "
        "(protobrain._core): this is the source folder, which shadows the installed package "
        "when Python runs in the repository root; run Python from another folder, or "
        "install with 'pip install -e .' to use the source folder itself."
    )
