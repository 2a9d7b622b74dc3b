"""Replica calculator cases taken from upstream kubernetes `pkg/controller/podautoscaler/replica_calculator_test.go`.

Every case id is the upstream test function (and sub-case) name; inputs and expected outputs are upstream's.
The upstream harness is reproduced: each pod has two containers (`container1`, `container2`) that both carry the
pod's request; metrics are per container (`makePodMetricLevels(v...)` puts v in both); the Ready condition has
a zero lastTransitionTime; the metric timestamp is the zero time (0.0 here) with a 1-minute window; the CPU
initialisation period is 2 min and the initial readiness delay 10 s (`defaultTesting*` constants); "hot" pods
started now, "cool" pods 3 minutes ago. Upstream's `fmt.Errorf` expectations are matched as substrings.
"""

from __future__ import annotations

import math

import pytest

from localcluster.hpa.external import (
    external_metric_replicas,
    external_per_pod_replicas,
    object_metric_replicas,
    object_per_pod_replicas,
)
from localcluster.hpa.pods import ContainerSpec, PodInfo, PodSample, pod_from_json
from localcluster.hpa.replicas import (
    Readiness,
    ReplicaCalcError,
    calculate_requests,
    group_pods,
    pods_metric_replicas,
    resource_replicas,
)
from localcluster.quantity import parse_milli

NOW = 1_000_000.0
HOT, COOL = NOW, NOW - 180.0  # hotCPUCreationTime(), coolCPUCreationTime()
READINESS = Readiness(cpu_initialization_period=120.0, initial_readiness_delay=10.0)
T, F = "True", "False"
R, P, FAILED = "Running", "Pending", "Failed"


def levels(*values: int) -> list[list[int]]:
    """makePodMetricLevels: the same value for both containers of each pod."""
    return [[v, v] for v in values]


def make_pods(current, requests=(), readiness=None, start=None, phase=None, deleted=None, resource="cpu"):
    count = max(current, len(phase or ()))
    pods = []
    for i in range(count):
        req = {resource: parse_milli(requests[i])} if i < len(requests) else {}
        pods.append(PodInfo(
            name=f"test-pod-{i}",
            containers=(ContainerSpec("container1", req), ContainerSpec("container2", req)),
            phase=phase[i] if phase else R,
            ready=readiness[i] if readiness and i < len(readiness) else T,
            start_time=start[i] if start else 0.0,
            deleted=bool(deleted and deleted[i]),
        ))
    return pods


def make_samples(pod_levels, pod_names=()):
    samples = {}
    for i, containers in enumerate(pod_levels):
        name = pod_names[i] if i < len(pod_names) else f"test-pod-{i}"
        per_container = {f"container{j + 1}": v for j, v in enumerate(containers)}
        samples[name] = PodSample(sum(containers), 0.0, 60.0, per_container)
    return samples


ONE = ("1.0",)
# (id, current, expected, requests, levels, target, expected utilization, expected raw value, extra kwargs)
RESOURCE_CASES = [
    ("TestReplicaCalcScaleUp", 3, 5, ONE * 3, levels(300, 500, 700), 30, 50, 2 * 500, {}),
    ("TestReplicaCalcContainerScaleUp", 3, 5, ONE * 3, [[1000, 300], [1000, 500], [1000, 700]], 30, 50, 500,
     {"container": "container2"}),
    ("TestReplicaCalcScaleUpUnreadyLessScale", 3, 4, ONE * 3, levels(300, 500, 700), 30, 60, 2 * 600,
     {"readiness": [F, T, T]}),
    ("TestReplicaCalcScaleUpContainerHotCpuLessScale", 3, 4, ONE * 3, [[0, 300], [0, 500], [0, 700]], 30, 60, 600,
     {"start": [HOT, COOL, COOL], "container": "container2"}),
    ("TestReplicaCalcScaleUpHotCpuLessScale", 3, 4, ONE * 3, levels(300, 500, 700), 30, 60, 2 * 600,
     {"start": [HOT, COOL, COOL]}),
    ("TestReplicaCalcScaleUpUnreadyNoScale", 3, 3, ONE * 3, levels(400, 500, 700), 30, 40, 2 * 400,
     {"readiness": [T, F, F]}),
    ("TestReplicaCalcScaleHotCpuNoScale", 3, 3, ONE * 3, levels(400, 500, 700), 30, 40, 2 * 400,
     {"readiness": [T, F, F], "start": [COOL, HOT, HOT]}),
    ("TestReplicaCalcScaleUpIgnoresFailedPods", 2, 4, ONE * 4, levels(500, 700), 30, 60, 2 * 600,
     {"readiness": [T, T, F, F], "phase": [R, R, FAILED, FAILED]}),
    ("TestReplicaCalcMissingContainerMetricScaleUpIgnoresFailedPods", 2, 4, ONE * 4,
     [[1000, 500], [9000, 700], [1000], [9000]], 30, 60, 600,
     {"readiness": [T, T, F, F], "phase": [R, R, FAILED, FAILED], "container": "container2"}),
    ("TestReplicaCalcScaleUpContainerIgnoresFailedPods", 2, 4, ONE * 4, [[1000, 500], [9000, 700]], 30, 60, 600,
     {"readiness": [T, T, F, F], "phase": [R, R, FAILED, FAILED], "container": "container2"}),
    ("TestReplicaCalcScaleUpIgnoresDeletionPods", 2, 4, ONE * 4, levels(500, 700), 30, 60, 2 * 600,
     {"readiness": [T, T, F, F], "phase": [R] * 4, "deleted": [False, False, True, True]}),
    ("TestReplicaCalcScaleUpContainerIgnoresDeletionPods", 2, 4, ONE * 4, levels(500, 700), 30, 60, 600,
     {"readiness": [T, T, F, F], "phase": [R] * 4, "deleted": [False, False, True, True],
      "container": "container1"}),
    ("TestReplicaCalcScaleDown", 5, 3, ONE * 5, levels(100, 300, 500, 250, 250), 50, 28, 2 * 280, {}),
    ("TestReplicaCalcContainerScaleDown", 5, 3, ONE * 5, [[1000, 100], [1000, 300], [1000, 500], [1000, 250],
                                                          [1000, 250]], 50, 28, 280, {"container": "container2"}),
    ("TestReplicaCalcScaleDownExcludeUnreadyPods", 5, 2, ONE * 5, levels(100, 300, 500, 250, 250), 50, 30, 2 * 300,
     {"readiness": [T, T, T, F, F]}),
    ("TestReplicaCalcScaleDownContainerExcludeUnreadyPods", 5, 2, ONE * 5,
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], 50, 30, 300,
     {"readiness": [T, T, T, F, F], "container": "container2"}),
    ("TestReplicaCalcScaleDownExcludeUnscheduledPods", 5, 1, ONE * 5, levels(100), 50, 10, 2 * 100,
     {"readiness": [T, F, F, F, F], "phase": [R, P, P, P, P]}),
    ("TestReplicaCalcScaleDownContainerExcludeUnscheduledPods", 5, 1, ONE * 5,
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], 50, 10, 100,
     {"readiness": [T, F, F, F, F], "phase": [R, P, P, P, P], "container": "container2"}),
    ("TestReplicaCalcScaleDownIgnoreHotCpuPods", 5, 2, ONE * 5, levels(100, 300, 500, 250, 250), 50, 30, 2 * 300,
     {"start": [COOL, COOL, COOL, HOT, HOT]}),
    ("TestReplicaCalcScaleDownContainerIgnoreHotCpuPods", 5, 2, ONE * 5,
     [[1000, 100], [1000, 300], [1000, 500], [1000, 1000], [1000, 1000]], 50, 30, 300,
     {"start": [COOL, COOL, COOL, HOT, HOT], "container": "container2"}),
    ("TestReplicaCalcScaleDownIgnoresFailedPods", 5, 3, ONE * 7, levels(100, 300, 500, 250, 250), 50, 28, 2 * 280,
     {"readiness": [T] * 5 + [F, F], "phase": [R] * 5 + [FAILED, FAILED]}),
    ("TestReplicaCalcScaleDownIgnoresDeletionPods", 5, 3, ONE * 7, levels(100, 300, 500, 250, 250), 50, 28, 2 * 280,
     {"readiness": [T] * 5 + [F, F], "phase": [R] * 7, "deleted": [False] * 5 + [True, True]}),
    ("TestReplicaCalcScaleDownIgnoresDeletionPods_StillRunning", 5, 3, ONE * 7,
     [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], 50, 28, 280,
     {"readiness": [T] * 5 + [F, F], "phase": [R] * 7, "deleted": [False] * 5 + [True, True],
      "container": "container2"}),
    ("TestReplicaCalcTolerance", 3, 3, ("0.9", "1.0", "1.1"), levels(1010, 1030, 1020), 100, 102, 2 * 1020, {}),
    ("TestReplicaCalcSuperfluousMetrics", 4, 24, ONE * 4, levels(4000, 9500, 3000, 7000, 3200, 2000), 100, 587,
     2 * 5875, {}),
    ("TestReplicaCalcMissingMetrics", 4, 3, ONE * 4, levels(400, 95), 100, 24, 495, {}),
    ("TestReplicaCalcMissingMetricsNoChangeEq", 2, 2, ONE * 2, levels(1000), 100, 100, 2 * 1000, {}),
    ("TestReplicaCalcMissingMetricsNoChangeGt", 2, 2, ONE * 2, levels(1900), 100, 190, 2 * 1900, {}),
    ("TestReplicaCalcMissingMetricsNoChangeLt", 2, 2, ONE * 2, levels(600), 100, 60, 2 * 600, {}),
    ("TestReplicaCalcMissingMetricsUnreadyChange", 3, 3, ONE * 3, levels(100, 450), 50, 45, 2 * 450,
     {"readiness": [F, T, T]}),
    ("TestReplicaCalcMissingMetricsHotCpuNoChange", 3, 3, ONE * 3, levels(100, 450), 50, 45, 2 * 450,
     {"start": [HOT, COOL, COOL]}),
    ("TestReplicaCalcMissingMetricsUnreadyScaleUp", 3, 4, ONE * 3, levels(100, 2000), 50, 200, 2 * 2000,
     {"readiness": [F, T, T]}),
    ("TestReplicaCalcMissingMetricsHotCpuScaleUp", 3, 4, ONE * 3, levels(100, 2000), 50, 200, 2 * 2000,
     {"readiness": [F, T, T], "start": [HOT, COOL, COOL]}),
    ("TestReplicaCalcMissingMetricsUnreadyScaleDown", 4, 3, ONE * 4, levels(100, 100, 100), 50, 10, 2 * 100,
     {"readiness": [F, T, T, T]}),
    ("TestReplicaCalcMissingMetricsScaleDownTargetOver100", 4, 2, ("1.0", "1.0", "2.0", "2.0"),
     levels(200, 100, 100), 300, 6, 2 * 100, {"readiness": [F, T, T, T]}),
    ("TestReplicaCalcDuringRollingUpdateWithMaxSurge", 2, 2, ONE * 3, levels(100, 100), 50, 10, 2 * 100,
     {"phase": [R, R, R]}),
]


@pytest.mark.parametrize(("current", "expected", "requests", "pod_levels", "target", "util", "raw", "kw"),
                         [c[1:] for c in RESOURCE_CASES], ids=[c[0] for c in RESOURCE_CASES])
def test_resource_replicas_upstream(current, expected, requests, pod_levels, target, util, raw, kw):
    kw = dict(kw)
    container = kw.pop("container", None)
    pods = make_pods(current, requests, **kw)
    result = resource_replicas(current, target, "cpu", pods, make_samples(pod_levels), NOW,
                               readiness=READINESS, container=container)
    assert (result.replicas, result.utilization, result.raw_value) == (expected, util, raw)
    assert result.timestamp == 0.0


def _tolerance_alg_case(margin: float) -> tuple[int, int]:
    """TestReplicaCalcComputedToleranceAlgImplementation, computed exactly as the Go test does."""
    start_pods, total_used = 10, 10 * 150
    total_requested = 2 * total_used
    requested_to_used = float(total_requested // total_used)
    target = abs(1 / (requested_to_used * (1 - 0.1))) + margin
    final_pods = math.ceil(total_used / (total_requested * target) * start_pods)
    return int(target * 100), final_pods


@pytest.mark.parametrize(("margin", "scales"), [(0.01, True), (0.004, False)],
                         ids=["TestReplicaCalcComputedToleranceAlgImplementation/scale",
                              "TestReplicaCalcComputedToleranceAlgImplementation/within-tolerance"])
def test_computed_tolerance_upstream(margin, scales):
    target, final_pods = _tolerance_alg_case(margin)
    per_pod = 300
    requests = [f"{per_pod + d}m" for d in (100, -100, 10, -10, 2, -2, 1, -1, 0, 0)]
    result = resource_replicas(10, target, "cpu", make_pods(10, requests), make_samples(levels(*[150] * 10)),
                               NOW, readiness=READINESS)
    assert result.replicas == (final_pods if scales else 10)
    assert (result.utilization, result.raw_value) == (50, 2 * 150)


ERROR_CASES = [
    ("TestReplicaCalcDisjointResourcesMetrics", 1, ONE, levels(100), ("an-older-pod-name",), 100,
     "no metrics returned matched known pods"),
    ("TestReplicaCalcEmptyMetrics", 4, ONE * 3, levels(), (), 100,
     "unable to get metrics for resource cpu: no metrics returned from resource metrics API"),
    ("TestReplicaCalcEmptyCPURequest", 1, (), levels(200), (), 100, "missing request for"),
]


@pytest.mark.parametrize(("current", "requests", "pod_levels", "names", "target", "message"),
                         [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_resource_replicas_errors_upstream(current, requests, pod_levels, names, target, message):
    with pytest.raises(ReplicaCalcError, match=message):
        resource_replicas(current, target, "cpu", make_pods(current, requests), make_samples(pod_levels, names),
                          NOW, readiness=READINESS)


# (id, current, expected, levels, target, expected usage, kwargs) -- podMetric cases (Pods metric, "qps")
PLAIN_CASES = [
    ("TestReplicaCalcScaleUpCM", 3, 4, [20000, 10000, 30000], 15000, 20000, {}),
    ("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale", 3, 6, [50000, 10000, 30000], 15000, 30000,
     {"readiness": [T, T, F], "start": [COOL, COOL, HOT]}),
    ("TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown", 3, 7, [50000, 15000, 30000], 15000, 31666,
     {"readiness": [F, T, F], "start": [HOT, COOL, HOT]}),
    ("TestReplicaCalcScaleUpCMExternal", 1, 2, [8600], 4400, 8600, {}),
    ("TestReplicaCalcScaleUpCMExternalNoLabels", 1, 2, [8600], 4400, 8600, {}),
    ("TestReplicaCalcScaleDownCM", 5, 3, [12000] * 5, 20000, 12000, {}),
    ("TestReplicaCalcToleranceCM", 3, 3, [20000, 21000, 21000], 20000, 20666, {}),
    ("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq", 5, 5, [20000, 19000, 21000], 20000, 20000, {}),
    ("TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM", 2, 2, [10000, 10000], 17000, 10000, {"phase": [R, R, R]}),
]


@pytest.mark.parametrize(("current", "expected", "values", "target", "usage", "kw"),
                         [c[1:] for c in PLAIN_CASES], ids=[c[0] for c in PLAIN_CASES])
def test_pods_metric_replicas_upstream(current, expected, values, target, usage, kw):
    samples = {f"test-pod-{i}": PodSample(v, 0.0) for i, v in enumerate(values)}
    result = pods_metric_replicas(current, target, "qps", make_pods(current, **kw), samples, NOW,
                                  readiness=READINESS)
    assert (result.replicas, result.usage) == (expected, usage)


# (id, kind, current, expected, level, target, expected usage, readiness)
OBJECT_CASES = [
    ("TestReplicaCalcScaleUpCMObject", "object", 3, 4, 20000, 15000, 20000, None),
    ("TestReplicaCalcScaleUpCMPerPodObject", "object-per-pod", 3, 4, 20000, 5000, 6667, None),
    ("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods", "object", 3, 5, 50000, 10000, 50000, [F, T, F]),
    ("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods", "external", 3, 2, 8600, 4400, 8600, [F, T, F]),
    ("TestReplicaCalcScaleUpPerPodCMExternal", "external-per-pod", 3, 4, 8600, 2150, 2867, None),
    ("TestReplicaCalcScaleDownPerPodCMObject", "object-per-pod", 5, 3, 6000, 2000, 1200, None),
    ("TestReplicaCalcScaleDownCMObject", "object", 5, 3, 12000, 20000, 12000, None),
    ("TestReplicaCalcScaleDownCMExternal", "external", 5, 3, 8600, 14334, 8600, None),
    ("TestReplicaCalcScaleDownPerPodCMExternal", "external-per-pod", 5, 3, 8600, 2867, 1720, None),
    ("TestReplicaCalcToleranceCMObject", "object", 3, 3, 20666, 20000, 20666, None),
    ("TestReplicaCalcTolerancePerPodCMObject", "object-per-pod", 4, 4, 20166, 5000, 5042, None),
    ("TestReplicaCalcToleranceCMExternal", "external", 3, 3, 8600, 8888, 8600, None),
    ("TestReplicaCalcTolerancePerPodCMExternal", "external-per-pod", 3, 3, 8600, 2900, 2867, None),
]


@pytest.mark.parametrize(("kind", "current", "expected", "level", "target", "usage", "readiness"),
                         [c[1:] for c in OBJECT_CASES], ids=[c[0] for c in OBJECT_CASES])
def test_object_and_external_replicas_upstream(kind, current, expected, level, target, usage, readiness):
    pods = make_pods(current, readiness=readiness)
    result = {
        "object": lambda: object_metric_replicas(current, target, level, pods),
        "object-per-pod": lambda: object_per_pod_replicas(current, target, level),
        "external": lambda: external_metric_replicas(current, target, [level], pods),
        "external-per-pod": lambda: external_per_pod_replicas(current, target, [level]),
    }[kind]()
    assert (result.replicas, result.usage) == (expected, usage)


def _pod(name, phase="Succeeded", start=None, ready=None, transition=None, deleted=False):
    return PodInfo(name, phase=phase, start_time=start, ready=ready, ready_transition=transition, deleted=deleted)


M = 60.0
# TestGroupPods: (sub-case, pods, samples, resource, ready count, unready, missing, ignored)
GROUP_CASES = [
    ("void", [], {}, "cpu", 0, set(), set(), set()),
    ("count in a ready pod - memory", [_pod("bentham")], {"bentham": PodSample(1, NOW, M)}, "memory", 1, set(),
     set(), set()),
    ("unready a pod without ready condition - CPU", [_pod("lucretius", start=NOW)], {"lucretius": PodSample(1)},
     "cpu", 0, {"lucretius"}, set(), set()),
    ("count in a ready pod with fresh metrics during initialization period - CPU",
     [_pod("bentham", start=NOW - M, ready=T, transition=NOW - 30)], {"bentham": PodSample(1, NOW, 30.0)}, "cpu",
     1, set(), set(), set()),
    ("unready a ready pod without fresh metrics during initialization period - CPU",
     [_pod("bentham", start=NOW - M, ready=T, transition=NOW - 30)], {"bentham": PodSample(1, NOW, 60.0)}, "cpu",
     0, {"bentham"}, set(), set()),
    ("unready an unready pod during initialization period - CPU",
     [_pod("lucretius", start=NOW - 10 * M, ready=F, transition=NOW - 9 * M - 54)], {"lucretius": PodSample(1)},
     "cpu", 0, {"lucretius"}, set(), set()),
    ("count in a ready pod without fresh metrics after initialization period - CPU",
     [_pod("bentham", start=NOW - 3 * M, ready=T, transition=NOW - 3 * M)], {"bentham": PodSample(1, NOW - 2 * M, M)},
     "cpu", 1, set(), set(), set()),
    ("count in an unready pod that was ready after initialization period - CPU",
     [_pod("lucretius", start=NOW - 10 * M, ready=F, transition=NOW - 9 * M)], {"lucretius": PodSample(1)},
     "cpu", 1, set(), set(), set()),
    ("unready pod that has never been ready after initialization period - CPU",
     [_pod("lucretius", start=NOW - 10 * M, ready=F, transition=NOW - 9 * M - 50)], {"lucretius": PodSample(1)},
     "cpu", 1, set(), set(), set()),
    ("a missing pod", [_pod("epicurus", start=NOW - 3 * M)], {}, "cpu", 0, set(), {"epicurus"}, set()),
    ("several pods", [_pod("lucretius", start=NOW), _pod("niccolo", start=NOW - 3 * M, ready=T, transition=NOW - 3 * M),
                      _pod("epicurus", start=NOW - 3 * M)],
     {"lucretius": PodSample(1), "niccolo": PodSample(1)}, "cpu", 1, {"lucretius"}, {"epicurus"}, set()),
    ("pending pods are unreadied", [_pod("unscheduled", phase="Pending")], {}, "cpu", 0, {"unscheduled"}, set(),
     set()),
    ("ignore pods with deletion timestamps", [_pod("deleted", phase="Pending", deleted=True)],
     {"deleted": PodSample(1)}, "cpu", 0, set(), set(), {"deleted"}),
    ("ignore pods in a failed state", [_pod("failed", phase="Failed")], {"failed": PodSample(1)}, "cpu", 0, set(),
     set(), {"failed"}),
]


@pytest.mark.parametrize(("pods", "samples", "resource", "ready", "unready", "missing", "ignored"),
                         [c[1:] for c in GROUP_CASES], ids=[f"TestGroupPods/{c[0]}" for c in GROUP_CASES])
def test_group_pods_upstream(pods, samples, resource, ready, unready, missing, ignored):
    groups = group_pods(pods, samples, resource, NOW, READINESS)
    assert (groups.ready_count, set(groups.unready), set(groups.missing), set(groups.ignored)) == (
        ready, unready, missing, ignored)


def _c(name, cpu=None, sidecar=False):
    return ContainerSpec(name, {} if cpu is None else {"cpu": cpu}, sidecar)


REQUEST_CASES = [
    ("void", [], "", {}),
    ("pod with regular containers", [PodInfo("test-pod", (_c("container1", 100), _c("container2", 50)))], "",
     {"test-pod": 150}),
    ("calculate requests with special container", [PodInfo("test-pod", (_c("container1", 100),
                                                                        _c("container2", 50)))],
     "container1", {"test-pod": 100}),
    ("container missing requests", [PodInfo("test-pod", (_c("container1"),))], "",
     "missing request for cpu in container container1 of Pod test-pod"),
    ("pod with restartable init containers", [pod_from_json({
        "metadata": {"name": "test-pod", "namespace": "test-namespace"},
        "spec": {"containers": [{"name": "container1", "resources": {"requests": {"cpu": "100m"}}}],
                 "initContainers": [
                     {"name": "init-container1", "resources": {"requests": {"cpu": "20m"}}},
                     {"name": "restartable-container1", "restartPolicy": "Always",
                      "resources": {"requests": {"cpu": "50m"}}}]}})],
     "", {"test-pod": 150}),
]


@pytest.mark.parametrize(("pods", "container", "expected"), [c[1:] for c in REQUEST_CASES],
                         ids=[f"TestCalculatePodRequests/{c[0]}" for c in REQUEST_CASES])
def test_calculate_requests_upstream(pods, container, expected):
    if isinstance(expected, str):
        with pytest.raises(ReplicaCalcError, match=expected):
            calculate_requests(pods, container or None, "cpu")
    else:
        assert calculate_requests(pods, container or None, "cpu") == expected
