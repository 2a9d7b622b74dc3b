"""Replay inputs from a run directory's cluster frames (analysis.cluster.ClusterData): one `ReplayInput` per HPA
and stretch of constant spec (a spec edited mid-run starts a new stretch, judged without the old history).

Reads cluster/hpa.parquet (status, `metric_values`, `behavior`, `conditions`, `target_ref`), cluster/pods.parquet
(phase, Ready, start and Ready transition times, requests) and cluster/pod_metrics.parquet (which pods had a
metric, its timestamp and window). Runs recorded before these columns existed replay CPU only, from the
`cpu_utilization` / `cpu_target` columns, with every pod counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.checks.kube import deployment_of_pods
from analysis.cluster import ClusterData
from analysis.hpa_replay.groups import group_counts
from analysis.hpa_replay.inputs import GroupCounts, MetricSeries, ReplayInput
from analysis.hpa_replay.spec import MetricTarget, parse_behavior

__all__ = ["ControllerSettings", "build_inputs"]


@dataclass(frozen=True)
class ControllerSettings:
    cpu_initialization_period_s: float = 300.0
    initial_readiness_delay_s: float = 30.0


@lru_cache(maxsize=4096)
def _json(text: str | None) -> Any:
    return json.loads(text) if isinstance(text, str) and text else None


def _metrics_ok(conditions: str | None) -> bool:
    """False when the HPA said ScalingActive=False (it could not compute from its metrics, or scaling is off)."""
    return not any(c.get("type") == "ScalingActive" and c.get("status") == "False" for c in _json(conditions) or ())


def _targets(values: str | None) -> tuple[MetricTarget, ...]:
    out = []
    for m in _json(values) or ():
        target = m.get("target") or {}
        kind = target.get("type") or ("Utilization" if "utilization" in target else "AverageValue")
        amount = target.get("utilization", target.get("average_value", target.get("value")))
        out.append(MetricTarget(str(m.get("type")), str(m.get("name")), str(kind),
                                float(amount) if amount is not None else np.nan))
    return tuple(out)


def _current(values: pd.Series, k: int, key: str) -> np.ndarray:
    def pick(text: str | None) -> float:
        entries = _json(text) or ()
        current = entries[k].get("current") if k < len(entries) else None
        value = (current or {}).get(key)
        return np.nan if value is None else float(value)

    mapped = values.map(pick) if len(values) else pd.Series(dtype=float)
    return mapped.to_numpy(np.float64)


def _pod_rows(cluster: ClusterData, target_ref: str | None) -> pd.DataFrame | None:
    pods = cluster.frame("pods")
    if pods is None or not len(pods):
        return None
    kind, _, name = (target_ref or "").partition("/")
    if name and kind in ("Deployment", "ReplicaSet"):
        deployments = cluster.frame("deployments")
        names = sorted(set(deployments["name"])) if deployments is not None else [name]
        owner = deployment_of_pods(pods, cluster.frame("replicasets"), names)
        pods = pods[(owner == name).to_numpy()] if (owner == name).any() else pods
    return pods


def _with_metric(pods: pd.DataFrame, metrics: pd.DataFrame | None, column: str | None) -> pd.DataFrame:
    """`pods` plus `value`, `timestamp` and `window` of its PodMetrics at the same sample (NaN when none);
    without a PodMetrics file every running pod counts as having the metric."""
    out = pods.copy()
    for col in ("start_time", "ready_transition"):
        if col not in out.columns:
            out[col] = np.nan
    if metrics is None or column is None:  # long started, Ready long ago, a fresh sample: counted when Ready
        out["value"], out["timestamp"], out["window"] = 1.0, np.inf, 0.0
        out["start_time"] = out["start_time"].fillna(0.0)
        out["ready_transition"] = out["ready_transition"].fillna(0.0)
        return out
    joined = metrics[["time", "pod", column, "timestamp", "window"]].rename(columns={column: "value"})
    return out.merge(joined.drop_duplicates(["time", "pod"]), on=["time", "pod"], how="left")


def _series(rows: pd.DataFrame, cluster: ClusterData, settings: ControllerSettings,
            margin: float) -> tuple[MetricSeries, ...]:
    t = rows["time"].to_numpy(np.float64)
    pods = _pod_rows(cluster, rows["target_ref"].iloc[-1] if "target_ref" in rows.columns else None)
    metrics = cluster.frame("pod_metrics")
    if "metric_values" in rows.columns and rows["metric_values"].notna().any():
        targets = _targets(rows["metric_values"].iloc[-1])
        utilization = [_current(rows["metric_values"], k, "utilization") for k in range(len(targets))]
        average = [_current(rows["metric_values"], k, "average_value") for k in range(len(targets))]
    elif "cpu_target" in rows.columns and rows["cpu_target"].notna().any():
        targets = (MetricTarget("Resource", "cpu", "Utilization", float(rows["cpu_target"].dropna().iloc[-1])),)
        utilization, average = [rows["cpu_utilization"].to_numpy(np.float64)], [np.full(len(rows), np.nan)]
        metrics = None
    else:
        return ()
    out = []
    for k, target in enumerate(targets):
        resource = target.name if target.type in ("Resource", "ContainerResource") else "custom"
        column = resource if resource in ("cpu", "memory") else None
        if pods is None:
            groups = GroupCounts.uniform(np.zeros(len(t)))
        else:
            joined = _with_metric(pods, metrics, column)
            groups = group_counts(joined, t, resource if column else "custom",
                                  settings.cpu_initialization_period_s, settings.initial_readiness_delay_s, margin)
        out.append(MetricSeries(target, utilization[k], average[k], groups))
    return tuple(out)


def _key(rows: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One string per row from `columns` (missing values included: pandas' astype(str) would keep them NaN)."""
    key = pd.Series("", index=rows.index, dtype=object)
    for column in columns:
        key = key + "|" + rows[column].astype(object).map(str)
    return key


def _segments(rows: pd.DataFrame) -> list[pd.DataFrame]:
    key = _key(rows, ["behavior", "min_replicas", "max_replicas"])
    if "metric_values" in rows.columns:
        key = key + rows["metric_values"].map(lambda v: repr(_targets(v)))
    change = (key != key.shift()).cumsum().to_numpy()
    return [rows[change == k] for k in np.unique(change)]


def _one(rows: pd.DataFrame, cluster: ClusterData, settings: ControllerSettings) -> ReplayInput:
    t = rows["time"].to_numpy(np.float64)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    prev = np.concatenate([[t[0] - step], t[:-1]]) if len(t) else t
    status_cols = [c for c in ("current_replicas", "desired_replicas", "metrics", "conditions", "last_scale_time")
                   if c in rows.columns]
    status = _key(rows, status_cols)
    new = (status != status.shift()).to_numpy()
    conditions = rows["conditions"] if "conditions" in rows.columns else pd.Series([None] * len(rows))
    ok = conditions.map(_metrics_ok).to_numpy(bool)
    scale = rows["last_scale_time"].to_numpy(np.float64) if "last_scale_time" in rows.columns \
        else np.full(len(rows), np.nan)
    return ReplayInput(str(rows["name"].iloc[0]), t, prev, rows["current_replicas"].to_numpy(np.float64),
                       rows["desired_replicas"].to_numpy(np.float64), rows["min_replicas"].to_numpy(np.float64),
                       rows["max_replicas"].to_numpy(np.float64), new, ok, scale,
                       _series(rows, cluster, settings, max(1.5, step * 1.5)),
                       parse_behavior(_json(rows["behavior"].iloc[-1])))


def build_inputs(cluster: ClusterData, settings: ControllerSettings | None = None) -> list[ReplayInput]:
    """One ReplayInput per HPA and stretch of constant spec, in time order; [] without cluster/hpa.parquet."""
    hpa = cluster.frame("hpa")
    if hpa is None or not len(hpa):
        return []
    settings = settings or ControllerSettings()
    out = []
    for _, rows in hpa.sort_values("time", kind="stable").groupby("name", sort=True):
        rows = rows.reset_index(drop=True)
        out += [_one(seg.reset_index(drop=True), cluster, settings) for seg in _segments(rows)]
    return out
