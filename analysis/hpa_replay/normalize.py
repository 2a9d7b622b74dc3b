"""From the raw recommendation to the desired count: stabilization windows, scaling policies, min/max, as upstream's
`normalizeDesiredReplicas[WithBehaviors]` does, replayed against what was observed (not against itself).

Stabilization: the recommendation applied is clamp(current, lowest recommendation of the scale-up window,
highest of the scale-down window); every recommendation counts from its sync until the window has passed
(upstream keeps one per sync; a status the observer saw unchanged stands for the syncs that repeated it).
Policies: a limit is counted from the replicas at the start of its period, start = current - replicas added +
replicas removed by the HPA's scale events newer than now - period (the observer's desired changes, timed by
the samples and status.lastScaleTime); Pods: start +/- value; Percent: ceil(start x (1 + p/100)) up,
int(start x (1 - p/100)) down; selectPolicy Max takes the largest change, Min the smallest, Disabled none.
Without behavior: the highest recommendation of the controller's scale-down window, and a scale-up limit of
max(2 x current, 4) per sync. Then the max/min replicas.

Every bound is computed twice: `high` with what the HPA may have seen at the most (windows one sync period and
two samples shorter or longer, scale events in or out of a period when their time is ambiguous, the highest
recommendation) and `low` with the least; a recommendation the observation cannot know (before the first
sample) leaves its bound open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.hpa_replay.inputs import ReplayInput, ReplaySettings
from analysis.hpa_replay.spec import Policy, Rules

__all__ = ["Band", "ScaleEvents", "normalize", "scale_events"]


@dataclass(frozen=True)
class ScaleEvents:
    """The HPA's rescales as the observer saw them: sample index, earliest/latest time, signed change."""

    index: np.ndarray
    early: np.ndarray
    late: np.ndarray
    change: np.ndarray


@dataclass(frozen=True)
class Band:
    low: np.ndarray
    high: np.ndarray
    mid: np.ndarray
    stabilized: tuple[np.ndarray, np.ndarray]  # (low, high) after stabilization, before policies
    up_allowed: tuple[np.ndarray, np.ndarray]  # (low, high) the scale-up policies allowed
    down_allowed: tuple[np.ndarray, np.ndarray]


def scale_events(inp: ReplayInput) -> ScaleEvents:
    """A rescale is a status first seen with desired != current (whatever its reason: metrics or the min/max
    clamp); it ran in (previous sample, sample], within the second of lastScaleTime when that is set."""
    hit = np.flatnonzero(inp.new_status & (inp.desired != inp.current) & (inp.desired > 0))
    early, late = inp.prev_time[hit].copy(), inp.time[hit].copy()
    stamp = inp.scale_time[hit]
    known = np.isfinite(stamp) & (stamp + 1.0 > early) & (stamp <= late)
    early = np.where(known, np.maximum(early, stamp), early)
    late = np.where(known, np.minimum(late, stamp + 1.0), late)
    return ScaleEvents(hit, early, late, inp.desired[hit] - inp.current[hit])


def _changed_since(events: ScaleEvents, cutoff: np.ndarray, before: np.ndarray, by_early: bool,
                   sign: int) -> np.ndarray:
    """Replicas changed (added for sign +1, removed for -1) by events of samples before `before` whose time
    (earliest or latest) is after `cutoff`, per sample."""
    change = np.where(np.sign(events.change) == sign, np.abs(events.change), 0.0)
    total = np.concatenate([[0.0], np.cumsum(change)])
    times = events.early if by_early else events.late
    first = np.searchsorted(times, cutoff, side="right")
    last = np.searchsorted(events.index, before, side="left")
    return np.where(last > first, total[last] - total[np.minimum(first, last)], 0.0)


def _rolling(times: np.ndarray, values: np.ndarray, window: float, how: str) -> np.ndarray:
    """max/min of `values` over samples in (t - window, t] (NaN values skipped)."""
    if window <= 0:
        return values.copy()
    series = pd.Series(values, index=pd.to_datetime(times, unit="s"))
    roll = series.rolling(pd.Timedelta(seconds=window), min_periods=1)
    return (roll.max() if how == "max" else roll.min()).to_numpy(np.float64)


def _stabilized(inp: ReplayInput, rec: np.ndarray, settings: ReplaySettings, slack: float,
                sign: int) -> np.ndarray:
    """The stabilized recommendation; sign +1 for the high bound (long down window, short up window, history
    before the first sample unknown), -1 for the low bound, 0 for the nominal one."""
    t, c, b = inp.time, inp.current, inp.behavior
    down_w = settings.downscale_stabilization_s if b is None or b.down.window_s is None else b.down.window_s
    up_w = 0.0 if b is None else float(b.up.window_s or 0.0)
    lengthen = {1: slack, -1: -(settings.sync_period_s + slack), 0: 0.0}
    down_len = max(0.0, down_w + lengthen[sign]) if down_w > 0 else 0.0
    up_len = max(0.0, up_w + lengthen[-sign]) if up_w > 0 else 0.0
    down = _rolling(t, rec, down_len, "max")
    up = _rolling(t, rec, up_len, "min")
    start = t[0] if len(t) else 0.0
    if sign == 1 and down_w > 0:
        down = np.where(t - down_len < start, np.inf, down)
    if sign == -1 and up_w > 0:
        up = np.where(t - up_len < start, -np.inf, up)
    if b is None:  # upstream's stabilizeRecommendation: the highest recommendation of the window, either way
        return np.where(np.isfinite(rec), down, np.nan)
    return np.minimum(np.maximum(c, up), down)


def _limit(rules: Rules, start: Mapping[Policy, np.ndarray], current: np.ndarray, up: bool) -> np.ndarray:
    if rules.select == "Disabled" or not rules.policies:
        return current.copy()
    proposals = []
    for p in rules.policies:
        s = start[p]
        if p.type == "Pods":
            proposals.append(s + p.value if up else s - p.value)
        elif up:
            proposals.append(np.ceil(s * (1 + p.value / 100)))
        else:
            proposals.append(np.trunc(s * (1 - p.value / 100)))
    stack = np.vstack(proposals)
    largest_change = (rules.select == "Max") == up  # Max: the largest change (max up, min down)
    return stack.max(axis=0) if largest_change else stack.min(axis=0)


def _period_starts(inp: ReplayInput, events: ScaleEvents, rules: Rules, sign: int) -> dict[Policy, np.ndarray]:
    """policy -> replicas at the start of its period, per sample (sign +1: the highest start, -1: the lowest,
    0: events at their mid time and the sync at the sample)."""
    idx = np.arange(len(inp.time))
    starts = {}
    for p in rules.policies:
        late_cut, early_cut = inp.time - p.period_s, inp.prev_time - p.period_s
        if sign == 0:
            mid = ScaleEvents(events.index, (events.early + events.late) / 2, (events.early + events.late) / 2,
                              events.change)
            added = _changed_since(mid, late_cut, idx, True, 1)
            removed = _changed_since(mid, late_cut, idx, True, -1)
        else:
            certain_up = _changed_since(events, late_cut, idx, True, 1)
            possible_up = _changed_since(events, early_cut, idx, False, 1)
            certain_down = _changed_since(events, late_cut, idx, True, -1)
            possible_down = _changed_since(events, early_cut, idx, False, -1)
            added = certain_up if sign == 1 else possible_up
            removed = possible_down if sign == 1 else certain_down
        starts[p] = inp.current - added + removed
    return starts


def _desired(stab: np.ndarray, up_allowed: np.ndarray, down_allowed: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.where(stab > c, np.minimum(stab, up_allowed), np.where(stab < c, np.maximum(stab, down_allowed), c))


def normalize(inp: ReplayInput, rec: tuple[np.ndarray, np.ndarray, np.ndarray], settings: ReplaySettings,
              events: ScaleEvents, slack: float) -> Band:
    """The allowed band [low, high] and the nominal desired count per sample, from the recommendation range
    `rec` = (low, high, nominal)."""
    c, lo_r, hi_r = inp.current, inp.min_replicas, inp.max_replicas
    out: dict[int, tuple[np.ndarray, ...]] = {}
    for sign, values in ((1, rec[1]), (-1, rec[0]), (0, rec[2])):
        stab = _stabilized(inp, values, settings, slack, sign)
        b = inp.behavior
        if b is None:
            up_allowed = np.minimum(np.maximum(2.0 * c, 4.0), hi_r)
            down_allowed = lo_r.astype(np.float64)
        else:
            up_limit = np.maximum(_limit(b.up, _period_starts(inp, events, b.up, sign), c, True), c)
            down_limit = np.minimum(_limit(b.down, _period_starts(inp, events, b.down, sign), c, False), c)
            up_allowed = np.where(hi_r > up_limit, up_limit, hi_r)
            down_allowed = np.where(lo_r < down_limit, down_limit, lo_r)
        if b is None:  # convertDesiredReplicasWithRules: within [minReplicas, the scale-up limit]
            desired = np.minimum(np.maximum(stab, lo_r), up_allowed)
        else:
            desired = _desired(stab, up_allowed, down_allowed, c)
        desired = np.where(np.isnan(stab), np.nan, desired)  # no usable recommendation: nothing to expect
        desired = np.where(c > hi_r, hi_r, np.where(c < lo_r, lo_r, desired))
        out[sign] = (desired, stab, up_allowed, down_allowed)
    high, low, mid = out[1][0], out[-1][0], out[0][0]
    return Band(low, high, np.clip(mid, low, high), (out[-1][1], out[1][1]), (out[-1][2], out[1][2]),
                (out[-1][3], out[1][3]))
