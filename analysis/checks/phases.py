"""SLOs per phase of a chaos run and the time to SLO recovery after each fault.

Phases (by each stream's lifetime [scheduled, end], fault marks from chaos/marks.parquet):
  fault     in flight at some time inside a mark's [start, end] (a stream the fault cut belongs here, not to
            the steady phase it started in)
  recovery  scheduled within `recovery_window_s` after a mark's end (and not in flight during another mark)
  steady    every other stream
Streams a hard fault cut by its nature (analysis/checks/hard_faults.py) are set aside from every phase and
recovery window; each error-rate sentence says how many.
Per phase and per configured SLO key among error_rate, ttft_p50/p95/p99, e2e_p95/p99 one check
`phase.<phase>.<key>` against the profile's own threshold. Latency over ok streams, nearest-rank percentiles;
error rate = non-ok / all streams of the phase.
`recovery.<activity>`: 10 s windows from the mark's end; the first window with streams whose error rate and
E2E p99 (and TTFT p99 when that SLO is set) are within the SLOs ends the outage; measured = that window's start
- mark end; fail when it is above `max_recovery_s` or never happens before the run ends; skipped when no stream
was scheduled after the mark.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.config import SLO_KEYS, SloConfig
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import ClusterConfig, skipped
from analysis.checks.result import CheckResult, Evidence, Verdict
from analysis.cluster import ClusterData
from rundir import metrics as formulas

PHASES = ("steady", "fault", "recovery")
# the SLOs judged per phase: those of one stream's own error, TTFT and E2E (ITL and TPOT are pooled over streams)
PHASE_KEYS = tuple(key for key, (metric, _, _) in SLO_KEYS.items() if metric in ("error_rate", "ttft", "e2e"))
RECOVERY_WINDOW_S = 10.0
_Q = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def percentile(values: np.ndarray, q: float) -> float:
    values = values[np.isfinite(values)]
    return float(np.quantile(values, q, method="inverted_cdf")) if len(values) else float("nan")


def phase_of(scheduled: np.ndarray, marks: pd.DataFrame, recovery_s: float,
             ended: np.ndarray | None = None) -> np.ndarray:
    """Phase per stream; with `ended`, a stream scheduled before a mark that is still in flight at its start (or
    never ended) is under that fault."""
    phase = np.full(len(scheduled), "steady", dtype=object)
    for start, end in zip(marks["start"], marks["end"], strict=True):
        end = end if np.isfinite(end) else start
        phase[(scheduled > end) & (scheduled <= end + recovery_s) & (phase == "steady")] = "recovery"
    for start, end in zip(marks["start"], marks["end"], strict=True):
        end = end if np.isfinite(end) else start
        phase[(scheduled >= start) & (scheduled <= end)] = "fault"
        if ended is not None:
            with np.errstate(invalid="ignore"):
                phase[(scheduled < start) & ~(ended < start)] = "fault"
    return phase


def metrics(streams: pd.DataFrame) -> dict[str, Any]:
    ok = (streams["outcome"] == "ok").to_numpy()
    ttft = formulas.ttft(streams["first_token"], streams["scheduled"]).to_numpy(np.float64)[ok]
    e2e = formulas.e2e(streams["end"], streams["scheduled"]).to_numpy(np.float64)[ok]
    n = len(streams)
    out: dict[str, Any] = {
        "streams": n, "error_rate": float((~ok).sum() / n) if n else float("nan"),
        "by_outcome": {str(k): int(v) for k, v in streams["outcome"][~ok].value_counts().items() if v},
    }
    for key, q in _Q.items():
        out[f"ttft_{key}"] = percentile(ttft, q)
        out[f"e2e_{key}"] = percentile(e2e, q)
    return out


def _phase_checks(streams: pd.DataFrame, phases: np.ndarray, slos: SloConfig, origin: float,
                  aside: dict[str, int]) -> list[CheckResult]:
    keys = [k for k in PHASE_KEYS if k in slos.thresholds]
    results = []
    for phase in PHASES:
        rows = streams[phases == phase]
        m = metrics(rows) if len(rows) else None
        for key in keys:
            name, unit = f"phase.{phase}.{key}", "fraction" if key == "error_rate" else "s"
            threshold = slos.thresholds[key]
            if m is None or not np.isfinite(m[key]):
                results.append(skipped(name, "phase", f"no {'streams' if m is None else 'ok streams'} in the "
                                       f"{phase} phase", unit, threshold))
                continue
            measured = float(m[key])
            verdict: Verdict = "pass" if measured <= threshold else "fail"
            sentence = (f"{phase} phase: {key} = {fmt.value(measured, unit)} over {m['streams']} streams "
                        f"(threshold {fmt.value(threshold, unit)}): {verdict.upper()}. Errors by outcome: "
                        f"{m['by_outcome'] or 'none'}; TTFT p50/p95/p99 {fmt.seconds(m['ttft_p50'])}/"
                        f"{fmt.seconds(m['ttft_p95'])}/{fmt.seconds(m['ttft_p99'])}, E2E p99 "
                        f"{fmt.seconds(m['e2e_p99'])}.")
            if key == "error_rate" and aside.get(phase):
                sentence += (f" {aside[phase]} stream(s) lost with pods a hard fault killed are set aside "
                             "(fault.collateral).")
            span = (float(rows["scheduled"].min() - origin), float(rows["scheduled"].max() - origin))
            results.append(CheckResult(name, verdict, measured, threshold, unit,
                                       Evidence(sentence, span, (), {"phase": phase, **m}), kind="phase"))
    return results


def _within(m: dict, slos: SloConfig) -> bool:
    limits = {"error_rate": slos.thresholds.get("error_rate"), "e2e_p99": slos.thresholds.get("e2e_p99"),
              "ttft_p99": slos.thresholds.get("ttft_p99")}
    for key, limit in limits.items():
        if limit is None:
            continue
        value = m[key]
        if not np.isfinite(value) or value > limit:
            return False
    return True


def recovery_checks(streams: pd.DataFrame, marks: pd.DataFrame, slos: SloConfig, config: ClusterConfig,
                    origin: float, run_end: float) -> list[CheckResult]:
    results: list[CheckResult] = []
    seen: dict[str, int] = {}
    scheduled = streams["scheduled"].to_numpy(np.float64)
    for _, mark in marks.iterrows():
        activity = str(mark["activity"])
        seen[activity] = seen.get(activity, 0) + 1
        name = f"recovery.{activity}" + (f"#{seen[activity]}" if seen[activity] > 1 else "")
        end = float(mark["end"]) if np.isfinite(mark["end"]) else float(mark["start"])
        recovered, k, last_bad = None, 0, None
        while end + k * RECOVERY_WINDOW_S < run_end:
            lo = end + k * RECOVERY_WINDOW_S
            rows = streams[(scheduled >= lo) & (scheduled < lo + RECOVERY_WINDOW_S)]
            if len(rows):
                m = metrics(rows)
                if _within(m, slos):
                    recovered = lo - end
                    break
                last_bad = (lo, m)
            k += 1
        limit = config.max_recovery_s
        if recovered is None and last_bad is None:
            results.append(skipped(name, "recovery", f"no stream was scheduled after {activity} ended "
                                   f"({fmt.offset(end - origin)}): recovery cannot be judged", "s", limit))
            continue
        ok = recovered is not None and recovered <= limit
        if recovered is None:
            text = "the SLOs were not back before the run ended"
        else:
            text = f"SLOs back in the window starting {fmt.seconds(recovered)} after the fault ended"
        bad = "" if last_bad is None else (f" Last window out of SLO at {fmt.offset(last_bad[0] - origin)}: error rate "
                                           f"{fmt.fraction(last_bad[1]['error_rate'])}, E2E p99 "
                                           f"{fmt.seconds(last_bad[1]['e2e_p99'])}.")
        sentence = (f"{activity} ({mark['experiment']}) ended at {fmt.offset(end - origin)}; {text} "
                    f"(limit {fmt.seconds(limit)}, {RECOVERY_WINDOW_S:g} s windows by scheduled time).{bad}")
        span = (float(mark["start"] - origin), float(end - origin + (recovered or 0.0) + RECOVERY_WINDOW_S))
        results.append(CheckResult(name, "pass" if ok else "fail", recovered, limit, "s",
                                   Evidence(sentence, span, (activity,), {"mark_end": end}), kind="recovery"))
    return results


def evaluate_phases(cluster: ClusterData, slos: SloConfig, config: ClusterConfig, origin: float,
                    run_end: float, excused: np.ndarray | None = None) -> list[CheckResult]:
    streams = cluster.streams
    if cluster.marks is None or not len(cluster.marks):
        return [skipped("phase.slos", "phase", cluster.reason("chaos/marks.parquet"))]
    if streams is None or not len(streams):
        return [skipped("phase.slos", "phase", "no streams in this run")]
    phases = phase_of(streams["scheduled"].to_numpy(np.float64), cluster.marks, config.recovery_window_s,
                      streams["end"].to_numpy(np.float64))
    aside: dict[str, int] = {}
    if excused is not None and len(excused) == len(streams) and excused.any():
        aside = {str(k): int(v) for k, v in pd.Series(phases[excused]).value_counts().items()}
        streams, phases = streams[~excused], phases[~excused]
    return [*_phase_checks(streams, phases, slos, origin, aside),
            *recovery_checks(streams, cluster.marks, slos, config, origin, run_end)]


def check(ctx: CheckContext) -> list[CheckResult]:
    """SLOs per phase (steady, fault, recovery) and each fault's recovery; INVALID like the SLOs on an invalid
    run."""
    assert ctx.cluster is not None
    streams = ctx.cluster.streams
    excused = None if streams is None else ctx.excused(len(streams))
    phases = evaluate_phases(ctx.cluster, ctx.slos, ctx.config, ctx.origin, ctx.end, excused)
    reason = ctx.invalid_reason
    if reason:
        phases = [c if c.verdict == "skipped" else c.invalidated(reason) for c in phases]
    return phases


CHECKS = (Check(30, "phases", check, cluster=True),)
