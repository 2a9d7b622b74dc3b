"""Behavior cases taken from upstream kubernetes: `pkg/controller/podautoscaler/horizontal_test.go`
(TestScalingWithRules, TestNormalizeDesiredReplicasWithBehavior, TestNormalizeDesiredReplicas,
TestConvertDesiredReplicasWithRules, TestCalculateScale{Up,Down}Limit*, TestStoreScaleEvents) and
`pkg/apis/autoscaling/v2/defaults_test.go` (TestGenerateScale{Up,Down}Rules).

Each case id is the upstream test function / sub-case name; inputs and expected outputs are upstream's. The
helpers reproduce upstream's `generateScalingRules` (select policy Max) and `generateEventsUniformDistribution`
(events centred in equal segments of the last `period` seconds).
"""

from __future__ import annotations

import pytest

from localcluster.hpa.behavior import (
    Recommendation,
    ScaleEvent,
    ScalingPolicy,
    convert_with_behavior_rate,
    convert_with_rules,
    parse_behavior,
    replicas_change_in_period,
    scale_down_limit,
    scale_up_limit,
    stabilize,
    stabilize_with_behaviors,
    store_scale_event,
)

NOW = 1_000_000.0


def rules(pods=0, pods_period=0, percent=0, percent_period=0, window=0, select="Max"):
    """generateScalingRules (spec JSON form)."""
    policies = []
    if pods:
        policies.append({"type": "Pods", "value": pods, "periodSeconds": pods_period})
    if percent:
        policies.append({"type": "Percent", "value": percent, "periodSeconds": percent_period})
    return {"stabilizationWindowSeconds": window, "selectPolicy": select, "policies": policies}


def events(raw, period):
    """generateEventsUniformDistribution."""
    segment = period / len(raw)
    return [ScaleEvent(change, NOW - int(period - segment * (i + 1) + segment / 2)) for i, change in enumerate(raw)]


U = [1, 5, 9]
# (name, up events, down events, min, max, scaleUp rules, scaleDown rules, current, desired, expected, condition)
SCALING_WITH_RULES = [
    ("prenormalized desired replicas within range", [], [], 3, 8, None, None, 5, 7, 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", [], [], 2, 8, None, None, 3, 1, 2, "TooFewReplicas"),
    ("prenormalized desired replicas within range when minReplicas is 0", [], [], 0, 10, None, None, 1, 0, 0,
     "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", [], [], 1, 10, None, None, 20, 1000, 10,
     "TooManyReplicas"),
    ("desired replica count is more than the maximum replica count", [], [], 100, 150, None, None, 100, 1000, 150,
     "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", [], [], 1, 2000,
     rules(0, 0, 1, 60, 0), None, 3, 1000, 4, "ScaleUpLimit"),
    ("scaleUp with default behavior", [], [], 1, 1000, None, None, 10, 50, 20, "ScaleUpLimit"),
    ("scaleUp with pods policy larger than percent policy", [], [], 1, 1000, rules(100, 60, 100, 60), None, 10, 500,
     110, "ScaleUpLimit"),
    ("scaleUp with percent policy larger than pods policy", [], [], 1, 1000, rules(2, 60, 100, 60), None, 10, 500,
     20, "ScaleUpLimit"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy", [], [], 1, 1000, rules(100, 60), None, 10, 50,
     50, "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy", [], [], 1, 1000, rules(10000, 60), None,
     10, 50, 50, "DesiredWithinRange"),
    ("scaleUp with pod policy limitation", [], [], 1, 1000, rules(30, 60), None, 10, 50, 40, "ScaleUpLimit"),
    ("scaleUp with percent policy limitation", [], [], 1, 1000, rules(0, 0, 200, 60), None, 10, 50, 30,
     "ScaleUpLimit"),
    ("scaleDown with percent policy larger than pod policy", [], [], 1, 1000, None, rules(20, 60, 1, 60, 300), 100, 2,
     80, "ScaleDownLimit"),
    ("scaleDown with pod policy larger than percent policy", [], [], 1, 1000, None, rules(2, 60, 1, 60, 300), 100, 2,
     98, "ScaleDownLimit"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy", [], [], 1, 1000, None,
     rules(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large pod policy", [], [], 1, 1000, None,
     rules(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy", [], [], 5, 1000, None,
     rules(0, 0, 100, 60, 300), 10, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation", [], [], 1, 1000, None, rules(5, 60, 0, 0, 300), 10, 2, 5,
     "ScaleDownLimit"),
    ("scaleDown with percent policy limitation", [], [], 1, 1000, None, rules(0, 0, 50, 60, 300), 10, 5, 5,
     "DesiredWithinRange"),
    ("scaleUp with spec MaxReplicas limitation with large pod policy and events", events(U, 120), [], 1, 200,
     rules(300, 60), None, 100, 500, 200, "TooManyReplicas"),
    ("scaleUp with spec MaxReplicas limitation with large percent policy and events", events(U, 120), [], 1, 200,
     rules(0, 0, 10000, 60), None, 100, 500, 200, "TooManyReplicas"),
    ("scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
     events(U, 120), [], 1, 1000, rules(5, 120), None, 100, 500, 100, "ScaleUpLimit"),
    ("scaleUp with pod policy and previous scale up events", events(U, 120), [], 1, 1000, rules(150, 120), None, 100,
     500, 235, "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up events", events(U, 120), [], 1, 1000, rules(0, 0, 200, 120),
     None, 100, 500, 255, "ScaleUpLimit"),
    ("scaleUp with percent policy and previous scale up and down events", events([4], 120), events([2], 120), 1,
     1000, rules(0, 0, 300, 300), None, 6, 24, 16, "ScaleUpLimit"),
    ("scaleDown with default policy and previous events", [], events(U, 120), 1, 1000, None, None, 10, 5, 5,
     "DesiredWithinRange"),
    ("scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", [], events(U, 120),
     1, 1000, None, rules(115, 120, 0, 0, 300), 100, 0, 1, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large pod policy and previous events", [], events(U, 120), 5,
     1000, None, rules(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas"),
    ("scaleDown with spec MinReplicas limitation with large percent policy and previous events", [], events(U, 120),
     5, 1000, None, rules(0, 0, 100, 120, 300), 100, 2, 5, "TooFewReplicas"),
    ("scaleDown with pod policy limitation and previous events", [], events(U, 120), 1, 1000, None,
     rules(5, 120, 0, 0, 300), 100, 2, 100, "ScaleDownLimit"),
    ("scaleDown with percent policy limitation and previous events", [], events([2, 4, 6], 120), 1, 1000, None,
     rules(0, 0, 50, 120, 300), 100, 0, 56, "ScaleDownLimit"),
    ("scaleDown with percent policy and previous scale up and down events", events([2], 120), events([4], 120), 1,
     1000, None, rules(0, 0, 50, 180, 0), 10, 1, 6, "ScaleDownLimit"),
    ("scaleDown with previous events preventing further scale down", [], events([10, 10, 10], 120), 1, 1000, None,
     rules(0, 0, 10, 120, 300), 100, 0, 100, "ScaleDownLimit"),
    ("scaleDown with with previous events still allowing more scale down", [], events([10, 10, 10], 120), 1, 1000,
     None, rules(0, 0, 1000, 120, 300), 10, 5, 5, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for up", events([8, 12, 9, 11], 120), [], 1, 1000,
     rules(1000, 60), None, 100, 200, 200, "DesiredWithinRange"),
    ("check that events were not marked 'outdated' for two different policies in the behavior for up",
     events([8, 12, 9, 11], 120), [], 1, 1000, rules(1000, 120, 100, 60), None, 100, 200, 200, "DesiredWithinRange"),
    ("check that events were marked 'outdated' for two different policies in the behavior for up",
     events([8, 12, 9, 11], 120), [], 1, 1000, rules(1000, 30, 100, 60), None, 100, 200, 200, "DesiredWithinRange"),
    ("check 'outdated' flag for events for one behavior for down", [], events([8, 12, 9, 11], 120), 1, 1000, None,
     rules(1000, 60, 0, 0, 300), 100, 5, 5, "DesiredWithinRange"),
    ("check that events were not marked 'outdated' for two different policies in the behavior for down", [],
     events([8, 12, 9, 11], 120), 1, 1000, None, rules(1000, 120, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
    ("check that events were marked 'outdated' for two different policies in the behavior for down", [],
     events([8, 12, 9, 11], 120), 1, 1000, None, rules(1000, 30, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"),
]


@pytest.mark.parametrize(("up", "down", "min_r", "max_r", "up_rules", "down_rules", "current", "desired", "expected",
                          "condition"), [c[1:] for c in SCALING_WITH_RULES],
                         ids=[f"TestScalingWithRules/{c[0]}" for c in SCALING_WITH_RULES])
def test_scaling_with_rules_upstream(up, down, min_r, max_r, up_rules, down_rules, current, desired, expected,
                                     condition):
    behavior = parse_behavior({"scaleUp": up_rules, "scaleDown": down_rules})
    replicas, reason, _ = convert_with_behavior_rate(current, desired, min_r, max_r, behavior, up, down, NOW)
    assert (replicas, reason) == (expected, condition)


def recs(*pairs):
    return [Recommendation(r, NOW - age) for r, age in pairs]


MIN = 60
# (name, recommendations, current, desired, expected, expected stored recommendation values, up window, down window)
NORMALIZE_WITH_BEHAVIOR = [
    ("empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0),
    ("simple scale down stabilization", recs((4, 2 * MIN), (5, MIN)), 100, 3, 5, [4, 5, 3], 0, 3 * MIN),
    ("simple scale up stabilization", recs((4, 2 * MIN), (5, MIN)), 1, 7, 4, [4, 5, 7], 5 * MIN, 0),
    ("no scale down stabilization", recs((1, 2 * MIN), (2, MIN)), 100, 3, 3, [1, 2, 3], 5 * MIN, 0),
    ("no scale up stabilization", recs((4, 2 * MIN), (5, MIN)), 1, 3, 3, [4, 5, 3], 0, 5 * MIN),
    ("no scale down stabilization, reuse recommendation element", recs((10, 10 * MIN), (9, 9 * MIN)), 100, 3, 3,
     [10, 3], 0, 0),
    ("no scale up stabilization, reuse recommendation element", recs((10, 10 * MIN), (9, 9 * MIN)), 1, 100, 100,
     [10, 100], 0, 0),
    ("scale down stabilization, reuse one of obsolete recommendation element",
     recs((10, 10 * MIN), (4, MIN), (5, 2 * MIN), (9, 9 * MIN)), 100, 3, 5, [10, 4, 5, 3], 0, 3 * MIN),
    ("scale up stabilization, reuse one of obsolete recommendation element",
     recs((10, 100 * MIN), (6, MIN), (5, 2 * MIN), (9, 3 * MIN)), 1, 100, 5, [100, 6, 5, 9], 300, 0),
    ("scale up and down stabilization, do not scale up when prenormalized rec goes down",
     recs((2, 100 * MIN), (3, 3 * MIN)), 2, 1, 2, None, 300, 300),
    ("scale up and down stabilization, do not scale down when prenormalized rec goes up",
     recs((2, 100 * MIN), (1, 3 * MIN)), 2, 3, 2, None, 300, 300),
]


@pytest.mark.parametrize(("history", "current", "desired", "expected", "stored", "up_window", "down_window"),
                         [c[1:] for c in NORMALIZE_WITH_BEHAVIOR],
                         ids=[f"TestNormalizeDesiredReplicasWithBehavior/{c[0]}" for c in NORMALIZE_WITH_BEHAVIOR])
def test_stabilize_with_behaviors_upstream(history, current, desired, expected, stored, up_window, down_window):
    replicas, _, _, new_recs = stabilize_with_behaviors(history, current, desired, NOW, up_window, down_window)
    assert replicas == expected
    if stored is not None:
        assert [r.replicas for r in new_recs] == stored


NORMALIZE_V1 = [
    ("empty log", [], 5, 5, 1),
    ("stabilize", recs((4, 2 * MIN), (5, MIN)), 3, 5, 3),
    ("no stabilize", recs((1, 2 * MIN), (2, MIN)), 3, 3, 3),
    ("no stabilize - old recommendations", recs((10, 10 * MIN), (9, 9 * MIN)), 3, 3, 2),
    ("stabilize - old recommendations", recs((10, 10 * MIN), (4, MIN), (5, 2 * MIN), (9, 9 * MIN)), 3, 5, 4),
]


@pytest.mark.parametrize(("history", "desired", "expected", "log_length"), [c[1:] for c in NORMALIZE_V1],
                         ids=[f"TestNormalizeDesiredReplicas/{c[0]}" for c in NORMALIZE_V1])
def test_stabilize_without_behavior_upstream(history, desired, expected, log_length):
    replicas, new_recs = stabilize(history, desired, NOW, 5 * MIN)
    assert (replicas, len(new_recs)) == (expected, log_length)


# upstream's test package sets scaleUpLimitFactor = 8 in init(), hence calculateScaleUpLimit(3) == 24
CONVERT_V1 = [
    ("prenormalized desired replicas within range", 5, 7, 3, 8, 7, "DesiredWithinRange"),
    ("prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"),
    ("prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, "DesiredWithinRange"),
    ("maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10, "TooManyReplicas"),
    ("scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, 24, "ScaleUpLimit"),
]


@pytest.mark.parametrize(("current", "desired", "min_r", "max_r", "expected", "condition"),
                         [c[1:] for c in CONVERT_V1],
                         ids=[f"TestConvertDesiredReplicasWithRules/{c[0]}" for c in CONVERT_V1])
def test_convert_without_behavior_upstream(current, desired, min_r, max_r, expected, condition):
    assert convert_with_rules(current, desired, min_r, max_r, factor=8.0)[:2] == (expected, condition)


def test_convert_without_behavior_production_factor():
    """With the real factor (2) the v1 scale-up limit is max(2 * current, 4)."""
    assert convert_with_rules(3, 1000, 1, 2000)[:2] == (6, "ScaleUpLimit")
    assert convert_with_rules(1, 1000, 1, 2000)[:2] == (4, "ScaleUpLimit")


def test_calculate_scale_limits_min_policy_upstream():
    """TestCalculateScaleUpLimitWithScalingRules and TestCalculateScaleDownLimitWithBehaviors (selectPolicy Min)."""
    raw = {"stabilizationWindowSeconds": 300, "selectPolicy": "Min",
           "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60},
                        {"type": "Percent", "value": 50, "periodSeconds": 60}]}
    behavior = parse_behavior({"scaleUp": raw, "scaleDown": raw})
    assert scale_up_limit(1, [], [], behavior.scale_up, NOW) == 2
    assert scale_down_limit(5, [], [], behavior.scale_down, NOW) == 3


def _ev(change, age, outdated=False):
    return ScaleEvent(change, NOW - age, outdated)


STORE = [
    ("empty entries with default behavior", [], [], None, 0),
    ("empty entries with two-policy-behavior", [], [(5, False)], rules(10, 60, 100, 60), 0),
    ("one outdated entry to be kept untouched without behavior", [_ev(7, 61)], [(7, False)], None, 0),
    ("one outdated entry to be replaced with behavior", [_ev(7, 61)], [(5, False)], rules(10, 60, 100, 60), 0),
    ("one actual entry to be not touched with behavior", [_ev(7, 58)], [(7, False), (5, False)],
     rules(10, 60, 100, 60), 7),
    ("two entries, one of them to be replaced", [_ev(7, 61), _ev(6, 59)], [(5, False), (6, False)], rules(10, 60), 6),
    ("replace one entry, use policies with different periods", [_ev(8, 29), _ev(6, 59), _ev(7, 61), _ev(9, 61)],
     [(8, False), (6, False), (7, True), (5, False)], rules(10, 60, 100, 30), 14),
    ("two entries, both actual", [_ev(7, 58), _ev(6, 59)], [(7, False), (6, False), (5, False)],
     rules(10, 120, 100, 30), 13),
]


@pytest.mark.parametrize(("previous", "expected", "raw_rules", "change_in_60s"), [c[1:] for c in STORE],
                         ids=[f"TestStoreScaleEvents/{c[0]}" for c in STORE])
def test_store_scale_events_upstream(previous, expected, raw_rules, change_in_60s):
    for direction in ("scaleUp", "scaleDown"):
        behavior = None if raw_rules is None else parse_behavior({direction: raw_rules})
        assert replicas_change_in_period(60, previous, NOW) == change_in_60s
        if direction == "scaleUp":
            stored, _ = store_scale_event(behavior, previous, [], 10, 15, NOW)
        else:
            _, stored = store_scale_event(behavior, [], previous, 10, 5, NOW)
        if behavior is None:
            assert stored == previous  # no behavior: stored events are not touched
            continue
        assert [(e.change, e.outdated) for e in stored] == expected


def _policies(*items):
    return tuple(ScalingPolicy(t, v, p) for t, v, p in items)


GENERATE_DOWN = [
    ("Default values", None, _policies(("Percent", 100, 15)), None, "Max"),
    ("All parameters are specified", {"stabilizationWindowSeconds": 25, "selectPolicy": "Max",
                                      "policies": [{"type": "Pods", "value": 1, "periodSeconds": 2},
                                                   {"type": "Percent", "value": 3, "periodSeconds": 4}]},
     _policies(("Pods", 1, 2), ("Percent", 3, 4)), 25, "Max"),
    ("Percent policy is specified", {"selectPolicy": "Min", "policies": [
        {"type": "Percent", "value": 1, "periodSeconds": 2}]}, _policies(("Percent", 1, 2)), None, "Min"),
    ("Pods policy is specified", {"policies": [{"type": "Pods", "value": 3, "periodSeconds": 4}]},
     _policies(("Pods", 3, 4)), None, "Max"),
]
GENERATE_UP = [
    ("Default values", None, _policies(("Pods", 4, 15), ("Percent", 100, 15)), 0, "Max"),
    ("All parameters are specified", {"stabilizationWindowSeconds": 25, "selectPolicy": "Max",
                                      "policies": [{"type": "Pods", "value": 1, "periodSeconds": 2},
                                                   {"type": "Percent", "value": 3, "periodSeconds": 4}]},
     _policies(("Pods", 1, 2), ("Percent", 3, 4)), 25, "Max"),
    ("Pod policy is specified", {"selectPolicy": "Min", "policies": [{"type": "Pods", "value": 1, "periodSeconds": 2}]},
     _policies(("Pods", 1, 2)), 0, "Min"),
    ("Percent policy is specified", {"policies": [{"type": "Percent", "value": 7, "periodSeconds": 10}]},
     _policies(("Percent", 7, 10)), 0, "Max"),
    ("Pod policy and stabilization window are specified", {"stabilizationWindowSeconds": 25, "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 2}]}, _policies(("Pods", 4, 2)), 25, "Max"),
    ("Percent policy and stabilization window are specified", {"stabilizationWindowSeconds": 25, "policies": [
        {"type": "Percent", "value": 7, "periodSeconds": 60}]}, _policies(("Percent", 7, 60)), 25, "Max"),
]


@pytest.mark.parametrize(("direction", "raw", "policies", "window", "select"),
                         [("scaleDown", *c[1:]) for c in GENERATE_DOWN] + [("scaleUp", *c[1:]) for c in GENERATE_UP],
                         ids=[f"TestGenerateScaleDownRules/{c[0]}" for c in GENERATE_DOWN]
                         + [f"TestGenerateScaleUpRules/{c[0]}" for c in GENERATE_UP])
def test_generate_rules_defaults_upstream(direction, raw, policies, window, select):
    behavior = parse_behavior({direction: raw})
    got = behavior.scale_up if direction == "scaleUp" else behavior.scale_down
    assert (got.policies, got.stabilization_window_seconds, got.select_policy) == (policies, window, select)


@pytest.mark.parametrize(("raw", "field"), [
    ({"scaleUp": {"policies": [{"type": "Pod", "value": 4, "periodSeconds": 15}]}}, "scaleUp.policies[0].type"),
    ({"scaleDown": {"stabilizationWindowSeconds": -1}}, "scaleDown.stabilizationWindowSeconds"),
    ({"scaleDown": {"selectPolicy": "Maximum"}}, "scaleDown.selectPolicy"),
    ({"scaleUp": {"policies": [{"type": "Pods", "value": 4, "periodSeconds": 0}]}}, "periodSeconds"),
    ({"scaleUp": {"stabilisationWindowSeconds": 5}}, "unknown field"),
])
def test_bad_behavior_is_rejected_with_the_field_named(raw, field):
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_behavior(raw)


def test_time_scale_divides_policy_periods():
    """An event 10 s old is outside a 15 s period once time runs ten times faster (period 1.5 s)."""
    behavior = parse_behavior({"scaleUp": rules(4, 15, 0, 0)})
    history = [ScaleEvent(4, NOW - 10.0)]
    assert scale_up_limit(7, history, [], behavior.scale_up, NOW) == 7  # start 3, + 4 pods
    assert scale_up_limit(7, history, [], behavior.scale_up, NOW, time_scale=10.0) == 11
