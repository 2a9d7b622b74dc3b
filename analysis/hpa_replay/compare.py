"""Observed desired replicas against the replay's band, two-sided.

- too fast: a status the HPA wrote (first seen at a sample) whose desired count is above the band while it
  scaled up, or below it while it scaled down: beyond what the metrics, the stabilization windows or the policies
  allowed. Judged at once: a sync's decision is in its own status.
- too slow: the band's low edge above the current count (the metrics demanded more and the policies allowed
  it) and desired below it, or the band's high edge below the current count and desired above it, for longer
  than the grace (one sync period + the metrics' lag + two samples); one deviation per such episode.
Each deviation names the bound that was broken and why (metrics, stabilization, a policy, min/max).
"""

from __future__ import annotations

import numpy as np

from analysis.hpa_replay.inputs import Deviation, ReplayInput
from analysis.hpa_replay.normalize import Band

__all__ = ["deviations"]


def _n(value: float) -> str:
    return str(int(value)) if np.isfinite(value) else "unbounded"


def _policies(inp: ReplayInput, up: bool) -> str:
    b = inp.behavior
    if b is None:
        return "max(2 x current, 4) per sync (no behavior)" if up else "no rate limit (no behavior)"
    rules = b.up if up else b.down
    if rules.select == "Disabled":
        return "selectPolicy Disabled"
    parts = [f"{p.value}{' %' if p.type == 'Percent' else (' pod' if p.value == 1 else ' pods')} per {p.period_s:g} s"
             for p in rules.policies]
    return f"{' or '.join(parts)} ({rules.select})"


def _window(inp: ReplayInput, up: bool, fallback: float) -> str:
    b = inp.behavior
    if b is None:
        return f"{fallback:g} s (the controller's, no behavior)" if not up else "0 s"
    rules = b.up if up else b.down
    return f"{fallback if rules.window_s is None else rules.window_s:g} s"


def _fast_reason(inp: ReplayInput, band: Band, rec: tuple, i: int, up: bool, down_window: float) -> str:
    """Every constraint that alone forbids the observed count, in upstream's order: metrics, stabilization,
    policies, min/max."""
    c, d = int(inp.current[i]), int(inp.desired[i])
    why = []
    if up:
        stab, allowed, recommended = band.stabilized[1][i], band.up_allowed[1][i], rec[1][i]
        if recommended < d:
            why.append(f"the metrics asked for at most {_n(recommended)}")
        if stab < min(d, recommended):
            why.append(f"the scale-up stabilization window ({_window(inp, True, down_window)}) held the lowest "
                       f"recent recommendation, {_n(stab)}")
        if allowed < d and allowed < inp.max_replicas[i]:
            why.append(f"scale-up faster than the policies allow: {_policies(inp, True)}, counted from the "
                       f"replicas at each period's start, allowed at most {_n(allowed)} from {c}")
        if d > inp.max_replicas[i]:
            why.append(f"maxReplicas is {int(inp.max_replicas[i])}")
        return "; ".join(why) or f"the replay allowed at most {int(band.high[i])}"
    stab, allowed, recommended = band.stabilized[0][i], band.down_allowed[0][i], rec[0][i]
    if recommended > d:
        why.append(f"the metrics asked for at least {_n(recommended)}")
    if stab > max(d, recommended):
        why.append(f"scale-down within the stabilization window ({_window(inp, False, down_window)}): its highest "
                   f"recent recommendation was {_n(stab)}")
    if allowed > d and allowed > inp.min_replicas[i]:
        why.append(f"scale-down faster than the policies allow: {_policies(inp, False)}, counted from the replicas "
                   f"at each period's start, allowed at least {_n(allowed)} from {c}")
    if d < inp.min_replicas[i]:
        why.append(f"minReplicas is {int(inp.min_replicas[i])}")
    return "; ".join(why) or f"the replay allowed at least {int(band.low[i])}"


def _too_fast(inp: ReplayInput, band: Band, rec: tuple, judged: np.ndarray, down_window: float) -> list[Deviation]:
    d, c = inp.desired, inp.current
    up = judged & inp.new_status & (d > c) & (d > band.high)
    down = judged & inp.new_status & (d < c) & (d < band.low)
    out = []
    for i in np.flatnonzero(up | down):
        going_up = bool(up[i])
        bound = band.high[i] if going_up else band.low[i]
        out.append(Deviation(float(inp.time[i]), "too_fast", "up" if going_up else "down", int(bound), int(d[i]),
                             int(c[i]), _fast_reason(inp, band, rec, int(i), going_up, down_window)))
    return out


def _episodes(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _too_slow(inp: ReplayInput, band: Band, rec: tuple, judged: np.ndarray, grace: float) -> list[Deviation]:
    d, c, t = inp.desired, inp.current, inp.time
    out = []
    for up in (True, False):
        mask = judged & ((band.low > c) & (d < band.low) if up else (band.high < c) & (d > band.high))
        for first, last in _episodes(mask):
            span = float(t[last] - t[first])
            if span <= grace:
                continue
            worst = int(first + np.argmax(band.low[first:last + 1] if up else -band.high[first:last + 1]))
            bound = band.low[worst] if up else band.high[worst]
            if up:
                why = (f"the metrics asked for at least {_n(rec[0][worst])} and the policies allowed "
                       f"{_n(band.up_allowed[0][worst])}, but desired stayed at {int(d[worst])}")
            else:
                why = (f"the recommendation after the stabilization window was {_n(band.stabilized[1][worst])} and "
                       f"the policies allowed going down to {_n(band.down_allowed[1][worst])}, but desired stayed "
                       f"at {int(d[worst])}")
            out.append(Deviation(float(t[first]), "too_slow", "up" if up else "down", int(bound), int(d[worst]),
                                 int(c[worst]), f"{why} for {span:.0f} s (grace {grace:.0f} s)", span))
    return out


def deviations(inp: ReplayInput, band: Band, rec: tuple, judged: np.ndarray, grace: float,
               down_window: float) -> list[Deviation]:
    """Every too-fast and too-slow deviation, in time order."""
    found = _too_fast(inp, band, rec, judged, down_window) + _too_slow(inp, band, rec, judged, grace)
    return sorted(found, key=lambda dev: dev.time)
