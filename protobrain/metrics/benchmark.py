"""Run metrics over brains fed the same inputs, serially or on any executor (docs/specification.md §7).

``Benchmark(metrics).run(brains, inputs)`` steps each brain through ``inputs`` (feed the
sensor, compute, learn if asked) and gives every metric each step; it returns one
``{metric.name: MetricResults}`` dict per brain. Probes (:mod:`protobrain.evaluate.probes`:
noise robustness, stability, readout, similarity), given as ``Benchmark(metrics,
probes)``, are taken around each brain's run and add their results to the same dict;
they change nothing the metrics see. With ``executor=`` (any
``concurrent.futures.Executor``: a process pool, a Dask ``client.get_executor()``, ...)
each brain runs as one task on a copy of the brain and of the metrics, and the results
are identical to a serial run.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, as_completed
from typing import Any

from tqdm import tqdm

from protobrain.brain import Brain
from protobrain.metrics.metric import LayerMetric, Layout, Metric, MetricResults

__all__ = ["Benchmark", "Results"]

#: One brain's results: ``{metric.name: MetricResults}``.
Results = dict[str, MetricResults]

try:  # cloudpickle ships with distributed; it carries classes defined in __main__ by value
    import cloudpickle as _pickler
except ImportError:  # pragma: no cover - the standard pickle serves everything importable
    _pickler = pickle  # type: ignore[no-redef]


class Benchmark:
    """Evaluates metrics on brains.

    Args:
        metrics: the metrics to compute for every brain.
        probes: measurements taken on each brain before, during and after its run
            (:class:`protobrain.evaluate.probes.Probe`); none by default. Names of metrics
            and probes must all differ, since they key the results.
    """

    def __init__(self, metrics: Iterable[Metric], probes: Iterable[Any] = ()) -> None:
        self.metrics: list[Metric] = list(metrics)
        self.probes: list[Any] = list(probes)
        names = [metric.name for metric in self.metrics] + [probe.name for probe in self.probes]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"metric names must differ, they key the results; repeated: {duplicates}")
        #: Wall-clock seconds each brain of the last :meth:`run` took to step and record
        #: (measured where it ran, so shipping to and from workers is not included; the
        #: probes' time is not included either).
        self.last_run_seconds: list[float] = []
        #: Wall-clock seconds each brain's probes took in the last :meth:`run`.
        self.last_probe_seconds: list[float] = []

    def run(
        self,
        brains: Iterable[Any],
        inputs: Iterable[Any],
        learning: bool = True,
        verbose: bool = False,
        executor: Executor | None = None,
    ) -> list[Results]:
        """Run every brain through ``inputs``; return one ``{metric.name: MetricResults}`` per brain.

        For each brain the metrics are reset, then for each input the sensor is fed, the
        brain computes, learns if ``learning``, and every metric records
        ``next(brain.neurons)``.

        Args:
            brains: the brains to evaluate, independent of each other.
            inputs: the values fed to each brain's sensor, in order (the same for every brain).
            learning: whether the brains learn at every step.
            verbose: show a progress bar on stderr (brains done, steps, steps/s); it hides
                itself when stderr is not a terminal.
            executor: run each brain as one task of this executor instead of here.

        Without an executor the brains are trained in place (as in the original protobrain)
        and ``self.metrics`` end holding the last brain's steps. With an executor each task
        gets a pickled copy of its brain and of the metrics: the caller's brains and
        metrics are left exactly as they were, whatever the executor (threads included),
        and the results are identical to a serial run's. Brains, their computations,
        learning rules, encoders, the metrics and the inputs must then be picklable.
        """
        brains = list(brains)
        inputs = list(inputs)
        total = len(brains) * len(inputs)
        with tqdm(total=total, unit="step", desc="brains", disable=None if verbose else True) as bar:
            if executor is None:
                outcomes = self._run_here(brains, inputs, learning, bar)
            else:
                outcomes = self._run_on(executor, brains, inputs, learning, bar)
        self.last_run_seconds = [seconds[0] for _, seconds in outcomes]
        self.last_probe_seconds = [seconds[1] for _, seconds in outcomes]
        return [results for results, _ in outcomes]

    def _run_here(
        self, brains: list[Any], inputs: list[Any], learning: bool, bar: tqdm
    ) -> list[tuple[Results, tuple[float, float]]]:
        outcomes = []
        on_steps = None if bar.disable else bar.update
        for index, brain in enumerate(brains):
            bar.set_postfix_str(f"brain {index + 1}/{len(brains)}", refresh=False)
            outcomes.append(_evaluate(brain, self.metrics, self.probes, inputs, learning, on_steps))
        return outcomes

    def _run_on(
        self, executor: Executor, brains: list[Any], inputs: list[Any], learning: bool, bar: tqdm
    ) -> list[tuple[Results, tuple[float, float]]]:
        metrics = _pickler.dumps((self.metrics, self.probes))
        futures: dict[Future[tuple[Results, tuple[float, float]]], int] = {}
        try:
            for index, brain in enumerate(brains):
                future = executor.submit(_evaluate_pickled, _pickler.dumps(brain), metrics, inputs, learning)
                futures[future] = index
            outcomes: list[tuple[Results, tuple[float, float]] | None] = [None] * len(brains)
            bar.set_postfix_str(f"0/{len(brains)} brains done", refresh=False)
            for done, future in enumerate(as_completed(futures), start=1):
                outcomes[futures[future]] = future.result()
                bar.update(len(inputs))
                bar.set_postfix_str(f"{done}/{len(brains)} brains done")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        assert all(outcome is not None for outcome in outcomes)
        return outcomes  # type: ignore[return-value]


def _takes_batches(metric: Metric) -> bool:
    """Whether ``metric`` may take a whole recording (``next_batch``) instead of ``next``
    every step: a :class:`LayerMetric` whose ``next`` is the built-in one. A subclass that
    overrides ``next`` is called every step, as docs/specification.md §7 says."""
    return isinstance(metric, LayerMetric) and type(metric).next is LayerMetric.next


def _evaluate(
    brain: Any,
    metrics: Sequence[Metric],
    probes: Sequence[Any],
    inputs: Sequence[Any],
    learning: bool,
    on_steps: Callable[[int], Any] | None,
) -> tuple[Results, tuple[float, float]]:
    """Step one brain through ``inputs`` recording ``metrics`` and taking ``probes``; return
    the results and the seconds taken stepping and recording, and probing. ``on_steps(n)``,
    when given, is told every time ``n`` more steps are done."""
    start = time.perf_counter()
    probing = 0.0
    for metric in metrics:
        metric.reset()
    for probe in probes:
        began = time.perf_counter()
        probe.start(brain)
        probing += time.perf_counter() - began
    checkpoints = sorted(
        {step for probe in probes if probe.every for step in range(probe.every, len(inputs) + 1, probe.every)}
    )

    def reached(steps: int) -> None:
        nonlocal probing
        for probe in probes:
            if probe.every and (steps % probe.every == 0 or steps == len(inputs)):
                began = time.perf_counter()
                probe.checkpoint(brain, steps)
                probing += time.perf_counter() - began

    if _runs_in_rust(brain) and all(_takes_batches(metric) for metric in metrics):
        # Brain.run gives the same activity as the loop below, bit for bit, and the
        # built-in metrics take its recordings whole; chunks keep a progress bar moving
        # and end at the probes' checkpoints. Other metrics get next(brain.neurons) every
        # step, as docs/specification.md §7 says.
        chunk = max(_RUN_CHUNK, len(inputs) // 100) if on_steps is not None else max(1, len(inputs))
        ends = sorted(set(range(chunk, len(inputs), chunk)) | set(checkpoints) | {len(inputs)} - {0})
        first = 0
        for end in ends:
            values = inputs[first:end]
            recorded = brain.run(values, learn=learning)
            for metric in metrics:
                metric.next_batch(brain.neurons, recorded)
            if on_steps is not None:
                on_steps(len(values))
            reached(end)
            first = end
    else:
        for step, value in enumerate(inputs, start=1):
            brain.sensor.feed(value)
            brain.compute()
            if learning:
                brain.learn()
            for metric in metrics:
                metric.next(brain.neurons)
            if on_steps is not None:
                on_steps(1)
            reached(step)
    results: Results = {metric.name: metric.compute() for metric in metrics}
    for probe in probes:
        began = time.perf_counter()
        results[probe.name] = probe.finish(brain)
        probing += time.perf_counter() - began
    return results, (time.perf_counter() - start - probing, probing)


#: The fewest steps per Brain.run call when a progress bar is shown (about a hundredth
#: of the run otherwise, so the bar moves a hundred times).
_RUN_CHUNK = 256


def _runs_in_rust(brain: Any) -> bool:
    """Whether ``brain`` is a plain :class:`~protobrain.brain.Brain` whose recorded groups
    are exactly the layers the metrics see, so a recording can stand for the loop."""
    if not isinstance(brain, Brain) or any(
        getattr(type(brain), name) is not getattr(Brain, name) or name in vars(brain)
        for name in ("compute", "learn", "run")
    ):
        return False
    shapes = Layout.of(brain.neurons).shapes
    layers = brain.layers
    return len(layers) == len(shapes) and all(tuple(g.shape) == tuple(s) for g, s in zip(layers, shapes))


def _evaluate_pickled(
    brain: bytes, measures: bytes, inputs: list[Any], learning: bool
) -> tuple[Results, tuple[float, float]]:
    """An executor task: evaluate a pickled brain with pickled metrics and probes (copies of the caller's)."""
    metrics, probes = pickle.loads(measures)
    return _evaluate(pickle.loads(brain), metrics, probes, inputs, learning, None)
