"""Goodput: streams that met every latency SLO, per second of run (vLLM's definition, per stream).

A stream is good when its outcome is ok and, for each latency metric with an SLO that applies to its
endpoint, its own value is at or below the threshold of the highest configured percentile of that metric
(e.g. ttft_p99 when both ttft_p50 and ttft_p99 are set): ttft, tpot, e2e per stream, and the stream's own
gap_p99 for itl. Metrics a stream has no value for (tpot with one event) do not disqualify it.
goodput = good streams / run duration (manifest ended - started, else first scheduled to last end).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.checks.config import SLO_KEYS, SloConfig
from analysis.labels import label_codes
from analysis.latency import is_ok
from analysis.rundir import RunData

_COLUMN = {"ttft": "ttft", "tpot": "tpot", "e2e": "e2e", "itl": "gap_p99"}
_RANK = {"p50": 0, "p95": 1, "p99": 2}


def per_stream_thresholds(thresholds: dict[str, float]) -> dict[str, float]:
    """metric -> the threshold each stream must meet (from the highest configured percentile)."""
    chosen: dict[str, tuple[int, float]] = {}
    for key, value in thresholds.items():
        metric, column, _ = SLO_KEYS[key]
        if column is None:
            continue
        rank = _RANK[column]
        if metric not in chosen or rank > chosen[metric][0]:
            chosen[metric] = (rank, value)
    return {metric: value for metric, (_, value) in chosen.items()}


def good_mask(run: RunData, config: SloConfig) -> np.ndarray:
    s = run.streams
    good = is_ok(run).copy()
    codes, names = label_codes(s["endpoint"])
    per_endpoint = [per_stream_thresholds(config.for_endpoint(name)) for name in [*names, ""]]  # last: null
    for metric in {m for thresholds in per_endpoint for m in thresholds}:
        lookup = np.array([t.get(metric, np.inf) for t in per_endpoint])
        with np.errstate(invalid="ignore"):
            good &= ~(s[_COLUMN[metric]].to_numpy(np.float64) > lookup[codes])  # NaN: no value, no verdict
    return good


def duration(run: RunData) -> float:
    started, ended = run.manifest.get("started"), run.manifest.get("ended")
    if isinstance(started, int | float) and isinstance(ended, int | float) and ended > started:
        return float(ended - started)
    s = run.streams
    if not len(s):
        return 0.0
    first = np.nanmin(s["scheduled"].to_numpy(np.float64))
    last = np.nanmax(np.fmax(s["end"].to_numpy(np.float64), s["scheduled"].to_numpy(np.float64)))
    return float(max(last - first, 0.0))


def goodput(run: RunData, config: SloConfig, good: np.ndarray) -> dict[str, Any]:
    seconds = duration(run)
    n_good = int(good.sum())
    return {
        "good_streams": n_good,
        "streams": len(run.streams),
        "good_fraction": n_good / len(run.streams) if len(run.streams) else None,
        "duration_s": seconds,
        "goodput_per_s": n_good / seconds if seconds > 0 else None,
        "per_stream_thresholds": per_stream_thresholds(config.thresholds),
    }
