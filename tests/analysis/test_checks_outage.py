"""Intended outages: a declared window (a mark with `outage`, confirmed by the workload at 0 replicas) is set aside
by the readiness checks, and only it; pdb.floor leaves the owner's own scale alone; hpa.metrics_freshness leaves
alone the samples at 0 replicas. The same shapes outside those windows, a declaration a pod kill or a rollout
makes, and a real eviction below the floor still fail."""

from __future__ import annotations

import numpy as np
import pandas as pd
from cluster_runs import T0, cluster, deployments, endpoints, hpa, marks, pdb, pod_name, pods, replicasets, streams

from analysis.checks.hpa_freshness import evaluate_freshness
from analysis.checks.kube import ClusterConfig
from analysis.checks.outage import declared
from analysis.checks.pdb import evaluate_pdb
from analysis.checks.readiness import evaluate_readiness

SAMPLES = [float(t) for t in range(0, 120)]
A, B, C = pod_name("a"), pod_name("b"), pod_name("c")
PLACED = {A: ("node-a1", "zone-a"), B: ("node-b1", "zone-b"), C: ("node-c1", "zone-c")}
DOWN = (30, 60)  # the deployment at 0 replicas; Ready again from 66 s


def spec(t: float) -> int:
    return 0 if DOWN[0] <= t < DOWN[1] else 3


def ready(t: float) -> int:
    return 0 if DOWN[0] <= t < 66 else 3


def outage_marks(*spans, intended="outage", hard=False, experiment="Every pod down pages (AgentFlowDown)"):
    frame = marks(*spans)
    return frame.assign(experiment=experiment, intended=intended, hard=hard)


def by_name(results):
    return {r.name: r for r in results}


def run(frame, mark_frame, spec_of=spec, endpoint_up=lambda t: True if not DOWN[0] <= t < 66 else None):
    return cluster(stream_frame=frame, mark_frame=mark_frame,
                   pods=pods(SAMPLES, PLACED, {p: {"ready": lambda t: not DOWN[0] <= t < 66} for p in PLACED}),
                   endpoints=endpoints(SAMPLES, {p: endpoint_up for p in PLACED}),
                   deployments=deployments(SAMPLES, spec=spec_of, ready=ready), replicasets=replicasets(),
                   pdb=pdb(SAMPLES, floor=2))


def connect_errors(start: float, end: float, prefix: str) -> pd.DataFrame:
    return streams(10, start, end, outcome="connect_error", prefix=prefix)


def test_connect_errors_in_the_declared_outage_are_set_aside_naming_experiment_and_seconds():
    frame = pd.concat([streams(20, 0, 120, pod=A), connect_errors(59.5, 65.5, "down")], ignore_index=True)
    undeclared = by_name(evaluate_readiness(run(frame, outage_marks(("every-pod-down", 29, 67), intended=None)),
                                            ClusterConfig(), T0))["readiness.connect_errors"]
    assert undeclared.verdict == "fail" and undeclared.measured == 10
    check = by_name(evaluate_readiness(run(frame, outage_marks(("every-pod-down", 29, 67))), ClusterConfig(),
                                       T0))["readiness.connect_errors"]
    assert check.verdict == "pass", check.evidence.sentence
    assert "10 connect_error stream(s) in the declared outage of Every pod down pages (AgentFlowDown)" in \
        check.evidence.sentence and "40 s at +29.0 s..+69.0 s" in check.evidence.sentence


def test_the_same_connect_errors_outside_the_declared_window_fail():
    second_scale_up = lambda t: 0 if DOWN[0] <= t < DOWN[1] else (3 if t < 90 else 5)  # noqa: E731
    frame = pd.concat([streams(20, 0, 120, pod=A), connect_errors(59.5, 65.5, "down"), connect_errors(90, 95, "up")],
                      ignore_index=True)
    data = run(frame, outage_marks(("every-pod-down", 29, 67)), spec_of=second_scale_up)
    check = by_name(evaluate_readiness(data, ClusterConfig(), T0))["readiness.connect_errors"]
    assert check.verdict == "fail" and check.measured == 10, check.evidence.sentence
    assert "scale-up of agentflow to 5: 10" in check.evidence.sentence
    assert "10 connect_error stream(s) in the declared outage" in check.evidence.sentence


def test_a_pod_kill_or_rollout_cannot_declare_its_errors_away():
    """A declaration is honoured only where the workload really was at 0 replicas, and never for a hard fault."""
    rollout = (outage_marks(("rolling-restart", 29, 67)), lambda t: 3, 40.5)  # spec never 0: a rollout
    kill = (outage_marks(("kill-pods", 29, 67), hard=True), spec, 59.5)  # at 0 replicas, but a hard fault
    for mark, spec_of, start in (rollout, kill):
        frame = pd.concat([streams(20, 0, 120, pod=A), connect_errors(start, start + 6, "kill")], ignore_index=True)
        data = run(frame, mark, spec_of=spec_of)
        honoured, refused = declared(data, 2.0)
        assert not honoured and len(refused) == 1
        check = by_name(evaluate_readiness(data, ClusterConfig(), T0))["readiness.connect_errors"]
        assert check.verdict == "fail" and check.measured == 10
        assert "is not honoured" in check.evidence.sentence


def test_failed_streams_to_a_pod_gone_from_the_endpoints_are_set_aside_only_in_the_outage():
    gone = lambda t: True if t < DOWN[0] else (False if t < 32 else None)  # noqa: E731  (b leaves at 30 s for good)
    frame = pd.concat([streams(20, 0, 120, pod=A), streams(10, 34, 54, pod=B, prefix="b", outcome="truncated")],
                      ignore_index=True)
    data = cluster(stream_frame=frame, mark_frame=outage_marks(("every-pod-down", 29, 67)),
                   pods=pods(SAMPLES, PLACED), endpoints=endpoints(SAMPLES, {A: lambda t: True, B: gone}),
                   deployments=deployments(SAMPLES, spec=spec, ready=ready))
    check = by_name(evaluate_readiness(data, ClusterConfig(endpoint_grace_s=2.0), T0))["readiness.after_unready"]
    assert check.verdict == "pass" and "10 failed stream(s) sent to a pod" in check.evidence.sentence
    late = pd.concat([frame, streams(5, 80, 90, pod=B, prefix="late", outcome="truncated")], ignore_index=True)
    data = cluster(stream_frame=late, mark_frame=outage_marks(("every-pod-down", 29, 67)),
                   pods=pods(SAMPLES, PLACED), endpoints=endpoints(SAMPLES, {A: lambda t: True, B: gone}),
                   deployments=deployments(SAMPLES, spec=spec, ready=ready))
    check = by_name(evaluate_readiness(data, ClusterConfig(endpoint_grace_s=2.0), T0))["readiness.after_unready"]
    assert check.verdict == "fail" and check.measured == 5, check.evidence.sentence


def test_pdb_floor_sets_aside_the_owners_scale_to_zero_but_fails_a_real_eviction():
    data = run(streams(5, 0, 120, pod=A), outage_marks(("every-pod-down", 29, 67)))
    check = by_name(evaluate_pdb(data, T0))["pdb.floor"]
    assert check.verdict == "pass" and "36 sample(s) in which the owner had scaled" in check.evidence.sentence
    dipped = {A: {"ready": lambda t: not DOWN[0] <= t < 66}, B: {"ready": lambda t: not DOWN[0] <= t < 66 and
                                                                   not 80 <= t < 84},
              C: {"ready": lambda t: not DOWN[0] <= t < 66 and not 80 <= t < 84}}
    data = cluster(mark_frame=pd.concat([outage_marks(("every-pod-down", 29, 67)), marks(("drain-node", 78, 90))]),
                   pods=pods(SAMPLES, PLACED, dipped), deployments=deployments(SAMPLES, spec=spec, ready=ready),
                   replicasets=replicasets(), pdb=pdb(SAMPLES, floor=2))
    check = by_name(evaluate_pdb(data, T0))["pdb.floor"]
    assert check.verdict == "fail" and check.measured == 1 and check.evidence.window_s == (80.0, 83.0)
    assert "sample(s) in which the owner had scaled agentflow below the floor" in check.evidence.sentence


def test_pdb_floor_still_fails_when_the_ready_count_drops_with_the_scale_unchanged():
    down = {p: {"ready": lambda t: not DOWN[0] <= t < 66} for p in PLACED}
    data = cluster(mark_frame=outage_marks(("every-pod-down", 29, 67)), pods=pods(SAMPLES, PLACED, down),
                   deployments=deployments(SAMPLES, ready=ready), replicasets=replicasets(), pdb=pdb(SAMPLES))
    check = by_name(evaluate_pdb(data, T0))["pdb.floor"]
    assert check.verdict == "fail" and check.measured == 0 and "set aside" not in check.evidence.sentence


def freshness_run(current) -> tuple:
    """PodMetrics 60 s old from 30 s to 60 s (no pod there to measure); the HPA's current replicas `current`."""
    rows = [{"time": T0 + t, "pod": A, "cpu": 0.1, "memory": 1e8, "timestamp": T0 + t - (60 if 30 <= t < 60 else 5),
             "window": 5.0} for t in SAMPLES]
    data = cluster(pod_metrics=pd.DataFrame(rows), hpa=hpa(SAMPLES, current, lo=3))
    return data, evaluate_freshness(data, ClusterConfig(hpa_sync_period_s=3.0), T0)


def test_stale_metrics_at_zero_replicas_are_set_aside_and_with_replicas_they_fail():
    _, check = freshness_run(spec)
    assert check.verdict == "pass" and "30 stale sample(s) while the target was at 0 replicas" in \
        check.evidence.sentence
    _, check = freshness_run(3)
    assert check.verdict == "fail" and np.isclose(check.measured, 29.0), check.evidence.sentence
    assert "set aside" not in check.evidence.sentence


def knob_run(frame):
    """Pod b (the knob's old template) leaves the endpoints at 30 s and is last seen at 44 s; the restore rollout
    is marked 20..40 s; pod c (the new template, created at 25 s) takes over."""
    gone = lambda t: True if t < 30 else (False if t < 45 else None)  # noqa: E731
    placed = {B: ("node-b1", "zone-b"), C: ("node-c1", "zone-c")}
    frame_pods = pods(SAMPLES, placed, {C: {"template_hash": "newhash", "created": T0 + 25}})
    frame_pods = frame_pods[(frame_pods["pod"] != B) | (frame_pods["time"] <= T0 + 44)]
    return cluster(stream_frame=frame, pods=frame_pods,
                   mark_frame=outage_marks(("restore-the-knobs", 20, 40), intended="errors",
                                           experiment="An error rate above 1 % on every pod pages (HighErrorRate)"),
                   endpoints=endpoints(SAMPLES, {B: gone, C: lambda t: t >= 26}), deployments=deployments(SAMPLES))


def late_on_b(start, end, error, outcome="http_error", prefix="b"):
    frame = streams(5, start, end, pod=B, prefix=prefix, outcome=outcome)
    return frame.assign(error=error)


def test_injected_errors_are_set_aside_only_in_their_window_and_only_the_injected_answer():
    injected = late_on_b(33, 43, "INTERNAL_ERROR")
    check = by_name(evaluate_readiness(knob_run(injected), ClusterConfig(endpoint_grace_s=2.0), T0))[
        "readiness.after_unready"]
    assert check.verdict == "pass", check.evidence.sentence
    assert "5 failed stream(s) sent to a pod that had left the endpoints answering the injected INTERNAL_ERROR in " \
           "the declared error injection of An error rate above 1 % on every pod pages (HighErrorRate) " \
           "(restore-the-knobs, 24 s at +20.0 s..+44.0 s)" in check.evidence.sentence
    drained = late_on_b(33, 43, "SERVICE_UNAVAILABLE", prefix="drain")  # a draining pod's 503: the rollout's harm
    cut = late_on_b(33, 43, None, outcome="truncated", prefix="cut")
    after = late_on_b(44.5, 50, "INTERNAL_ERROR", prefix="after")  # the old pods are gone: not the knob's answer
    for frame in (drained, cut, after):
        check = by_name(evaluate_readiness(knob_run(pd.concat([injected, frame], ignore_index=True)),
                                           ClusterConfig(endpoint_grace_s=2.0), T0))["readiness.after_unready"]
        assert check.verdict == "fail" and check.measured == 5, check.evidence.sentence
