"""Kubelet settings, scaled by the cluster's time scale (heartbeats, restart back-off, metrics window), and the
declared CPU scale of the pods' resource metrics.

Probe timings and grace periods are NOT scaled: they come from the pod spec, as production sets them.
`cpu_scale` multiplies the real process CPU and RSS the resource metrics report (the HPA and metrics.k8s.io read
the same scaled numbers; docs/hpa.md); `metrics_lag` makes them that many seconds old (a metrics pipeline that
fell behind, the `stale-metrics` variant).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FAULT_ANNOTATION", "PORTS_ANNOTATION", "KubeletConfig"]

PORTS_ANNOTATION = "localcluster.agentflow.dev/ports"
FAULT_ANNOTATION = "localcluster.agentflow.dev/fault"
REPO_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class KubeletConfig:
    """Upstream defaults divided by `time_factor` (1 = real time, 5 = the `fast` time scale)."""

    time_factor: float = 1.0
    python: str = field(default_factory=lambda: sys.executable)
    stop_bound: float = 3.0  # cluster shutdown: SIGTERM, then SIGKILL after this many seconds
    log_lines: int = 5000
    cpu_scale: float = 1.0  # resource metrics = real process CPU (and RSS) x this
    metrics_lag: float = 0.0  # seconds: resource metrics served this old (0 = the newest samples)

    def __post_init__(self) -> None:
        if not self.cpu_scale > 0:
            raise ValueError(f"KubeletConfig.cpu_scale: must be > 0, got {self.cpu_scale!r}")
        if not self.metrics_lag >= 0:
            raise ValueError(f"KubeletConfig.metrics_lag: must be >= 0 seconds, got {self.metrics_lag!r}")

    @property
    def heartbeat_period(self) -> float:
        """Node status update period (upstream nodeStatusUpdateFrequency 10 s)."""
        return 10.0 / self.time_factor

    @property
    def backoff_base(self) -> float:
        """CrashLoopBackOff initial delay (upstream 10 s, doubling)."""
        return 10.0 / self.time_factor

    @property
    def backoff_max(self) -> float:
        """CrashLoopBackOff cap (upstream 300 s)."""
        return 300.0 / self.time_factor

    @property
    def backoff_reset(self) -> float:
        """A container that ran this long without crashing restarts its back-off (upstream 10 min)."""
        return 600.0 / self.time_factor

    @property
    def metrics_window(self) -> float:
        """CPU usage window (metrics-server scrapes cAdvisor's 15 s rate)."""
        return 15.0 / self.time_factor

    @property
    def metrics_resolution(self) -> float:
        """How often the pod metrics sampler reads /proc."""
        return max(0.5, min(5.0, self.metrics_window / 5))
