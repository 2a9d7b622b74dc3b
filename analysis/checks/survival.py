"""Stream survival across pod termination (graceful shutdown).

A pod begins terminating at the first cluster/pods.parquet sample showing it terminating (or when the suite
deleted it, chaos/terminations.jsonl, if earlier; observer samples bound the precision). Every stream served
by that pod (streams.parquet `pod`) that was in flight then (sent <= t and end > t or no end) is classified
completed (outcome ok) / truncated / errored (any other outcome); the long
streams the graceful-shutdown experiment held (chaos/long_streams.jsonl: pod, started, ended, outcome) count
too. `survival.in_flight` passes only when none was cut: measured = cut streams, threshold 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import listed, skipped, window
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

NAME = "survival.in_flight"


def termination_times(pods: pd.DataFrame, terminations: list[dict] | None = None) -> dict[str, float]:
    """pod -> when it began terminating: the first pods sample showing it terminating, or the time the suite
    deleted it (chaos/terminations.jsonl) when earlier. Not `deleted_at`: the API sets deletionTimestamp to the
    deletion time plus the grace period, i.e. when the pod will be killed."""
    seen = pods[pods["terminating"].fillna(False).astype(bool)].groupby("pod")["time"].min()
    begun = {str(k): float(v) for k, v in seen.items()}
    for record in terminations or []:
        when = record.get("time")
        for pod in record.get("terminated") or []:
            if isinstance(when, int | float):
                begun[str(pod)] = min(begun.get(str(pod), np.inf), float(when))
    return begun


def _candidates(cluster: ClusterData) -> pd.DataFrame:
    """Streams with a pod: stream_id, pod, start, end, outcome (load streams and the experiment's long streams)."""
    frames = []
    s = cluster.streams
    if s is not None and "pod" in s.columns and s["pod"].notna().any():
        has = s[s["pod"].notna()]
        start = has["sent"] if "sent" in has.columns else has["scheduled"]
        frames.append(pd.DataFrame({"stream_id": has["stream_id"].astype(str), "pod": has["pod"].astype(str),
                                    "start": start.astype(float), "end": has["end"].astype(float),
                                    "outcome": has["outcome"].astype(str)}))
    for record in cluster.records.get("long_streams") or []:
        rows = [x for x in record.get("streams") or [] if x.get("pod")]
        if rows:
            frames.append(pd.DataFrame({
                "stream_id": [f"long-{x.get('index')}" for x in rows], "pod": [str(x["pod"]) for x in rows],
                "start": [float(x.get("started") or np.nan) for x in rows],
                "end": [float(x["ended"]) if x.get("ended") is not None else np.nan for x in rows],
                "outcome": [str(x.get("outcome")) for x in rows]}))
    if not frames:
        return pd.DataFrame(columns=["stream_id", "pod", "start", "end", "outcome"])
    return pd.concat(frames, ignore_index=True)


def classify(outcome: pd.Series) -> pd.Series:
    return outcome.map(lambda o: "completed" if o == "ok" else ("truncated" if o == "truncated" else "errored"))


def pod_ends(cluster: ClusterData, name: str) -> dict[str, float] | CheckResult:
    """When each pod began terminating, or check `name` skipped with the reason (no pod samples, none ended)."""
    pods = cluster.frame("pods")
    if pods is None or not len(pods):
        return skipped(name, "survival", cluster.reason("cluster/pods.parquet"), "streams", 0)
    ends = termination_times(pods, cluster.records.get("terminations"))
    if not ends:
        return skipped(name, "survival", "no pod began terminating during the run", "streams", 0)
    return ends


def evaluate_survival(cluster: ClusterData, origin: float) -> list[CheckResult]:
    ends = pod_ends(cluster, NAME)
    if isinstance(ends, CheckResult):
        return [ends]
    streams = _candidates(cluster)
    if not len(streams):
        return [skipped(NAME, "survival", "no stream names its serving pod (the X-AgentFlow-Pod header is only "
                        "sent by the reference server)", "streams", 0)]
    t_term = np.array([ends.get(p, np.nan) for p in streams["pod"]], dtype=np.float64)
    start, end = streams["start"].to_numpy(np.float64), streams["end"].to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        flying = np.isfinite(t_term) & (start <= t_term) & ~(end <= t_term)
    in_flight = streams[flying].assign(t=t_term[flying])
    in_flight = in_flight.assign(fate=classify(in_flight["outcome"]))
    cut = in_flight[in_flight["fate"] != "completed"]
    tally = in_flight["fate"].value_counts().to_dict()
    terminated = sorted(ends, key=lambda pod: ends[pod])
    when = window(list(ends.values()), origin)
    if not len(cut):
        sentence = (f"{len(in_flight)} stream(s) were in flight on the {len(terminated)} pod(s) that terminated "
                    f"({', '.join(listed(terminated, 6))}); all completed.")
        return [CheckResult(NAME, "pass", 0, 0, "streams", Evidence(sentence, when, listed(terminated),
                                                                     {"in_flight": tally}), "survival")]
    objects = listed([f"{r.pod}: {r.stream_id} {r.outcome}" for r in cut.itertuples()])
    per_pod = cut.groupby("pod").size().to_dict()
    sentence = (f"{len(cut)} of {len(in_flight)} stream(s) in flight when their pod began terminating were cut "
                f"({', '.join(f'{k} {v}' for k, v in tally.items())}); by pod: "
                f"{', '.join(f'{p} {n} (terminating at {fmt.offset(ends[p] - origin)})' for p, n in per_pod.items())}.")
    return [CheckResult(NAME, "fail", len(cut), 0, "streams",
                        Evidence(sentence, window(cut["t"], origin), objects, {"in_flight": tally}), "survival")]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_survival(ctx.cluster, ctx.origin)


CHECKS = (Check(80, "survival", check, cluster=True, sampled=True),)
