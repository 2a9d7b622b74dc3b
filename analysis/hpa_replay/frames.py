"""Replay inputs from a run directory's cluster frames (analysis.cluster.ClusterData): one `ReplayInput` per HPA
and stretch of constant spec (a spec edited mid-run starts a new stretch, judged without the old history).

Reads cluster/hpa.parquet (status, `metric_values`, `behavior`, `conditions`, `target_ref`), cluster/pods.parquet
(phase, Ready, start and Ready transition times, requests) and cluster/pod_metrics.parquet (which pods had a
metric, its timestamp and window). Runs recorded before these columns existed replay CPU only, from the
`cpu_utilization` / `cpu_target` columns, with every pod counted. JSON columns are parsed once per distinct value
(a 24-hour soak repeats most of them), so 86,400 samples and a million pod rows stay within seconds.
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
from rundir.columns import cluster_columns

__all__ = ["ControllerSettings", "build_inputs"]


@dataclass(frozen=True)
class ControllerSettings:
    cpu_initialization_period_s: float = 300.0
    initial_readiness_delay_s: float = 30.0


@lru_cache(maxsize=4096)
def _json(text: str | None) -> Any:
    return json.loads(text) if isinstance(text, str) and text else None


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, distinct values): missing values share one code."""
    codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


def _per_value(column: pd.Series, fn: Any) -> list[Any]:
    """`fn` of each row's value, computed once per distinct value."""
    codes, uniques = _codes(column)
    done = [fn(None if isinstance(u, float) and np.isnan(u) else u) for u in uniques]
    return [done[c] for c in codes]


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


def _currents(values: pd.Series, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(utilization, average value) of each of the `count` metrics per row, shape (count, rows); NaN when none."""
    def numbers(text: str | None) -> np.ndarray:
        entries = _json(text) or ()
        out = np.full((2, count), np.nan)
        for k, entry in enumerate(entries[:count]):
            current = entry.get("current") or {}
            for j, key in enumerate(("utilization", "average_value")):
                if current.get(key) is not None:
                    out[j, k] = float(current[key])
        return out

    codes, uniques = _codes(values)
    table = np.stack([numbers(u if isinstance(u, str) else None) for u in uniques]) if len(uniques) \
        else np.zeros((0, 2, count))
    rows = table[codes] if len(codes) else np.zeros((0, 2, count))
    return rows[:, 0, :].T, rows[:, 1, :].T


def _pod_rows(cluster: ClusterData, target_ref: str | None) -> pd.DataFrame | None:
    pods = cluster.frame("pods")
    if pods is None or not len(pods):
        return None
    kind, _, name = (target_ref or "").partition("/")
    deployments = cluster.frame("deployments")
    names = sorted(set(deployments["name"])) if deployments is not None else [name]
    if name and kind in ("Deployment", "ReplicaSet") and names != [name]:  # other workloads' pods are sampled
        owner = deployment_of_pods(pods, cluster.frame("replicasets"), names)
        pods = pods[(owner == name).to_numpy()] if (owner == name).any() else pods
    return pods


def _joined(pods: pd.DataFrame, metrics: pd.DataFrame | None) -> pd.DataFrame:
    """The pod rows with their PodMetrics at the same sample (`cpu`, `memory`, `timestamp`, `window`; NaN when
    the pod had none); without a PodMetrics file every pod counts as having fresh metrics since long ago."""
    keep = [c for c in ("time", "pod", "phase", "ready", "terminating", "start_time", "ready_transition",
                        "cpu_request", "memory_request") if c in pods.columns]
    out = pods[keep]
    if metrics is None:
        out = out.assign(cpu=1.0, memory=1.0, timestamp=np.inf, window=0.0)
        for column in ("start_time", "ready_transition"):
            out[column] = out[column].fillna(0.0) if column in out.columns else 0.0
        return out
    right = metrics[list(cluster_columns("pod_metrics"))].drop_duplicates(["time", "pod"])
    out = out.merge(right, on=["time", "pod"], how="left")
    for column in ("start_time", "ready_transition"):
        if column not in out.columns:
            out[column] = np.nan
    return out


def _series(rows: pd.DataFrame, cluster: ClusterData, settings: ControllerSettings,
            margin: float) -> tuple[MetricSeries, ...]:
    t = rows["time"].to_numpy(np.float64)
    pods = _pod_rows(cluster, rows["target_ref"].iloc[-1] if "target_ref" in rows.columns else None)
    metrics = cluster.frame("pod_metrics")
    if "metric_values" in rows.columns and rows["metric_values"].notna().any():
        targets = _targets(rows["metric_values"].iloc[-1])
        utilization, average = _currents(rows["metric_values"], len(targets))
    elif "cpu_target" in rows.columns and rows["cpu_target"].notna().any():
        targets = (MetricTarget("Resource", "cpu", "Utilization", float(rows["cpu_target"].dropna().iloc[-1])),)
        utilization, average = rows["cpu_utilization"].to_numpy(np.float64)[None, :], np.full((1, len(rows)), np.nan)
        metrics = None
    else:
        return ()
    joined = _joined(pods, metrics) if pods is not None else None
    out = []
    for k, target in enumerate(targets):
        resource = target.name if target.type in ("Resource", "ContainerResource") else "custom"
        if joined is None:
            groups = GroupCounts.uniform(np.zeros(len(t)))
        else:
            column = resource if resource in ("cpu", "memory") else None
            value = joined[column] if column else pd.Series(1.0, index=joined.index)
            groups = group_counts(joined.assign(value=value), t, resource if column else "custom",
                                  settings.cpu_initialization_period_s, settings.initial_readiness_delay_s, margin)
        out.append(MetricSeries(target, utilization[k], average[k], groups))
    return tuple(out)


def _changed(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Per row: does any of `columns` differ from the previous row (missing values equal each other)."""
    changed = np.zeros(len(rows), bool)
    if len(rows):
        changed[0] = True
    for column in columns:
        codes, _ = _codes(rows[column])
        changed[1:] |= codes[1:] != codes[:-1]
    return changed


def _segments(rows: pd.DataFrame) -> list[pd.DataFrame]:
    keys = rows[["behavior", "min_replicas", "max_replicas"]].copy()
    if "metric_values" in rows.columns:
        keys["targets"] = [repr(v) for v in _per_value(rows["metric_values"], _targets)]
    change = np.cumsum(_changed(keys, list(keys.columns)))
    return [rows[change == k] for k in np.unique(change)]


def _one(rows: pd.DataFrame, cluster: ClusterData, settings: ControllerSettings) -> ReplayInput:
    t = rows["time"].to_numpy(np.float64)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    prev = np.concatenate([[t[0] - step], t[:-1]]) if len(t) else t
    status_cols = [c for c in ("current_replicas", "desired_replicas", "metrics", "conditions", "last_scale_time")
                   if c in rows.columns]
    conditions = rows["conditions"] if "conditions" in rows.columns else pd.Series([None] * len(rows))
    ok = np.array(_per_value(conditions, _metrics_ok), dtype=bool)
    scale = rows["last_scale_time"].to_numpy(np.float64) if "last_scale_time" in rows.columns \
        else np.full(len(rows), np.nan)
    return ReplayInput(str(rows["name"].iloc[0]), t, prev, rows["current_replicas"].to_numpy(np.float64),
                       rows["desired_replicas"].to_numpy(np.float64), rows["min_replicas"].to_numpy(np.float64),
                       rows["max_replicas"].to_numpy(np.float64), _changed(rows, status_cols), ok, scale,
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
