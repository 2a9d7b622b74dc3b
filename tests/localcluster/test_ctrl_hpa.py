"""HPA controller: scales a Deployment from synthetic CPU samples within the behavior's policies and keeps
the scale-down stabilization window (driven by a FakeClock)."""

from __future__ import annotations

from typing import Any

import pytest
from test_ctrl_support import NS, TestKubelet, deployment, is_ready, make_node, pods_of, wait_until

from localcluster.api import Store
from localcluster.controllers import ControllerConfig, ControllerManager, FakeClock
from localcluster.controllers.hpa import parse_metric


@pytest.fixture
def cluster():
    store = Store()
    store.create("namespaces", {"metadata": {"name": NS}})
    kubelet = TestKubelet(store)
    clock = FakeClock()
    kubelet.clock = clock  # pod start/ready times and metric samples on the same (fake) timeline
    # no heartbeats are posted here: a long node grace keeps the nodes Ready while the clock jumps
    cfg = ControllerConfig(resync_interval=0.2, hpa_cpu_initialization_period=0, hpa_initial_readiness_delay=0,
                           node_monitor_grace_period=1e6)
    manager = ControllerManager(store, cfg, kubelet, kubelet.delete_pod, clock=clock).start()
    for i in range(3):
        make_node(store, f"node-{i}", zone=f"zone-{i}")
    try:
        yield store, kubelet, manager, clock
    finally:
        manager.stop()
        kubelet.close()


def _hpa(name: str, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 2, "maxReplicas": 10, "metrics": metrics,
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 15}]},
                "scaleDown": {"stabilizationWindowSeconds": 60,
                              "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
            },
        },
    }


CPU_50 = [{"type": "Resource",
           "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]


def _replicas(store, name: str) -> int:
    return store.get("deployments", NS, name)["spec"]["replicas"]


def _sync(manager, clock, seconds: float) -> None:
    """Advance the clock, then wait for the HPA sync that this makes due."""
    before = manager.hpa.syncs
    clock.advance(seconds)
    manager.wake()
    wait_until(lambda: manager.hpa.syncs > before, what="an HPA sync")


def _ready(store, name: str, n: int) -> None:
    wait_until(lambda: sum(1 for p in pods_of(store, name) if is_ready(p) and not p["metadata"].get(
        "deletionTimestamp")) == n, what=f"{n} ready pods")


def test_scale_up_within_policies_and_down_after_stabilization(cluster):
    store, kubelet, manager, clock = cluster
    store.create("deployments", deployment("cpu", 2))
    _ready(store, "cpu", 2)
    kubelet.cpu_default = 200.0  # 200 % of the 100m request
    store.create("horizontalpodautoscalers", _hpa("cpu", CPU_50))
    wait_until(lambda: manager.hpa.syncs >= 1, what="first sync")
    assert _replicas(store, "cpu") == 4  # wants 8, the Pods policy allows +2 per 15 s
    hpa = store.get("horizontalpodautoscalers", NS, "cpu")
    status = hpa["status"]
    assert status["desiredReplicas"] == 4 and status["currentReplicas"] == 2 and status["lastScaleTime"]
    assert status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 200
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["ScalingLimited"]["status"] == "True" and conds["ScalingActive"]["status"] == "True"
    events = [e for e in store.list("events", NS) if e["reason"] == "SuccessfulRescale"]
    assert [e["message"] for e in events] == [
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"]
    _ready(store, "cpu", 4)
    _sync(manager, clock, 15)
    assert _replicas(store, "cpu") == 6
    _ready(store, "cpu", 6)
    kubelet.cpu_default = 10.0  # 10 %: wants 2
    for _ in range(3):  # t=30, 45, 60: a higher recommendation is still inside the 60 s window
        _sync(manager, clock, 15)
        assert _replicas(store, "cpu") == 6
    conds = {c["type"]: c for c in store.get("horizontalpodautoscalers", NS, "cpu")["status"]["conditions"]}
    assert conds["AbleToScale"]["reason"] == "ScaleDownStabilized"
    _sync(manager, clock, 15)  # t=75: the last high recommendation (t=15) has left the window
    assert _replicas(store, "cpu") == 2
    _ready(store, "cpu", 2)


def test_hpa_overrides_a_manual_scale(cluster):
    store, kubelet, manager, clock = cluster
    store.create("deployments", deployment("man", 3))
    _ready(store, "man", 3)
    kubelet.cpu_default = 50.0  # exactly on target: no change
    store.create("horizontalpodautoscalers", _hpa("man", CPU_50))
    wait_until(lambda: manager.hpa.syncs >= 1, what="first sync")
    assert _replicas(store, "man") == 3
    store.patch("deployments", NS, "man", {"spec": {"replicas": 12}})  # above maxReplicas
    _sync(manager, clock, 15)
    assert _replicas(store, "man") == 10


def test_pods_metric_from_scraped_text(cluster):
    store, kubelet, manager, _ = cluster
    store.create("deployments", deployment("q", 2))
    _ready(store, "q", 2)
    text = '# TYPE inflight gauge\ninflight{route="a"} 6\ninflight{route="b"} 4\n'
    kubelet.metric_text = {p["metadata"]["name"]: text for p in pods_of(store, "q")}
    metric = [{"type": "Pods", "pods": {"metric": {"name": "inflight"},
                                        "target": {"type": "AverageValue", "averageValue": "5"}}}]
    store.create("horizontalpodautoscalers", _hpa("q", metric))
    wait_until(lambda: manager.hpa.syncs >= 1, what="first sync")
    assert _replicas(store, "q") == 4  # 10 per pod vs 5: wants 4
    current = store.get("horizontalpodautoscalers", NS, "q")["status"]["currentMetrics"][0]
    assert current["pods"]["current"]["averageValue"] == "10"


def test_parse_metric_sums_label_sets():
    text = "# HELP x y\nreq_total{a=\"1\"} 3\nreq_total{a=\"2\"} 4.5\nreq_total_other 9\nplain 2e1\n"
    assert parse_metric(text, "req_total") == 7.5
    assert parse_metric(text, "plain") == 20.0
    assert parse_metric(text, "missing") is None


def test_memory_utilization_scales_up(cluster):
    store, kubelet, manager, _ = cluster
    store.create("deployments", deployment("mem", 2))
    _ready(store, "mem", 2)
    kubelet.memory_default = 128 * 1024 * 1024  # 200 % of the 64Mi request
    metric = [{"type": "Resource",
               "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    store.create("horizontalpodautoscalers", _hpa("mem", metric))
    wait_until(lambda: manager.hpa.syncs >= 1, what="first sync")
    assert _replicas(store, "mem") == 4  # wants ceil(2 * 200 / 80) = 5, the Pods policy allows +2
    current = store.get("horizontalpodautoscalers", NS, "mem")["status"]["currentMetrics"][0]["resource"]
    assert current["name"] == "memory" and current["current"]["averageUtilization"] == 200
