"""hpa.scale_down_stabilization counts the window from the HPA's last high recommendation when its CPU had
already fallen below the target before the load drop (regression: the good hpa-scale run scaled down 41 s after
the drop with a 60 s window, 60 s after its CPU recommendation last asked for 4 replicas, and was failed)."""

from __future__ import annotations

import pytest
from cluster_runs import T0, cluster, deployments, hpa
from test_checks_hpa import SAMPLES, stages

from analysis.checks.hpa import evaluate_hpa
from analysis.checks.kube import ClusterConfig

DOWN_300 = {"scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Pods", "value": 1,
                                                                           "periodSeconds": 60}]}}


def judge(down_at: float, with_cpu: bool = True):
    def desired(t):
        return 2 if t < 130 else (4 if t < down_at else 3)

    frame = hpa(SAMPLES, desired, DOWN_300)
    if with_cpu:  # ~90 % of a 70 % target until 300 s (asks for 6), then ~40 % (asks for 3), 5 % after the drop
        frame["cpu_target"] = 70.0
        frame["cpu_utilization"] = [(90.0 if t < 300 else (40.0 if t < 400 else 5.0)) + (t // 5) % 2 for t in SAMPLES]
    data = cluster(hpa=frame, deployments=deployments(SAMPLES, spec=desired, ready=desired))
    results = evaluate_hpa(data, stages((0, 10), (100, 50), (400, 10)), ClusterConfig(), T0)
    return next(r for r in results if r.name == "hpa.scale_down_stabilization")


def test_the_window_runs_from_the_last_high_recommendation_before_the_drop():
    check = judge(down_at=610)  # 210 s after the load drop, 315 s after the recommendation last asked for 4
    assert check.verdict == "pass", check.evidence.sentence
    assert check.measured == pytest.approx(315.0) and "last asked for 4 replicas at +295.0 s" in check.evidence.sentence


def test_a_scale_down_inside_that_window_still_fails():
    check = judge(down_at=450)
    assert check.verdict == "fail" and check.measured == pytest.approx(155.0)


def test_without_cpu_columns_the_window_runs_from_the_drop():
    check = judge(down_at=610, with_cpu=False)
    assert check.verdict == "fail" and check.measured == pytest.approx(210.0)


def reaction_of(desired, cpu):
    frame = hpa(SAMPLES, desired, DOWN_300)
    frame["cpu_target"], frame["cpu_utilization"] = 70.0, [cpu(t) for t in SAMPLES]
    data = cluster(hpa=frame, deployments=deployments(SAMPLES, spec=desired, ready=desired))
    results = evaluate_hpa(data, stages((0, 10), (100, 50), (400, 10)), ClusterConfig(), T0)
    return next(r for r in results if r.name == "hpa.scale_up_reaction")


def test_a_scale_up_the_hpa_made_is_judged_even_when_cpu_was_high_at_only_one_sync():
    """Regression (3x matrix, good hpa-scale): CPU 81 % of a 70 % target at one sync, the HPA scaled 3 -> 4, and the
    reaction was skipped as 'no scale-up due' once the loader kept the CPU columns."""
    def cpu(t):
        return 81.0 if t == 125 else 50.0

    judged = reaction_of(lambda t: 3 if t < 130 else 4, cpu)
    assert judged.verdict == "pass" and judged.measured == pytest.approx(30.0)
    idle = reaction_of(3, cpu)  # the HPA did not move: not due, as before
    assert idle.verdict == "skipped" and "no scale-up due" in idle.evidence.sentence
