"""The Numenta Anomaly Benchmark (NAB): score anomaly detectors' results as NAB does.

- :mod:`protobrain.nab.score`: reading a NAB folder (:func:`read_corpus`) and a detector's
  results (:func:`read_results`), and NAB's scoring: per-file scores at a threshold
  (:func:`score_file`), the corpus-wide threshold per profile (:func:`optimize_threshold`:
  NAB 1.0's :func:`twiddle`, with which NAB's published scores were made, or NAB's sweep
  since 2019) and the normalised final scores (:func:`score_corpus`, :func:`score_detector`).

- :mod:`protobrain.nab.detector`: protobrain's HTM detector; :mod:`protobrain.nab.run`: it
  over a corpus, in NAB's layout.
- :data:`SAMPLE`: a two-file NAB folder inside the package (NAB's licence with it).

``protobrain nab score`` and ``protobrain nab run`` are the command-line front ends.
"""

import os

from protobrain.nab.score import (
    OPTIMIZERS,
    STANDARD_PROFILES,
    Corpus,
    DetectorScore,
    FileScore,
    LabelledFile,
    Profile,
    ProfileScore,
    TwiddleResult,
    list_detectors,
    normalize,
    optimize_threshold,
    parse_scores,
    read_corpus,
    read_results,
    read_thresholds,
    score_corpus,
    score_detector,
    score_file,
    threshold_objective,
    threshold_sweep,
    twiddle,
)

#: The NAB sample inside the package: two files of the corpus, their labels, NAB's profiles
#: and licence (``sample/README.md``), what the commands read without ``--data``.
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample")

__all__ = [
    "OPTIMIZERS",
    "SAMPLE",
    "STANDARD_PROFILES",
    "Corpus",
    "DetectorScore",
    "FileScore",
    "LabelledFile",
    "Profile",
    "ProfileScore",
    "TwiddleResult",
    "list_detectors",
    "normalize",
    "optimize_threshold",
    "parse_scores",
    "read_corpus",
    "read_results",
    "read_thresholds",
    "score_corpus",
    "score_detector",
    "score_file",
    "threshold_objective",
    "threshold_sweep",
    "twiddle",
]
