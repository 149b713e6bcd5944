"""The house's structure: imports point one way, in Python and in the Rust engine."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "protobrain"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _targets(node: ast.Import | ast.ImportFrom, module: str, modules: dict[str, Path]) -> list[str]:
    """The protobrain modules an import statement loads (submodules named in a from-import too)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the module's package, one level up per extra dot
            package = module.split(".")
            if modules[module].name != "__init__.py":
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    return [n for n in names if n in modules and n != module]


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: at module level, in try/if blocks, not in
    functions or classes, and not under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                found.append(statement)
            elif isinstance(statement, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(statement.test):
                    visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, ast.Try):
                visit(statement.body)
                for handler in statement.handlers:
                    visit(handler.body)
                visit(statement.orelse)
                visit(statement.finalbody)

    visit(tree.body)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one node (or a self loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                strongconnect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return found


def python_import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = {t for node in _top_level_imports(tree) for t in _targets(node, module, modules)}
        # A module's parent packages run first anyway; an edge to them is no dependency.
        graph[module] = {t for t in targets if not module.startswith(t + ".")}
    return graph


def test_the_python_package_has_no_import_cycles():
    graph = python_import_graph()
    assert graph["protobrain.brain"] >= {"protobrain.neuron", "protobrain.sensor"}  # the parser sees imports
    assert _cycles(graph) == []


def test_an_import_inside_a_function_says_why():
    """Imports belong at the top; one inside a function breaks a cycle or keeps an optional
    dependency optional, and a comment on it (or just above it) says which."""
    unexplained = []
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        here, above = lines[inner.lineno - 1], lines[inner.lineno - 2]
                        if "#" not in here and not above.strip().startswith("#"):
                            unexplained.append(f"{path.relative_to(ROOT)}:{inner.lineno}: {here.strip()}")
    assert unexplained == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_every_pytest_raises_says_which_error():
    """A bare ``pytest.raises(ValueError)`` passes on any ValueError, also an unrelated one."""
    bare = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "pytest.raises"
                and not any(k.arg == "match" for k in node.keywords)
            ):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


def _engine_sources() -> Path:
    """The pure Rust engine's source folder (its own crate, or a module of the bindings')."""
    for candidate in (ROOT / "rust" / "engine" / "src", ROOT / "rust" / "src" / "engine"):
        if candidate.is_dir():
            return candidate
    raise AssertionError("no engine sources found")


def _without_tests(text: str) -> str:
    """The source up to its ``#[cfg(test)]`` module: unit tests may use any module."""
    match = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod \w+\s*\{", text, re.M)
    return text[: match.start()] if match else text


def rust_module_graph() -> dict[str, set[str]]:
    """Which engine module names which other one: ``super::x``, ``crate::x`` or
    ``crate::engine::x`` in its code (not its tests); the crate root is left out, since it
    declares and re-exports every module."""
    folder = _engine_sources()
    roots = {"lib", "mod"}
    modules = {p.stem for p in folder.glob("*.rs")} - roots
    graph: dict[str, set[str]] = {}
    for name in modules:
        text = _without_tests((folder / f"{name}.rs").read_text(encoding="utf-8"))
        text = re.sub(r"//[^\n]*", "", text)  # comments (docs name modules in prose)
        named = set(re.findall(r"\b(?:super|crate(?:::engine)?)::(\w+)", text))
        # `use super::{a, b::c}` groups
        for group in re.findall(r"\b(?:super|crate(?:::engine)?)::\{([^}]*)\}", text):
            named |= {part.strip().split("::")[0] for part in group.split(",") if part.strip()}
        graph[name] = (named & modules) - {name}
    return graph


def test_the_rust_engine_modules_have_no_cycles():
    graph = rust_module_graph()
    assert len(graph) >= 10 and sum(map(len, graph.values())) >= 10  # the parser sees the uses
    assert _cycles(graph) == []
