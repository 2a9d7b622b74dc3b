"""The observer's numbers for the HPA replay: metric targets and current values, pod requests, PodMetrics rows."""

from __future__ import annotations

import json

import pytest

from harness.observer_metrics import metric_values, milli, pod_requests, seconds
from harness.observer_rows import hpa_rows, pod_metric_rows, pod_rows

SPEC = {"minReplicas": 3, "maxReplicas": 20,
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "agentflow"},
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                 "averageUtilization": 70}}},
                    {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization",
                                                                                    "averageUtilization": 80}}},
                    {"type": "Pods", "pods": {"metric": {"name": "streams"},
                                              "target": {"type": "AverageValue", "averageValue": "500m"}}}]}
STATUS = {"currentReplicas": 3, "desiredReplicas": 7, "lastScaleTime": "2026-01-02T03:04:05Z",
          "currentMetrics": [{"type": "Resource", "resource": {"name": "memory", "current": {
              "averageUtilization": 52, "averageValue": "283115520"}}},
              {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 266,
                                                                           "averageValue": "1331m"}}}]}


def test_metric_values_pair_each_spec_metric_with_its_current_value_as_numbers():
    values = json.loads(metric_values(SPEC["metrics"], STATUS["currentMetrics"]))
    assert [(v["type"], v["name"]) for v in values] == [("Resource", "cpu"), ("Resource", "memory"),
                                                         ("Pods", "streams")]
    cpu, memory, streams = values
    assert cpu["target"] == {"type": "Utilization", "utilization": 70.0}
    assert cpu["current"] == {"utilization": 266.0, "average_value": 1331.0}
    assert memory["current"]["average_value"] == 283115520 * 1000.0
    assert streams["target"] == {"type": "AverageValue", "average_value": 500.0} and streams["current"] is None
    assert metric_values([], []) is None


def test_hpa_row_records_the_target_and_metric_values():
    row = hpa_rows(1.0, [{"metadata": {"name": "agentflow"}, "spec": SPEC, "status": STATUS}], {})[0]
    assert row["target_ref"] == "Deployment/agentflow" and row["cpu_utilization"] == 266.0
    assert json.loads(row["metric_values"])[0]["current"]["utilization"] == 266.0


def test_pod_requests_sum_containers_and_sidecars_and_prefer_pod_level_resources():
    pod = {"spec": {"containers": [{"resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}},
                                   {"resources": {"requests": {"cpu": "0.1"}}}],
                    "initContainers": [{"restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
                                       {"resources": {"requests": {"cpu": "9"}}}]}}
    assert pod_requests(pod) == (650.0, 512 * 1024 * 1024)
    assert pod_requests({"spec": {"resources": {"requests": {"cpu": "2"}}, "containers": [{}]}}) == (2000.0, None)
    assert pod_requests({"spec": {"containers": [{}]}}) == (None, None)


def test_pod_rows_carry_start_ready_transition_and_requests():
    pod = {"metadata": {"name": "p", "uid": "u"},
           "spec": {"nodeName": "n", "containers": [{"resources": {"requests": {"cpu": "500m"}}}]},
           "status": {"phase": "Running", "startTime": "2026-01-02T03:04:05Z", "conditions": [
               {"type": "Ready", "status": "False", "lastTransitionTime": "2026-01-02T03:04:09Z"}]}}
    row = pod_rows(1.0, [pod], {"n": "zone-a"})[0]
    assert row["ready"] is False and row["ready_since"] is None
    assert row["ready_transition"] - row["start_time"] == pytest.approx(4.0)
    assert row["cpu_request"] == 500.0 and row["memory_request"] is None


def test_pod_metric_rows_sum_containers_with_timestamp_and_window():
    item = {"metadata": {"name": "p"}, "timestamp": "2026-01-02T03:04:05Z", "window": "1m0.5s",
            "containers": [{"usage": {"cpu": "1234567n", "memory": "2048Ki"}},
                           {"usage": {"cpu": "10m", "memory": "1Mi"}}]}
    row = pod_metric_rows(9.0, [item], {})[0]
    assert row["cpu"] == milli("1234567n") + 10.0 == 12.0
    assert row["memory"] == 3 * 1024 * 1024 and row["window"] == 60.5 and row["timestamp"] > 0


@pytest.mark.parametrize(("text", "value"), [("15s", 15.0), ("1m0s", 60.0), ("2h", 7200.0), ("", None),
                                             ("1.5ms", None), ("x", None)])
def test_go_durations(text, value):
    assert seconds(text) == value
