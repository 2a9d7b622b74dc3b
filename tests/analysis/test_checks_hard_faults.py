"""Hard-fault casualties (streams lost with killed pods) are set aside from the error-rate SLOs; anything else
that breaks in the fault's window fails fault.collateral."""

from __future__ import annotations

import numpy as np
import pandas as pd
from cluster_runs import CHAOS_PLACED, CHAOS_SAMPLES, T0, cluster, endpoints, pod_name, pods, streams

from analysis.checks.config import parse_slos
from analysis.checks.hard_faults import evaluate_collateral, find_casualties, killed_pods
from analysis.checks.kube import ClusterConfig
from analysis.checks.phases import evaluate_phases, phase_of
from experiments.afchaos.controls.marks import is_hard

SLOS = parse_slos({"slos": {"error_rate": 0.01, "e2e_p99": 5.0}})
VICTIM = pod_name(0)


def _marks(hard: bool) -> pd.DataFrame:
    return pd.DataFrame([{"experiment": "exp", "activity": "kill-grace-0", "kind": "action", "start": T0 + 20,
                          "end": T0 + 25, "status": "succeeded", "hard": hard}])


def _run(extra: pd.DataFrame | None = None, hard: bool = True):
    """Three pods; pod 0 is deleted with grace 0 at +20 s (absent from the samples after it). Four streams on it
    were cut, two connections failed before its endpoint went away (+22 s)."""
    frames = [streams(100, 0, 60, pod=pod_name(1)), streams(100, 0, 60, pod=pod_name(2)),
              streams(30, 0, 19, pod=VICTIM, e2e=1.0),
              streams(4, 19.2, 19.9, outcome="truncated", pod=VICTIM, e2e=1.5, prefix="cut"),
              streams(2, 20.5, 21.5, outcome="connect_error", prefix="refused")]
    if extra is not None:
        frames.append(extra)
    frame = pd.concat(frames, ignore_index=True)
    pod_frame = pods(CHAOS_SAMPLES, CHAOS_PLACED)
    pod_frame = pod_frame[~((pod_frame["pod"] == VICTIM) & (pod_frame["time"] > T0 + 20))]
    ep = endpoints(CHAOS_SAMPLES, {pod_name(1): lambda t: True, pod_name(2): lambda t: True,
                                   VICTIM: lambda t: True if t < 22 else None})
    return cluster(stream_frame=frame, mark_frame=_marks(hard), pods=pod_frame, endpoints=ep)


def _by_name(results):
    return {r.name: r for r in results}


def test_streams_lost_with_a_hard_killed_pod_are_casualties_not_slo_errors():
    data = _run()
    casualties = find_casualties(data)
    assert casualties.faults[0].killed == (VICTIM,)
    assert casualties.count == 6  # 4 truncated on the victim + 2 connection errors before its endpoint left
    results = _by_name(evaluate_phases(data, SLOS, ClusterConfig(), T0, T0 + 60, casualties.mask))
    assert results["phase.fault.error_rate"].verdict == "pass"
    assert "6 stream(s) lost with pods a hard fault killed" in results["phase.fault.error_rate"].evidence.sentence
    collateral = evaluate_collateral(data, casualties, T0)
    assert [c.verdict for c in collateral] == ["pass"]
    assert VICTIM in collateral[0].evidence.objects and "4" in collateral[0].evidence.sentence


def test_the_same_errors_fail_the_slo_when_the_fault_was_not_hard():
    data = _run(hard=False)
    casualties = find_casualties(data)
    assert casualties.count == 0 and casualties.excused(len(data.streams)) is None
    results = _by_name(evaluate_phases(data, SLOS, ClusterConfig(), T0, T0 + 60, None))
    assert results["phase.fault.error_rate"].verdict == "fail"
    assert evaluate_collateral(data, casualties, T0) == []


def test_errors_on_surviving_pods_inside_the_window_fail_collateral():
    overloaded = streams(3, 21, 23, outcome="http_error", pod=pod_name(1), prefix="503")
    late_refusal = streams(1, 24, 24.5, outcome="connect_error", prefix="late")  # endpoint gone at +22 s
    data = _run(pd.concat([overloaded, late_refusal], ignore_index=True))
    casualties = find_casualties(data)
    assert casualties.count == 6
    result = evaluate_collateral(data, casualties, T0)[0]
    assert result.verdict == "fail" and result.measured == 4
    assert any(pod_name(1) in o for o in result.evidence.objects)
    assert "http_error 3" in result.evidence.sentence and "connect_error 1" in result.evidence.sentence


def test_killed_pods_are_those_ready_before_and_gone_or_unready_after():
    frame = pods(CHAOS_SAMPLES, CHAOS_PLACED, {pod_name(2): {"ready": lambda t: t < 30}})
    frame = frame[~((frame["pod"] == VICTIM) & (frame["time"] > T0 + 20))]
    assert killed_pods(frame, T0 + 20, T0 + 25) == (VICTIM, pod_name(2))  # pod 2: NotReady within the horizon
    assert killed_pods(frame, T0 + 20, T0 + 25, horizon=2.0) == (VICTIM,)


def test_a_stream_cut_by_a_fault_belongs_to_the_fault_phase_not_the_steady_one():
    m = _marks(False)
    scheduled = T0 + np.array([5.0, 18.0, 19.0])
    ended = T0 + np.array([6.0, 19.5, 21.0])  # the last one was in flight when the fault began
    assert phase_of(scheduled, m, 10.0, ended).tolist() == ["steady", "steady", "fault"]
    assert phase_of(scheduled, m, 10.0).tolist() == ["steady", "steady", "steady"]


def test_hard_activities_are_grace_zero_deletes_and_failed_machines():
    assert is_hard({"provider": {"func": "terminate_pods", "arguments": {"grace_period": 0}}})
    zone = "experiments.afchaos.zone.actions"  # fail_zone declares itself @hard_fault where it is defined
    assert is_hard({"provider": {"module": zone, "func": "fail_zone", "arguments": {"zone": "zone-a"}}})
    assert not is_hard({"provider": {"module": zone, "func": "drain_zone", "arguments": {"zone": "zone-a"}}})
    assert not is_hard({"provider": {"func": "terminate_pods", "arguments": {"grace_period": 30}}})
    assert not is_hard({"provider": {"func": "terminate_pods", "arguments": {}}})
    assert not is_hard({"provider": {"func": "drain_zone", "arguments": {"zone": "zone-a"}}})
