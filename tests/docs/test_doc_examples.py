"""The Python blocks of the pages that teach by example run, in order, in one namespace per page."""

from __future__ import annotations

import re

import pytest
from helpers import ROOT

BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES = ["connectivity.md", "encoders.md", "evaluation.md", "sequence-memory.md", "spatial-pooler.md", "sweeps.md"]


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_of_the_page_runs(page, tmp_path, monkeypatch):
    pytest.importorskip("sklearn")  # the pages use the evaluate extra, part of the test extra
    path = ROOT / "docs" / page
    monkeypatch.chdir(tmp_path)  # a block that writes files writes them here
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    assert blocks, f"docs/{page} has no Python block"
    namespace: dict[str, object] = {"__name__": "__main__"}  # the blocks run as a script would
    for number, block in enumerate(blocks, start=1):
        try:
            exec(compile(block, f"docs/{page} block {number}", "exec"), namespace)
        except Exception as error:  # the block's own error, with the page and block named
            raise AssertionError(f"docs/{page} block {number} fails: {error!r}") from error


def test_the_digits_example_reads_the_digit_and_shows_what_learning_does(capsys):
    pytest.importorskip("sklearn")
    import runpy  # only this test runs a script

    runpy.run_path(str(ROOT / "examples" / "digits.py"), run_name="__main__")
    first, second = capsys.readouterr().out.splitlines()
    raw, layer = (float(part.split(": ")[1].split("%")[0]) for part in first.split("   "))
    assert raw > 90 and 80 < layer < raw  # the random layer keeps most of what the pixels hold
    assert second.startswith("after Hebbian learning: ")
