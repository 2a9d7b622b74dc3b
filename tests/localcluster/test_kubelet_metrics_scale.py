"""The kubelet's resource metrics under a declared CPU scale and a metrics lag: the same real samples, reported
x scale (CPU and memory), and served `metrics_lag` seconds old (the stale-metrics variant)."""

from __future__ import annotations

import pytest

from localcluster.config import ClusterConfig
from localcluster.kubelet import KubeletConfig
from localcluster.kubelet.metrics import PodMetrics


class Process:
    """A pod worker as the metrics sampler sees it: cumulative CPU seconds and RSS, advanced by the test."""

    uid, frozen = "uid-1", False

    def __init__(self) -> None:
        self.cpu, self.rss = 0.0, 30 * 1024 * 1024

    def sample(self) -> tuple[float, int]:
        return self.cpu, self.rss


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def sampled(config: KubeletConfig, seconds: int, cpu_per_s: float) -> tuple[PodMetrics, Process, Clock]:
    """A sampler fed one sample per second for `seconds` s of a process burning `cpu_per_s` CPU s per s."""
    proc, clock = Process(), Clock()
    metrics = PodMetrics(config, lambda ns, name: proc if name == "p" else None, lambda: [proc], clock)
    for _ in range(seconds):
        metrics.sample_all()
        clock.now += 1.0
        proc.cpu += cpu_per_s
    return metrics, proc, clock


@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_cpu_and_memory_are_the_real_samples_times_the_scale(scale):
    metrics, proc, clock = sampled(KubeletConfig(time_factor=5, cpu_scale=scale), 10, 0.05)  # 50 real millicores
    millicores, window, stamp = metrics.cpu_usage("ns", "p")
    assert millicores == pytest.approx(50.0 * scale)
    assert window == pytest.approx(3.0) and stamp == clock.now - 1.0
    rss, _ = metrics.memory_usage("ns", "p")
    assert rss == round(proc.rss * scale)


def test_a_metrics_lag_serves_old_samples_with_their_old_timestamps():
    config = KubeletConfig(time_factor=5, cpu_scale=10.0, metrics_lag=20.0)
    metrics, proc, clock = sampled(config, 15, 0.05)
    assert metrics.cpu_usage("ns", "p") is None and metrics.memory_usage("ns", "p") is None  # nothing 20 s old yet
    for _ in range(10):  # the load stops: the newest samples are idle, the lagged ones still show the work
        metrics.sample_all()
        clock.now += 1.0
    millicores, _, stamp = metrics.cpu_usage("ns", "p")
    assert clock.now - stamp >= 20.0
    assert millicores == pytest.approx(500.0)  # 50 real millicores x 10, from 20+ s ago
    assert proc.cpu == pytest.approx(0.75)
    fresh, _, _ = sampled(KubeletConfig(time_factor=5, cpu_scale=10.0), 15, 0.05)
    for _ in range(10):
        fresh.sample_all()
        fresh.clock.now += 1.0
    assert fresh.cpu_usage("ns", "p")[0] == pytest.approx(0.0)  # without the lag: the idle now


def test_cpu_scale_is_real_units_unless_stated_and_is_validated(tmp_path):
    assert ClusterConfig.build(tmp_path, time_scale="fast").cpu_scale == 1.0
    assert ClusterConfig.build(tmp_path).cpu_scale == 1.0
    assert ClusterConfig.build(tmp_path, time_scale="fast", cpu_scale=4).cpu_scale == 4.0
    assert ClusterConfig.build(tmp_path, variant="stale-metrics").metrics_lag == 240.0
    assert ClusterConfig.build(tmp_path).metrics_lag == 0.0
    for bad in (0, -1, 1e6):
        with pytest.raises(ValueError, match="--cpu-scale"):
            ClusterConfig.build(tmp_path, cpu_scale=bad)
    with pytest.raises(ValueError, match="cpu_scale"):
        KubeletConfig(cpu_scale=0)
