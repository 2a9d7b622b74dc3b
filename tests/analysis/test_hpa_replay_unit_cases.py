"""The HPA replay on upstream's behavior unit cases (kubernetes pkg/controller/podautoscaler/horizontal_test.go:
TestScalingWithRules and TestNormalizeDesiredReplicasWithBehavior).

Upstream feeds a prenormalized recommendation, the current count, the recorded recommendations and scale events
straight into the controller. Here the same inputs are written as the HPA statuses an observer would have seen:
earlier statuses carry the case's scale events (their syncs not judged: upstream's case gives their events, not
their metrics) or its recorded recommendations; the last status carries the case's recommendation (utilization
= recommendation % of a 16 % target over 16 pods, so upstream's ceil(ratio x pods) is exact) and the observed
desired count. The case's expected count passes; one replica beyond it in the direction of the move is caught
as too fast, with the reason naming what forbade it.
"""

from __future__ import annotations

import pytest
from hpa_paths import SETTINGS, Sync, build, rules

from analysis.hpa_replay import replay

PODS = 16  # pods counted with a metric; the target is 16 %, so utilization u recommends exactly u replicas


def events_path(up: list[int], down: list[int], period: int, current: int, recommendation: int) -> list[Sync]:
    """Statuses with upstream's generateEventsUniformDistribution events (each list centred in equal segments of
    the last `period` s; an up and a down event in the same segment 2 s apart), then the judged last sync."""
    timed = []
    for changes, sign in ((up, 1), (down, -1)):
        segment = period / max(1, len(changes))
        timed += [(-int(period - segment * (i + 1) + segment / 2) - (1 if sign > 0 and down else 0), sign * c)
                  for i, c in enumerate(changes)]
    timed.sort()
    replicas = current - sum(change for _, change in timed)
    syncs = [Sync(-period - 30.0, replicas, replicas, 0.0, PODS, judged=False)]
    for t, change in timed:
        syncs.append(Sync(float(t), replicas, replicas + change, 0.0, PODS, judged=False))
        replicas += change
    assert replicas == current
    return syncs, Sync(0.0, current, 0, float(recommendation), PODS)


U = [1, 5, 9]
SCALING_WITH_RULES = [
    # (upstream sub-case, up events, down events, period, min, max, scaleUp, scaleDown, current, rec, expected)
    ("scaleUp with pod policy and previous scale up events", U, [], 120, 1, 1000, rules(pods=150, pods_period=120),
     None, 100, 500, 235),
    ("scaleUp with percent policy and previous scale up events", U, [], 120, 1, 1000,
     rules(percent=200, percent_period=120), None, 100, 500, 255),
    ("scaleUp with percent policy and previous scale up and down events", [4], [2], 120, 1, 1000,
     rules(percent=300, percent_period=300), None, 6, 24, 16),
    ("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", U, [],
     120, 1, 1000, rules(pods=5, pods_period=120), None, 100, 500, 100),
    ("scaleDown with pod policy limitation and previous events", [], U, 120, 1, 1000, None,
     rules(pods=5, pods_period=120, window=300), 100, 2, 100),
    ("scaleDown with percent policy limitation and previous events", [], [2, 4, 6], 120, 1, 1000, None,
     rules(percent=50, percent_period=120, window=300), 100, 0, 56),
    ("scaleDown with percent policy and previous scale up and down events", [2], [4], 120, 1, 1000, None,
     rules(percent=50, percent_period=180, window=0), 10, 1, 6),
    ("scaleDown with previous events preventing further scale down", [], [10, 10, 10], 120, 1, 1000, None,
     rules(percent=10, percent_period=120, window=300), 100, 0, 100),
    ("scaleUp with spec MaxReplicas limitation with large pod policy and events", U, [], 120, 1, 200,
     rules(pods=300, pods_period=60), None, 100, 500, 200),
]


def _judge(history: list[Sync], last: Sync, observed: int, behavior: dict, lo: int, hi: int):
    final = Sync(last.t, last.current, observed, last.utilization, last.ready)
    result = replay(build([*history, final], behavior, lo, hi, target=float(PODS), end=last.t), SETTINGS)
    return [d for d in result.deviations if d.time == last.t]


def _behavior(up: dict | None, down: dict | None) -> dict:
    return {k: v for k, v in (("scaleUp", up), ("scaleDown", down)) if v is not None}


@pytest.mark.parametrize("case", SCALING_WITH_RULES, ids=[f"TestScalingWithRules/{c[0]}" for c in SCALING_WITH_RULES])
def test_scaling_with_rules(case):
    _, up, down, period, lo, hi, up_rules, down_rules, current, rec, expected = case
    history, last = events_path(up, down, period, current, rec)
    behavior = _behavior(up_rules, down_rules)
    assert _judge(history, last, expected, behavior, lo, hi) == []
    wrong = expected + 1 if rec > current else expected - 1
    found = _judge(history, last, wrong, behavior, lo, hi)
    assert [(d.kind, d.expected) for d in found] == [("too_fast", expected)], found
    if expected not in (hi, lo):
        assert "policies allow" in found[0].reason, found[0].reason


def recs_path(history: list[tuple[int, int]], current: int, rec: int) -> tuple[list[Sync], Sync]:
    """Statuses at -age s recommending `value` (current unchanged), then the judged sync recommending `rec`."""
    syncs = [Sync(float(-age), current, current, float(value), PODS) for age, value in history]
    return syncs, Sync(0.0, current, 0, float(rec), PODS)


MIN = 60
NORMALIZE_WITH_BEHAVIOR = [
    # (upstream sub-case, [(age s, recommendation)], current, rec, expected, up window, down window)
    ("simple scale down stabilization", [(2 * MIN, 4), (MIN, 5)], 100, 3, 5, 0, 3 * MIN),
    ("simple scale up stabilization", [(2 * MIN, 4), (MIN, 5)], 1, 7, 4, 5 * MIN, 0),
    ("no scale down stabilization", [(2 * MIN, 1), (MIN, 2)], 100, 3, 3, 5 * MIN, 0),
    ("no scale up stabilization", [(2 * MIN, 4), (MIN, 5)], 1, 3, 3, 0, 5 * MIN),
    ("scale up and down stabilization, do not scale up when prenormalized rec goes down",
     [(100 * MIN, 2), (3 * MIN, 3)], 2, 1, 2, 300, 300),
    ("scale up and down stabilization, do not scale down when prenormalized rec goes up",
     [(100 * MIN, 2), (3 * MIN, 1)], 2, 3, 2, 300, 300),
]


@pytest.mark.parametrize("case", NORMALIZE_WITH_BEHAVIOR,
                         ids=[f"TestNormalizeDesiredReplicasWithBehavior/{c[0]}" for c in NORMALIZE_WITH_BEHAVIOR])
def test_normalize_with_behavior(case):
    _, history, current, rec, expected, up_window, down_window = case
    behavior = {"scaleUp": rules(window=up_window), "scaleDown": rules(window=down_window)}
    syncs, last = recs_path(history, current, rec)
    assert _judge(syncs, last, expected, behavior, 1, 1000) == []
    wrong = expected + 1 if rec > current else expected - 1
    found = _judge(syncs, last, wrong, behavior, 1, 1000)
    assert [d.kind for d in found] == ["too_fast"], (wrong, found)
    assert ("stabilization" in found[0].reason) == (expected != rec), found[0].reason
