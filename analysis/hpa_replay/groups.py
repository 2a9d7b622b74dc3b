"""Upstream's pod groups (groupPods) per observer sample, from cluster/pods.parquet and cluster/pod_metrics.parquet.

For each pod row of the HPA's target at a sample time t:
- ignored: terminating or phase Failed; unready: phase Pending; missing: no PodMetrics at that sample;
- CPU only, for a pod with a metric: unready when it has no Ready condition or start time; inside the CPU
  initialization period (start + period > t) when not Ready or its sample does not cover a full window since
  it became Ready (metric timestamp < Ready transition + window); after it only when not Ready and never Ready
  (start + initial readiness delay > Ready transition); a call within `margin` seconds of its edge is
  borderline and is flipped in view 2;
- the rest are counted with their metric.
Views (inputs.VIEWS): 0 the sample, 1 the previous sample, 2 the sample with borderline calls flipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.hpa_replay.inputs import VIEWS, GroupCounts

__all__ = ["group_counts"]

REQUEST_COLUMN = {"cpu": "cpu_request", "memory": "memory_request"}


def _classes(rows: pd.DataFrame, resource: str, cpu_init: float, delay: float,
             margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(counted, unready, missing, borderline) per pod row."""
    t = rows["time"].to_numpy(np.float64)
    phase = rows["phase"].astype(object).to_numpy()
    ignored = rows["terminating"].fillna(False).to_numpy(bool) | (phase == "Failed")
    pending = phase == "Pending"
    has = np.isfinite(rows["value"].to_numpy(np.float64))
    candidate = ~ignored & ~pending & has
    missing = ~ignored & ~pending & ~has
    unready = np.zeros(len(rows), bool)
    borderline = np.zeros(len(rows), bool)
    if resource == "cpu":
        ready = rows["ready"].fillna(False).to_numpy(bool)
        start = rows["start_time"].to_numpy(np.float64)
        transition = rows["ready_transition"].to_numpy(np.float64)
        stamp, window = rows["timestamp"].to_numpy(np.float64), rows["window"].to_numpy(np.float64)
        edge = transition + np.nan_to_num(window)
        no_info = ~np.isfinite(start) | ~np.isfinite(transition)
        never_ready = ~ready & (start + delay > transition)

        def unready_at(shift_init: float, shift_edge: float) -> np.ndarray:
            with np.errstate(invalid="ignore"):
                in_init = start + cpu_init > t + shift_init
                full = stamp >= edge + shift_edge
            return no_info | (in_init & (~ready | ~full)) | (~in_init & never_ready)

        unready = unready_at(0.0, 0.0)
        for shifts in ((-margin, -margin), (-margin, margin), (margin, -margin), (margin, margin)):
            borderline |= unready_at(*shifts) != unready  # the call changes within `margin` of its edges
    return candidate & ~unready, pending | (candidate & unready), missing, candidate & borderline


def _sums(times: np.ndarray, sample_times: np.ndarray, flags: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Per sample time: count and summed weight of each flag, shape (len(flags) * 2, samples)."""
    index = np.searchsorted(sample_times, times)
    valid = (index < len(sample_times)) & (sample_times[np.minimum(index, len(sample_times) - 1)] == times)
    out = np.zeros((len(flags) * 2, len(sample_times)))
    for k, flag in enumerate(flags):
        sel = flag & valid
        out[2 * k] = np.bincount(index[sel], minlength=len(sample_times))
        out[2 * k + 1] = np.bincount(index[sel], weights=weights[sel], minlength=len(sample_times))
    return out


def group_counts(pods: pd.DataFrame, sample_times: np.ndarray, resource: str, cpu_init: float, delay: float,
                 margin: float) -> GroupCounts:
    """GroupCounts for `resource` ("cpu", "memory", or a custom metric: every running pod has it) over the
    samples; `pods` holds the target's pod rows with their PodMetrics columns (`value`, `timestamp`, `window`)
    joined on (time, pod), NaN where the pod had none."""
    n = len(sample_times)
    counted, unready, missing, borderline = _classes(pods, resource, cpu_init, delay, margin)
    column = REQUEST_COLUMN.get(resource)
    requests = pods[column].to_numpy(np.float64) if column and column in pods.columns \
        else np.full(len(pods), np.nan)
    known = bool(np.isfinite(requests).all()) and len(requests) > 0
    weights = requests if known else np.ones(len(pods))
    times = pods["time"].to_numpy(np.float64)
    nominal = _sums(times, sample_times, [counted, unready, missing], weights)
    flipped = _sums(times, sample_times, [counted ^ borderline, unready ^ borderline, missing], weights)
    previous = np.concatenate([nominal[:, :1], nominal[:, :-1]], axis=1) if n else nominal
    views = np.stack([nominal, previous, flipped])  # (VIEWS, 6, n)
    assert views.shape[0] == VIEWS

    def requests_of(k: int) -> np.ndarray:
        return views[:, k] if known else np.full((VIEWS, n), np.nan)

    return GroupCounts(views[:, 0], views[:, 2], views[:, 4], requests_of(1), requests_of(3), requests_of(5))
