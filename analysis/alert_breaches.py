"""What clients saw, as the alerting rules would judge it: the intervals in which the client-side measure of an
alert's symptom was over the alert's threshold (`alerts.*` checks, analysis/checks/alerts.py).

Each measure is taken over a trailing window, as the rule's own range selector does, from the streams that
ended in it (a stream that never ended counts at its scheduled time):
- errors: the fraction of streams whose outcome is not ok (client truth: a mid-stream failure is an error even
  though AgentFlow counts it as 2xx), over the rule's range;
- latency: the P99 of end - scheduled over the rule's range;
- down: every stream failed, over a short window (the rule has no range: `up` is instantaneous).
A window needs MIN_STREAMS streams to say anything. Breaches are the maximal runs of STEP_S-spaced times where
the measure is over the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Breach", "breaches", "client_series"]

STEP_S = 1.0
MIN_STREAMS = 10
DOWN_WINDOW_S = 5.0


@dataclass(frozen=True)
class Breach:
    kind: str  # errors | latency | down
    start: float  # epoch seconds
    end: float
    peak: float  # the worst measure in it (fraction, seconds, or 1.0 for down)

    @property
    def duration(self) -> float:
        return self.end - self.start


def _times(streams: pd.DataFrame) -> np.ndarray:
    end = streams["end"].to_numpy(np.float64)
    scheduled = streams["scheduled"].to_numpy(np.float64)
    return np.where(np.isfinite(end), end, scheduled)


def client_series(streams: pd.DataFrame, kind: str, window: float) -> pd.Series:
    """The client measure of `kind` at every STEP_S over the run (NaN where the window has too few streams)."""
    times = _times(streams)
    order = np.argsort(times, kind="stable")
    times = times[order]
    if not len(times):
        return pd.Series(dtype=np.float64)
    failed = (streams["outcome"].astype(object).to_numpy() != "ok")[order]
    latency = (streams["end"].to_numpy(np.float64) - streams["scheduled"].to_numpy(np.float64))[order]
    grid = np.arange(times[0] + STEP_S, times[-1] + STEP_S, STEP_S)
    hi = np.searchsorted(times, grid, side="right")
    lo = np.searchsorted(times, grid - window, side="right")
    out = np.full(len(grid), np.nan)
    cum_failed = np.concatenate([[0], np.cumsum(failed)])
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        n = b - a
        if n < MIN_STREAMS:
            continue
        if kind == "latency":
            values = latency[a:b]
            values = values[np.isfinite(values)]
            out[i] = float(np.quantile(values, 0.99)) if len(values) else np.nan
        else:
            out[i] = (cum_failed[b] - cum_failed[a]) / n
    return pd.Series(out, index=grid)


def breaches(streams: pd.DataFrame, kind: str, threshold: float, window: float) -> list[Breach]:
    """Maximal intervals where the client measure of `kind` exceeds `threshold` (down: where every stream failed)."""
    series = client_series(streams, kind, DOWN_WINDOW_S if kind == "down" else window)
    if series.empty:
        return []
    values = series.to_numpy()
    over = (values >= 1.0) if kind == "down" else (values > threshold)
    over &= np.isfinite(values)
    out = []
    edges = np.diff(np.concatenate([[0], over.astype(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        times = series.index[s:e]
        out.append(Breach(kind, float(times[0]), float(times[-1]), float(np.nanmax(values[s:e]))))
    return out
