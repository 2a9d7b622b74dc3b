"""The AgentFlow production HPA (reference/agentflow.md) driven through `decide`, sync by sync.

min 3, max 20, CPU 70 % and memory 80 % utilisation; scaleUp: stabilization 0 s, 100 %/15 s and 4 pods/15 s,
selectPolicy Max; scaleDown: stabilization 300 s, 10 %/60 s. Pods request cpu 500m / memory 512Mi and have
been Ready for an hour (so CPU-initialisation handling stays out of the way); memory use is 50Mi per pod.
Syncs run every 15 s as upstream's controller does. A scale event exactly `periodSeconds` old no longer counts
(upstream keeps events strictly newer than now - period), so at 15 s intervals every sync gets a fresh budget.
The time-scaled variant runs the same scenario with `HpaConfig(time_scale=10)`: every window, period and
delay is ten times shorter and the same steps happen at a tenth of the times.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from localcluster.hpa import ContainerSpec, HpaConfig, HpaState, MetricsInput, PodInfo, PodSample, decide

AGENTFLOW_HPA = {
    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "agentflow"},
    "minReplicas": 3,
    "maxReplicas": 20,
    "metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
        {"type": "Resource", "resource": {"name": "memory",
                                          "target": {"type": "Utilization", "averageUtilization": 80}}},
    ],
    "behavior": {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 15},
            {"type": "Pods", "value": 4, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [
            {"type": "Percent", "value": 10, "periodSeconds": 60}]},
    },
}
T0 = 1_000_000.0
CPU_REQUEST, MEM_REQUEST = 500, 512 * 2**20 * 1000  # milli-units
MEM_USE = 50 * 2**20 * 1000


def sync(replicas: int, cpu_per_pod: int, now: float, state: HpaState, config: HpaConfig):
    pods = [PodInfo(f"agentflow-{i}", (ContainerSpec("agentflow", {"cpu": CPU_REQUEST, "memory": MEM_REQUEST}),),
                    start_time=T0 - 3600, ready_transition=T0 - 3600) for i in range(replicas)]
    inputs = MetricsInput(pods, {
        "cpu": {p.name: PodSample(cpu_per_pod, now, 60.0 / config.time_scale) for p in pods},
        "memory": {p.name: PodSample(MEM_USE, now, 60.0 / config.time_scale) for p in pods}})
    return decide(AGENTFLOW_HPA, replicas, inputs, now, state, config)


def simulate(cpu_per_pod: Callable[[float, int], int], times: list[float], time_scale: float = 1.0):
    """Run syncs at `times` (real-time seconds, divided by time_scale); return [(t, replicas, limited reason)]."""
    config, state, replicas, out = HpaConfig(time_scale=time_scale), HpaState(), 3, []
    for t in times:
        decision = sync(replicas, cpu_per_pod(t, replicas), T0 + t / time_scale, state, config)
        state = decision.state
        if decision.rescale:
            replicas = decision.desired
        limited = next(c["reason"] for c in decision.conditions if c["type"] == "ScalingLimited")
        out.append((t, replicas, limited))
    return out


def three_times_target(_t: float, _replicas: int) -> int:
    return 1050  # 210 % of the 500m request: 3x the 70 % target on every pod, whatever the pod count


def test_scale_up_steps_from_three_replicas_at_three_times_target():
    steps = simulate(three_times_target, [0, 15, 30, 45])
    assert steps == [(0, 7, "ScaleUpLimit"),  # max(3 + 4 pods, ceil(3 * 200 %) = 6) = 7; metrics want 9
                     (15, 14, "ScaleUpLimit"),  # max(7 + 4, 14) = 14; metrics want 21
                     (30, 20, "TooManyReplicas"),  # budget 28 but maxReplicas 20; metrics want 42
                     (45, 20, "TooManyReplicas")]


def test_scale_up_budget_is_spent_within_the_period():
    """A sync 10 s after the first step still counts the +4 pods: the period started at 3 replicas."""
    steps = simulate(three_times_target, [0, 10, 15])
    assert steps == [(0, 7, "ScaleUpLimit"), (10, 7, "ScaleUpLimit"), (15, 14, "ScaleUpLimit")]


def test_constant_total_load_settles_at_nine():
    """The same load (3 pods x 210 %) spread over more pods: 3 -> 7 (rate limit) -> 9 (70 % per pod)."""
    steps = simulate(lambda _t, n: 3 * 1050 // n, [0, 15, 30, 45])
    assert [(t, r) for t, r, _ in steps] == [(0, 7), (15, 9), (30, 9), (45, 9)]


def burst_then_idle(t: float, _replicas: int) -> int:
    return 1050 if t <= 30 else 50  # 210 % until t = 30 s, then 10 %


EXPECTED_DOWN = [(330, 18), (390, 16), (450, 14), (510, 12), (570, 10), (630, 9), (690, 8), (750, 7), (810, 6),
                 (870, 5), (930, 4), (990, 3)]


def _changes(steps):
    changes, last = [], 3
    for t, replicas, _ in steps:
        if replicas != last:
            changes.append((t, replicas))
            last = replicas
    return changes


def test_no_scale_down_within_300s_of_the_high_recommendation_then_10_percent_per_minute():
    times = [15 * k for k in range(0, 70)]
    steps = simulate(burst_then_idle, times)
    by_time = {t: (r, reason) for t, r, reason in steps}
    # the last high recommendation (42 replicas wanted) was at t = 30; load is idle from t = 45
    assert all(by_time[t][0] == 20 for t in times if 30 <= t < 330)
    assert _changes(steps) == [(0, 7), (15, 14), (30, 20), *EXPECTED_DOWN]
    assert by_time[345] == (18, "ScaleDownLimit")  # the 2 pods removed at 330 use up the 60 s budget
    assert by_time[1035] == (3, "TooFewReplicas")  # metrics want 1 replica; minReplicas holds 3


def test_scale_down_is_held_by_the_stabilization_window_condition():
    config, state = HpaConfig(), HpaState()
    replicas = 3
    for t in (0, 15, 30):
        decision = sync(replicas, 1050, T0 + t, state, config)
        state, replicas = decision.state, decision.desired
    held = sync(replicas, 50, T0 + 300, state, config)
    able = next(c for c in held.conditions if c["type"] == "AbleToScale")
    assert (held.desired, held.rescale, able["reason"]) == (20, False, "ScaleDownStabilized")


@pytest.mark.parametrize("factor", [10.0, 5.0])
def test_time_scaled_run_takes_the_same_steps_at_scaled_times(factor):
    times = [15 * k for k in range(0, 70)]
    real = simulate(burst_then_idle, times)
    fast = simulate(burst_then_idle, times, time_scale=factor)
    assert fast == real  # same (step index, replicas, reason) at every sync
    assert [(t / factor, r) for t, r in _changes(fast)][:4] == [(0.0, 7), (1.5 * 10 / factor, 14),
                                                                 (3.0 * 10 / factor, 20), (33.0 * 10 / factor, 18)]


def test_time_scaled_run_is_not_a_real_time_run():
    """Control: the fast HPA at real-time sync times scales down far earlier (its window is 30 s, not 300 s)."""
    times = [15 * k for k in range(0, 10)]
    fast_windows = simulate(burst_then_idle, [t * 10 for t in times], time_scale=10.0)
    assert [r for _, r, _ in fast_windows][3] < 20  # at 300 s of its clock it already scaled down
