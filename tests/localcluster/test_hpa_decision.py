"""Whole-sync cases taken from upstream kubernetes `pkg/controller/podautoscaler/horizontal_test.go`.

Each case id is the upstream test function; inputs, expected desired replicas and expected conditions (type,
status, reason; messages are not compared, as upstream clears them) are upstream's. The upstream harness is
reproduced: pods get two containers sharing the request, CPU usage is split as `level/2` per container (so odd
levels lose one millicore, exactly as upstream), the Ready condition's lastTransitionTime is the pod start
time, metric samples are stamped `now` with a 1-minute window, the controller runs with tolerance 0.1, CPU
initialisation 2 min, readiness delay 10 s, downscale stabilisation 5 min and `scaleUpLimitFactor = 8` (set by
the test package's init()). `recommendations: []` (upstream's non-nil empty list) means the HPA was synced
before; omitted (nil) means a first sync, which records the current count as a recommendation.
"""

from __future__ import annotations

import pytest

from localcluster.hpa import (
    ContainerSpec,
    HpaConfig,
    HpaState,
    MetricsInput,
    PodInfo,
    PodSample,
    Recommendation,
    decide,
    hpa_status,
    rescale_failed,
)
from localcluster.quantity import parse_milli

NOW = 1_000_000.0
HOT, COOL = NOW, NOW - 180.0
CONFIG = HpaConfig(cpu_initialization_period=120.0, initial_readiness_delay=10.0, scale_up_limit_factor=8.0)
T, F = "True", "False"
OK = [("AbleToScale", T, "SucceededRescale"), ("ScalingActive", T, "ValidMetricFound"),
      ("ScalingLimited", F, "DesiredWithinRange")]


def ok(*overrides):
    """statusOkWithOverrides: replace conditions of the same type, in order."""
    out = list(OK)
    for override in overrides:
        out = [override if c[0] == override[0] else c for c in out]
    return out


def pods_metric(value):
    return {"type": "Pods", "pods": {"metric": {"name": "qps"},
                                     "target": {"type": "AverageValue", "averageValue": value}}}


def object_metric(kind, value):
    key = "value" if kind == "Value" else "averageValue"
    return {"type": "Object", "object": {
        "describedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "some-deployment"},
        "metric": {"name": "qps"}, "target": {"type": kind, key: value}}}


def external_metric(kind, value):
    key = "value" if kind == "Value" else "averageValue"
    return {"type": "External", "external": {"metric": {"name": "qps", "selector": {}},
                                             "target": {"type": kind, key: value}}}


CHEESE = {"type": "CheddarCheese"}
ONE3, ONE5 = ["1.0"] * 3, ["1.0"] * 5


def run(c: dict):
    """Build the upstream test's HPA, pods and metrics, then run one sync."""
    metrics = []
    if c.get("cpu", 0) > 0:
        metrics.append({"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": c["cpu"]}}})
    metrics += c.get("metrics", [])
    spec = {"scaleTargetRef": {"apiVersion": "v1", "kind": "ReplicationController", "name": "test-rc"},
            "minReplicas": c["min"], "maxReplicas": c["max"], "metrics": metrics}
    if c.get("up") or c.get("down"):
        spec["behavior"] = {k: v for k, v in (("scaleUp", c.get("up")), ("scaleDown", c.get("down"))) if v}
    status_replicas = c.get("status", c["spec"])
    requests = c.get("requests")
    count = status_replicas if requests is None else len(requests)
    pods = []
    for i in range(count):
        half = parse_milli(requests[i] if requests is not None else "1.0") // 2
        start = c["start"][i] if c.get("start") else 0.0
        pods.append(PodInfo(f"test-pod-{i}", (ContainerSpec("container1", {"cpu": half}),
                                              ContainerSpec("container2", {"cpu": half})),
                            phase=c["phase"][i] if c.get("phase") else "Running",
                            ready=c["ready"][i] if c.get("ready") else T, ready_transition=start, start_time=start,
                            deleted=bool(c.get("deleted") and c["deleted"][i])))
    levels = c.get("levels", [])
    failing = c.get("failing", set())
    inputs = MetricsInput(
        pods=pods,
        resources={} if "resource" in failing else {"cpu": {
            f"test-pod-{i}": PodSample(lvl // 2 * 2, NOW, 60.0, {"container1": lvl // 2, "container2": lvl // 2})
            for i, lvl in enumerate(levels)}},
        pod_metrics={} if "pods" in failing else {
            "qps": {f"test-pod-{i}": PodSample(v, NOW) for i, v in enumerate(levels)}},
        object_metrics={} if "object" in failing or not levels else {"qps": levels[0]},
        external_metrics={} if "external" in failing else {"qps": list(levels)},
    )
    recommendations = c.get("recs")
    state = HpaState(recommendations=None if recommendations is None else list(recommendations))
    return decide(spec, c["spec"], inputs, NOW, state, CONFIG, status_replicas=status_replicas)


SCALING_RULES_DOWN = {"stabilizationWindowSeconds": 30, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
UPSCALE_CAP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
               "policies": [{"type": "Percent", "value": 700, "periodSeconds": 60}]}
LEVELS5 = [100, 300, 500, 250, 250]
TOL_ALG_REQ = [f"{300 + d}m" for d in (100, -100, 10, -10, 2, -2, 1, -1, 0, 0)]

CASES = [
    ("TestScaleUp", dict(min=2, max=6, spec=3, cpu=30, levels=[300, 500, 700], requests=ONE3), 5, ok()),
    ("TestScaleUpUnreadyLessScale", dict(min=2, max=6, spec=3, cpu=30, levels=[300, 500, 700], requests=ONE3,
                                         ready=[F, T, T]), 4, ok()),
    ("TestScaleUpHotCpuLessScale", dict(min=2, max=6, spec=3, cpu=30, levels=[300, 500, 700], requests=ONE3,
                                        start=[HOT, COOL, COOL]), 4, ok()),
    ("TestScaleUpUnreadyNoScale", dict(min=2, max=6, spec=3, cpu=30, levels=[400, 500, 700], requests=ONE3,
                                       ready=[T, F, F]), 3, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestScaleUpHotCpuNoScale", dict(min=2, max=6, spec=3, cpu=30, levels=[400, 500, 700], requests=ONE3,
                                      ready=[T, F, F], start=[COOL, HOT, HOT]), 3,
     ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestScaleUpIgnoresFailedPods", dict(min=2, max=6, spec=2, cpu=30, levels=[500, 700], requests=["1.0"] * 4,
                                          ready=[T, T, F, F], phase=["Running"] * 2 + ["Failed"] * 2), 4, ok()),
    ("TestScaleUpIgnoresDeletionPods", dict(min=2, max=6, spec=2, cpu=30, levels=[500, 700], requests=["1.0"] * 4,
                                            ready=[T, T, F, F], deleted=[False, False, True, True]), 4, ok()),
    ("TestScaleUpCM", dict(min=2, max=6, spec=3, metrics=[pods_metric("15.0")], levels=[20000, 10000, 30000],
                           requests=ONE3), 4, ok()),
    ("TestScaleUpCMUnreadyAndHotCpuNoLessScale", dict(min=2, max=6, spec=3, metrics=[pods_metric("15.0")],
                                                      levels=[50000, 10000, 30000], ready=[T, T, F],
                                                      start=[COOL, COOL, HOT], requests=ONE3), 6, ok()),
    ("TestScaleUpCMUnreadyandCpuHot", dict(min=2, max=6, spec=3, metrics=[pods_metric("15.0")],
                                           levels=[50000, 15000, 30000], ready=[F, T, F], start=[HOT, COOL, HOT],
                                           requests=ONE3), 6, ok(("ScalingLimited", T, "TooManyReplicas"))),
    ("TestScaleUpHotCpuNoScaleWouldScaleDown", dict(min=2, max=6, spec=3, metrics=[pods_metric("15.0")],
                                                    levels=[50000, 15000, 30000], start=[HOT, COOL, HOT],
                                                    requests=ONE3), 6, ok(("ScalingLimited", T, "TooManyReplicas"))),
    ("TestScaleUpCMObject", dict(min=2, max=6, spec=3, metrics=[object_metric("Value", "15.0")], levels=[20000]),
     4, ok()),
    ("TestScaleUpFromZeroCMObject", dict(min=0, max=6, spec=0, metrics=[object_metric("Value", "15.0")],
                                         levels=[20000]), 2, ok()),
    ("TestScaleUpFromZeroIgnoresToleranceCMObject", dict(min=0, max=6, spec=0,
                                                         metrics=[object_metric("Value", "1.0")], levels=[1000]),
     1, ok()),
    ("TestScaleUpPerPodCMObject", dict(min=2, max=6, spec=3, metrics=[object_metric("AverageValue", "10.0")],
                                       levels=[40000]), 4, ok()),
    ("TestScaleUpCMExternal", dict(min=2, max=6, spec=3, metrics=[external_metric("Value", "6666m")], levels=[8600]),
     4, ok()),
    ("TestScaleUpPerPodCMExternal", dict(min=2, max=6, spec=3, metrics=[external_metric("AverageValue", "2222m")],
                                         levels=[8600]), 4, ok()),
    ("TestScaleDown", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=ONE5, recs=[]), 3, ok()),
    ("TestScaleDownWithScalingRules", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=ONE5, recs=[],
                                           up=SCALING_RULES_DOWN), 3, ok()),
    ("TestScaleUpOneMetricInvalid", dict(min=2, max=6, spec=3, cpu=30, metrics=[CHEESE], levels=[300, 400, 500],
                                         requests=ONE3), 4, ok()),
    ("TestScaleUpFromZeroOneMetricInvalid", dict(min=0, max=6, spec=0, cpu=30, metrics=[CHEESE],
                                                 levels=[300, 400, 500], requests=ONE3, recs=[]), 4, ok()),
    ("TestScaleUpBothMetricsEmpty", dict(min=2, max=6, spec=3, metrics=[CHEESE], levels=[], requests=ONE3), 3,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "InvalidMetricSourceType")]),
    ("TestScaleDownStabilizeInitialSize", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=ONE5), 5,
     ok(("AbleToScale", T, "ScaleDownStabilized"))),
    ("TestScaleDownCM", dict(min=2, max=6, spec=5, metrics=[pods_metric("20.0")], levels=[12000] * 5,
                             requests=ONE5, recs=[]), 3, ok()),
    ("TestScaleDownCMObject", dict(min=2, max=6, spec=5, metrics=[object_metric("Value", "20.0")], levels=[12000],
                                   requests=ONE5, recs=[]), 3, ok()),
    ("TestScaleDownToZeroCMObject", dict(min=0, max=6, spec=5, metrics=[object_metric("Value", "20.0")], levels=[0],
                                         requests=ONE5, recs=[]), 0, ok()),
    ("TestScaleDownPerPodCMObject", dict(min=2, max=6, spec=5, metrics=[object_metric("AverageValue", "20.0")],
                                         levels=[60000], requests=ONE5, recs=[]), 3, ok()),
    ("TestScaleDownCMExternal", dict(min=2, max=6, spec=5, metrics=[external_metric("Value", "14400m")],
                                     levels=[8600], recs=[]), 3, ok()),
    ("TestScaleDownToZeroCMExternal", dict(min=0, max=6, spec=5, metrics=[external_metric("Value", "14400m")],
                                           levels=[0], recs=[]), 0, ok()),
    ("TestScaleDownPerPodCMExternal", dict(min=2, max=6, spec=5, metrics=[external_metric("AverageValue", "3000m")],
                                           levels=[8600], recs=[]), 3, ok()),
    ("TestScaleDownIncludeUnreadyPods", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=ONE5, recs=[],
                                             ready=[T, T, T, F, F]), 2, ok()),
    ("TestScaleDownIgnoreHotCpuPods", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=ONE5, recs=[],
                                           start=[COOL, COOL, COOL, HOT, HOT]), 2, ok()),
    ("TestScaleDownIgnoresFailedPods", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=["1.0"] * 7,
                                            recs=[], ready=[T] * 5 + [F, F],
                                            phase=["Running"] * 5 + ["Failed"] * 2), 3, ok()),
    ("TestScaleDownIgnoresDeletionPods", dict(min=2, max=6, spec=5, cpu=50, levels=LEVELS5, requests=["1.0"] * 7,
                                              recs=[], ready=[T] * 5 + [F, F], deleted=[False] * 5 + [True] * 2),
     3, ok()),
    ("TestTolerance", dict(min=1, max=5, spec=3, cpu=100, levels=[1010, 1030, 1020], requests=["0.9", "1.0", "1.1"]),
     3, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestToleranceCM", dict(min=1, max=5, spec=3, metrics=[pods_metric("20.0")], levels=[20000, 20001, 21000],
                             requests=["0.9", "1.0", "1.1"]), 3, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestToleranceCMObject", dict(min=1, max=5, spec=3, metrics=[object_metric("Value", "20.0")], levels=[20050],
                                   requests=["0.9", "1.0", "1.1"]), 3, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestToleranceCMExternal", dict(min=2, max=6, spec=4, metrics=[external_metric("Value", "8666m")],
                                     levels=[8600]), 4, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestTolerancePerPodCMObject", dict(min=2, max=6, spec=4, metrics=[object_metric("AverageValue", "2200m")],
                                         levels=[8600]), 4, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestTolerancePerPodCMExternal", dict(min=2, max=6, spec=4, metrics=[external_metric("AverageValue", "2200m")],
                                           levels=[8600]), 4, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestMinReplicas", dict(min=2, max=5, spec=3, cpu=90, levels=[10, 95, 10], requests=["0.9", "1.0", "1.1"],
                             recs=[]), 2, ok(("ScalingLimited", T, "TooFewReplicas"))),
    ("TestZeroMinReplicasDesiredZero", dict(min=0, max=5, spec=3, cpu=90, levels=[0, 0, 0],
                                            requests=["0.9", "1.0", "1.1"], recs=[]), 0, ok()),
    ("TestMinReplicasDesiredZero", dict(min=2, max=5, spec=3, cpu=90, levels=[0, 0, 0],
                                        requests=["0.9", "1.0", "1.1"], recs=[]), 2,
     ok(("ScalingLimited", T, "TooFewReplicas"))),
    ("TestZeroReplicas", dict(min=3, max=5, spec=0, cpu=90, levels=[], requests=[]), 0,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "ScalingDisabled")]),
    ("TestTooFewReplicas", dict(min=3, max=5, spec=2, cpu=90, levels=[], requests=[]), 3,
     [("AbleToScale", T, "SucceededRescale")]),
    ("TestTooManyReplicas", dict(min=3, max=5, spec=10, cpu=90, levels=[], requests=[]), 5,
     [("AbleToScale", T, "SucceededRescale")]),
    ("TestMaxReplicas", dict(min=2, max=5, spec=3, cpu=90, levels=[8000, 9500, 1000],
                             requests=["0.9", "1.0", "1.1"]), 5, ok(("ScalingLimited", T, "TooManyReplicas"))),
    ("TestSuperfluousMetrics", dict(min=2, max=6, spec=4, cpu=100, levels=[4000, 9500, 3000, 7000, 3200, 2000],
                                    requests=["1.0"] * 4), 6, ok(("ScalingLimited", T, "TooManyReplicas"))),
    ("TestMissingMetrics", dict(min=2, max=6, spec=4, cpu=100, levels=[400, 95], requests=["1.0"] * 4, recs=[]),
     3, ok()),
    ("TestEmptyMetrics", dict(min=2, max=6, spec=4, cpu=100, levels=[], requests=["1.0"] * 4), 4,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetResourceMetric")]),
    ("TestEmptyCPURequest", dict(min=1, max=5, spec=1, cpu=100, levels=[200], requests=[]), 1,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetResourceMetric")]),
    ("TestEventCreated", dict(min=1, max=5, spec=1, cpu=50, levels=[200], requests=["0.2"]), 2, ok()),
    ("TestEventNotCreated", dict(min=1, max=5, spec=2, cpu=50, levels=[200, 200], requests=["0.4", "0.4"]), 2,
     ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestMissingReports", dict(min=1, max=5, spec=4, cpu=50, levels=[200], requests=["0.2"], recs=[]), 2, ok()),
    ("TestUpscaleCap", dict(min=1, max=100, spec=3, cpu=10, levels=[100, 200, 300], requests=["0.1"] * 3,
                            up=UPSCALE_CAP), 24, ok(("ScalingLimited", T, "ScaleUpLimit"))),
    ("TestUpscaleCapGreaterThanMaxReplicas", dict(min=1, max=20, spec=3, cpu=10, levels=[100, 200, 300],
                                                  requests=["0.1"] * 3, up=UPSCALE_CAP), 20,
     ok(("ScalingLimited", T, "TooManyReplicas"))),
    ("TestMoreReplicasThanSpecNoScale", dict(min=1, max=8, spec=4, status=5, cpu=50, levels=[500] * 5,
                                             requests=["1"] * 5), 4, ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestConditionInvalidSourceType", dict(min=2, max=6, spec=3, metrics=[CHEESE], levels=[20000]), 3,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "InvalidMetricSourceType")]),
    ("TestConditionFailedGetMetrics/FailedGetResourceMetric", dict(min=1, max=100, spec=3, cpu=10,
                                                                   levels=[100, 200, 300], requests=["0.1"] * 3,
                                                                   failing={"resource"}), 3,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetResourceMetric")]),
    ("TestConditionFailedGetMetrics/FailedGetPodsMetric", dict(min=1, max=100, spec=3, metrics=[pods_metric("15.0")],
                                                               levels=[100, 200, 300], requests=["0.1"] * 3,
                                                               failing={"pods"}), 3,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetPodsMetric")]),
    ("TestConditionFailedGetMetrics/FailedGetObjectMetric", dict(
        min=1, max=100, spec=3, metrics=[object_metric("Value", "15.0")], levels=[100, 200, 300],
        requests=["0.1"] * 3, failing={"object"}), 3,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetObjectMetric")]),
    ("TestConditionFailedGetMetrics/FailedGetExternalMetric", dict(
        min=1, max=100, spec=3, metrics=[external_metric("Value", "300m")], levels=[100, 200, 300],
        requests=["0.1"] * 3, failing={"external"}), 3,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetExternalMetric")]),
    ("TestNoBackoffUpscaleCM", dict(min=1, max=5, spec=3, metrics=[pods_metric("15.0")], levels=[20000, 10000, 30000],
                                    requests=ONE3), 4, ok()),
    ("TestNoBackoffUpscaleCMNoBackoffCpu", dict(min=1, max=5, spec=3, cpu=10, metrics=[pods_metric("15.0")],
                                                levels=[20000, 10000, 30000], requests=ONE3), 5,
     ok(("ScalingLimited", T, "TooManyReplicas"))),
    ("TestStabilizeDownscale", dict(min=1, max=5, spec=4, cpu=100, levels=[50, 50, 50], requests=["0.1"] * 3,
                                    recs=[Recommendation(10, NOW - 600), Recommendation(4, NOW - 60)]), 4,
     ok(("AbleToScale", T, "ScaleDownStabilized"))),
    ("TestComputedToleranceAlgImplementation/tc1", dict(min=0, max=1000, spec=10, cpu=56, levels=[150] * 10,
                                                        requests=TOL_ALG_REQ, recs=[]), 9, ok()),
    ("TestComputedToleranceAlgImplementation/tc2", dict(min=0, max=1000, spec=10, cpu=55, levels=[150] * 10,
                                                        requests=TOL_ALG_REQ, recs=[]), 10,
     ok(("AbleToScale", T, "ReadyForNewScale"))),
    ("TestScaleUpRCImmediately", dict(min=2, max=6, spec=1, levels=[0, 0, 0, 0], requests=["1.0"] * 4), 2,
     [("AbleToScale", T, "SucceededRescale")]),
    ("TestScaleDownRCImmediately", dict(min=2, max=5, spec=6, cpu=50, levels=[8000, 9500, 1000],
                                        requests=["0.9", "1.0", "1.1"]), 5, [("AbleToScale", T, "SucceededRescale")]),
    ("TestScaleUpOneMetricEmpty", dict(min=2, max=6, spec=3, cpu=30, metrics=[external_metric("Value", "100m")],
                                       levels=[300, 400, 500], requests=ONE3, failing={"external"}), 4, ok()),
    ("TestNoScaleDownOneMetricInvalid", dict(min=2, max=6, spec=5, cpu=50, metrics=[CHEESE], levels=LEVELS5,
                                             requests=ONE5, recs=[]), 5,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "InvalidMetricSourceType")]),
    ("TestNoScaleDownOneMetricEmpty", dict(min=2, max=6, spec=5, cpu=50, metrics=[external_metric("Value", "1000m")],
                                           levels=LEVELS5, requests=ONE5, recs=[], failing={"external"}), 5,
     [("AbleToScale", T, "SucceededGetScale"), ("ScalingActive", F, "FailedGetExternalMetric")]),
]


@pytest.mark.parametrize(("case", "expected", "conditions"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sync_upstream(case, expected, conditions):
    decision = run(case)
    assert decision.desired == expected
    assert decision.rescale == (expected != case["spec"])
    assert [(c["type"], c["status"], c["reason"]) for c in decision.conditions] == conditions


def test_scale_up_reports_upstream_status_and_reason():
    """TestScaleUp with verifyCPUCurrent: status shows utilisation 50 % (CPUCurrent) and the SuccessfulRescale
    reason reads 'cpu resource utilization (percentage of request) above target'."""
    decision = run(dict(min=2, max=6, spec=3, cpu=30, levels=[300, 500, 700], requests=ONE3))
    assert decision.current_metrics == ({"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 50, "averageValue": "500m"}}},)
    assert decision.reason == "cpu resource utilization (percentage of request) above target"
    assert decision.state.recommendations == [Recommendation(3, NOW), Recommendation(5, NOW)]
    status = hpa_status(decision, NOW)
    assert status["desiredReplicas"] == 5 and status["currentReplicas"] == 3
    assert [c["reason"] for c in status["conditions"]] == ["SucceededRescale", "ValidMetricFound", "DesiredWithinRange"]


def test_failed_metric_keeps_previous_desired_and_reports_empty_status():
    decision = run(dict(min=2, max=6, spec=5, cpu=50, metrics=[CHEESE], levels=LEVELS5, requests=ONE5, recs=[]))
    assert decision.status_desired is None and decision.error.startswith("invalid metrics (1 invalid out of 2)")
    assert decision.current_metrics[1] == {"type": ""}
    previous = {"desiredReplicas": 7, "conditions": [
        {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "m",
         "lastTransitionTime": "1970-01-01T00:00:00Z"},
        {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange", "message": "m"}]}
    status = hpa_status(decision, NOW, previous)
    assert status["desiredReplicas"] == 7
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("AbleToScale", "SucceededGetScale"), ("ScalingLimited", "DesiredWithinRange"),
        ("ScalingActive", "InvalidMetricSourceType")]
    assert status["conditions"][0]["lastTransitionTime"] == "1970-01-01T00:00:00Z"  # status unchanged: kept


def test_rescale_failed_drops_the_scale_event():
    decision = run(dict(min=1, max=10, spec=3, cpu=30, levels=[300, 500, 700], requests=ONE3, up=UPSCALE_CAP))
    assert decision.rescale and len(decision.state.scale_up_events) == 1
    failed = rescale_failed(decision, "conflict")
    assert (failed.desired, failed.rescale, failed.status_desired) == (3, False, None)
    assert failed.state.scale_up_events == []
    assert failed.conditions[0]["reason"] == "FailedUpdateScale" and failed.conditions[0]["status"] == "False"


@pytest.mark.parametrize(("spec", "field"), [
    ({"minReplicas": 1}, "spec.maxReplicas"),
    ({"maxReplicas": 3, "minReplicas": 5}, "spec.minReplicas"),
    ({"maxReplicas": 3, "metrics": [{"type": "Resource"}]}, r"spec.metrics\[0\].resource"),
    ({"maxReplicas": 3, "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "AverageValue", "averageValue": "lots"}}}]}, "averageValue"),
    ({"maxReplicas": 3, "behavior": {"scaleUp": {"selectPolicy": "Fastest"}}}, "spec.behavior.scaleUp.selectPolicy"),
    ({"maxReplicas": 3, "maxReplica": 4}, "unknown field"),
])
def test_bad_spec_is_rejected_with_the_field_named(spec, field):
    with pytest.raises(ValueError, match=field):
        decide(spec, 1, MetricsInput(), NOW, HpaState())
