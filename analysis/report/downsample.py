"""Downsampling for display that keeps spikes: every series keeps its minimum and its maximum of each bucket.

`minmax(x, ys, buckets)` splits the x range into `buckets` equal spans; a span with at most two samples is kept as
is, else it becomes two points per series: the extremes, in the order they occurred, placed at the span's first
and last sample time. A one-window spike therefore survives any zoom level of the initial view, unlike averaging
or striding. NaN (no data) stays NaN when every sample of the span is NaN.
"""

from __future__ import annotations

import numpy as np


def minmax(x: np.ndarray, ys: list[np.ndarray], buckets: int = 1500) -> tuple[np.ndarray, list[np.ndarray]]:
    x = np.asarray(x, dtype=np.float64)
    if len(x) <= 2 * buckets or buckets < 1:
        return x, [np.asarray(y, dtype=np.float64) for y in ys]
    order = np.argsort(x, kind="stable")
    x = x[order]
    ys = [np.asarray(y, dtype=np.float64)[order] for y in ys]
    lo, hi = x[0], x[-1]
    index = np.minimum(((x - lo) / ((hi - lo) or 1.0) * buckets).astype(np.int64), buckets - 1)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    ends = np.r_[starts[1:], len(x)] - 1
    out_x = np.empty(2 * len(starts))
    out_x[0::2], out_x[1::2] = x[starts], x[ends]
    return out_x, [_extremes(y, starts, ends) for y in ys]


def _extremes(y: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per bucket [first, second] = (min, max) or (max, min), whichever came first; NaN-only buckets stay NaN."""
    filled_low = np.where(np.isnan(y), np.inf, y)
    filled_high = np.where(np.isnan(y), -np.inf, y)
    low = np.minimum.reduceat(filled_low, starts)
    high = np.maximum.reduceat(filled_high, starts)
    # positions of the extremes inside each bucket, to keep their order
    counts = ends - starts + 1
    bucket = np.repeat(np.arange(len(starts)), counts)
    position = np.arange(len(y))
    at_low = np.where(filled_low == low[bucket], position, len(y))
    at_high = np.where(filled_high == high[bucket], position, len(y))
    first_low = np.minimum.reduceat(at_low, starts)
    first_high = np.minimum.reduceat(at_high, starts)
    low_first = first_low <= first_high
    out = np.empty(2 * len(starts))
    out[0::2] = np.where(low_first, low, high)
    out[1::2] = np.where(low_first, high, low)
    out[~np.isfinite(out)] = np.nan
    return out
