"""Benchmarks on a real Dask cluster (worker processes), with the ``distributed`` extra."""

import json
import logging

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from helpers import benchmark_brain  # noqa: E402

from protobrain.cli.main import main  # noqa: E402
from protobrain.metrics import benchmark, spike_count, spike_density  # noqa: E402

INPUTS = [v % 100 for v in range(0, 200, 7)]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    with cluster, distributed.Client(cluster) as client_:
        yield client_


def brains():
    return [
        benchmark_brain((12, 8), sensor_length=64, seed=seed, rates=rates)
        for seed, rates in [(0, None), (1, (0.05, 0.002)), (2, (0.005, 0.001)), (3, (0.002, 0.0002))]
    ]


def test_a_dask_cluster_gives_the_serial_results_and_leaves_the_brains_alone(client):
    metrics = [spike_density.SpikeDensity(), spike_count.SpikeCount()]
    serial = benchmark.Benchmark(metrics).run(brains(), INPUTS)
    mine = brains()
    before = [layer.input.synapses.copy() for b in mine for layer in b.neurons.layers]
    parallel = benchmark.Benchmark(metrics).run(mine, INPUTS, executor=client.get_executor())
    assert parallel == serial
    after = [layer.input.synapses for b in mine for layer in b.neurons.layers]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert len(client.scheduler_info()["workers"]) == 2


def test_the_command_runs_on_a_dask_scheduler(client, capsys):
    args = ["benchmark", "--layers", "12", "8", "--sensor", "64", "--steps", "30", "--quiet", "--json"]
    assert main(args) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main([*args, "--scheduler", client.scheduler.address]) == 0
    on_dask = json.loads(capsys.readouterr().out)
    assert on_dask["settings"]["executor"] == f"dask {client.scheduler.address}"
    drop = ("seconds", "steps_per_second", "probe_seconds")
    assert [{k: v for k, v in b.items() if k not in drop} for b in on_dask["brains"]] == [
        {k: v for k, v in b.items() if k not in drop} for b in serial["brains"]
    ]
