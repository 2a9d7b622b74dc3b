"""What the observer did not see, and what that means for the verdicts.

Blind windows, per observed source (pods, nodes, hpa, pdb, endpoints, ...):
- every failed sample the observer recorded (`cluster/gaps.parquet`: time, source, error; an answer that came
  seconds late is recorded there too) blinds that source for one sampling interval either side of it;
- a stretch with no sample at all (the observer stalled or had stopped: consecutive samples more than
  `STALL_INTERVALS` intervals apart, or nothing from the last sample to the end of the run) blinds every source.
An API outage is a window in which the observer could read neither pods nor nodes (both failed), or a stall that
ended with a failed or late answer (the API server, not the observer, was stuck; a stall without either is only a
blind window: its cause is unknown).

Consequences (`apply`):
- a check that needs a source (the pod/PDB/placement/readiness/HPA/survival/collateral checks) and whose judged
  window (its evidence window, else the whole run) meets a blind window of that source is INCOMPLETE, naming the
  window: it did not see what it judges, so it says neither PASS nor FAIL;
- streams that failed inside an API outage are the cluster's, not the service's: they are set aside from the
  error-rate SLOs (like the casualties of a hard fault, `outage_mask`) and counted by `cluster.coverage`; an SLO
  check that still FAILS on streams in flight during the outage is INCOMPLETE (`apply_outages`);
- `cluster.coverage` itself is INCOMPLETE when there was any blind window (naming each, the sources and the
  observer's error), and PASS when the observer saw the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import finite, listed
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

NAME = "cluster.coverage"
STALL_INTERVALS = 3.0
NEEDS: dict[str, tuple[str, ...]] = {
    "pdb": ("pods", "pdb", "deployments"),
    "placement": ("pods", "nodes", "deployments"),
    "survival": ("pods",),
    "readiness": ("pods", "endpoints"),
    "hpa": ("hpa", "deployments"),
    "fault": ("pods", "endpoints"),
}
ALL = "all sources"


@dataclass
class Coverage:
    interval: float = 1.0
    blind: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # source (or ALL) -> windows
    errors: dict[str, str] = field(default_factory=dict)  # source -> last error seen
    outages: list[tuple[float, float]] = field(default_factory=list)

    def windows(self, sources: tuple[str, ...] | None = None) -> list[tuple[float, float]]:
        keys = [ALL, *(sources if sources is not None else [k for k in self.blind if k != ALL])]
        return _merge([w for k in keys for w in self.blind.get(k, [])])

    def meets(self, sources: tuple[str, ...], span: tuple[float, float]) -> list[tuple[float, float]]:
        return [w for w in self.windows(sources) if w[0] <= span[1] and w[1] >= span[0]]


def _merge(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _ticks(cluster: ClusterData) -> np.ndarray:
    times = [f["time"].to_numpy(np.float64) for name, f in cluster.frames.items()
             if f is not None and len(f) and name not in ("gaps", "events")]
    return np.unique(np.concatenate(times)) if times else np.zeros(0)


def observe(cluster: ClusterData, start: float, end: float) -> Coverage:
    """The blind windows of the observer over the run [start, end] (epoch seconds)."""
    ticks = _ticks(cluster)
    steps = np.diff(ticks)
    interval = float(np.median(steps)) if len(steps) else 1.0
    interval = max(interval, 0.5)
    cov = Coverage(interval)
    gaps = cluster.frame("gaps")
    if gaps is not None and len(gaps):
        for source, rows in gaps.groupby("source"):
            t = rows["time"].to_numpy(np.float64)
            cov.blind[str(source)] = _merge([(x - interval, x + interval) for x in t])
            cov.errors[str(source)] = str(rows["error"].iloc[-1])
    stalls = []
    if len(ticks):
        long_steps = np.flatnonzero(steps > STALL_INTERVALS * interval)
        stalls += [(float(ticks[i]), float(ticks[i + 1])) for i in long_steps]
        if end - ticks[-1] > STALL_INTERVALS * interval:
            stalls.append((float(ticks[-1]), float(end)))
    elif end > start:
        stalls.append((float(start), float(end)))
    cov.blind[ALL] = _merge(stalls)
    cov.outages = _outages(cov, gaps)
    return cov


def _outages(cov: Coverage, gaps: pd.DataFrame | None) -> list[tuple[float, float]]:
    """Windows in which neither pods nor nodes could be read: both failed (or answered far too late) there."""
    nodes = cov.blind.get("nodes", [])
    both = [w for w in cov.blind.get("pods", []) if any(w[0] <= n[1] and w[1] >= n[0] for n in nodes)]
    if gaps is not None and len(gaps):  # a stall ended by a failed or late answer: the API did not answer
        times = gaps["time"].to_numpy(np.float64)
        for a, b in cov.blind.get(ALL, []):
            if ((times >= a) & (times <= b + cov.interval)).any():
                both.append((a, b))
    return _merge(both)


def outage_mask(cov: Coverage, streams: pd.DataFrame | None) -> np.ndarray | None:
    """Non-ok streams that ended inside an API outage (the cluster's failures, not the service's)."""
    if streams is None or not len(streams) or not cov.outages:
        return None
    bad = (streams["outcome"].astype(str) != "ok").to_numpy()
    ended = streams["end"].to_numpy(np.float64)
    inside = np.zeros(len(streams), dtype=bool)
    with np.errstate(invalid="ignore"):
        for a, b in cov.outages:
            inside |= (ended >= a) & (ended <= b)
    mask = bad & inside
    return mask if mask.any() else None


def _span(check: CheckResult, origin: float, start: float, end: float) -> tuple[float, float]:
    window = check.evidence.window_s
    return (origin + window[0], origin + window[1]) if window else (start, end)


def _text(windows: list[tuple[float, float]], origin: float) -> str:
    return ", ".join(f"{fmt.offset(a - origin)} .. {fmt.offset(b - origin)}" for a, b in windows)


def apply(results: list[CheckResult], cov: Coverage, origin: float, start: float, end: float) -> list[CheckResult]:
    """Checks that needed samples the observer did not get become INCOMPLETE (see the module docstring)."""
    out = []
    for check in results:
        needs = NEEDS.get(check.kind)
        met = cov.meets(needs, _span(check, origin, start, end)) if needs and check.verdict != "skipped" else []
        if met:
            check = check.incomplete(f"the observer did not see {'/'.join(needs or ())} during {_text(met, origin)} "
                                     f"(see {NAME})")
        out.append(check)
    return out


NEEDED = tuple(sorted({s for needs in NEEDS.values() for s in needs}))


SLO_KINDS = ("slo", "phase", "recovery")


def apply_outages(results: list[CheckResult], cov: Coverage, origin: float) -> list[CheckResult]:
    """An SLO check that FAILED on streams in flight during an API outage is INCOMPLETE: the service cannot be
    judged on what a stopped cluster did to its streams (the streams over the threshold span the window of the
    check's evidence, extended by the measured latency)."""
    if not cov.outages:
        return results
    out = []
    for check in results:
        window = check.evidence.window_s
        if check.kind in SLO_KINDS and check.verdict == "fail" and window:
            measured = check.measured
            reach = float(measured) if check.unit == "s" and measured is not None and finite(measured) else 0.0
            span = (origin + window[0], origin + window[1] + reach)
            met = [w for w in cov.outages if w[0] <= span[1] and w[1] >= span[0]]
            if met:
                check = check.incomplete(f"the cluster API did not answer during {_text(met, origin)} while the "
                                         f"streams over the threshold were in flight: an outage of the cluster, "
                                         f"not a verdict on the service (see {NAME})")
        out.append(check)
    return out


def coverage_check(cov: Coverage, origin: float, failed_in_outage: int) -> CheckResult:
    windows = cov.windows()
    if not windows:
        return CheckResult(NAME, "pass", 0, 0, "s", Evidence(
            f"The observer sampled the cluster every {cov.interval:.1f} s for the whole run; no gap."), "coverage")
    if not cov.windows(NEEDED) and not cov.outages:
        others = sorted(k for k in cov.blind if cov.blind[k])
        return CheckResult(NAME, "pass", 0, 0, "s", Evidence(
            f"The observer missed only {', '.join(others)} samples ({_text(windows, origin)}), which no check "
            "judges."), "coverage")
    blind = sum(b - a for a, b in windows)
    sources = sorted(k for k in cov.blind if cov.blind[k] and k != ALL)
    if cov.blind.get(ALL):
        sources = ["no sample at all", *sources]
    errors = listed([f"{s}: {e}" for s, e in cov.errors.items()], 4)
    sentence = (f"The observer did not see the cluster ({', '.join(sources)}) during {_text(windows, origin)} "
                f"({blind:.0f} s in all); checks that need those samples in those windows are INCOMPLETE.")
    if cov.outages:
        sentence += (f" The cluster API did not answer during {_text(cov.outages, origin)}: an outage of the "
                     f"cluster, not of AgentFlow; {failed_in_outage} stream(s) that failed in it are set aside from "
                     "the service's error-rate SLOs.")
    if errors:
        sentence += f" Last errors: {'; '.join(errors)}."
    return CheckResult(NAME, "incomplete", round(blind, 1), 0, "s",
                       Evidence(sentence, (windows[0][0] - origin, windows[-1][1] - origin), tuple(sources),
                                {"windows": [[a - origin, b - origin] for a, b in windows],
                                 "outages": [[a - origin, b - origin] for a, b in cov.outages],
                                 "failed_in_outage": failed_in_outage}), "coverage")


def check(ctx: CheckContext) -> list[CheckResult]:
    """What the observer could not see (only when the run has cluster output)."""
    return [] if ctx.coverage is None else [coverage_check(ctx.coverage, ctx.origin, ctx.failed_in_outage)]


CHECKS = (Check(110, "coverage", check, cluster=True),)
