#!/usr/bin/env python3
"""Regenerate the Python modules and type stubs of ``protobrain/proto/*.proto``.

Users never need ``protoc``: the package ships ``*_pb2.py`` and ``*_pb2.pyi``. After
editing a ``.proto`` file, run (needs the ``test`` extra, which provides grpcio-tools)::

    python scripts/gen_proto.py           # rewrite protobrain/proto/*_pb2.py[i]
    python scripts/gen_proto.py --check   # exit 1 if the shipped files differ

The compiler is ``grpc_tools.protoc``, run with the repository root as the import path
so the modules import each other as ``protobrain.proto.<name>_pb2``; the stubs are then
fixed where a field shadows a builtin type (see :func:`fix_stub`). The generated code
checks at import time that the protobuf runtime is at least the version of the compiler
that wrote it (see the ``Protobuf Python Version`` line of each module), so the
``protobuf`` lower bound in ``pyproject.toml`` must be at least that version.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The line protoc writes into every generated module, naming the runtime it needs.
GENCODE_VERSION = re.compile(r"^# Protobuf Python Version: (\S+)$", re.MULTILINE)


#: Builtin types that a message may shadow with a field of the same name (docs/specification.md §8's
#: ``SensorValue`` has fields ``int`` and ``float``).
_BUILTIN_TYPES = ("int", "float", "str", "bytes", "bool")
_SHADOWING_FIELD = re.compile(rf"^\s+({'|'.join(_BUILTIN_TYPES)}): ", re.MULTILINE)
#: A builtin type name in a type position: not quoted, not an attribute, not a parameter name.
_TYPE_USE = re.compile(rf"(?<![\w.\"])({'|'.join(_BUILTIN_TYPES)})(?=[\],)=\s]|$)", re.MULTILINE)


def fix_stub(text: str) -> str:
    """Make a protoc ``.pyi`` valid where a field shadows a builtin type.

    In ``class SensorValue``, ``int: int`` declares a field named ``int``, after which
    ``int`` names that field, not the type, and type checkers reject the stub. Stubs with
    such fields refer to the types as ``_builtins.int`` etc.; other stubs are unchanged.
    """
    if not _SHADOWING_FIELD.search(text):
        return text
    return "import builtins as _builtins\n" + _TYPE_USE.sub(r"_builtins.\1", text)


def proto_files(root: Path = ROOT) -> list[Path]:
    """The ``.proto`` files of the package, relative to ``root``, sorted."""
    return sorted(p.relative_to(root) for p in (root / "protobrain" / "proto").glob("*.proto"))


def generated_names(protos: list[Path]) -> list[str]:
    """The generated files that belong to ``protos`` (module and stub for each)."""
    return [f"{p.stem}_pb2{ext}" for p in protos for ext in (".py", ".pyi")]


def generate(out_dir: Path, root: Path = ROOT, descriptor_set: Path | None = None) -> list[Path]:
    """Compile the package's ``.proto`` files into ``out_dir`` (as ``protobrain/proto/...``).

    With ``descriptor_set``, also write the files' ``FileDescriptorSet`` there. Returns the
    generated module and stub paths. Raises RuntimeError if protoc fails.
    """
    from grpc_tools import protoc  # the test extra; imported here so --help works without it

    protos = proto_files(root)
    if not protos:
        raise RuntimeError(f"no .proto files under {root / 'protobrain' / 'proto'}")
    args = ["grpc_tools.protoc", f"-I{root}", f"--python_out={out_dir}", f"--pyi_out={out_dir}"]
    if descriptor_set is not None:
        args.append(f"--descriptor_set_out={descriptor_set}")
    args += [str(p) for p in protos]
    code = protoc.main(args)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code} on {[str(p) for p in protos]}")
    package = out_dir / "protobrain" / "proto"
    paths = [package / name for name in generated_names(protos)]
    for path in paths:
        if path.suffix == ".pyi":
            path.write_text(fix_stub(path.read_text()))
    return paths


def drifted(root: Path = ROOT) -> list[str]:
    """Names of shipped generated files that differ from what protoc writes now."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp), root)
        shipped_dir = root / "protobrain" / "proto"
        return [
            path.name
            for path in fresh
            if not (shipped_dir / path.name).is_file() or (shipped_dir / path.name).read_bytes() != path.read_bytes()
        ]


def write(root: Path = ROOT) -> list[Path]:
    """Regenerate the shipped files in place; return their paths."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp), root)
        written = []
        for path in fresh:
            target = root / "protobrain" / "proto" / path.name
            target.write_bytes(path.read_bytes())
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ; exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        stale = drifted()
        if stale:
            print(f"out of date (run scripts/gen_proto.py): {', '.join(stale)}", file=sys.stderr)
            return 1
        print("generated protobuf modules are up to date")
        return 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
