"""Change tracking for compiled networks, and what the model classes share.

A :class:`~protobrain.brain.Brain` compiles its model into one engine network so a step
crosses into Rust once. Anything that changes the model's structure (connecting an input,
setting a computation or learning rule, changing a parameter, editing a group's inputs or a
stack's layers) calls :func:`changed`, and the next step compiles afresh. Weights and
activity are shared with the engine, so changing them needs no recompilation.

The mixins :class:`TracksStepMethods` and :class:`Saveable` give the model classes what
they have in common.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_version = 0
#: Per thread: how many constructors of new model objects are running.
_building = threading.local()

F = TypeVar("F", bound=Callable[..., None])


def version() -> int:
    """A number that grows whenever any model's structure changes."""
    return _version


def changed() -> None:
    """Record that some model's structure changed (not while a new object is being built:
    no compiled network can contain it yet)."""
    global _version
    if not getattr(_building, "depth", 0):
        _version += 1


def new_object(init: F) -> F:
    """Decorates an ``__init__`` that sets up only the new object itself (through the same
    setters users call), so building objects between steps recompiles nothing."""

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        _building.depth = getattr(_building, "depth", 0) + 1
        try:
            init(self, *args, **kwargs)
        finally:
            _building.depth -= 1

    return wrapper  # type: ignore[return-value]


def _tracking(method_name: str, base: type) -> Any:
    original = getattr(base, method_name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        changed()
        return original(self, *args, **kwargs)

    method.__name__ = method_name
    method.__doc__ = original.__doc__
    return method


class TrackedDict(dict):  # type: ignore[type-arg]
    """A dict (a group's inputs) whose edits count as structural changes."""

    for _name in ("__setitem__", "__delitem__", "pop", "popitem", "clear", "update", "setdefault", "__ior__"):
        locals()[_name] = _tracking(_name, dict)
    del _name


class TrackedList(list):  # type: ignore[type-arg]
    """A list (a stack's layers) whose edits count as structural changes."""

    for _name in (
        "__setitem__",
        "__delitem__",
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "sort",
        "reverse",
        "__iadd__",
        "__imul__",
    ):
        locals()[_name] = _tracking(_name, list)
    del _name


#: Methods a compiled network calls or bypasses; replacing one on an instance is a change.
STEP_METHODS = frozenset({"compute", "learn", "feed", "run"})


class TracksStepMethods:
    """Mixin: assigning ``compute``, ``learn``, ``feed`` or ``run`` on an instance (a
    patched method) counts as a structural change, so compiled networks honour it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in STEP_METHODS:
            changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in STEP_METHODS:
            changed()
        object.__delattr__(self, name)


class Saveable:
    """Mixin: ``save(path)``, for the objects a model is saved from (a brain, a group, a stack)."""

    def save(self, path: str | os.PathLike[str], allow_pickle: bool = False) -> None:
        """Save this brain, group or stack and everything it reaches (a group brings the
        groups and the sensor it reads from) to ``path`` (see :func:`protobrain.checkpoint.save`);
        ``protobrain.load(path)`` gives it back, and stepping it continues bit-identically."""
        # Imported here, not at the top: protobrain.checkpoint imports the classes that inherit this.
        from protobrain import checkpoint

        checkpoint.save(self, path, allow_pickle=allow_pickle)
