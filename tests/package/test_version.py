"""One version, written once in Cargo.toml, and everything else agrees with it."""

from __future__ import annotations

import importlib.metadata
import re

import pytest
from helpers import ROOT

import protobrain

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: mypy, in the test extra, brings tomli
    tomllib = pytest.importorskip("tomli")


def test_the_version_is_written_once_and_agrees_everywhere():
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    version = workspace["workspace"]["package"]["version"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    for crate in ("rust/engine/Cargo.toml", "rust/python/Cargo.toml"):
        assert tomllib.loads((ROOT / crate).read_text(encoding="utf-8"))["package"]["version"] == {"workspace": True}
    assert protobrain.__version__ == protobrain._core.__version__ == version
    assert importlib.metadata.version("protobrain") == version
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_the_changelog_has_the_version_and_an_unreleased_section():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in changelog
    assert f"\n## [{protobrain.__version__}] - " in changelog
