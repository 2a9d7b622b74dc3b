"""Stream survival across termination, readiness gating, experiment verdicts."""

from __future__ import annotations

import pandas as pd
from cluster_runs import T0, cluster, deployments, endpoints, marks, pod_name, pods, streams

from analysis.checks.experiments import evaluate_experiments
from analysis.checks.kube import ClusterConfig
from analysis.checks.readiness import evaluate_readiness
from analysis.checks.survival import evaluate_survival

SAMPLES = [float(t) for t in range(0, 60)]
A, B = pod_name("a"), pod_name("b")
PLACED = {A: ("node-a1", "zone-a"), B: ("node-b1", "zone-b")}


def by_name(results):
    return {r.name: r for r in results}


def terminating_a(t: float) -> bool:
    return t >= 30


def survival_data(outcome_on_a: str):
    """Streams of 10 s each on pod a from 0..40 s (4 in flight at 30 s), pod a terminating from 30 s."""
    frame = pd.concat([streams(8, 0, 40, pod=A, e2e=10.0, prefix="a"), streams(8, 0, 40, pod=B, prefix="b")],
                      ignore_index=True)
    in_flight = (frame["pod"] == A) & (frame["scheduled"] <= T0 + 30) & (frame["end"] > T0 + 30)
    frame.loc[in_flight & (frame.index % 2 == 0), "outcome"] = outcome_on_a
    return cluster(stream_frame=frame, pods=pods(SAMPLES, PLACED, {A: {"terminating": terminating_a}}))


def test_graceful_shutdown_passes_when_in_flight_streams_complete():
    check = by_name(evaluate_survival(survival_data("ok"), T0))["survival.in_flight"]
    assert check.verdict == "pass" and check.measured == 0
    assert check.evidence.details["in_flight"] == {"completed": 2}


def test_cut_streams_fail_naming_pod_and_streams():
    check = by_name(evaluate_survival(survival_data("truncated"), T0))["survival.in_flight"]
    assert check.verdict == "fail" and check.measured == 1
    assert check.evidence.objects == (f"{A}: a-0-6 truncated",)
    assert "terminating at +30.0 s" in check.evidence.sentence


def test_long_streams_from_the_experiment_count():
    data = cluster(pods=pods(SAMPLES, PLACED, {A: {"terminating": terminating_a}}),
                   records={"long_streams": [{"streams": [
                       {"index": 0, "pod": A, "outcome": "stream_error", "started": T0 + 20, "ended": T0 + 31},
                       {"index": 1, "pod": B, "outcome": "ok", "started": T0 + 20, "ended": T0 + 50}]}]})
    check = by_name(evaluate_survival(data, T0))["survival.in_flight"]
    assert check.verdict == "fail" and check.evidence.objects == (f"{A}: long-0 stream_error",)


def test_no_termination_skips():
    data = cluster(pods=pods(SAMPLES, PLACED), stream_frame=streams(4, 0, 10, pod=A))
    assert evaluate_survival(data, T0)[0].verdict == "skipped"


def readiness_data(frame, ready_since_b=T0 - 50, endpoint_b=lambda t: True, deploy=None, mark_frame=None):
    return cluster(stream_frame=frame, mark_frame=mark_frame,
                   pods=pods(SAMPLES, PLACED, {B: {"ready_since": ready_since_b}}),
                   endpoints=endpoints(SAMPLES, {A: lambda t: True, B: endpoint_b}),
                   deployments=deploy if deploy is not None else deployments(SAMPLES))


def test_readiness_passes_on_a_clean_run():
    frame = pd.concat([streams(10, 0, 50, pod=A), streams(10, 0, 50, pod=B, prefix="b")], ignore_index=True)
    r = by_name(evaluate_readiness(readiness_data(frame), ClusterConfig(), T0))
    assert r["readiness.before_ready"].verdict == "pass" and r["readiness.after_unready"].verdict == "pass"
    assert r["readiness.connect_errors"].verdict == "skipped"


def test_stream_before_ready_fails():
    frame = streams(10, 0, 50, pod=B, prefix="b")  # one every 5 s; pod b Ready only at +22 s
    check = by_name(evaluate_readiness(readiness_data(frame, ready_since_b=T0 + 22), ClusterConfig(), T0))[
        "readiness.before_ready"]
    assert check.verdict == "fail" and check.measured == 5
    assert check.evidence.objects[0].startswith(f"{B}: stream b-0-0")


def test_failed_stream_after_endpoint_removal_fails_beyond_grace_and_served_ones_are_benign():
    endpoint_b = lambda t: True if t < 20 else (False if t < 30 else None)  # noqa: E731
    served = readiness_data(streams(20, 0, 40, pod=B, prefix="b"), endpoint_b=endpoint_b)  # all completed ok
    ok = by_name(evaluate_readiness(served, ClusterConfig(endpoint_grace_s=2.0), T0))["readiness.after_unready"]
    assert ok.verdict == "pass" and "8 stream(s) did reach a pod after it left the endpoints" in ok.evidence.sentence
    frame = streams(20, 0, 40, pod=B, prefix="b", outcome="truncated")  # every 2 s, the pod could not serve them
    data = readiness_data(frame, endpoint_b=endpoint_b)
    check = by_name(evaluate_readiness(data, ClusterConfig(endpoint_grace_s=2.0), T0))["readiness.after_unready"]
    assert check.verdict == "fail" and check.measured == 8  # sent at 24, 26, ... 38 s (> 20 + 2)
    assert f"{B}: stream b-0-12 sent +24.0 s" in check.evidence.objects[0]
    lenient = by_name(evaluate_readiness(data, ClusterConfig(endpoint_grace_s=100.0), T0))["readiness.after_unready"]
    assert lenient.verdict == "pass"


def test_connect_errors_during_rollout_or_scale_up_fail():
    frame = pd.concat([streams(10, 0, 50, pod=A), streams(2, 12, 14, outcome="connect_error", prefix="e")])
    rollout = readiness_data(frame, mark_frame=marks(("rolling-restart", 10, 11)),
                             deploy=deployments(SAMPLES, ready=lambda t: 2 if 10 <= t < 20 else 3))
    check = by_name(evaluate_readiness(rollout, ClusterConfig(), T0))["readiness.connect_errors"]
    assert check.verdict == "fail" and check.measured == 2 and "rollout rolling-restart" in check.evidence.sentence
    scale = readiness_data(frame, deploy=deployments(SAMPLES, spec=lambda t: 3 if t < 12 else 5,
                                                     ready=lambda t: 3 if t < 18 else 5))
    check = by_name(evaluate_readiness(scale, ClusterConfig(), T0))["readiness.connect_errors"]
    assert check.verdict == "fail" and "scale-up of agentflow to 5" in check.evidence.sentence
    quiet = readiness_data(pd.concat([streams(10, 0, 50, pod=A), streams(2, 40, 42, outcome="connect_error")]),
                           mark_frame=marks(("rolling-restart", 10, 11)))
    assert by_name(evaluate_readiness(quiet, ClusterConfig(), T0))["readiness.connect_errors"].verdict == "pass"


def journal(status="completed", deviated=False, tolerance_met=True):
    probe = {"activity": {"type": "probe", "name": "pdb-floor-held"}, "status": "succeeded",
             "tolerance_met": tolerance_met, "output": tolerance_met}
    return {"experiment": {"title": "Kill a pod"}, "status": status, "deviated": deviated,
            "start": "2025-11-24T16:00:00+00:00", "end": "2025-11-24T16:01:00+00:00",
            "steady_states": {"before": {"probes": [probe]}, "after": {"probes": [probe]}},
            "run": [{"activity": {"type": "action", "name": "kill"}, "status": "succeeded"}], "rollbacks": []}


def test_experiment_verdicts_from_journals_and_verdicts_json():
    data = cluster(journals={"pod-kill": journal(), "node-drain": journal(deviated=True, tolerance_met=False)},
                   verdicts=[{"experiment": "zone-outage", "ok": False, "status": "failed", "deviated": False,
                              "problems": ["method action 'drain' failed: stuck"]}])
    r = by_name(evaluate_experiments(data, {"experiments": ["pod-kill", "node-drain", "zone-outage", "hpa-scale"]}, T0))
    # the method ran but recorded no effect (chaos/effects.jsonl): neither a pass nor a fail (test_checks_effects.py)
    assert r["experiment.pod-kill"].verdict == "incomplete"
    bad = r["experiment.node-drain"]
    assert bad.verdict == "incomplete" and "pdb-floor-held" in bad.evidence.objects
    assert "deviated" in bad.evidence.sentence
    assert r["experiment.zone-outage"].verdict == "fail" and "stuck" in r["experiment.zone-outage"].evidence.sentence
    assert r["experiment.hpa-scale"].verdict == "fail" and "no journal" in r["experiment.hpa-scale"].evidence.sentence
