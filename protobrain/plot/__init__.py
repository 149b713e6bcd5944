"""Pictures of what a network does: rasters, spike counts, density, weights, comparisons.

Needs matplotlib, the optional extra ``protobrain[plot]`` (``pip install 'protobrain[plot]'``);
every function here raises :class:`ImportError` saying so when it is missing. Importing
this module works without it.

Each plotting function returns a :class:`matplotlib.figure.Figure` made without pyplot
(no window, no global state, safe in scripts, servers and threads); save it with
``figure.savefig('out.png')`` or :func:`save`, or let Jupyter show it. The data can come
from:

- a live :class:`~protobrain.brain.Brain` and the ``values`` to feed it: the brain is
  stepped through them with :meth:`~protobrain.brain.Brain.run` (it learns unless
  ``learn=False``), so the picture shows those steps;
- recorded activity: what ``Brain.run(values, record=True)`` returns (one bool array of
  shape ``(steps,) + layer.shape`` per layer, in ``brain.layers`` order), a single such
  array, or a :class:`Recording`;
- a snapshot file written by ``protobrain experiment`` (a path, read with
  :func:`read_snapshots`);
- results of :meth:`~protobrain.metrics.benchmark.Benchmark.run` (for
  :func:`spike_counts`, :func:`density` and :func:`compare`), or one metric's
  :class:`~protobrain.metrics.metric.MetricResults`.

Layers are numbered from 0 in ``brain.layers`` order (the order of ``Brain.run``'s
recording, of a snapshot's ``cortex.sdr`` and of ``protobrain inspect``); units are flat
C-order indices, like a snapshot's ``on_bits``.

The functions live in modules along these lines, all re-exported here:

- :mod:`~protobrain.plot.recording`: :class:`Recording`, :func:`record`,
  :func:`read_snapshots` (activity as arrays);
- :mod:`~protobrain.plot.activity`: :func:`raster`, :func:`spike_counts`,
  :func:`density`, :func:`overview`;
- :mod:`~protobrain.plot.weights`: :class:`WeightHistory`, :func:`record_weights`,
  :func:`weight_distribution`, :func:`weight_matrix`;
- :mod:`~protobrain.plot.comparison`: :func:`compare`;
- :mod:`~protobrain.plot.sweep`: :func:`heatmap` (a sweep's measure over two parameters);
- :mod:`~protobrain.plot.files`: :func:`check_output`, :func:`save`.
"""

from protobrain.plot._figure import COLORS, INSTALL_HINT
from protobrain.plot.activity import MIN_DPI, density, overview, raster, spike_counts
from protobrain.plot.comparison import compare
from protobrain.plot.files import check_output, save
from protobrain.plot.recording import ActivitySource as ActivitySource  # for annotations; not in __all__, as before
from protobrain.plot.recording import Recording, read_snapshots, record
from protobrain.plot.sweep import heatmap
from protobrain.plot.weights import WeightHistory, record_weights, weight_distribution, weight_matrix

__all__ = [
    "COLORS",
    "INSTALL_HINT",
    "MIN_DPI",
    "Recording",
    "WeightHistory",
    "check_output",
    "compare",
    "density",
    "heatmap",
    "overview",
    "raster",
    "read_snapshots",
    "record",
    "record_weights",
    "save",
    "spike_counts",
    "weight_distribution",
    "weight_matrix",
]
