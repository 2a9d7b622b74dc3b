"""Inputs and outputs around the HPA decision: quantities, pods from JSON, per-HPA tolerance, status merge."""

from __future__ import annotations

import pytest

from localcluster.hpa import HpaState, MetricsInput, PodSample, decide, merge_conditions, pod_from_json
from localcluster.hpa.replicas import Readiness, group_pods


def agentflow_pod(ready="True", transition="2024-05-01T10:00:30Z", start="2024-05-01T10:00:00Z", deleted=None):
    return {
        "metadata": {"name": "agentflow-0", "deletionTimestamp": deleted},
        "spec": {"containers": [{"name": "agentflow",
                                 "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}}]},
        "status": {"phase": "Running", "startTime": start,
                   "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": transition}]},
    }


def test_pod_from_json_reads_requests_readiness_and_times():
    pod = pod_from_json(agentflow_pod())
    assert pod.containers[0].requests == {"cpu": 500, "memory": 512 * 2**20 * 1000}
    assert (pod.phase, pod.ready, pod.deleted) == ("Running", "True", False)
    assert pod.start_time == 1714557600.0 and pod.ready_transition == 1714557630.0


def test_pod_from_json_rejects_a_bad_time_with_the_pod_named():
    with pytest.raises(ValueError, match=r"pod agentflow-0 status\.startTime"):
        pod_from_json(agentflow_pod(start="yesterday"))


def test_json_pod_inside_cpu_initialisation_needs_a_full_window_after_ready():
    """Ready at 10:00:30; a 60 s sample taken at 10:01:00 does not cover a window since then: unready."""
    pod = pod_from_json(agentflow_pod())
    ready_at = pod.ready_transition
    groups = group_pods([pod], {"agentflow-0": PodSample(100, ready_at + 30, 60.0)}, "cpu", ready_at + 30,
                        Readiness())
    assert groups.unready == {"agentflow-0"}
    groups = group_pods([pod], {"agentflow-0": PodSample(100, ready_at + 61, 60.0)}, "cpu", ready_at + 61,
                        Readiness())
    assert groups.ready_count == 1


def _hpa(tolerance_up=None):
    spec = {"minReplicas": 1, "maxReplicas": 10, "metrics": [
        {"type": "Pods", "pods": {"metric": {"name": "qps"},
                                  "target": {"type": "AverageValue", "averageValue": "10"}}}]}
    if tolerance_up is not None:
        spec["behavior"] = {"scaleUp": {"tolerance": tolerance_up}}
    return spec


def _qps(value):
    pods = [pod_from_json(agentflow_pod()) for _ in range(1)]
    return MetricsInput(pods, pod_metrics={"qps": {"agentflow-0": PodSample(value, 0.0)}})


def test_per_hpa_scale_up_tolerance():
    """10.5 against a target of 10 is inside the default 10 % tolerance, outside a 1 % scale-up tolerance."""
    assert decide(_hpa(), 1, _qps(10500), 2e9, HpaState()).desired == 1
    assert decide(_hpa("0.01"), 1, _qps(10500), 2e9, HpaState()).desired == 2


def test_merge_conditions_keeps_transition_time_until_status_changes():
    first = merge_conditions(None, [{"type": "ScalingActive", "status": "True", "reason": "A", "message": ""}], 0.0)
    same = merge_conditions(first, [{"type": "ScalingActive", "status": "True", "reason": "B", "message": ""}], 60.0)
    flipped = merge_conditions(same, [{"type": "ScalingActive", "status": "False", "reason": "C", "message": ""}],
                               120.0)
    assert first[0]["lastTransitionTime"] == same[0]["lastTransitionTime"] == "1970-01-01T00:00:00Z"
    assert same[0]["reason"] == "B"
    assert flipped[0]["lastTransitionTime"] == "1970-01-01T00:02:00Z"
