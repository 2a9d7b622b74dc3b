"""The rewritten (pydantic, strict) kubernetes client 37 against the API server, in its own interpreter.

The project pins kubernetes<37; this contract test runs only when AFSUITE_K8S37_PYTHON names a Python
that has kubernetes 37 installed, e.g.:
    python3 -m venv /tmp/k37 && /tmp/k37/bin/pip install 'kubernetes>=37,<38'
    AFSUITE_K8S37_PYTHON=/tmp/k37/bin/python .venv/bin/pytest tests/localcluster/test_api_client37.py
"""

import json
import os
import subprocess

import pytest

from localcluster.api import ApiServer, write_kubeconfig

PYTHON = os.environ.get("AFSUITE_K8S37_PYTHON", "")
pytestmark = pytest.mark.skipif(not PYTHON, reason="set AFSUITE_K8S37_PYTHON to a Python with kubernetes 37")

SCRIPT = r"""
import json, sys
import kubernetes
from kubernetes import client, config, watch
api = config.new_client_from_config(sys.argv[1])
v1, apps = client.CoreV1Api(api), client.AppsV1Api(api)
out = {"version": kubernetes.__version__}
out["pods"] = [p.metadata.name for p in v1.list_namespaced_pod("ns").items]
pods = v1.list_namespaced_pod("ns").items
out["conditions"] = [p.status.conditions == [] for p in pods]
out["volumes"] = [p.spec.volumes for p in v1.list_pod_for_all_namespaces(field_selector="spec.nodeName=n1").items]
out["cordon"] = v1.patch_node("n1", {"spec": {"unschedulable": True}}).spec.unschedulable
out["replicas"] = apps.list_namespaced_deployment("ns", field_selector="metadata.name=web").items[0].spec.replicas
out["scale"] = apps.patch_namespaced_deployment_scale("web", "ns", {"spec": {"replicas": 3}}).spec.replicas
hpas = client.AutoscalingV2Api(api).list_namespaced_horizontal_pod_autoscaler("ns").items
out["hpa"] = hpas[0].status.desired_replicas
out["pdb"] = client.PolicyV1Api(api).list_namespaced_pod_disruption_budget("ns").items[0].status.disruptions_allowed
out["event_time"] = client.EventsV1Api(api).list_event_for_all_namespaces().items[0].event_time is not None
meta = client.V1ObjectMeta(name="p1", namespace="ns")
eviction = client.V1Eviction(metadata=meta, delete_options=client.V1DeleteOptions())
v1.create_namespaced_pod_eviction("p1", "ns", eviction)
out["deleted_pod"] = type(v1.delete_namespaced_pod("p2", "ns", body=client.V1DeleteOptions())).__name__
out["deleted_node"] = v1.delete_node("n2")  # 37 types this as `object`: the Status arrives as a dict
out["watch"] = [e["type"] for e in watch.Watch().stream(apps.list_namespaced_deployment, "ns", timeout_seconds=1)]
print(json.dumps(out))
"""


def test_client_37_typed_calls(tmp_path):
    with ApiServer() as server:
        store = server.store
        store.create("namespaces", {"metadata": {"name": "ns"}})
        for name, node in (("p1", "n1"), ("p2", "n1")):
            store.create("pods", {"metadata": {"name": name, "namespace": "ns", "labels": {"app": "web"}},
                                  "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]}})
        labels = {"app": "web"}
        template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
        spec = {"replicas": 2, "selector": {"matchLabels": labels}, "template": template}
        store.create("deployments", {"metadata": {"name": "web", "namespace": "ns"}, "spec": spec})
        store.create("horizontalpodautoscalers", {"metadata": {"name": "web", "namespace": "ns"}, "spec": {
            "maxReplicas": 4, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}})
        store.create("poddisruptionbudgets", {"metadata": {"name": "web", "namespace": "ns"},
                                              "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}})
        store.create("events", {"metadata": {"name": "e1", "namespace": "ns"}, "reason": "Started",
                                "involvedObject": {"kind": "Pod", "name": "p1", "namespace": "ns"}})
        for node in ("n1", "n2"):
            store.create("nodes", {"metadata": {"name": node}})
        kubeconfig = write_kubeconfig(tmp_path / "config", server.url)
        proc = subprocess.run([PYTHON, "-c", SCRIPT, str(kubeconfig)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout)
    assert out["version"].startswith("37.")
    assert out["pods"] == ["p1", "p2"] and out["conditions"] == [True, True] and out["volumes"] == [[], []]
    assert out["cordon"] is True and out["replicas"] == 2 and out["scale"] == 3
    assert out["hpa"] == 0 and out["pdb"] == 0 and out["event_time"] is True
    assert out["deleted_pod"] == "V1Pod"
    assert out["deleted_node"]["kind"] == "Status" and out["deleted_node"]["status"] == "Success"
    assert out["watch"] == ["ADDED"]
