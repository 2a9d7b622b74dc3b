"""The replay's inputs and outputs: plain numpy arrays over one HPA's observer samples, no pandas, no I/O.

Sample i is what the observer saw at `time[i]`; the HPA sync that produced a status first seen at sample i ran
somewhere in (prev_time[i], time[i]]. Pod groups come in VIEWS: the same sample judged with the pods as seen at
sample i (view 0, the nominal one), at sample i-1 (view 1: the sync may have run before the later changes) and
at sample i with every borderline CPU-readiness call flipped (view 2). The replay computes its recommendation
in every view and keeps the lowest and highest: that is "as far as the samples allow".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.hpa_replay.spec import Behavior, MetricTarget

__all__ = ["VIEWS", "Deviation", "GroupCounts", "MetricSeries", "ReplayInput", "ReplayResult", "ReplaySettings"]

VIEWS = 3


@dataclass(frozen=True)
class GroupCounts:
    """Upstream's pod groups for one metric, shape (VIEWS, samples): pods counted with a metric (`ready`), unready
    (Pending, or CPU not yet trustworthy), missing a metric, and each group's summed requests (the metric's unit:
    millicores, bytes); requests are NaN when unknown (every pod then weighs the same)."""

    ready: np.ndarray
    unready: np.ndarray
    missing: np.ndarray
    req_ready: np.ndarray
    req_unready: np.ndarray
    req_missing: np.ndarray

    @classmethod
    def uniform(cls, ready: np.ndarray, unready: np.ndarray | None = None,
                missing: np.ndarray | None = None) -> GroupCounts:
        """Counts that are the same in every view, with equal requests (for tests and plain metrics)."""
        def views(a: np.ndarray | None) -> np.ndarray:
            base = np.zeros(len(ready)) if a is None else np.asarray(a, dtype=np.float64)
            return np.broadcast_to(base, (VIEWS, len(base))).copy()

        r, u, m = views(ready), views(unready), views(missing)
        return cls(r, u, m, r.copy(), u.copy(), m.copy())


@dataclass(frozen=True)
class MetricSeries:
    """One spec metric over the samples: the HPA's reported current value (status.currentMetrics: utilization in
    percent, average value per pod in milli-units; NaN when the HPA reported none) and the pod groups."""

    target: MetricTarget
    utilization: np.ndarray
    average: np.ndarray
    groups: GroupCounts


@dataclass(frozen=True)
class ReplayInput:
    name: str
    time: np.ndarray
    prev_time: np.ndarray
    current: np.ndarray  # status.currentReplicas (the target's replicas the sync started from)
    desired: np.ndarray  # status.desiredReplicas
    min_replicas: np.ndarray
    max_replicas: np.ndarray
    new_status: np.ndarray  # bool: a status not seen at the previous sample (a sync ran in between)
    metrics_ok: np.ndarray  # bool: the HPA computed from metrics (not ScalingActive=False for a metric failure)
    scale_time: np.ndarray  # status.lastScaleTime (second precision), NaN when unset
    metrics: tuple[MetricSeries, ...]
    behavior: Behavior | None

    def __post_init__(self) -> None:
        n = len(self.time)
        for name in ("prev_time", "current", "desired", "min_replicas", "max_replicas", "new_status",
                     "metrics_ok", "scale_time"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"ReplayInput {self.name}: {name} has {len(getattr(self, name))} values, "
                                 f"time has {n}")


@dataclass(frozen=True)
class ReplaySettings:
    """The HPA controller's settings (kube-controller-manager flags) and how much lag to allow."""

    sync_period_s: float = 15.0
    tolerance: float = 0.1
    downscale_stabilization_s: float = 300.0
    metric_lag_s: float = 15.0  # the metrics pipeline's window: a demand may show this late


@dataclass(frozen=True)
class Deviation:
    time: float
    kind: str  # too_fast | too_slow
    direction: str  # up | down
    expected: int  # the bound the observed value broke
    observed: int
    current: int
    reason: str
    duration_s: float = 0.0


@dataclass
class ReplayResult:
    """The expected path (`expected` point, allowed band [`low`, `high`]; NaN where not judged) per sample, the
    deviations and notes on what could not be judged."""

    name: str
    time: np.ndarray
    current: np.ndarray
    desired: np.ndarray
    expected: np.ndarray
    low: np.ndarray
    high: np.ndarray
    recommendation: np.ndarray  # the metrics' raw recommendation (view 0), before stabilization and policies
    judged: np.ndarray
    deviations: list[Deviation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
