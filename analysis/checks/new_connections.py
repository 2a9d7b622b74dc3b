"""readiness.new_connections: every new connection opened during a fault got a complete stream.

An experiment's new-connection checks (`chaos/canary.jsonl`, one row per short stream on a fresh connection:
time, end, serving pod, HTTP status, outcome, error code) model new clients arriving while the fault runs; each
is routed to whatever the Service lists as ready at that moment. A failure names the pod that answered and when
it had become Ready (the first observer sample with it Ready): a pod that is Ready but answers 503 is a cold pod,
its readiness probe does not gate on what the API needs. Skipped when the run has no such checks.
"""

from __future__ import annotations

import pandas as pd

from analysis import fmt
from analysis.checks.context import Check, CheckContext
from analysis.checks.kube import listed, skipped, window
from analysis.checks.result import CheckResult, Evidence
from analysis.cluster import ClusterData

NAME = "readiness.new_connections"


def _ready_since(cluster: ClusterData) -> dict[str, float]:
    pods = cluster.frame("pods")
    if pods is None or not len(pods):
        return {}
    ready = pods[pods["ready"].fillna(False).astype(bool)]
    return ready.groupby("pod")["time"].min().to_dict()


def evaluate_new_connections(cluster: ClusterData, origin: float) -> list[CheckResult]:
    rows = cluster.records.get("canary")
    if not rows:
        return [skipped(NAME, "readiness", "no new-connection checks in this run (chaos/canary.jsonl)", "connections",
                        0)]
    frame = pd.DataFrame(rows, columns=["time", "end", "pod", "status", "outcome", "error"])
    span = window(frame["time"], origin)
    failed = frame[frame["outcome"] != "ok"]
    if not len(failed):
        return [CheckResult(NAME, "pass", 0, 0, "connections", Evidence(
            f"All {len(frame)} new connections opened during the fault got a complete stream.", span), "readiness")]
    since = _ready_since(cluster)
    objects, named = [], []
    for pod, group in failed.groupby(failed["pod"].fillna("no pod"), sort=True):
        codes = ", ".join(f"{k} x{v}" for k, v in group["error"].fillna(group["outcome"]).value_counts().items())
        ready = since.get(str(pod))
        when = f"{fmt.offset(group['time'].min() - origin)}..{fmt.offset(group['time'].max() - origin)}"
        state = f", Ready since {fmt.offset(ready - origin)}" if ready is not None else ""
        cold = ready is not None and group["status"].eq(503).any() and group["time"].min() >= ready
        objects.append(f"{pod}: {len(group)} failed ({codes}) at {when}{state}{' (cold)' if cold else ''}")
        named.append(str(pod))
    sentence = (f"{len(failed)} of {len(frame)} new connections opened during the fault failed; pods: "
                f"{', '.join(named)}. A pod that answers 503 after it became Ready is cold: its readiness probe "
                "does not wait for what the API needs.")
    return [CheckResult(NAME, "fail", len(failed), 0, "connections",
                        Evidence(sentence, window(failed["time"], origin), listed(objects)), "readiness")]


def check(ctx: CheckContext) -> list[CheckResult]:
    assert ctx.cluster is not None
    return evaluate_new_connections(ctx.cluster, ctx.origin)


CHECKS = (Check(100, "new_connections", check, cluster=True, sampled=True),)
