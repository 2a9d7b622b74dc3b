"""chaostoolkit-kubernetes (chaosk8s) actions and probes against the API server, through a kubeconfig."""

import pytest
from chaosk8s.deployment.probes import deployment_available_and_healthy, deployment_fully_available
from chaosk8s.event.probes import get_events
from chaosk8s.node.actions import cordon_node, drain_nodes, uncordon_node
from chaosk8s.node.probes import all_nodes_must_be_ready_to_schedule, get_nodes
from chaosk8s.pod.actions import terminate_pods
from chaosk8s.pod.probes import count_pods, pods_in_conditions, pods_in_phase, read_pod_logs
from chaosk8s.replicaset.actions import delete_replica_set
from chaosk8s.service.probes import service_is_initialized
from chaoslib.exceptions import ActivityFailed
from kubernetes.config import kube_config

from localcluster.api import ApiServer, write_kubeconfig

NS = "shop"


def _pod(name, node, owner_uid, **extra_labels):
    return {
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"app": "web", **extra_labels},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": owner_uid, "controller": True}
            ],
        },
        "spec": {"nodeName": node, "containers": [{"name": "server", "image": "agentflow:1"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "server", "ready": True, "restartCount": 0, "image": "agentflow:1",
                                   "imageID": "", "state": {"running": {}}}],
        },
    }


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    with ApiServer() as server:
        store = server.store
        store.create("namespaces", {"metadata": {"name": NS}})
        for node in ("node-a", "node-b"):
            ready = [{"type": "Ready", "status": "True"}]
            meta = {"name": node, "labels": {"zone": node[-1]}}
            store.create("nodes", {"metadata": meta, "status": {"conditions": ready}})
        labels = {"app": "web"}
        template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "server"}]}}
        spec = {"replicas": 3, "selector": {"matchLabels": labels}, "template": template}
        dep = store.create("deployments", {"metadata": {"name": "web", "namespace": NS}, "spec": spec})
        status = {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3}
        store.update_status("deployments", {**dep, "status": status})
        rs = store.create("replicasets", {"metadata": {"name": "web-1", "namespace": NS}, "spec": spec})
        for name, node in (("web-a", "node-a"), ("web-b", "node-a"), ("web-c", "node-b")):
            store.create("pods", _pod(name, node, rs["metadata"]["uid"]))
        store.create("services", {"metadata": {"name": "web", "namespace": NS}, "spec": {"selector": labels,
                                                                                         "ports": [{"port": 80}]}})
        kubeconfig = write_kubeconfig(tmp_path / "config", server.url, namespace=NS)
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        monkeypatch.setenv("KUBERNETES_CONTEXT", "agentflow-local")
        # the kubernetes client reads KUBECONFIG once, at import time (`chaos run` sets it before that)
        monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
        yield server


def test_terminate_pods_alphabetic(cluster):
    assert terminate_pods(label_selector="app=web", ns=NS, qty=2, order="alphabetic") == ["web-a", "web-b"]
    assert [p["metadata"]["name"] for p in cluster.store.list("pods", NS)] == ["web-c"]
    assert terminate_pods(label_selector="app=web", ns=NS, grace_period=0) == ["web-c"]


def test_pod_probes(cluster):
    assert pods_in_phase(label_selector="app=web", phase="Running", ns=NS) is True
    assert count_pods(label_selector="app=web", ns=NS) == 3
    conditions = [{"type": "Ready", "status": "True"}]
    assert pods_in_conditions(label_selector="app=web", conditions=conditions, ns=NS) is True
    cluster.hooks.logs.append(NS, "web-a", "server", "hello from web-a")
    logs = read_pod_logs(label_selector="app=web", ns=NS, container_name="server")
    assert logs["web-a"].endswith("hello from web-a\n")


def test_cordon_uncordon_and_drain(cluster):
    assert cordon_node(name="node-b") == ["node-b"]
    node = cluster.store.get("nodes", None, "node-b")
    assert node["spec"]["unschedulable"] is True
    assert node["spec"]["taints"][0]["key"] == "node.kubernetes.io/unschedulable"
    assert uncordon_node(name="node-b") == ["node-b"]
    assert "unschedulable" not in cluster.store.get("nodes", None, "node-b")["spec"]
    assert all_nodes_must_be_ready_to_schedule() is True
    assert [n["metadata"]["name"] for n in get_nodes()["items"]] == ["node-a", "node-b"]
    assert drain_nodes(name="node-a", timeout=10) == ["node-a"]
    assert [p["metadata"]["name"] for p in cluster.store.list("pods", NS)] == ["web-c"]
    assert cluster.store.get("nodes", None, "node-a")["spec"]["unschedulable"] is True


def test_drain_refuses_unmanaged_pods(cluster):
    cluster.store.create("pods", {"metadata": {"name": "bare", "namespace": NS},
                                  "spec": {"nodeName": "node-b", "containers": [{"name": "c"}]}})
    with pytest.raises(ActivityFailed, match="unmanaged"):
        drain_nodes(name="node-b", timeout=5)


def test_deployment_probes(cluster):
    assert deployment_available_and_healthy("web", ns=NS) is True
    assert deployment_fully_available("web", ns=NS, timeout=5) is True
    cluster.store.patch("deployments", NS, "web", {"spec": {"replicas": 4}})
    with pytest.raises(ActivityFailed):
        deployment_available_and_healthy("web", ns=NS)


def test_service_events_and_replicaset(cluster):
    assert service_is_initialized(name="web", ns=NS) is True
    cluster.store.create("events", {"metadata": {"name": "web-a.1", "namespace": NS}, "reason": "Killing",
                                    "involvedObject": {"kind": "Pod", "name": "web-a", "namespace": NS},
                                    "message": "Stopping container server"})
    events = get_events()
    assert events["kind"] == "EventList" and events["items"][0]["eventTime"]
    assert events["items"][0]["note"] == "Stopping container server"
    delete_replica_set("web-1", ns=NS)
    assert cluster.store.try_get("replicasets", NS, "web-1") is None
