"""Were the HPA's resource metrics fresh? `hpa.metrics_freshness` and the stale windows other HPA checks name.

A sample (one observer tick) is stale when the metrics pipeline served nothing usable or something too old:
- cluster/pod_metrics.parquet: some PodMetrics older than the limit (age = sample time - its timestamp), or the
  metrics.k8s.io request failed (cluster/gaps.parquet, source pod_metrics: metrics-server down);
- cluster/hpa.parquet: the HPA reported ScalingActive=False for a metric it could not get (FailedGet*Metric).
Limit: 3 metric windows (the windows PodMetrics report), at least 2 HPA sync periods: metrics-server's own
scrape period plus the kubelet's resolution stay well inside it. Stale samples less than 2.5 samples apart form
one window. A window counts (fails the check, makes hpa.scale_up_reaction judge a step as due) when it lasts
2 sync periods + 1 metric window or more: shorter ones are the moments a rollout's new pods have no sample yet.
While the HPA's target is at 0 replicas (current_replicas 0 with min_replicas >= 1) upstream disables autoscaling
(ScalingActive False, ScalingDisabled): no metrics are fetched nor needed, so stale samples then are set aside and
counted in the sentence; the same stretch with replicas > 0 is judged as usual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.kube import ClusterConfig, asof, skipped
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

__all__ = ["StaleWindow", "evaluate_freshness", "lasting_windows", "overlapping", "stale_windows"]

_FAILED_GET = ("FailedGetResourceMetric", "FailedGetContainerResourceMetric", "FailedGetPodsMetric")


@dataclass(frozen=True)
class StaleWindow:
    start: float
    end: float
    worst_age_s: float  # the oldest metrics served (NaN: none were, only failures)
    missing: bool  # some samples had no metrics at all (API failure, FailedGet*Metric)
    why: str

    def describe(self, origin: float) -> str:
        ages = [] if not np.isfinite(self.worst_age_s) else [f"metrics up to {self.worst_age_s:.0f} s old"]
        what = " then ".join((["no metrics"] if self.missing else []) + ages)
        return f"{fmt.offset(self.start - origin)} .. {fmt.offset(self.end - origin)} ({what}: {self.why})"


def limit_s(cluster: ClusterData, sync_period: float) -> float:
    metrics = cluster.frame("pod_metrics")
    window = float(metrics["window"].median()) if metrics is not None and metrics["window"].notna().any() else 15.0
    return max(3.0 * window, 2.0 * sync_period)


def _hpa_failed(cluster: ClusterData) -> pd.DataFrame:
    hpa = cluster.frame("hpa")
    if hpa is None or "conditions" not in hpa.columns:
        return pd.DataFrame(columns=["time", "age", "why"])

    def reason(text: str | None) -> str | None:
        for c in json.loads(text) if isinstance(text, str) and text else ():
            if c.get("type") == "ScalingActive" and c.get("status") == "False" and c.get("reason") in _FAILED_GET:
                return f"the HPA could not get its metrics ({c['reason']})"
        return None

    unique = {text: reason(text) for text in hpa["conditions"].dropna().unique()}
    why = hpa["conditions"].map(unique)
    rows = hpa[why.notna()]
    return pd.DataFrame({"time": rows["time"], "age": np.inf, "why": why[why.notna()]})


def _samples(cluster: ClusterData, limit: float) -> pd.DataFrame:
    """Stale samples: time, age (s; inf = none at all) and why."""
    parts = [_hpa_failed(cluster)]
    metrics = cluster.frame("pod_metrics")
    if metrics is not None and len(metrics):
        age = (metrics["time"] - metrics["timestamp"]).groupby(metrics["time"]).max()
        old = age[age > limit]
        parts.append(pd.DataFrame({"time": old.index.to_numpy(np.float64), "age": old.to_numpy(np.float64),
                                   "why": f"PodMetrics older than {limit:.0f} s"}))
    gaps = cluster.frame("gaps")
    if gaps is not None and len(gaps):
        down = gaps[gaps["source"] == "pod_metrics"]
        parts.append(pd.DataFrame({"time": down["time"].to_numpy(np.float64), "age": np.inf,
                                   "why": "the metrics API failed (" + down["error"].astype(str).str[:80] + ")"}))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["time", "age", "why"])
    return pd.concat(parts, ignore_index=True).sort_values("time", kind="stable")


def scaling_disabled(cluster: ClusterData, times: np.ndarray) -> np.ndarray:
    """Per time: the HPA's target was at 0 replicas in the latest cluster/hpa sample (upstream disables autoscaling
    then: metrics are neither fetched nor needed)."""
    hpa = cluster.frame("hpa")
    if hpa is None or not len(hpa) or not len(times):
        return np.zeros(len(times), dtype=bool)
    off = ((hpa["current_replicas"] == 0) & (hpa["min_replicas"] >= 1)).to_numpy(np.float64)
    return asof(np.asarray(times, dtype=np.float64), hpa["time"].to_numpy(np.float64), off) == 1.0


def _judged_samples(cluster: ClusterData, sync_period: float) -> tuple[pd.DataFrame, int]:
    """The stale samples to judge, and how many were set aside while scaling was disabled."""
    samples = _samples(cluster, limit_s(cluster, sync_period))
    off = scaling_disabled(cluster, samples["time"].to_numpy(np.float64))
    return samples[~off], int(off.sum())


def stale_windows(cluster: ClusterData, sync_period: float) -> list[StaleWindow]:
    """The windows in which the HPA's metrics were stale or missing (see the module docstring)."""
    return _windows(cluster, _judged_samples(cluster, sync_period)[0])


def _windows(cluster: ClusterData, samples: pd.DataFrame) -> list[StaleWindow]:
    """The judged stale `samples` grouped into windows (less than 2.5 HPA samples apart: one window)."""
    if not len(samples):
        return []
    ticks = cluster.frame("hpa")
    step = float(np.median(np.diff(np.unique(ticks["time"])))) if ticks is not None and len(ticks) > 2 else 1.0
    times = samples["time"].to_numpy(np.float64)
    breaks = np.flatnonzero(np.diff(times) > 2.5 * step) + 1
    out = []
    for chunk in np.split(np.arange(len(times)), breaks):
        part = samples.iloc[chunk]
        reasons = list(dict.fromkeys(part["why"]))
        ages = part["age"].to_numpy(np.float64)
        finite = ages[np.isfinite(ages)]
        out.append(StaleWindow(float(part["time"].min()), float(part["time"].max()),
                               float(finite.max()) if len(finite) else np.nan, bool(np.isinf(ages).any()),
                               "; then ".join(reasons[:3])))
    return out


def min_duration_s(cluster: ClusterData, sync_period: float) -> float:
    """How long a stale window must last to count: 2 sync periods + 1 metric window."""
    metrics = cluster.frame("pod_metrics")
    window = float(metrics["window"].median()) if metrics is not None and metrics["window"].notna().any() else 15.0
    return 2.0 * sync_period + window


def lasting_windows(cluster: ClusterData, sync_period: float) -> list[StaleWindow]:
    """The stale windows that count (see the module docstring)."""
    shortest = min_duration_s(cluster, sync_period)
    return [w for w in stale_windows(cluster, sync_period) if w.end - w.start >= shortest]


def overlapping(windows: list[StaleWindow], start: float, end: float) -> list[StaleWindow]:
    return [w for w in windows if w.end >= start and w.start <= end]


def evaluate_freshness(cluster: ClusterData, config: ClusterConfig, origin: float) -> CheckResult:
    name = "hpa.metrics_freshness"
    if cluster.frame("pod_metrics") is None and cluster.frame("hpa") is None:
        return skipped(name, "hpa", cluster.reason("cluster/pod_metrics.parquet"))
    limit = limit_s(cluster, config.hpa_sync_period_s)
    samples, disabled = _judged_samples(cluster, config.hpa_sync_period_s)
    windows = _windows(cluster, samples)
    aside = (f" {disabled} stale sample(s) while the target was at 0 replicas are set aside: the HPA disables "
             "scaling there and fetches no metrics." if disabled else "")
    shortest = min_duration_s(cluster, config.hpa_sync_period_s)
    long = [w for w in windows if w.end - w.start >= shortest]
    total = sum(w.end - w.start for w in windows)
    if not long:
        extra = f" ({len(windows)} shorter stale stretch(es): new pods without a sample yet)" if windows else ""
        source = "" if cluster.frame("pod_metrics") is not None else " (no cluster/pod_metrics.parquet: judged " \
                                                                       "from the HPA's conditions only)"
        return CheckResult(name, "pass", total, shortest, "s", Evidence(
            f"The HPA's metrics were fresh: no stale stretch (PodMetrics older than {limit:.0f} s, the metrics API "
            f"failing, or FailedGet*Metric) lasting {shortest:g} s (2 syncs + 1 metric window){extra}{source}.{aside}"),
            "hpa")
    shown = "; ".join(w.describe(origin) for w in long[:5])
    sentence = (f"The HPA's metrics were stale or missing for {fmt.seconds(total)} in {len(long)} window(s) of "
                f"{shortest:g} s or more (limit {limit:.0f} s old): {shown}. The HPA decided on what it was "
                "served: its reaction to load in these windows was late by their length." + aside)
    span = (long[0].start - origin, long[-1].end - origin)
    return CheckResult(name, "fail", total, shortest, "s", Evidence(sentence, span, (), {
        "stale_windows": [{"start_s": w.start - origin, "end_s": w.end - origin, "worst_age_s": w.worst_age_s,
                           "no_metrics": w.missing, "why": w.why} for w in long]}), "hpa")
