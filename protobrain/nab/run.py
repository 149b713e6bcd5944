"""Run a detector over a NAB corpus and write its results in NAB's layout (docs/nab.md).

:func:`run_corpus` runs :func:`protobrain.nab.detector.detect` over every labelled data
file of a NAB folder and writes ``OUT/<detector>/<category>/<detector>_<file>.csv`` with
NAB's columns ``timestamp,value,anomaly_score,raw_score,label`` (``label`` 1 inside a
labelled window), which NAB's own scorer and ``protobrain nab score`` read. Each file is
written whole or not at all, so a run that was stopped resumes where it stopped: files
whose results exist are skipped. Files run on an executor when one is given (a process
pool, a Dask client's executor); the results do not depend on where they run.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from protobrain.nab.detector import DetectorSettings, detect
from protobrain.nab.score import LabelledFile, read_corpus, results_path
from protobrain.util.atomic import atomic_write

__all__ = ["run_corpus", "run_file"]


def _rows(data_path: str) -> tuple[list[str], list[float]]:
    with open(data_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"timestamp", "value"} <= set(reader.fieldnames):
            raise ValueError(f"{data_path}: expected the columns timestamp and value, got {reader.fieldnames}")
        timestamps, values = [], []
        for line, row in enumerate(reader, start=2):
            try:
                values.append(float(row["value"]))
            except (TypeError, ValueError):
                raise ValueError(f"{data_path}, line {line}: value {row['value']!r} is not a number") from None
            timestamps.append(row["timestamp"])
    return timestamps, values


def run_file(
    nab_dir: str, out_dir: str, detector: str, file: LabelledFile, settings: DetectorSettings
) -> tuple[str, int]:
    """Run the detector on one data file and write its results; returns (path, rows)."""
    data_path = os.path.join(nab_dir, "data", *file.name.split("/"))
    timestamps, values = _rows(data_path)
    found = detect(timestamps, values, settings)
    label = np.zeros(len(values), dtype=np.int64)
    for start, end in file.windows:
        label[start : end + 1] = 1
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["timestamp", "value", "anomaly_score", "raw_score", "label"])
    for row in zip(timestamps, values, found.anomaly_score.tolist(), found.raw_score.tolist(), label.tolist()):
        writer.writerow([row[0], repr(row[1]), repr(row[2]), repr(row[3]), row[4]])
    path = results_path(out_dir, detector, file.name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with atomic_write(path) as handle:
        handle.write(text.getvalue().encode("utf-8"))
    return path, len(values)


def run_corpus(
    nab_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    detector: str = "protobrain",
    settings: DetectorSettings | None = None,
    executor: Executor | None = None,
    progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
) -> list[str]:
    """Run the detector over every labelled file of the NAB folder ``nab_dir`` whose results
    are not in ``out_dir`` yet; return the paths written (see the module docs)."""
    root, out = os.fspath(nab_dir), os.fspath(out_dir)
    settings = settings or DetectorSettings()
    corpus = read_corpus(root)
    todo = [f for f in corpus.files if not os.path.isfile(results_path(out, detector, f.name))]
    # Longest first, so the last process to finish is not left alone with a long file.
    todo.sort(key=lambda f: -len(f.timestamps))
    if executor is None:
        done: Iterable[Any] = (run_file(root, out, detector, f, settings) for f in todo)
    else:
        futures = [executor.submit(run_file, root, out, detector, f, settings) for f in todo]
        done = (future.result() for future in _as_completed(futures))
    if progress is not None:
        done = progress(done, len(todo))
    return [path for path, _ in done]


def _as_completed(futures: list[Any]) -> Iterable[Any]:
    from concurrent.futures import as_completed  # Dask's futures work with it too

    return as_completed(futures)
