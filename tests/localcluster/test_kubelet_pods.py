"""The local kubelet with real pod processes (the reference server), driven through the store and the HTTP
API: status as upstream reports it, probes, restarts, graceful deletion, node faults, logs and metrics.
No controllers: pods are created already bound (spec.nodeName), as the scheduler would leave them."""

from __future__ import annotations

import http.client
import json
import time

import httpx
import psutil
import pytest
from proc_alive import still_running

from localcluster.api import ApiServer, Store
from localcluster.kubelet import FAULT_ANNOTATION, PORTS_ANNOTATION, Kubelet, KubeletConfig
from localcluster.topology import node_object

NS = "t"


def wait_until(pred, timeout: float, what: str, show=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f": {show()}" if show else ""))


@pytest.fixture
def env():
    store = Store()
    store.create("namespaces", {"metadata": {"name": NS}})
    for name in ("n1", "n2"):
        store.create("nodes", node_object(name, "zone-a"))
    secrets = {(NS, "key"): {"api-key": "s3cret"}}
    kubelet = Kubelet(store, ["n1", "n2"], config=KubeletConfig(time_factor=10), secrets=secrets)
    api = ApiServer(store, pod_deleter=kubelet.pod_deleter, pod_logs=kubelet.logs)
    kubelet.start()
    api.start()
    try:
        yield store, kubelet, api
    finally:
        pids = kubelet.pids()
        api.stop()
        kubelet.stop()
        assert not still_running(pids)


def pod(name: str, *, args=(), node="n1", grace=5, image="agentflow-reference:1.11.3", probes=None, prestop=None,
        env=None):
    container = {
        "name": "app", "image": image, "args": ["--lifecycle", "graceful", *args],
        "env": env if env is not None else [
            {"name": "AGENTFLOW_API_KEY", "valueFrom": {"secretKeyRef": {"name": "key", "key": "api-key"}}}],
        "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9091}],
    }
    container.update(probes or {})
    if prestop:
        container["lifecycle"] = {"preStop": prestop}
    return {"metadata": {"name": name, "namespace": NS},
            "spec": {"nodeName": node, "terminationGracePeriodSeconds": grace, "containers": [container]}}


def get(store, name):
    return store.try_get("pods", NS, name)


def cond(p, ctype):
    return next((c["status"] for c in p["status"]["conditions"] if c["type"] == ctype), None)


def ready(store, name):
    p = get(store, name)
    return p is not None and cond(p, "Ready") == "True"


def host_port(p, port="http"):
    return json.loads(p["metadata"]["annotations"][PORTS_ANNOTATION])[port]


def events(store, name):
    return [(e["reason"], e["message"]) for e in store.list("events", NS) if e["involvedObject"]["name"] == name]


HTTP_PROBES = {
    "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 1},
    "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 1, "failureThreshold": 2,
                      "timeoutSeconds": 1},
}


def test_pod_runs_as_a_process_with_upstream_status(env):
    store, _, api = env
    store.create("pods", pod("web", probes=HTTP_PROBES))
    wait_until(lambda: ready(store, "web"), 15, "pod Ready")
    p = get(store, "web")
    st = p["status"]
    assert st["phase"] == "Running" and st["podIP"] == st["hostIP"] == "127.0.0.1" and st["startTime"]
    assert [c["type"] for c in st["conditions"]][:4] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                                           "ContainersReady"]
    (cs,) = st["containerStatuses"]
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0 and "running" in cs["state"]
    assert cs["containerID"].startswith("containerd://") and cs["imageID"]
    ports = json.loads(p["metadata"]["annotations"][PORTS_ANNOTATION])
    assert ports["http"] == ports["8080"] and ports["metrics"] == ports["9091"] != ports["http"]
    # the process really serves, with the secret from the private secrets map
    resp = httpx.post(f"http://127.0.0.1:{ports['http']}/api/v1/chat/completions/stream",
                      headers={"X-API-Key": "s3cret"}, timeout=10,
                      json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})
    assert resp.status_code == 200 and "[DONE]" in resp.text
    assert resp.headers.get("X-AgentFlow-Pod") == "web"  # POD_NAME is set
    reasons = [r for r, _ in events(store, "web")]
    assert {"Pulled", "Created", "Started"} <= set(reasons)
    logs = httpx.get(f"{api.url}/api/v1/namespaces/{NS}/pods/web/log", params={"timestamps": "true"}, timeout=5)
    assert logs.status_code == 200 and "listening on 127.0.0.1" in logs.text and logs.text[:4].isdigit()
    assert "s3cret" not in json.dumps(p)


def test_metrics_come_from_the_real_process(env):
    store, kubelet, _ = env
    store.create("pods", pod("m", args=["--cpu-per-token-ms", "2"], probes=HTTP_PROBES))
    wait_until(lambda: ready(store, "m"), 15, "pod Ready")
    port = host_port(get(store, "m"))
    with httpx.Client(timeout=10, headers={"X-API-Key": "s3cret"}) as client:
        for _ in range(3):
            client.post(f"http://127.0.0.1:{port}/api/v1/chat/completions/stream",
                        json={"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 200})
    cpu = wait_until(lambda: kubelet.metrics.cpu_usage(NS, "m"), 10, "cpu samples")
    millicores, window, stamp = cpu
    assert window > 0 and abs(stamp - time.time()) < 10 and millicores >= 0
    rss, _ = kubelet.metrics.memory_usage(NS, "m")
    assert rss > 10 * 1024 * 1024  # a Python process
    text = kubelet.metrics.scrape(NS, "m", "metrics")
    assert text is not None and "agentflow_http_requests_total" in text
    assert kubelet.metrics.scrape(NS, "absent", "metrics") is None


def test_liveness_failure_restarts_the_container(env):
    store, kubelet, _ = env
    store.create("pods", pod("hang", args=["--hang-after", "1.5"], probes=HTTP_PROBES))
    first = wait_until(lambda: ready(store, "hang") and kubelet.pids(), 15, "pod Ready")
    p = wait_until(lambda: (x := get(store, "hang")) and x["status"]["containerStatuses"][0]["restartCount"] >= 1
                   and x, 30, "a restart after liveness failures")
    cs = p["status"]["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["finishedAt"]
    reasons = events(store, "hang")
    assert ("Killing", "Container app failed liveness probe, will be restarted") in reasons
    assert any(r == "Unhealthy" and m.startswith("Liveness probe failed") for r, m in reasons)
    wait_until(lambda: kubelet.pids() and kubelet.pids() != first, 10, "a new process")
    assert not psutil.pid_exists(first[0]) or psutil.Process(first[0]).status() == "zombie"


def test_crashing_container_backs_off(env):
    store, _, _ = env
    store.create("pods", pod("crash", args=["--crash-after", "0.3"]))

    def backoff():
        p = get(store, "crash")
        cs = (p["status"].get("containerStatuses") or [{}])[0]
        return cs.get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff" and cs

    cs = wait_until(backoff, 30, "CrashLoopBackOff")
    assert cs["restartCount"] >= 1 and cs["lastState"]["terminated"]["exitCode"] == 2
    assert "back-off" in cs["state"]["waiting"]["message"]
    assert get(store, "crash")["status"]["phase"] == "Running"  # restartPolicy Always: still Running upstream
    assert any(r == "BackOff" for r, _ in events(store, "crash"))


def test_unknown_image_and_missing_secret_fail_clearly(env):
    store, kubelet, _ = env
    store.create("pods", pod("img", image="nginx:1.27"))
    store.create("pods", pod("sec", env=[{"name": "K", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k"}}}]))

    def waiting(name):
        p = get(store, name)
        return ((p["status"].get("containerStatuses") or [{}])[0].get("state") or {}).get("waiting")

    w = wait_until(lambda: waiting("img") if (waiting("img") or {}).get("reason") in (
        "ErrImagePull", "ImagePullBackOff") else None, 10, "ErrImagePull")
    assert "nginx:1.27" in w["message"] and "agentflow-reference" in w["message"]
    w = wait_until(lambda: waiting("sec") if (waiting("sec") or {}).get("reason") == "CreateContainerConfigError"
                   else None, 10, "CreateContainerConfigError")
    assert w["message"] == 'secret "nope" not found'
    assert get(store, "img")["status"]["phase"] == "Pending" and not kubelet.pids()


def test_graceful_delete_runs_prestop_then_sigterm(env):
    store, _, api = env
    store.create("pods", pod("g", grace=20, probes=HTTP_PROBES, prestop={"exec": {"command": ["sleep", "2"]}}))
    wait_until(lambda: ready(store, "g"), 15, "pod Ready")
    port = host_port(get(store, "g"))
    t0 = time.monotonic()
    resp = httpx.request("DELETE", f"{api.url}/api/v1/namespaces/{NS}/pods/g", json={}, timeout=5)
    assert resp.status_code == 200
    body = resp.json()
    assert body["metadata"]["deletionTimestamp"] and body["metadata"]["deletionGracePeriodSeconds"] == 20
    assert body["status"]["phase"] == "Running"
    # during preStop the process still serves
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()
    wait_until(lambda: get(store, "g") is None, 15, "pod removed after its process exited")
    took = time.monotonic() - t0
    assert 2.0 <= took < 15, took
    assert ("Killing", "Stopping container app") in events(store, "g")


def test_second_delete_shortens_grace_and_zero_removes_at_once(env):
    store, kubelet, api = env
    store.create("pods", pod("s", grace=60, prestop={"exec": {"command": ["/bin/sh", "-c", "sleep 30"]}}))
    wait_until(lambda: kubelet.pids(), 15, "process")
    kubelet.delete_pod(NS, "s", None)
    assert get(store, "s")["metadata"]["deletionGracePeriodSeconds"] == 60
    t0 = time.monotonic()
    kubelet.delete_pod(NS, "s", 1)
    assert get(store, "s")["metadata"]["deletionGracePeriodSeconds"] == 1
    wait_until(lambda: get(store, "s") is None, 10, "removal after the shortened grace")
    assert time.monotonic() - t0 < 6
    store.create("pods", pod("z"))
    pids = wait_until(lambda: kubelet.pids(), 15, "process")
    resp = httpx.request("DELETE", f"{api.url}/api/v1/namespaces/{NS}/pods/z", json={"gracePeriodSeconds": 0})
    assert resp.status_code == 200 and get(store, "z") is None
    wait_until(lambda: not still_running(pids),
               5, "SIGKILL of the force-deleted pod")


def test_node_fault_kills_pods_and_stops_heartbeats_until_recovered(env):
    store, kubelet, _ = env
    store.create("pods", pod("f", node="n2", probes=HTTP_PROBES))
    wait_until(lambda: ready(store, "f"), 15, "pod Ready")
    (pid,) = kubelet.pids()
    store.patch("nodes", None, "n2", {"metadata": {"annotations": {FAULT_ANNOTATION: "fail"}}})
    wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie", 5, "SIGKILL")
    beat = store.get("nodes", None, "n2")["status"]["conditions"][-1]["lastHeartbeatTime"]
    other = store.get("nodes", None, "n1")["status"]["conditions"][-1]["lastHeartbeatTime"]
    wait_until(lambda: store.get("nodes", None, "n1")["status"]["conditions"][-1]["lastHeartbeatTime"] != other,
               5, "n1 heartbeat")
    assert store.get("nodes", None, "n2")["status"]["conditions"][-1]["lastHeartbeatTime"] == beat
    store.patch("nodes", None, "n2", {"metadata": {"annotations": {FAULT_ANNOTATION: None}}})
    p = wait_until(lambda: ready(store, "f") and (x := get(store, "f"))["status"]["containerStatuses"][0][
        "restartCount"] == 1 and x, 30, "container restarted and Ready again after recovery",
        lambda: (get(store, "f")["status"], events(store, "f")))
    assert p["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137
    assert kubelet.pids() and kubelet.pids() != [pid]
