"""README.md is a short front door whose links, model and commands all work, and every
relative link of docs/*.md leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"

#: Documents written on another branch at the same time: a link to one may point nowhere
#: until that branch is merged, and is checked like any other once the file exists.
PENDING = {DOCS / "architecture.md"}

#: The links the README must offer into docs/.
DOCS_LINKED = (
    "guide",
    "specification",
    "behaviour",
    "performance",
    "metrics",
    "experiments",
    "checkpoints",
    "architecture",
)

FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def _markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _links(path: Path) -> list[str]:
    """The targets of the links and images of a Markdown file, outside code blocks."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    return LINK.findall(text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, title in HEADING.findall(text):
        slug = _slug(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_the_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 160, f"README.md has {len(lines)} lines; move depth into docs/"


def test_the_readme_links_into_every_document():
    targets = set(_links(README))
    for name in DOCS_LINKED:
        assert f"docs/{name}.md" in targets, f"README.md does not link docs/{name}.md"
    assert "docs/images/overview.png" in targets


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    problems = []
    for target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
            continue
        if not resolved.exists():
            if resolved not in PENDING or anchor:
                problems.append(f"{target}: no such file")
            continue
        if anchor:
            if resolved.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in _anchors(resolved):
                problems.append(f"{target}: no heading with anchor #{anchor}")
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_slugs_are_githubs():
    assert _slug("3. Computations") == "3-computations"
    assert _slug("1. Outputs, inputs, synapses") == "1-outputs-inputs-synapses"
    assert _slug("`SparseComputation(n)`: k-winners") == "sparsecomputationn-k-winners"


def test_the_fifteen_line_model_runs(tmp_path, monkeypatch, capsys):
    blocks = PYTHON_BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) == 1, "the README has one Python block: the model in fifteen lines"
    code = blocks[0]
    statements = [line for line in code.splitlines() if line.strip()]
    assert len(statements) <= 16, f"the model takes {len(statements)} lines"
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md, the model in fifteen lines", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out.strip()
    # (array([...]),) (1024, 100): five active units of the last layer, then the weights' shape.
    match = re.fullmatch(r"\(array\(\[([\d,\s]+)\]\),\) \(1024, 100\)", out)
    assert match, out
    active = [int(unit) for unit in match.group(1).split(",")]
    assert len(active) == 5 and active == sorted(set(active)) and all(0 <= unit < 100 for unit in active)
    assert list(tmp_path.iterdir()) == []  # it writes nothing


def test_the_two_commands_are_those_ci_runs():
    commands = [block.strip() for block in SH_BLOCK.findall(README.read_text(encoding="utf-8"))[:2]]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/python examples/quickstart.py",
        'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    # The test command, byte for byte; then the example, in the environment it made.
    assert commands[1] in ci
    assert commands[0].split(" && ")[-1] in ci
    assert ci.index(commands[1]) < ci.index(commands[0].split(" && ")[-1])
    assert (ROOT / commands[0].split()[-1]).is_file()
    assert "Rust toolchain >= 1.85" in README.read_text(encoding="utf-8")
