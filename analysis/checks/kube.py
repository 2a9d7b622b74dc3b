"""Helpers shared by the cluster checks: pod -> deployment mapping, windows, results.

Their settings are the profile's `cluster_checks` (rundir.thresholds.ClusterChecks, parsed by
analysis.checks.config.parse_cluster_config; the manifest's `target.hpa_sync_period_s` is the default sync period).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.checks.config import ClusterConfig, parse_cluster_config  # noqa: F401  (the checks import them from here)
from analysis.checks.result import CheckResult, Evidence
from analysis.columnar import RunDirError

MAX_OBJECTS = 12


def skipped(name: str, kind: str, reason: str, unit: str = "", threshold: float | None = None) -> CheckResult:
    return CheckResult(name, "skipped", None, threshold, unit, Evidence(f"Skipped: {reason}."), kind=kind)


def window(times: Any, origin: float) -> tuple[float, float] | None:
    """(first, last) of `times` relative to the run start, or None."""
    values = np.asarray(pd.Series(times, dtype="float64").dropna(), dtype=np.float64)
    if not len(values):
        return None
    return (float(values.min() - origin), float(values.max() - origin))


def listed(items: list[str], limit: int = MAX_OBJECTS) -> tuple[str, ...]:
    """At most `limit` objects for the evidence, with a count of the rest."""
    unique = list(dict.fromkeys(items))
    if len(unique) <= limit:
        return tuple(unique)
    return (*unique[:limit], f"... and {len(unique) - limit} more")


def deployment_of_pods(pods: pd.DataFrame, replicasets: pd.DataFrame | None, deployments: list[str]) -> pd.Series:
    """The deployment of each pod row: via its ReplicaSet (`<deployment>-<template hash>`), else by name prefix."""
    owner = pd.Series([None] * len(pods), index=pods.index, dtype=object)
    if replicasets is not None and len(replicasets):
        rs = replicasets.dropna(subset=["template_hash"]).drop_duplicates("template_hash")
        by_hash = {}
        for name, template_hash in zip(rs["name"], rs["template_hash"], strict=True):
            suffix = f"-{template_hash}"
            if isinstance(name, str) and name.endswith(suffix):
                by_hash[template_hash] = name[: -len(suffix)]
        owner = pods["template_hash"].map(by_hash).astype(object)
    for deployment in sorted(deployments, key=len, reverse=True):  # longest prefix wins
        unowned = owner.isna() & pods["pod"].astype(str).str.startswith(f"{deployment}-")
        owner[unowned] = deployment
    return owner


def asof(times: np.ndarray, sample_times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The value of the latest sample at or before each time (NaN before the first sample)."""
    if not len(sample_times):
        return np.full(len(times), np.nan)
    order = np.argsort(sample_times, kind="stable")
    st, sv = sample_times[order], values[order].astype(np.float64)
    idx = np.searchsorted(st, times, side="right") - 1
    return np.where(idx >= 0, sv[np.clip(idx, 0, None)], np.nan)


def parse_json(text: Any, where: str) -> Any:
    """A JSON column value (None when null); bad JSON raises RunDirError naming the file and column."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{where}: not valid JSON ({exc}): {text[:80]!r}; re-run the observer") from exc


def finite(value: Any) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and math.isfinite(float(value))
