"""The metrics' raw recommendation per sample, as upstream's replica calculator computes it from what one sync saw.

For a Utilization target (Resource / ContainerResource), with u the integer utilization the HPA reported (over
the pods counted with a metric), T the target and ratio = u / T:

- no missing pods and not (unready pods and ratio > 1): within tolerance (1 - down <= ratio <= 1 + up) keep the
  current count, else ceil(ratio x counted pods);
- otherwise rebalance: missing pods use max(100, T) % of their request on a scale-down (ratio < 1) and 0 on a
  scale-up (ratio > 1); unready pods use 0 when scaling up; new utilization = integer percent of the summed
  usage over the summed requests; keep the current count when the new ratio is within tolerance, changes side
  of 1, or the new count ceil(new ratio x pods) moves against the direction.

For an AverageValue target (Resource raw value, Pods metrics) the same with the per-pod average usage
(integer milli-units) over the target, missing pods at the target on a scale-down. Object and External metrics
cannot be replayed from pod data: their samples are not judged. Every array is over samples (one view).
"""

from __future__ import annotations

import numpy as np

from analysis.hpa_replay.inputs import VIEWS, MetricSeries

__all__ = ["PLAIN", "UTILIZATION", "combined", "metric_recommendation"]

UTILIZATION = ("Resource", "ContainerResource")
PLAIN = ("Resource", "ContainerResource", "Pods")


def _within(ratio: np.ndarray, up: float, down: float) -> np.ndarray:
    return (ratio >= 1.0 - down) & (ratio <= 1.0 + up)


def _rebalanced(current: np.ndarray, ratio: np.ndarray, new_ratio: np.ndarray, pods: np.ndarray, up: float,
                down: float) -> np.ndarray:
    """Upstream's checks after the rebalance: keep `current` unless the new ratio still asks to move that way."""
    new = np.ceil(new_ratio * pods)
    keep = _within(new_ratio, up, down) | ((ratio < 1.0) & (new_ratio > 1.0)) | ((ratio > 1.0) & (new_ratio < 1.0))
    keep |= ((new_ratio < 1.0) & (new > current)) | ((new_ratio > 1.0) & (new < current))
    return np.where(keep, current, new)


def _utilization(m: MetricSeries, view: int, current: np.ndarray, up: float, down: float,
                 high: bool) -> np.ndarray:
    g = m.groups
    ready, unready, missing = g.ready[view], g.unready[view], g.missing[view]
    weights = [np.where(np.isfinite(req), req, count) for req, count in
               ((g.req_ready[view], ready), (g.req_unready[view], unready), (g.req_missing[view], missing))]
    req_ready, req_unready, req_missing = weights
    target = m.target.target
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = m.utilization / target
        simple = np.where(_within(ratio, up, down), current, np.ceil(ratio * ready))
        # the usage of the counted pods: utilization x requests (u is truncated, so up to one percent more)
        used = (m.utilization + (1.0 if high else 0.0)) * req_ready / 100.0
        fill = np.where(ratio < 1.0, req_missing * max(100.0, target) / 100.0, 0.0)
        with_missing = np.where(ratio != 1.0, 1.0, 0.0)
        scale_up_unready = (unready > 0) & (ratio > 1.0)
        requests = req_ready + with_missing * req_missing + np.where(scale_up_unready, req_unready, 0.0)
        new_ratio = np.floor((used + fill * with_missing) * 100.0 / requests) / target
        pods = ready + with_missing * missing + np.where(scale_up_unready, unready, 0.0)
        rebalanced = _rebalanced(current, ratio, new_ratio, pods, up, down)
    out = np.where(~scale_up_unready & (missing == 0), simple, rebalanced)
    return np.where((ready > 0) & np.isfinite(m.utilization), out, np.nan)


def _plain(m: MetricSeries, view: int, current: np.ndarray, up: float, down: float, high: bool) -> np.ndarray:
    g = m.groups
    ready, unready, missing = g.ready[view], g.unready[view], g.missing[view]
    target = m.target.target
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = m.average / target
        simple = np.where(_within(ratio, up, down), current, np.ceil(ratio * ready))
        total = (m.average + (1.0 if high else 0.0)) * ready  # the average is a truncated mean
        fill = np.where(ratio < 1.0, target * missing, 0.0)
        scale_up_unready = (unready > 0) & (ratio > 1.0)
        pods = ready + missing + np.where(scale_up_unready, unready, 0.0)
        new_ratio = np.floor((total + fill) / pods) / target
        rebalanced = _rebalanced(current, ratio, new_ratio, pods, up, down)
    out = np.where(~scale_up_unready & (missing == 0), simple, rebalanced)
    return np.where((ready > 0) & np.isfinite(m.average), out, np.nan)


def metric_recommendation(m: MetricSeries, view: int, current: np.ndarray, up: float, down: float,
                          high: bool = False) -> np.ndarray:
    """The recommendation of metric `m` in pod-group view `view`; NaN where it cannot be computed (no value
    reported, no counted pod, or a metric type the replay cannot follow)."""
    t = m.target
    if t.target_type == "Utilization" and t.type in UTILIZATION and t.target > 0:
        return _utilization(m, view, current, up, down, high)
    if t.target_type == "AverageValue" and t.type in PLAIN and t.target > 0:
        return _plain(m, view, current, up, down, high)
    return np.full(len(current), np.nan)


def combined(metrics: tuple[MetricSeries, ...], current: np.ndarray, up: float,
             down: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lowest, highest, nominal) recommendation over the views: the largest over the metrics (upstream takes the
    max of the metrics' proposals). A sample where a metric has no value is judged only when the others already
    ask for at least the current count (upstream then scales on the valid ones); else it is NaN."""
    n = len(current)
    if not metrics:
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    per_view = []
    for view in range(VIEWS):
        for high in (False, True):
            recs = np.vstack([metric_recommendation(m, view, current, up, down, high) for m in metrics])
            valid = np.isfinite(recs)
            best = np.where(valid.any(axis=0), np.nanmax(np.where(valid, recs, -np.inf), axis=0), np.nan)
            partial = ~valid.all(axis=0) & ~(best >= current)
            per_view.append(np.where(partial, np.nan, best))
    stack = np.vstack(per_view)
    known: np.ndarray = np.isfinite(stack).all(axis=0)
    low = np.where(known, stack.min(axis=0, initial=np.inf, where=np.isfinite(stack)), np.nan)
    highest = np.where(known, stack.max(axis=0, initial=-np.inf, where=np.isfinite(stack)), np.nan)
    return low, highest, stack[0]
