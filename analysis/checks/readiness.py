"""Readiness gating: traffic reaches only Ready pods that are in the Service's ready endpoints.

  readiness.before_ready       no stream got its response headers from a pod (streams.parquet `pod`, `headers`)
                               before that pod's first Ready transition (cluster/pods.parquet `ready_since`,
                               truncated to whole seconds by the API, so the comparison is strict) or from a pod
                               never seen Ready
  readiness.after_unready      no stream was sent (the routing decision; headers when sent is missing) to a pod
                               later than `endpoint_grace_s` (propagation delay, default 2 s) after the first
                               cluster/endpoints sample in which the pod was no longer ready (ready false or
                               absent) and before it was ready again
  readiness.connect_errors     no connect_error stream scheduled during a rolling restart (a mark whose activity
                               names a rollout/restart, until the deployment is fully updated and Ready again)
                               or a scale-up (spec_replicas rose, until Ready caught up)

What an experiment declared it breaks on purpose (a mark's `intended`: "outage", every pod taken away, confirmed
by the workload at 0 replicas; "errors", the reference server's injected error answers; analysis/checks/outage.py)
is set aside by readiness.after_unready and readiness.connect_errors inside that window only, by the stream's sent
(scheduled) time, and the sentence says how many, naming the experiment and the window's seconds. The same
streams outside it are judged as usual.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import ClusterConfig, listed, skipped, window
from analysis.checks.outage import declared, inside, set_aside
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

ROLLOUT = re.compile(r"rollout|restart|rolling", re.IGNORECASE)


def _served(cluster: ClusterData) -> pd.DataFrame | None:
    s = cluster.streams
    if s is None or "pod" not in s.columns or "headers" not in s.columns:
        return None
    served = s[s["pod"].notna() & s["headers"].notna()]
    return served if len(served) else None


def _result(name: str, bad: pd.DataFrame, total: int, what: str, origin: float, ok_text: str,
            aside: str = "") -> CheckResult:
    if not len(bad):
        return CheckResult(name, "pass", 0, 0, "streams", Evidence(ok_text + aside), "readiness")
    objects = listed([f"{r.pod}: stream {r.stream_id} sent {fmt.offset(r.sent - origin)}, headers "
                      f"{fmt.offset(r.headers - origin)}" for r in bad.itertuples()])
    sentence = (f"{len(bad)} of {total} streams {what}; pods: "
                f"{', '.join(sorted(set(bad['pod'].astype(str))))}.{aside}")
    evidence = Evidence(sentence, window(bad["headers"], origin), objects)
    return CheckResult(name, "fail", len(bad), 0, "streams", evidence,
                       "readiness")


def before_ready(cluster: ClusterData, served: pd.DataFrame, origin: float) -> CheckResult:
    pods = cluster.frame("pods")
    assert pods is not None
    first_ready = pods.groupby("pod")["ready_since"].min()
    known = served[served["pod"].isin(first_ready.index)]
    ready_at = known["pod"].map(first_ready).astype(float).fillna(np.inf)
    bad = known[known["headers"].to_numpy(np.float64) < ready_at.to_numpy(np.float64)]
    return _result("readiness.before_ready", bad, len(known), "were served by a pod that was not yet Ready", origin,
                   f"All {len(known)} streams served by observed pods came after the pod was Ready.")


def _unready_spans(endpoints: pd.DataFrame) -> dict[str, list[tuple[float, float]]]:
    """pod -> [(first sample not ready after being ready, next sample ready again or inf)]."""
    times = np.sort(endpoints["time"].unique())
    ready = endpoints[endpoints["ready"].fillna(False).astype(bool)]
    spans: dict[str, list[tuple[float, float]]] = {}
    for pod, rows in ready.groupby("pod"):
        flags = np.isin(times, rows["time"].to_numpy())
        was, start = False, None
        for t, flag in zip(times, flags, strict=True):
            if was and not flag and start is None:
                start = float(t)
            if flag and start is not None:
                spans.setdefault(str(pod), []).append((start, float(t)))
                start = None
            was = was or flag
        if start is not None:
            spans.setdefault(str(pod), []).append((start, np.inf))
    return spans


def after_unready(cluster: ClusterData, served: pd.DataFrame, grace: float, origin: float) -> CheckResult:
    endpoints = cluster.frame("endpoints")
    assert endpoints is not None
    spans = _unready_spans(endpoints)
    bad_rows = []
    benign = 0
    for pod, pod_spans in spans.items():
        mine = served[served["pod"] == pod]
        headers = mine["sent" if "sent" in mine.columns else "headers"].to_numpy(np.float64)
        hit = np.zeros(len(mine), dtype=bool)
        for start, end in pod_spans:
            hit |= (headers > start + grace) & (headers < end)
        late = mine[hit]
        # A stream the pod still served in full (a kept-alive connection to a terminating pod that keeps serving,
        # as through kube-proxy) did no harm; one that failed did: traffic reached a pod that could not serve it.
        benign += int((late["outcome"] == "ok").sum()) if "outcome" in late.columns else 0
        bad_rows.append(late[late["outcome"] != "ok"] if "outcome" in late.columns else late)
    bad = pd.concat(bad_rows) if bad_rows else served.iloc[:0]
    windows, refused = declared(cluster, grace)
    sent = bad["sent" if "sent" in bad.columns else "headers"].to_numpy(np.float64)
    aside = set_aside("failed stream(s) sent to a pod that had left the endpoints", bad, sent, windows, refused,
                      origin)
    bad = bad[~inside(bad, sent, windows)]
    note = (f" {benign} stream(s) did reach a pod after it left the endpoints and completed ok (kept-alive "
            "connections to a pod still serving)." if benign else "")
    return _result("readiness.after_unready", bad, len(served),
                   f"were sent to their pod more than {grace:g} s after it left the ready endpoints and failed",
                   origin, f"No failed stream reached a pod more than {grace:g} s after it left the ready endpoints "
                   f"({len(spans)} pod(s) left them during the run).{note}", aside)


def disruption_windows(cluster: ClusterData) -> list[tuple[str, float, float]]:
    """(what, start, end) of rolling restarts (from marks) and scale-ups (from deployments)."""
    out = []
    deployments = cluster.frame("deployments")
    marks = cluster.marks if cluster.marks is not None else pd.DataFrame(columns=["activity", "start", "end"])
    for activity, start, end in zip(marks["activity"], marks["start"], marks["end"], strict=True):
        if not ROLLOUT.search(str(activity)):
            continue
        stop = end if np.isfinite(end) else start
        if deployments is not None:
            done = deployments[(deployments["time"] > start) & (deployments["ready"] >= deployments["spec_replicas"])
                               & (deployments["replicas"] == deployments["spec_replicas"])]
            stop = max(stop, float(done["time"].min())) if len(done) else np.inf
        out.append((f"rollout {activity}", float(start), float(stop)))
    for name, rows in (deployments.groupby("name") if deployments is not None else []):
        rows = rows.sort_values("time")
        t, spec, ready = (rows[c].to_numpy(np.float64) for c in ("time", "spec_replicas", "ready"))
        for i in np.flatnonzero(np.diff(spec) > 0) + 1:
            caught = np.flatnonzero((t >= t[i]) & (ready >= spec[i]))
            out.append((f"scale-up of {name} to {int(spec[i])}", float(t[i - 1]),
                        float(t[caught[0]]) if len(caught) else np.inf))
    return out


def connect_errors(cluster: ClusterData, grace: float, origin: float) -> CheckResult:
    name = "readiness.connect_errors"
    spans = disruption_windows(cluster)
    if not spans:
        return skipped(name, "readiness", "no rolling restart or scale-up happened during the run", "streams", 0)
    s = cluster.streams
    assert s is not None
    errors = s[s["outcome"] == "connect_error"]
    sched = errors["scheduled"].to_numpy(np.float64)
    windows, refused = declared(cluster, grace)
    intended = inside(errors, sched, windows)
    hit = np.zeros(len(errors), dtype=bool)
    hits = []
    for what, start, end in spans:
        here = (sched >= start) & (sched <= end)
        if (here & ~intended).any():
            hits.append(f"{what}: {int((here & ~intended).sum())}")
        hit |= here
    aside = set_aside("connect_error stream(s)", errors[hit], sched[hit], windows, refused, origin)
    bad = errors[hit & ~intended]
    listing = "; ".join(f"{w} {fmt.offset(a - origin)}..{fmt.offset(b - origin)}" for w, a, b in spans)
    if not len(bad):
        return CheckResult(name, "pass", 0, 0, "streams",
                           Evidence(f"No connect_error during {len(spans)} disruption(s): {listing}.{aside}"),
                           "readiness")
    objects = listed([f"stream {r.stream_id} ({r.error if isinstance(r.error, str) else 'connect_error'})"
                      for r in bad.itertuples()])
    sentence = (f"{len(bad)} connect_error stream(s) during rollouts/scale-ups ({', '.join(hits)}); windows: "
                f"{listing}.{aside}")
    return CheckResult(name, "fail", len(bad), 0, "streams", Evidence(sentence, window(bad["scheduled"], origin),
                                                                      objects), "readiness")


def evaluate_readiness(cluster: ClusterData, config: ClusterConfig, origin: float) -> list[CheckResult]:
    if cluster.streams is None or not len(cluster.streams):
        reason = "no streams in this run"
        return [skipped(n, "readiness", reason) for n in ("readiness.before_ready", "readiness.after_unready",
                                                           "readiness.connect_errors")]
    served = _served(cluster)
    no_pod = "no stream names its serving pod (X-AgentFlow-Pod is sent only by the reference server)"
    results = []
    pods, endpoints = cluster.frame("pods"), cluster.frame("endpoints")
    if pods is None:
        results.append(skipped("readiness.before_ready", "readiness", cluster.reason("cluster/pods.parquet")))
    else:
        results.append(before_ready(cluster, served, origin) if served is not None
                       else skipped("readiness.before_ready", "readiness", no_pod))
    if endpoints is None:
        results.append(skipped("readiness.after_unready", "readiness", cluster.reason("cluster/endpoints.parquet")))
    else:
        results.append(after_unready(cluster, served, config.endpoint_grace_s, origin) if served is not None
                       else skipped("readiness.after_unready", "readiness", no_pod))
    return [*results, connect_errors(cluster, config.endpoint_grace_s, origin)]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_readiness(ctx.cluster, ctx.config, ctx.origin)


CHECKS = (Check(90, "readiness", check, cluster=True, sampled=True),)
