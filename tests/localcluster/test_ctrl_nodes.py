"""Node lifecycle (heartbeat -> Ready=Unknown + taints), the NoExecute taint manager and PodGC."""

from __future__ import annotations

from typing import Any

from test_ctrl_support import NS, TestKubelet, deployment, heartbeat, is_ready, make_node, pods_of, wait_until

from localcluster.api import Store
from localcluster.controllers import ControllerConfig, ControllerManager, FakeClock
from localcluster.controllers.nodelifecycle import eviction_delay


def _start(clock: FakeClock | None = None, **cfg: Any) -> tuple[Store, TestKubelet, ControllerManager]:
    store = Store()
    store.create("namespaces", {"metadata": {"name": NS}})
    kubelet = TestKubelet(store, remove_terminating=False)
    config = ControllerConfig(resync_interval=0.2, scheduler_backoff_initial=0.0, **cfg)
    manager = ControllerManager(store, config, kubelet, kubelet.delete_pod, clock=clock or FakeClock()).start()
    return store, kubelet, manager


def _taints(store, node: str) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in store.get("nodes", None, node)["spec"].get("taints") or ()}


def _ready_status(store, node: str) -> str:
    return next(c for c in store.get("nodes", None, node)["status"]["conditions"] if c["type"] == "Ready")["status"]


def test_lost_heartbeat_taints_node_and_evicts_after_toleration_seconds():
    clock = FakeClock()
    store, kubelet, manager = _start(clock)
    try:
        make_node(store, "n1", heartbeat=clock())
        store.create("deployments", deployment("edge", 1))
        wait_until(lambda: [p for p in pods_of(store, "edge") if is_ready(p)], what="pod running")
        passes = manager.nodes.passes
        wait_until(lambda: manager.nodes.passes > passes, what="node controller observed the heartbeat")
        clock.advance(30)
        heartbeat(store, "n1", clock())  # renewed in time: still healthy
        clock.advance(30)
        manager.wake()
        passes = manager.nodes.passes
        wait_until(lambda: manager.nodes.passes > passes + 1, what="node passes")
        assert _ready_status(store, "n1") == "True" and not _taints(store, "n1")
        clock.advance(41)  # no heartbeat for more than node-monitor-grace-period
        manager.wake()
        wait_until(lambda: _ready_status(store, "n1") == "Unknown", what="Ready=Unknown")
        cond = next(c for c in store.get("nodes", None, "n1")["status"]["conditions"] if c["type"] == "Ready")
        assert (cond["reason"], cond["message"]) == ("NodeStatusUnknown", "Kubelet stopped posting node status.")
        wait_until(lambda: _taints(store, "n1") == {("node.kubernetes.io/unreachable", "NoSchedule"),
                                                      ("node.kubernetes.io/unreachable", "NoExecute")}, what="taints")
        (pod,) = wait_until(lambda: [p for p in pods_of(store, "edge") if not is_ready(p)], what="pod marked unready")
        name = pod["metadata"]["name"]
        clock.advance(299)  # the default toleration is 300 s
        manager.wake()
        passes = manager.nodes.passes
        wait_until(lambda: manager.nodes.passes > passes + 1, what="node passes")
        assert "deletionTimestamp" not in store.get("pods", NS, name)["metadata"]
        clock.advance(2)
        manager.wake()
        evicted = wait_until(lambda: (lambda p: p if p["metadata"].get("deletionTimestamp") else None)(
            store.get("pods", NS, name)), what="taint-manager eviction")
        cond = next(c for c in evicted["status"]["conditions"] if c["type"] == "DisruptionTarget")
        assert cond["reason"] == "DeletionByTaintManager"
        replacement = wait_until(lambda: [p for p in pods_of(store, "edge") if p["metadata"]["name"] != name],
                                 what="replacement pod")[0]
        assert "nodeName" not in replacement["spec"]  # the only node is tainted unreachable:NoSchedule
        heartbeat(store, "n1", clock())  # the kubelet is back
        wait_until(lambda: not _taints(store, "n1"), what="taints removed")
        wait_until(lambda: store.get("pods", NS, replacement["metadata"]["name"])["spec"].get("nodeName") == "n1",
                   what="replacement scheduled")
        assert store.get("pods", NS, name)["metadata"]["deletionTimestamp"]  # stays Terminating (no kubelet ran it)
    finally:
        manager.stop()
        kubelet.close()


def test_toleration_seconds_arithmetic():
    taints = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
    pod: dict[str, Any] = {"spec": {}}
    assert eviction_delay(pod, taints, 300) == 300  # the admission default
    pod["spec"]["tolerations"] = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                   "effect": "NoExecute", "tolerationSeconds": 5}]
    assert eviction_delay(pod, taints, 300) == 5
    pod["spec"]["tolerations"] = [{"operator": "Exists"}]
    assert eviction_delay(pod, taints, 300) is None  # tolerates everything forever
    assert eviction_delay({"spec": {}}, [{"key": "custom", "effect": "NoExecute"}], 300) == 0


def test_podgc_force_deletes_pods_of_a_deleted_node():
    store, kubelet, manager = _start(podgc_orphan_quarantine=0)
    try:
        make_node(store, "keep")
        make_node(store, "gone")
        for node in ("keep", "gone"):
            store.create("pods", {"metadata": {"name": f"p-{node}", "namespace": NS, "labels": {"app": "gc"}},
                                  "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]}})
        wait_until(lambda: all(is_ready(p) for p in pods_of(store, "gc")), what="pods running")
        store.delete("nodes", None, "gone")
        wait_until(lambda: store.try_get("pods", NS, "p-gone") is None, what="orphan pod deleted")
        assert store.get("pods", NS, "p-keep")["metadata"].get("deletionTimestamp") is None
    finally:
        manager.stop()
        kubelet.close()


def test_podgc_deletes_oldest_terminated_pods_beyond_the_threshold():
    store, kubelet, manager = _start(podgc_terminated_threshold=1, podgc_period=0)
    try:
        for i, phase in enumerate(("Succeeded", "Failed", "Succeeded", "Running")):
            store.create("pods", {"metadata": {"name": f"done-{i}", "namespace": NS, "labels": {"app": "done"}},
                                  "spec": {"containers": [{"name": "c", "image": "i"}], "schedulerName": "none"},
                                  "status": {"phase": phase}})
        wait_until(lambda: len(pods_of(store, "done")) == 2, what="terminated pods collected")
        assert {p["metadata"]["name"] for p in pods_of(store, "done")} == {"done-2", "done-3"}
    finally:
        manager.stop()
        kubelet.close()
