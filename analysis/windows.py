"""Metrics over time (fixed windows aligned to the run start) and per load stage.

Window k covers [origin + k*width, origin + (k+1)*width) with origin = the run start (manifest `started`).
  started      streams whose `scheduled` falls in the window (streams scheduled before the start count in
               window 0); latency percentiles of a window are over the streams it started
  finished     streams whose `end` falls in the window; errors by outcome are counted at `end` too
  events/s     each stream's content events spread evenly over [first_token, last_token] (exact overlap)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.labels import slot_codes
from analysis.latency import Grouping, LatencyTables, by_column, is_ok
from analysis.rundir import RunData
from analysis.schema import OUTCOMES

WINDOW_S = 10.0
MAX_WINDOWS = 20_000  # 55 hours of 10 s windows; longer runs get wider windows (see effective_width)
ROWS_PER_CHUNK = 2_000_000
LATENCY_IN_WINDOWS = ("ttft", "itl", "e2e")


def n_windows(run: RunData, width: float = WINDOW_S) -> int:
    """Windows needed to cover every scheduled/end time and the manifest's end (at least one)."""
    last = run.manifest.get("ended") if isinstance(run.manifest.get("ended"), int | float) else None
    candidates = [run.streams[c].max() for c in ("scheduled", "end") if c in run.streams.columns]
    candidates = [float(c) for c in [*candidates, last] if c is not None and np.isfinite(c)]
    span = max(candidates, default=run.origin) - run.origin
    return max(1, int(np.floor(span / width)) + 1)


def effective_width(run: RunData, width: float = WINDOW_S) -> float:
    """`width`, or the smallest multiple of it that keeps the run within MAX_WINDOWS windows."""
    factor = int(np.ceil(n_windows(run, width) / MAX_WINDOWS))
    return width * max(1, factor)


def window_of(times: np.ndarray, origin: float, width: float, count: int) -> np.ndarray:
    """Window index (int32) of each time, clipped into [0, count-1]; -1 where the time is missing."""
    idx = np.subtract(times, origin, dtype=np.float64)
    np.floor_divide(idx, width, out=idx)
    np.clip(idx, 0, count - 1, out=idx)
    missing = np.isnan(idx)
    with np.errstate(invalid="ignore"):
        out = idx.astype(np.int32)
    out[missing] = -1
    return out


def window_grouping(run: RunData, width: float = WINDOW_S) -> Grouping:
    count = n_windows(run, width)
    codes = window_of(run.streams["scheduled"].to_numpy(np.float64), run.origin, width, count)
    return Grouping("window", codes, tuple(range(count)))


def stage_grouping(run: RunData) -> Grouping:
    return by_column("stage", run.streams["stage"])


def _ramp(starts: np.ndarray, rates: np.ndarray, count: int, width: float) -> np.ndarray:
    """R(t_k) = sum over i with starts_i < t_k of rates_i * (t_k - starts_i), at every edge t_k = k*width."""
    idx = np.clip(np.floor(starts / width), -1, count).astype(np.int64) + 1
    cum_rate = np.cumsum(np.bincount(idx, weights=rates, minlength=count + 2))
    cum_rate_start = np.cumsum(np.bincount(idx, weights=rates * starts, minlength=count + 2))
    edges = np.arange(count + 1) * width
    return edges * cum_rate[: count + 1] - cum_rate_start[: count + 1]


def events_per_window(run: RunData, width: float = WINDOW_S) -> np.ndarray:
    """Content events received in each window, each stream's events spread over [first_token, last_token]."""
    count = n_windows(run, width)
    s = run.streams
    out = np.zeros(count)
    for start in range(0, len(s), ROWS_PER_CHUNK):
        rows = slice(start, start + ROWS_PER_CHUNK)
        events = s["events"].to_numpy(np.float64, na_value=0.0)[rows]
        first = s["first_token"].to_numpy(np.float64)[rows] - run.origin
        last = s["last_token"].to_numpy(np.float64)[rows] - run.origin
        has = (events > 0) & np.isfinite(first)
        spread = has & np.isfinite(last) & (last > first)
        point = has & ~spread
        rates = events[spread] / (last[spread] - first[spread])
        cumulative = _ramp(first[spread], rates, count, width) - _ramp(last[spread], rates, count, width)
        out += np.diff(cumulative)
        out += np.bincount(window_of(first[point], 0.0, width, count), weights=events[point], minlength=count)
    return out


def _counts(times: np.ndarray, origin: float, width: float, count: int) -> np.ndarray:
    return _tally(window_of(times, origin, width, count), count)


def _tally(window: np.ndarray, count: int) -> np.ndarray:
    """Rows per window from window indices (-1 = no window)."""
    return np.bincount(window + 1, minlength=count + 1)[1:]


def errors_by_outcome(run: RunData, width: float = WINDOW_S) -> pd.DataFrame:
    """Non-ok streams per window (at `end`, or `scheduled` when end is missing), one column per outcome."""
    count = n_windows(run, width)
    s = run.streams
    codes, names = slot_codes(s["outcome"])
    table = np.zeros((count + 1) * len(names), dtype=np.int64)
    for start in range(0, len(s), ROWS_PER_CHUNK):
        rows = slice(start, start + ROWS_PER_CHUNK)
        when = s["end"].to_numpy(np.float64)[rows]
        when = np.where(np.isnan(when), s["scheduled"].to_numpy(np.float64)[rows], when)
        window = window_of(when, run.origin, width, count).astype(np.intp)
        table += np.bincount((window + 1) * len(names) + codes[rows], minlength=len(table))
    table = table.reshape(count + 1, len(names))[1:]
    present = {name for name, total in zip(names, table.sum(axis=0), strict=True) if total}
    columns = {o: table[:, names.index(o)] if o in names else np.zeros(count, np.int64) for o in OUTCOMES[1:]}
    columns.update({o: table[:, names.index(o)] for o in sorted(present - set(OUTCOMES))})
    return pd.DataFrame(columns, index=pd.RangeIndex(count, name="window"))


def per_window(
    run: RunData,
    latency: LatencyTables,
    width: float = WINDOW_S,
    good: np.ndarray | None = None,
    errors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per window: counts, rates, errors and latency percentiles (needs the "window" grouping)."""
    count = n_windows(run, width)
    s = run.streams
    frame = pd.DataFrame(index=pd.RangeIndex(count, name="window"))
    frame["start_s"] = frame.index * width
    scheduled = window_of(s["scheduled"].to_numpy(np.float64), run.origin, width, count)
    frame["started"] = _tally(scheduled, count)
    frame["finished"] = _counts(s["end"].to_numpy(np.float64), run.origin, width, count)
    frame["started_per_s"] = frame["started"] / width
    frame["finished_per_s"] = frame["finished"] / width
    frame["events_per_s"] = events_per_window(run, width) / width
    errors = errors_by_outcome(run, width) if errors is None else errors
    frame["errors"] = errors.sum(axis=1).to_numpy()
    if good is not None:
        frame["goodput_per_s"] = _tally(np.where(good, scheduled, -1), count) / width
    for metric in LATENCY_IN_WINDOWS:
        if (metric, "window") not in latency.tables:
            continue
        table = latency.get(metric, "window")
        for column in ("p50", "p95", "p99"):
            frame[f"{metric}_{column}"] = table[column].to_numpy()
    return frame


def per_stage(run: RunData, latency: LatencyTables) -> pd.DataFrame:
    """One row per load stage: its configuration (stages.parquet), stream counts and latency (stage grouping)."""
    codes, names = slot_codes(run.streams["stage"])
    streams = np.bincount(codes, minlength=len(names))
    ok = np.bincount(codes, weights=is_ok(run), minlength=len(names)).astype(np.int64)
    present = streams > 0
    stats = pd.DataFrame(
        {"streams": streams[present], "ok": ok[present]},
        index=pd.Index(np.array(names, dtype=object)[present], name="stage"),
    )
    stats["error_rate"] = (stats["streams"] - stats["ok"]) / stats["streams"]
    if run.stages is not None and len(run.stages):
        config = run.stages.assign(stage=run.stages["stage"].astype(object)).set_index("stage")
        config["start_s"] = config["start"] - run.origin
        config["end_s"] = config["end"] - run.origin
        config = config[["kind", "start_s", "end_s", "users", "rate"]]
        stats = config.join(stats, how="outer")
        stats = stats.sort_values("start_s", na_position="last")
        stats["started_per_s"] = stats["streams"] / (stats["end_s"] - stats["start_s"])
    for metric in LATENCY_IN_WINDOWS:
        if (metric, "stage") not in latency.tables:
            continue
        table = latency.get(metric, "stage")
        table = table.set_axis(pd.Index([str(i) for i in table.index], dtype=object, name="stage"))
        for column in ("p50", "p95", "p99"):
            stats[f"{metric}_{column}"] = table[column].reindex(stats.index)
    stats[["streams", "ok"]] = stats[["streams", "ok"]].fillna(0).astype(np.int64)
    stats.index.name = "stage"
    return stats
