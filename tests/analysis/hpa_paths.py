"""Build HPA replay inputs from a scripted list of HPA syncs, as the observer would have sampled them.

A sync is (time, current, desired, utilization[, ready pods]); the observer samples every `sample` seconds and
sees a sync's status from the first sample at or after it until the next sync. Statuses repeated unchanged are
not new (the observer cannot tell such a sync happened), exactly as in a real run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis.hpa_replay import GroupCounts, MetricSeries, MetricTarget, ReplayInput, ReplaySettings, parse_behavior

SETTINGS = ReplaySettings(sync_period_s=15.0, tolerance=0.1, downscale_stabilization_s=300.0, metric_lag_s=15.0)


@dataclass(frozen=True)
class Sync:
    t: float
    current: int
    desired: int
    utilization: float
    ready: int | None = None
    judged: bool = True  # False: the HPA had no usable metrics at this sync (ScalingActive=False)


def syncs_every(period: float, start: float, plan: list[tuple[int, int, float]]) -> list[Sync]:
    """Syncs `period` apart from `start`: plan is (current, desired, utilization) per sync."""
    return [Sync(start + i * period, c, d, u) for i, (c, d, u) in enumerate(plan)]


def rules(pods: int = 0, pods_period: int = 60, percent: int = 0, percent_period: int = 60, window=None,
          select: str = "Max") -> dict:
    """A behavior rule (spec JSON): upstream tests' generateScalingRules, and the e2e framework's helpers."""
    policies = []
    if pods:
        policies.append({"type": "Pods", "value": pods, "periodSeconds": pods_period})
    if percent:
        policies.append({"type": "Percent", "value": percent, "periodSeconds": percent_period})
    out: dict = {"selectPolicy": select}
    if policies:
        out["policies"] = policies
    if window is not None:
        out["stabilizationWindowSeconds"] = window
    return out


def build(syncs: list[Sync], behavior: dict | None, lo: int, hi: int, target: float = 100.0, sample: float = 1.0,
          end: float | None = None, metric: str = "cpu") -> ReplayInput:
    """The observer's view of `syncs` (utilization targets `target` %, every pod Ready with a metric)."""
    first = syncs[0].t
    last = end if end is not None else syncs[-1].t + 15.0
    times = np.arange(first, last + 1e-9, sample)
    at = np.searchsorted([s.t for s in syncs], times, side="right") - 1
    shown = [syncs[i] for i in at]
    current = np.array([s.current for s in shown], float)
    desired = np.array([s.desired for s in shown], float)
    util = np.array([s.utilization for s in shown], float)
    ready = np.array([s.ready if s.ready is not None else s.current for s in shown], float)
    ok = np.array([s.judged for s in shown])
    status = list(zip(current, desired, util, ready, ok, strict=True))
    new = np.array([i == 0 or status[i] != status[i - 1] for i in range(len(times))])
    scaled = [math.floor(s.t) if s.desired != s.current else np.nan for s in shown]
    scale_time = np.fmax.accumulate(np.array(scaled, float)) if len(scaled) else np.zeros(0)
    prev = np.concatenate([[times[0] - sample], times[:-1]])
    series = MetricSeries(MetricTarget("Resource", metric, "Utilization", target), util,
                          util * 5.0, GroupCounts.uniform(ready))
    n = len(times)
    return ReplayInput("agentflow", times, prev, current, desired, np.full(n, float(lo)), np.full(n, float(hi)),
                       new, ok, scale_time, (series,), parse_behavior(behavior))
