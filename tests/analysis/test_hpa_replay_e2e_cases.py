"""The HPA replay on upstream's behavior e2e cases (kubernetes test/e2e/autoscaling/
horizontal_pod_autoscaling_behavior.go, "[Feature:HPA] Horizontal pod autoscaling (non-default behavior)").

Each case scripts the syncs a correct HPA makes for the case's consumer (500m requests, target 25 %, usage for
n replicas = n x 125m - 62m, syncs every 15 s as upstream's controller) and checks that the replay finds no
deviation; then a path that moves too fast and one that moves too slow, each caught with the right kind.
Each id names the upstream Describe/It.
"""

from __future__ import annotations

import pytest
from hpa_paths import SETTINGS, Sync, build, rules

from analysis.hpa_replay import replay

REQUEST, TARGET = 500, 25


def usage(replicas: int) -> int:
    """Upstream's usageForReplicas: the consumption that makes the HPA recommend `replicas`."""
    per = REQUEST * TARGET // 100
    return replicas * per - per // 2


def util(total: int, pods: int) -> int:
    return total * 100 // (pods * REQUEST)


def path(steps: list[tuple[float, int, int]], plan: list[tuple[float, int]], start: float = 0.0,
         end: float = 0.0) -> list[Sync]:
    """Syncs every 15 s from `start` to `end`; `steps` (time, current -> desired) are the rescales in time order,
    `plan` (from time, consumed replicas' usage) the consumption."""
    syncs, current, k = [], steps[0][1] if steps else 1, 0
    t = start
    while t <= end:
        load = [u for (since, u) in plan if since <= t][-1]
        desired = current
        if k < len(steps) and abs(steps[k][0] - t) < 1e-6:
            assert steps[k][1] == current, (t, steps[k], current)
            desired = steps[k][2]
            k += 1
        syncs.append(Sync(t, current, desired, util(usage(load), current)))
        current = desired
        t += 15.0
    assert k == len(steps), f"rescale at {steps[k][0]} is not on a sync"
    return syncs


def verdicts(syncs: list[Sync], behavior: dict, lo: int, hi: int) -> list[tuple[str, str]]:
    result = replay(build(syncs, behavior, lo, hi, target=TARGET), SETTINGS)
    return [(d.kind, d.direction) for d in result.deviations]


CASES = {
    "with scale limited by number of Pods rate/should scale up no more than given number of Pods per minute": dict(
        behavior={"scaleUp": rules(pods=1, pods_period=60, window=0)}, lo=1, hi=10,
        plan=[(0, 1), (30, 3)], good=[(30, 1, 2), (90, 2, 3)],
        fast=[(30, 1, 2), (45, 2, 3)], slow=[(150, 1, 2), (210, 2, 3)]),
    "with scale limited by number of Pods rate/should scale down no more than given number of Pods per minute": dict(
        behavior={"scaleDown": rules(pods=1, pods_period=60, window=0)}, lo=1, hi=10,
        plan=[(0, 3), (30, 1)], good=[(30, 3, 2), (90, 2, 1)],
        fast=[(30, 3, 2), (60, 2, 1)], slow=[(30, 3, 2), (180, 2, 1)]),
    "with scale limited by percentage/should scale up no more than given percentage of current Pods per minute": dict(
        behavior={"scaleUp": rules(percent=50, percent_period=60, window=0)}, lo=1, hi=10,
        plan=[(0, 2), (30, 8)], good=[(30, 2, 3), (90, 3, 5), (150, 5, 8)],
        fast=[(30, 2, 4), (90, 4, 6), (150, 6, 8)], slow=[(30, 2, 3), (150, 3, 5), (210, 5, 8)]),
    "with scale limited by percentage/should scale down no more than given percentage of current Pods per minute":
        dict(behavior={"scaleDown": rules(percent=25, percent_period=60, window=0)}, lo=1, hi=10,
             plan=[(0, 7), (30, 1)], good=[(30, 7, 5), (90, 5, 3), (150, 3, 2), (210, 2, 1)],
             fast=[(30, 7, 5), (90, 5, 2), (150, 2, 1)], slow=[(30, 7, 5), (90, 5, 3), (270, 3, 2), (330, 2, 1)]),
    "with short downscale stabilization window/should scale down soon after the stabilization period": dict(
        behavior={"scaleUp": rules(window=0), "scaleDown": rules(window=60)}, lo=1, hi=5,
        plan=[(0, 3), (30, 2)], good=[(90, 3, 2)], fast=[(45, 3, 2)], slow=[(180, 3, 2)], start_replicas=3),
    "with long upscale stabilization window/should scale up only after the stabilization period": dict(
        behavior={"scaleUp": rules(window=180), "scaleDown": rules(window=0)}, lo=1, hi=10,
        plan=[(0, 1), (30, 3)], good=[(210, 1, 3)], fast=[(90, 1, 3)], slow=[(300, 1, 3)]),
    "with autoscaling disabled/shouldn't scale up": dict(
        behavior={"scaleUp": rules(select="Disabled")}, lo=1, hi=10,
        plan=[(0, 1), (30, 8)], good=[], fast=[(45, 1, 2)], slow=None),
    "with autoscaling disabled/shouldn't scale down": dict(
        behavior={"scaleDown": rules(select="Disabled")}, lo=1, hi=10,
        plan=[(0, 3), (30, 1)], good=[], fast=[(45, 3, 2)], slow=None, start_replicas=3),
    "with both scale up and down controls configured/should keep recommendation within the range over two "
    "stabilization windows": dict(
        behavior={"scaleUp": rules(window=180), "scaleDown": rules(window=180)}, lo=1, hi=5,
        plan=[(0, 1), (30, 3), (300, 2)], good=[(210, 1, 3), (480, 3, 2)], fast=[(210, 1, 3), (360, 3, 2)],
        slow=[(210, 1, 3), (600, 3, 2)]),
    "with both scale up and down controls configured/should keep recommendation within the range with "
    "stabilization window and pod limit rate": dict(
        behavior={"scaleUp": rules(pods=1, pods_period=120, window=0), "scaleDown": rules(window=180)}, lo=2,
        hi=5, plan=[(0, 2), (30, 4), (300, 2)], good=[(30, 2, 3), (150, 3, 4), (480, 4, 2)],
        fast=[(30, 2, 3), (90, 3, 4), (480, 4, 2)], slow=[(30, 2, 3), (150, 3, 4), (600, 4, 2)]),
}
END = 720.0


def _syncs(case: dict, steps: list) -> list[Sync]:
    if steps:
        return path(steps, case["plan"], end=END)
    start = case.get("start_replicas", 1)  # never rescaled: the starting count throughout
    return [Sync(s.t, start, start, util(usage([u for since, u in case["plan"] if since <= s.t][-1]), start))
            for s in path([], case["plan"], end=END)]


@pytest.mark.parametrize("name", list(CASES))
def test_correct_path_has_no_deviation(name):
    case = CASES[name]
    assert verdicts(_syncs(case, case["good"]), case["behavior"], case["lo"], case["hi"]) == []


@pytest.mark.parametrize("name", list(CASES))
def test_too_fast_path_is_caught(name):
    case = CASES[name]
    found = verdicts(_syncs(case, case["fast"]), case["behavior"], case["lo"], case["hi"])
    assert found and found[0][0] == "too_fast", found


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["slow"] is not None])
def test_too_slow_path_is_caught(name):
    case = CASES[name]
    found = verdicts(_syncs(case, case["slow"]), case["behavior"], case["lo"], case["hi"])
    assert ("too_slow", "up") in found or ("too_slow", "down") in found, found
    assert all(kind == "too_slow" for kind, _ in found), found
