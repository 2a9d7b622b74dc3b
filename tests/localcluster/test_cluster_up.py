"""End to end on the assembled local cluster (`python -m localcluster serve`, time scale fast): the default
topology and workload come up Ready, kubectl lists them, a long stream survives graceful deletion of its pod
(preStop), a hard node failure moves the pod to another node, and nothing is left running afterwards.

The workload is the default one with two test-only changes written into the manifests: longer streams (so a
stream is still running when its pod is deleted) and 5 s NoExecute tolerations for not-ready/unreachable
nodes (so eviction after a node failure happens in seconds instead of the default 300 s)."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import httpx
import pytest
import yaml
from kubernetes import client, config
from proc_alive import still_running
from service_probe import probe_loop

from localcluster.handle import LocalCluster
from localcluster.workload.manifests import DEFAULT_FILE, find, load_manifests

TOLERATION_SECONDS = 5
BODY = {"model": "m", "messages": [{"role": "user", "content": "tell me a long story"}], "max_tokens": 400}


def wait_until(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_manifests(path):
    docs = load_manifests(DEFAULT_FILE)
    spec = find(docs, "Deployment")["spec"]["template"]["spec"]
    spec["containers"][0]["args"] += ["--output-tokens", "const:300", "--itl", "const:0.02"]
    spec["tolerations"] = [
        {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": TOLERATION_SECONDS}
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
    ]
    path.write_text(yaml.safe_dump_all(docs))
    return path


test_manifests.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    manifests = test_manifests(tmp_path_factory.mktemp("m") / "agentflow.yaml")
    lc = LocalCluster(tmp_path_factory.mktemp("lc"), time_scale="fast", manifests=manifests, timeout=60)
    lc.start()
    try:
        yield lc
    finally:
        pids = lc.pids()
        assert len(pids) >= 5  # cluster, proxy and at least 3 pods
        leftover = lc.stop()
        assert leftover == []
        alive = still_running(pids)
        assert alive == [], f"processes left after stop: {alive}"


@pytest.fixture(scope="module")
def core(cluster):
    api = config.new_client_from_config(cluster.kubeconfig, context=cluster.context)
    try:
        yield client.CoreV1Api(api)
    finally:
        api.close()


def _workload(core, ns) -> list:
    return core.list_namespaced_pod(ns, label_selector="app.kubernetes.io/name=agentflow").items


def _ready(pod) -> bool:
    conds = {c.type: c.status for c in pod.status.conditions or []}
    return conds.get("Ready") == "True" and pod.metadata.deletion_timestamp is None


def ready_pods(core, ns):
    return [p for p in _workload(core, ns) if _ready(p)]


def settled(core, ns) -> list:
    """The 3 Ready pods once the workload has settled: no pod Terminating or not yet Ready (a test that failed
    before it waited for its own replacement leaves one)."""
    def check():
        pods = _workload(core, ns)
        ready = [p for p in pods if _ready(p)]
        return ready if len(pods) == len(ready) == 3 else None
    return wait_until(check, 60, "3 Ready pods and no other")


def kubectl(cluster, *args):
    done = subprocess.run(["kubectl", "--kubeconfig", cluster.kubeconfig, "--context", cluster.context, *args],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_default_workload_is_ready_and_kubectl_lists_it(cluster, core):
    assert len(ready_pods(core, cluster.namespace)) == 3
    out = kubectl(cluster, "get", "pods,deployments,hpa,pdb", "-n", cluster.namespace)
    assert out.count("Running") == 3 and "deployment.apps/agentflow" in out and "3/3" in out
    assert "horizontalpodautoscaler.autoscaling/agentflow" in out and "poddisruptionbudget.policy/agentflow" in out
    nodes = kubectl(cluster, "get", "nodes", "-o", "json")
    items = json.loads(nodes)["items"]
    assert len(items) == 21 and {i["metadata"]["labels"]["topology.kubernetes.io/zone"] for i in items} == {
        "zone-a", "zone-b", "zone-c"}
    zones = {p.spec.node_name[5] for p in ready_pods(core, cluster.namespace)}
    assert zones == {"a", "b", "c"}  # spread over the three zones
    status = cluster.status()
    assert status["running"] and status["workload"]["ready"] == 3
    assert cluster.api_key not in json.dumps(status)


def _stream(url, key, out):
    try:
        with httpx.stream("POST", url + "/api/v1/chat/completions/stream", json=BODY, timeout=30,
                          headers={"X-API-Key": key}) as resp:
            out["pod"] = resp.headers.get("X-AgentFlow-Pod")
            out["status"] = resp.status_code
            for line in resp.iter_lines():
                if line.startswith("data: {"):
                    out["events"] = out.get("events", 0) + 1
                out["last"] = line or out.get("last")
                if out.get("events") == 5:
                    out["started"].set()
    except httpx.HTTPError as exc:
        out["error"] = repr(exc)
    finally:
        out["started"].set()


def test_stream_survives_graceful_deletion_of_its_pod(cluster, core):
    settled(core, cluster.namespace)
    out: dict = {"started": threading.Event()}
    t = threading.Thread(target=_stream, args=(cluster.service_url, cluster.api_key, out))
    t.start()
    assert out["started"].wait(20) and out.get("pod"), out
    victim = core.read_namespaced_pod(out["pod"], cluster.namespace)
    deleted = core.delete_namespaced_pod(out["pod"], cluster.namespace, body=client.V1DeleteOptions())
    assert deleted.metadata.deletion_timestamp is not None  # Terminating, not gone
    ok, failed, why = probe_loop(cluster.service_url, 3.0)  # new requests meanwhile: never refused (preStop)
    assert failed == 0 and ok > 3, (ok, failed, why)
    t.join(40)
    assert out.get("status") == 200 and out.get("last") == "data: [DONE]" and out["events"] >= 299, out
    still = core.list_namespaced_pod(cluster.namespace, field_selector=f"metadata.name={out['pod']}").items
    assert still == [] or still[0].metadata.deletion_timestamp is not None
    wait_until(lambda: not core.list_namespaced_pod(
        cluster.namespace, field_selector=f"metadata.name={out['pod']}").items, 40, "the deleted pod to go")
    wait_until(lambda: len(ready_pods(core, cluster.namespace)) == 3, 40, "3 Ready pods again")
    assert victim.metadata.uid not in {p.metadata.uid for p in ready_pods(core, cluster.namespace)}


def test_hard_node_failure_moves_the_pod_elsewhere(cluster, core):
    ns = cluster.namespace
    before = settled(core, ns)
    victim = before[0]
    node = victim.spec.node_name
    port = json.loads(victim.metadata.annotations["localcluster.agentflow.dev/ports"])["http"]
    t0 = time.monotonic()
    assert cluster.fail_node(node) == [node]
    try:
        def refused():
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            except httpx.ConnectError:
                return True
            return False

        wait_until(refused, 5, "the failed node's pod process to be killed")
        known = {p.metadata.uid for p in before}
        replacement = wait_until(lambda: [p for p in ready_pods(core, ns) if p.metadata.uid not in known],
                                 60, "a Ready replacement")
        took = time.monotonic() - t0
        assert took >= TOLERATION_SECONDS, "the pod moved before its toleration expired"
        assert replacement[0].spec.node_name != node
        old = core.read_namespaced_pod(victim.metadata.name, ns)
        assert old.metadata.deletion_timestamp is not None  # stays Terminating while its node is down
        node_ready = {c.type: c.status for c in core.read_node(node).status.conditions}["Ready"]
        assert node_ready in ("False", "Unknown")
    finally:
        cluster.recover([node])
    wait_until(lambda: not core.list_namespaced_pod(ns, field_selector=f"metadata.name={victim.metadata.name}")
               .items, 20, "the old pod removed once its node recovered")
    wait_until(lambda: len(ready_pods(core, ns)) == 3, 30, "3 Ready pods")
