"""Python objects that hold an engine handle."""

from __future__ import annotations

from typing import Any


class NativeState:
    """Pickling for classes that keep an engine handle in ``_native``.

    The handle is dropped from the pickled state and rebuilt by ``_make_native`` from the
    plain attributes, so subclasses with their own attributes pickle too.
    """

    _native: Any

    def _make_native(self) -> Any:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_native", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._native = self._make_native()
