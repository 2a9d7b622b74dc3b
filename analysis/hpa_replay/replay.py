"""`replay(ReplayInput, ReplaySettings) -> ReplayResult`: the replica path the HPA should have taken, from what
the observer recorded, and every deviation of the observed path from it (docs/hpa.md).

Independent of the local cluster's controller (analysis imports no other plane): written from upstream's
algorithm (pkg/controller/podautoscaler: replica calculator, normalizeDesiredReplicas[WithBehaviors]). It is a
conditional replay: each sample is judged against the HPA's own reported metrics, the recommendations those
imply, and the scale events that really happened, so one deviation does not shift every later expectation.
"""

from __future__ import annotations

import numpy as np

from analysis.hpa_replay.compare import deviations
from analysis.hpa_replay.inputs import ReplayInput, ReplayResult, ReplaySettings
from analysis.hpa_replay.normalize import normalize, scale_events
from analysis.hpa_replay.recommend import combined

__all__ = ["effective_sync_period", "replay"]


def effective_sync_period(inp: ReplayInput, configured: float) -> float:
    """The sync period as the statuses show it: the configured one, or longer when the HPA's statuses came
    further apart (a busy controller); gaps longer than 2.5 periods are idle stretches, not syncs."""
    gaps = np.diff(inp.time[inp.new_status])
    gaps = gaps[(gaps > 0) & (gaps < 2.5 * configured)]
    return max(configured, float(np.percentile(gaps, 90))) if len(gaps) >= 3 else configured


def _held(new_status: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each status's recommendation, computed at the sample it was first seen, held until the next one: samples
    that show the same status saw no new sync, so pods that changed meanwhile did not count yet."""
    index = np.maximum.accumulate(np.where(new_status, np.arange(len(values)), 0))
    return values[index]


def _tolerances(inp: ReplayInput, settings: ReplaySettings) -> tuple[float, float]:
    b = inp.behavior
    up = b.up.tolerance if b is not None and b.up.tolerance is not None else settings.tolerance
    down = b.down.tolerance if b is not None and b.down.tolerance is not None else settings.tolerance
    return up, down


def _notes(inp: ReplayInput, judged: np.ndarray, settings: ReplaySettings) -> list[str]:
    notes = []
    failed = int((~inp.metrics_ok).sum())
    if failed:
        notes.append(f"{failed} sample(s) not judged: the HPA could not compute from its metrics "
                     "(ScalingActive=False)")
    other = int((~judged & inp.metrics_ok).sum())
    if other:
        notes.append(f"{other} sample(s) not judged: no reported metric value or no pod counted with a metric")
    b = inp.behavior
    window = settings.downscale_stabilization_s if b is None or b.down.window_s is None else b.down.window_s
    if window > 0 and len(inp.time) and inp.time[-1] - inp.time[0] > 0:
        notes.append(f"scale-down not judged as too slow during the first {window:g} s: the recommendations "
                     "before the first sample are unknown")
    return notes


def replay(inp: ReplayInput, settings: ReplaySettings | None = None) -> ReplayResult:
    """The expected path with its band and the deviations of the observed desired replicas from it."""
    settings = settings or ReplaySettings()
    n = len(inp.time)
    if n == 0:
        empty = np.zeros(0)
        return ReplayResult(inp.name, empty, empty, empty, empty, empty, empty, empty, np.zeros(0, bool))
    up_tol, down_tol = _tolerances(inp, settings)
    usable = inp.metrics_ok & ~((inp.current == 0) & (inp.min_replicas > 0))  # replicas 0: scaling disabled
    low, high, nominal = (_held(inp.new_status, np.where(usable, r, np.nan))
                          for r in combined(inp.metrics, inp.current, up_tol, down_tol))
    rec = (low, high, nominal)
    intervals = np.diff(inp.time)
    sample = float(np.percentile(intervals, 90)) if len(intervals) else 1.0
    period = effective_sync_period(inp, settings.sync_period_s)
    effective = ReplaySettings(period, settings.tolerance, settings.downscale_stabilization_s, settings.metric_lag_s)
    band = normalize(inp, rec, effective, scale_events(inp), 2.0 * sample)
    judged = usable & np.isfinite(band.low) & np.isfinite(band.high)
    grace = period + settings.metric_lag_s + 2.0 * sample
    down_window = settings.downscale_stabilization_s
    found = deviations(inp, band, rec, judged, grace, down_window)
    nan = np.full(n, np.nan)
    return ReplayResult(inp.name, inp.time, inp.current, inp.desired, np.where(judged, band.mid, nan),
                        np.where(judged, band.low, nan), np.where(judged, band.high, nan), rec[2], judged, found,
                        _notes(inp, judged, settings))
