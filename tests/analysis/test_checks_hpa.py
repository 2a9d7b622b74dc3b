"""HPA checks: bounds, behavior policies, reaction to a load step, scale-down stabilization, flapping, capacity."""

from __future__ import annotations

import pandas as pd
import pytest
from cluster_runs import T0, cluster, deployments, hpa, pod_name, pods

from analysis.checks.hpa import allowed, evaluate_hpa
from analysis.checks.kube import ClusterConfig

SAMPLES = [float(t) for t in range(0, 900, 5)]
UP_2_PER_60 = {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                           "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]}}


def stages(*loads: tuple[float, int]) -> pd.DataFrame:
    starts = [s for s, _ in loads]
    ends = [*starts[1:], 900.0]
    return pd.DataFrame({"stage": [f"s{i}" for i in range(len(loads))], "start": [T0 + s for s in starts],
                         "end": [T0 + e for e in ends], "users": [u for _, u in loads], "rate": None,
                         "spawn_rate": 10.0, "kind": "step"})


def judge(desired, ready=None, behavior=None, load=((0, 10), (100, 50), (400, 10)), hi=10, pod_frame=None):
    data = cluster(hpa=hpa(SAMPLES, desired, behavior, hi=hi),
                   deployments=deployments(SAMPLES, spec=desired, ready=ready if ready is not None else desired),
                   pods=pod_frame)
    return {r.name: r for r in evaluate_hpa(data, stages(*load), ClusterConfig(), T0)}


def healthy(t):
    return 2 if t < 130 else (4 if t < 720 else 2)


def test_policy_limits_follow_upstream_formulas():
    rule = {"selectPolicy": "Max", "policies": [{"type": "Pods", "value": 4}, {"type": "Percent", "value": 100}]}
    assert allowed(rule, [3, 3], up=True) == 7 and allowed(rule, [10, 10], up=True) == 20
    assert allowed({**rule, "selectPolicy": "Min"}, [10, 10], up=True) == 14
    down = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 50}]}
    assert allowed(down, [5], up=False) == 2
    assert allowed({"selectPolicy": "Disabled", "policies": [{"type": "Pods", "value": 1}]}, [5], up=True) == 5


def test_healthy_scaling_passes_every_check():
    r = judge(healthy, ready=lambda t: 2 if t < 160 else (4 if t < 720 else 2), behavior=UP_2_PER_60)
    for name in ("hpa.bounds", "hpa.policy", "hpa.scale_up_reaction", "hpa.scale_up_ready",
                 "hpa.scale_down_stabilization", "hpa.flapping", "capacity.unschedulable"):
        assert r[name].verdict in ("pass", "skipped"), (name, r[name].evidence.sentence)
    assert r["hpa.scale_up_reaction"].measured == pytest.approx(30.0)
    assert r["hpa.scale_up_reaction"].threshold == pytest.approx(150.0)  # 0 + 85 + 15 sync + 50
    assert r["hpa.scale_up_ready"].measured == pytest.approx(60.0)
    assert r["hpa.scale_down_stabilization"].measured == pytest.approx(320.0)


def test_bounds_fail_names_the_hpa():
    r = judge(lambda t: 12 if 200 <= t < 300 else 2, hi=10)
    assert r["hpa.bounds"].verdict == "fail" and r["hpa.bounds"].measured == 12
    assert r["hpa.bounds"].evidence.objects == ("agentflow",) and "outside [2, 10]" in r["hpa.bounds"].evidence.sentence


def test_policy_violation_fails():
    r = judge(lambda t: 2 if t < 130 else (4 if t < 140 else 6), behavior=UP_2_PER_60)
    check = r["hpa.policy"]
    assert check.verdict == "fail" and check.measured == 1
    assert "4 -> 6 replicas, allowed 4" in check.evidence.sentence


def test_slow_or_missing_reaction_fails():
    slow = judge(lambda t: 2 if t < 300 else 4)
    assert slow["hpa.scale_up_reaction"].verdict == "fail"
    assert slow["hpa.scale_up_reaction"].measured == pytest.approx(200.0)
    never = judge(2)
    assert never["hpa.scale_up_reaction"].verdict == "fail" and never["hpa.scale_up_reaction"].measured is None
    assert "never rose" in never["hpa.scale_up_reaction"].evidence.sentence
    unready = judge(healthy, ready=2)
    assert unready["hpa.scale_up_ready"].verdict == "fail"


def test_early_scale_down_fails():
    r = judge(lambda t: 2 if t < 130 else (4 if t < 450 else 2))
    check = r["hpa.scale_down_stabilization"]
    assert check.verdict == "fail" and check.measured == pytest.approx(50.0) and check.threshold == 285.0


def test_flapping_fails():
    r = judge(lambda t: 2 if t < 130 else (4 if (t // 50) % 2 else 3))
    assert r["hpa.flapping"].verdict == "fail" and r["hpa.flapping"].measured > r["hpa.flapping"].threshold


def test_unschedulable_pods_are_a_capacity_finding():
    stuck = pods(SAMPLES[:20], {pod_name("x"): (None, None)},
                 {pod_name("x"): {"phase": "Pending", "ready": False,
                                  "unschedulable_reason": "0/3 nodes are available: 3 Insufficient cpu."}})
    r = judge(healthy, pod_frame=stuck)
    check = r["capacity.unschedulable"]
    assert check.verdict == "fail" and check.measured == pytest.approx(95.0)
    assert check.evidence.objects[0].startswith(pod_name("x")) and "Insufficient cpu" in check.evidence.objects[0]


def test_no_hpa_data_is_skipped():
    results = evaluate_hpa(cluster(), None, ClusterConfig(), T0)
    assert results[0].verdict == "skipped" and "hpa.parquet" in results[0].evidence.sentence


def test_more_load_in_a_steady_stage_is_not_a_scale_up_demand():
    frame = stages((0, 10), (100, 50))
    frame["kind"] = ["steady", "steady"]
    data = cluster(hpa=hpa(SAMPLES, 2), deployments=deployments(SAMPLES, spec=2, ready=2))
    r = {c.name: c for c in evaluate_hpa(data, frame, ClusterConfig(), T0)}
    check = r["hpa.scale_up_reaction"]
    assert check.verdict == "skipped" and "step/spike" in check.evidence.sentence


def test_no_scale_up_is_due_when_cpu_never_exceeds_the_target_plus_tolerance():
    import pandas as pd

    from analysis.checks.hpa import _not_due

    s = pd.DataFrame({"time": [0.0, 10.0, 20.0], "cpu_utilization": [20.0, 60.0, 76.0],
                      "cpu_target": [70.0, 70.0, 70.0]})
    assert _not_due(s, 0.0, 100.0) is not None  # 76 % <= 70 % x 1.1: the HPA rightly holds
    s.loc[2, "cpu_utilization"] = 90.0
    assert _not_due(s, 0.0, 100.0) is None  # 90 % > 77 %: a scale-up was due and is judged
    assert _not_due(s.drop(columns=["cpu_target"]), 0.0, 100.0) is None  # older runs: cannot tell, judged


def test_a_scale_up_is_due_only_when_seen_at_two_syncs_with_every_replica_ready():
    """Regression (demo run 2026-12-06): CPU hovered at the 70 % target with one 105 % sample while a drained
    pod's replacement was not yet Ready; the HPA rightly held at 3 and the check wrongly failed it."""
    import pandas as pd

    from analysis.checks.hpa import _not_due

    times = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
    s = pd.DataFrame({"time": times, "cpu_utilization": [69.0, 70.0, 105.0, 68.0, 71.0, 69.0, 70.0],
                      "cpu_target": 70.0, "current_replicas": 3})
    ready = pd.DataFrame({"time": times, "ready": [3, 3, 2, 3, 3, 3, 3]})
    held = _not_due(s, 0.0, 100.0, ready=ready, sync_period=3.0)
    assert held is not None and "never above" in held  # the spike came while a replica was not Ready
    ready["ready"] = 3
    held = _not_due(s, 0.0, 100.0, ready=ready, sync_period=3.0)
    assert held is not None and "only one HPA sync" in held  # one sample at one sync: not a demand
    s.loc[3, "cpu_utilization"] = 95.0  # seen again 5 s (> one 3 s sync) later: due, and judged
    assert _not_due(s, 0.0, 100.0, ready=ready, sync_period=3.0) is None


def test_bounds_ignores_the_uncomputed_zero_of_a_new_hpa_but_not_a_real_breach():
    import pandas as pd

    from analysis.checks.hpa import bounds

    s = pd.DataFrame({"time": [0.0, 1.0, 2.0], "name": ["h"] * 3, "min_replicas": [3] * 3, "max_replicas": [5] * 3,
                      "desired_replicas": [0, 3, 4], "current_replicas": [3, 3, 4]})
    assert bounds("hpa.bounds", s, 0.0).verdict == "pass"
    s.loc[2, "desired_replicas"] = 6
    assert bounds("hpa.bounds", s, 0.0).verdict == "fail"


def test_scaling_disabled_at_zero_replicas_is_not_a_policy_violation():
    """Upstream disables autoscaling while the target is scaled to 0 (ScalingActive False, ScalingDisabled) and
    reports desired 0; a person scaling back to 3 is not the HPA's step either. Neither change is judged against
    the behavior's policies, but a real violation in the same run still is."""
    def down_and_back(t):
        return 0 if 300 <= t < 400 else 4
    r = judge(down_and_back, behavior=UP_2_PER_60)
    check = r["hpa.policy"]
    assert check.verdict == "pass", check.evidence.sentence
    assert "while scaling was disabled (target at 0 replicas)" in check.evidence.sentence
    also = judge(lambda t: 0 if 300 <= t < 400 else (4 if t < 600 else 8), behavior=UP_2_PER_60)["hpa.policy"]
    assert also.verdict == "fail" and "4 -> 8 replicas, allowed 6" in also.evidence.sentence
