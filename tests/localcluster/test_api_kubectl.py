"""The real kubectl against the API server through a kubeconfig (skipped when kubectl is not installed)."""

import json
import shutil
import subprocess

import pytest
import yaml

from localcluster.api import ApiServer, write_kubeconfig

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
NS = "shop"


def populate(store):
    store.create("namespaces", {"metadata": {"name": NS}})
    labels = {"app": "web"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "server", "image": "agentflow:1"}]}}
    store.create("deployments", {"metadata": {"name": "web", "namespace": NS},
                                 "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": template}})
    for name in ("web-b", "web-a"):
        store.create("pods", {"metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": template["spec"]})
    store.create("horizontalpodautoscalers", {"metadata": {"name": "web-hpa", "namespace": NS}, "spec": {
        "maxReplicas": 6, "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}})
    store.create("poddisruptionbudgets", {"metadata": {"name": "web-pdb", "namespace": NS},
                                          "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}})
    for node in ("node-a", "node-b"):
        store.create("nodes", {"metadata": {"name": node}, "spec": {"unschedulable": node == "node-b"},
                               "status": {"conditions": [{"type": "Ready", "status": "True"}],
                                          "nodeInfo": {"kubeletVersion": "v1.32.0"}}})


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kubectl")
    with ApiServer() as server:  # kubectl (client-go) never sends a token over plain http (kubectl#744)
        populate(server.store)
        kubeconfig = write_kubeconfig(tmp / "config", server.url, namespace=NS)

        def run(*args, check=True):
            cmd = ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"), *args]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if check:
                assert proc.returncode == 0, f"{' '.join(args)} failed: {proc.stderr}"
            return proc

        yield server, run


def test_get_pods_deployments_hpa_pdb(kubectl):
    _, run = kubectl
    out = run("get", "pods,deployments,hpa,pdb", "-n", NS).stdout
    for name in ("pod/web-a", "pod/web-b", "deployment.apps/web", "horizontalpodautoscaler.autoscaling/web-hpa",
                 "poddisruptionbudget.policy/web-pdb"):
        assert name in out, out
    assert out.index("pod/web-a") < out.index("pod/web-b")
    assert "Deployment/web" in out  # HPA reference column from the server-side table


def test_get_nodes(kubectl):
    _, run = kubectl
    lines = run("get", "nodes").stdout.splitlines()
    assert lines[0].split()[:2] == ["NAME", "STATUS"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows == {"node-a": "Ready", "node-b": "Ready,SchedulingDisabled"}


def test_get_json_and_default_namespace_from_context(kubectl):
    _, run = kubectl
    doc = json.loads(run("get", "pods", "-o", "json").stdout)
    assert [p["metadata"]["name"] for p in doc["items"]] == ["web-a", "web-b"]
    pdb = yaml.safe_load(run("get", "pdb", "web-pdb", "-o", "yaml").stdout)
    assert pdb["status"]["disruptionsAllowed"] == 0 and pdb["spec"]["minAvailable"] == 1


def test_kubectl_writes(kubectl):
    server, run = kubectl
    run("cordon", "node-a")
    assert server.store.get("nodes", None, "node-a")["spec"]["unschedulable"] is True
    run("uncordon", "node-a")
    run("scale", "deployment/web", "--replicas=4")
    assert server.store.get("deployments", NS, "web")["spec"]["replicas"] == 4
    run("delete", "pod", "web-b")
    assert server.store.try_get("pods", NS, "web-b") is None
    missing = run("get", "pod", "web-b", check=False)
    assert missing.returncode != 0 and 'pods "web-b" not found' in missing.stderr
