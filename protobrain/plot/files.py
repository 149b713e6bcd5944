"""Writing a figure to an image file: the format from the extension, the file whole or
not at all.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from protobrain.plot._figure import _matplotlib
from protobrain.util.atomic import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def check_output(path: str | os.PathLike[str]) -> str:
    """The image format ``path``'s extension names (``png``, ``pdf``, ``svg``, ...).

    Raises ImportError when matplotlib is missing and ValueError for an extension
    matplotlib cannot write, so a command can refuse before doing any work.
    """
    _matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase  # matplotlib is optional: imported only when drawing

    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    supported = FigureCanvasBase.get_supported_filetypes()
    if extension not in supported:
        raise ValueError(
            f"cannot tell the image format of {os.fspath(path)!r}: use one of the extensions "
            + ", ".join(f".{e}" for e in sorted(supported))
        )
    return extension


def save(figure: Figure, path: str | os.PathLike[str], dpi: float | None = None) -> None:
    """Write ``figure`` to ``path`` in the format its extension names, whole or not at all.

    The file appears only once complete (an existing file is replaced then, or left as it
    was on error). Raises ValueError for an unknown extension, OSError when the file cannot
    be written.
    """
    fmt = check_output(path)
    with atomic_write(path) as file:
        figure.savefig(file, format=fmt, dpi=dpi if dpi is not None else "figure")
