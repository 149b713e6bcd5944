"""Every citation of the specification points at a section the repository has."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from helpers import ROOT

SPECIFICATION = ROOT / "docs" / "specification.md"
CITATION = re.compile(r"specification\.md §(\d+)")
_WORD = "SP" + "EC"  # spelled in two so that this file does not match itself
#: A citation of the original project's specification, or of the folder it came from.
STRAY = re.compile(rf"\b{_WORD}\b|{_WORD}\.md|{_WORD}[ _]\d|\.\./shared")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = []
    for name in listed.splitlines():
        path = ROOT / name
        if path.suffix in {".py", ".pyi", ".rs", ".md", ".proto", ".toml", ".textproto"} or name == ".ci/run":
            files.append(path)
    return files


def test_every_cited_section_exists():
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", SPECIFICATION.read_text(encoding="utf-8"), re.M)}
    assert sections >= set(range(1, 9))
    cited = {}
    for path in _tracked_text_files():
        for number in CITATION.findall(path.read_text(encoding="utf-8")):
            cited.setdefault(int(number), []).append(path.relative_to(ROOT).as_posix())
    assert len(cited) >= 8  # code and docs do cite it, section by section
    assert {n: paths for n, paths in cited.items() if n not in sections} == {}


def test_no_citation_of_a_spec_outside_the_repository():
    """The original project's specification file is not in this repository: nothing cites it."""
    stray = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _tracked_text_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(STRAY, line)
    ]
    assert stray == []
