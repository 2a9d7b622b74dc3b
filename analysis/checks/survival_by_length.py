"""Stream survival by stream length: which in-flight streams each disruption cut, by how long they were.

For every pod that began terminating (survival.termination_times: pod delete, drain, zone drain, rollout, HPA
scale-down), every stream it served that was in flight then (start <= t < end) is placed by its length:
`expected_s` (the run length the load asked the agent for) when recorded, else end - start for a stream that
completed, else unknown (a cut stream without an expected length is at least end - start long). Its fate is
completed (ok), cut (truncated: no terminator) or errored (any other outcome; an agent-timeout error is its own
fate, `timed_out`, not the disruption's doing). The disruption is the activity of the chaos mark that spans t
(e.g. terminate-one-random-pod, drain-zone; the experiment's title when the mark names no activity), else
`hpa-scale-down` when the Deployment's spec.replicas fell within SCALE_DOWN_WINDOW_S before t, else `other`.

Formulas: elapsed = t - start; needed = start + length - t (what the stream still needed when its pod began
terminating); the workload allows min(grace, preStop + server drain) (harness/stream_budget.py, recorded on the
observer's deployment rows). `survival.by_length` FAILS when a stream shorter than the agent timeout was cut or
errored by a graceful disruption (hard faults are excluded: hard_faults.py judges them), naming the pods, the
disruption and the grace arithmetic: measured = such streams, threshold 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import listed, skipped, window
from analysis.checks.result import CheckResult, Evidence
from analysis.checks.survival import pod_ends
from analysis.cluster import ClusterData

NAME = "survival.by_length"
EDGES = (0.0, 10.0, 30.0, 60.0, 120.0, 180.0, math.inf)
LABELS = ("<10 s", "10-30 s", "30-60 s", "60-120 s", "120-180 s", ">=180 s")
SCALE_DOWN_WINDOW_S = 30.0
DEFAULT_AGENT_TIMEOUT = 180.0  # AgentFlow's production guide; the observed Deployment's setting wins


def in_flight(cluster: ClusterData, ends: dict[str, float]) -> pd.DataFrame:
    """Streams in flight when their pod began terminating, with t, elapsed, length, needed, fate, bucket."""
    s = cluster.streams
    if s is None or "pod" not in s.columns or not s["pod"].notna().any():
        return pd.DataFrame()
    s = s[s["pod"].notna()]
    start = (s["sent"] if "sent" in s.columns else s["scheduled"]).astype(float).to_numpy()
    end = s["end"].astype(float).to_numpy()
    pod = s["pod"].astype(str).to_numpy()
    t = np.array([ends.get(p, np.nan) for p in pod], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(t) & (start <= t) & ~(end <= t)
    outcome = s["outcome"].astype(str).to_numpy()[mask]
    error = (s["error"].astype(str).to_numpy()[mask] if "error" in s.columns else np.full(mask.sum(), ""))
    expected = s["expected_s"].astype(float).to_numpy()[mask] if "expected_s" in s.columns \
        else np.full(mask.sum(), np.nan)
    frame = pd.DataFrame({"stream_id": s["stream_id"].astype(str).to_numpy()[mask], "pod": pod[mask],
                          "start": start[mask], "end": end[mask], "t": t[mask], "outcome": outcome})
    observed = np.where(outcome == "ok", frame["end"] - frame["start"], np.nan)
    frame["length"] = np.where(np.isfinite(expected), expected, observed)
    frame["length_known"] = np.isfinite(frame["length"])
    frame["lower_bound"] = np.where(frame["length_known"], frame["length"], frame["end"] - frame["start"])
    frame["elapsed"] = frame["t"] - frame["start"]
    frame["needed"] = frame["start"] + frame["length"] - frame["t"]
    frame["fate"] = np.select([outcome == "ok", outcome == "truncated",
                               pd.Series(error).str.contains("TIMEOUT", na=False).to_numpy()],
                              ["completed", "cut", "timed_out"], "errored")
    buckets = pd.cut(frame["length"], list(EDGES), labels=list(LABELS), right=False)
    frame["bucket"] = buckets.astype(object).where(frame["length_known"], "unknown")
    return frame


def disruption_of(cluster: ClusterData, ends: dict[str, float]) -> dict[str, tuple[str, bool]]:
    """pod -> (disruption name, hard) for every terminating pod (see the module docstring)."""
    marks = cluster.marks
    deps = cluster.frame("deployments")
    out: dict[str, tuple[str, bool]] = {}
    for pod, t in ends.items():
        name, hard = "other", False
        if marks is not None and len(marks):
            m = marks[marks["experiment"].notna() & (marks["start"] <= t + 1.0)
                      & (marks["end"].isna() | (marks["end"] >= t - 1.0))]
            if len(m):
                row = m.iloc[-1]  # the mark's activity names the disruption (e.g. drain-zone); else its experiment
                label = row["activity"] if isinstance(row.get("activity"), str) and row["activity"] else None
                name, hard = str(label or row["experiment"]), bool(m["hard"].any())
        if name == "other" and deps is not None and len(deps) and "spec_replicas" in deps.columns:
            recent = deps[(deps["time"] >= t - SCALE_DOWN_WINDOW_S) & (deps["time"] <= t + 1.0)]
            if len(recent) and recent["spec_replicas"].astype(float).diff().lt(0).any():
                name = "hpa-scale-down"
        out[pod] = (name, hard)
    return out


def budget(cluster: ClusterData) -> tuple[str, float | None, float]:
    """(grace arithmetic sentence, allowed seconds or None, agent timeout) from the last deployment sample."""
    deps = cluster.frame("deployments")
    cols = ("grace_s", "prestop_s", "server_drain_s", "agent_timeout_s")
    if deps is None or not len(deps) or any(c not in deps.columns for c in cols) or deps["grace_s"].isna().all():
        return "grace settings not recorded (an older observer)", None, DEFAULT_AGENT_TIMEOUT
    last = deps.dropna(subset=["grace_s"]).sort_values("time").iloc[-1]
    grace, pre, drain = float(last["grace_s"]), last["prestop_s"], float(last["server_drain_s"])
    timeout = float(last["agent_timeout_s"]) if pd.notna(last["agent_timeout_s"]) else DEFAULT_AGENT_TIMEOUT
    pre_s = float(pre) if pd.notna(pre) else 0.0
    allowed = min(grace, pre_s + drain)
    pre_text = f"{pre_s:g}" if pd.notna(pre) else "?"
    sentence = (f"grace {grace:g} s, preStop {pre_text} s, server drain {drain:g} s: the workload allows "
                f"min(grace, preStop + drain) = {allowed:g} s after a disruption begins "
                f"({'<' if allowed < timeout else '>='} agent timeout {timeout:g} s)")
    return sentence, allowed, timeout


def table(flying: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """disruption -> length bucket -> fate -> streams (for the report)."""
    counts = flying.groupby(["disruption", "bucket", "fate"]).size()
    out: dict[str, dict[str, dict[str, int]]] = {}
    for (dis, bucket, fate), n in counts.items():
        out.setdefault(str(dis), {}).setdefault(str(bucket), {})[str(fate)] = int(n)
    return out


def per_disruption(flying: pd.DataFrame) -> str:
    """e.g. "drain-zone: 7 streams on 2 pods (completed 6, cut 1); hpa-scale-down: 3 streams on 1 pod (...)"."""
    parts = []
    for dis, group in flying.groupby("disruption", sort=False):
        fates = ", ".join(f"{k} {v}" for k, v in group["fate"].value_counts().items())
        pods = group["pod"].nunique()
        parts.append(f"{dis}: {len(group)} stream(s) on {pods} pod(s) ({fates})")
    return "; ".join(parts)


def survival_limit(flying: pd.DataFrame) -> tuple[float | None, float | None]:
    """(longest `needed` among completed streams, shortest `needed` among cut/errored ones), known lengths only."""
    known = flying[flying["length_known"]]
    done = known.loc[known["fate"] == "completed", "needed"]
    lost = known.loc[known["fate"].isin(["cut", "errored"]), "needed"]
    return (float(done.max()) if len(done) else None, float(lost.min()) if len(lost) else None)


def _s(value: float) -> str:
    return f"{value:.0f} s" if math.isfinite(value) else "unknown"


def evaluate_survival_by_length(cluster: ClusterData, origin: float) -> list[CheckResult]:
    ends = pod_ends(cluster, NAME)
    if isinstance(ends, CheckResult):
        return [ends]
    flying = in_flight(cluster, ends)
    if not len(flying):
        return [skipped(NAME, "survival", "no stream naming its pod was in flight when a pod began terminating",
                        "streams", 0)]
    causes = disruption_of(cluster, ends)
    flying["disruption"] = [causes[p][0] for p in flying["pod"]]
    flying["hard"] = [causes[p][1] for p in flying["pod"]]
    arithmetic, allowed, timeout = budget(cluster)
    survived, shortest_cut = survival_limit(flying)
    victims = {str(d): sorted(set(g["pod"])) for d, g in flying.groupby("disruption", sort=False)}
    details = {"by_length": table(flying), "pods": victims, "allowed_s": allowed, "agent_timeout_s": timeout,
               "longest_survived_needed_s": survived, "shortest_cut_needed_s": shortest_cut,
               "buckets": list(LABELS)}
    bad = flying[~flying["hard"] & flying["fate"].isin(["cut", "errored"]) & (flying["lower_bound"] < timeout)]
    limit = ("" if shortest_cut is None else f" Streams that still needed more than ~{shortest_cut:.0f} s when "
             f"their pod began terminating were cut" + ("" if survived is None else
                                                        f" (the longest that survived needed {survived:.0f} s)")
             + ".")
    if not len(bad):
        sentence = (f"{len(flying)} stream(s) in flight at {flying['pod'].nunique()} terminating pod(s) "
                    f"({per_disruption(flying)}); none shorter than the agent timeout "
                    f"{timeout:g} s was cut by a graceful disruption"
                    + ("" if survived is None else f"; the longest still needed {survived:.0f} s") + f". {arithmetic}.")
        return [CheckResult(NAME, "pass", 0, 0, "streams", Evidence(sentence, window(flying["t"], origin),
                                                                     listed(sorted(set(flying["pod"]))), details),
                            "survival")]
    per = bad.groupby(["disruption", "pod"]).size()
    named = [f"{dis}: {pod} {n}" for (dis, pod), n in per.items()]
    sentence = (f"{len(bad)} of {len(flying)} stream(s) in flight at a graceful disruption were cut although "
                f"shorter than the agent timeout {timeout:g} s (by disruption and pod: {', '.join(named[:8])}"
                f"{' ...' if len(named) > 8 else ''}).{limit} In flight per disruption: {per_disruption(flying)}. "
                f"{arithmetic}.")
    objects = listed([f"{r.pod}: {r.stream_id} {r.fate} length {_s(r.lower_bound)}{'' if r.length_known else '+'}"
                      f", needed {_s(r.needed)} after {r.disruption} began" for r in bad.itertuples()])
    return [CheckResult(NAME, "fail", len(bad), 0, "streams", Evidence(sentence, window(bad["t"], origin), objects,
                                                                        details), "survival")]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_survival_by_length(ctx.cluster, ctx.origin)


CHECKS = (Check(85, "survival_by_length", check, cluster=True, sampled=True),)
