"""PDB status and PDB-aware eviction, evictions posted over real HTTP with the official kubernetes client."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from test_ctrl_support import NS, GracefulDeleter, deployment, is_ready, make_node, pods_of, start_cluster, wait_until

from localcluster.api import ApiServer, write_kubeconfig


@pytest.fixture
def cluster(tmp_path):
    store, kubelet, manager = start_cluster(remove_terminating=False)
    for i in range(3):
        make_node(store, f"node-{i}", zone=f"zone-{i}")
    server = ApiServer(store, eviction_handler=manager.eviction_handler, pod_deleter=GracefulDeleter(kubelet),
                       create_namespaces=()).start()
    api = config.new_client_from_config(str(write_kubeconfig(tmp_path / "kubeconfig", server.url)))
    try:
        yield store, kubelet, manager, client.CoreV1Api(api)
    finally:
        api.close()
        server.stop()
        manager.stop()
        kubelet.close()


def _pdb(name: str, app: str, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS}, "spec": {"selector": {"matchLabels": {"app": app}}, **spec}}


def _status(store, name: str, **want: Any) -> dict[str, Any] | None:
    pdb = store.get("poddisruptionbudgets", NS, name)
    s = pdb.get("status", {})
    fresh = s.get("observedGeneration") == pdb["metadata"]["generation"]
    return s if fresh and all(s.get(k) == v for k, v in want.items()) else None


def _ready_app(store, name: str, replicas: int) -> list[str]:
    store.create("deployments", deployment(name, replicas))
    wait_until(lambda: sum(1 for p in pods_of(store, name) if is_ready(p)) == replicas, what=f"{name} ready")
    return sorted(p["metadata"]["name"] for p in pods_of(store, name))


def _evict(core: client.CoreV1Api, name: str) -> Any:
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=NS))
    return core.create_namespaced_pod_eviction(name, NS, body)


def _evict_error(core: client.CoreV1Api, name: str) -> ApiException:
    with pytest.raises(ApiException) as info:
        _evict(core, name)
    return info.value


def test_pdb_status_math(cluster):
    store, kubelet, _, _ = cluster
    pods = _ready_app(store, "math", 4)
    store.create("poddisruptionbudgets", _pdb("int", "math", minAvailable=2))
    store.create("poddisruptionbudgets", _pdb("pct", "math", minAvailable="60%"))
    store.create("poddisruptionbudgets", _pdb("maxu", "math", maxUnavailable="30%"))
    s = wait_until(lambda: _status(store, "int", currentHealthy=4), what="int status")
    assert (s["expectedPods"], s["desiredHealthy"], s["disruptionsAllowed"]) == (4, 2, 2)
    cond = s["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == ("DisruptionAllowed", "True", "SufficientPods")
    s = wait_until(lambda: _status(store, "pct", currentHealthy=4), what="percent status")
    assert (s["expectedPods"], s["desiredHealthy"], s["disruptionsAllowed"]) == (4, 3, 1)  # 2.4 rounds up
    s = wait_until(lambda: _status(store, "maxu", currentHealthy=4), what="maxUnavailable status")
    assert (s["expectedPods"], s["desiredHealthy"], s["disruptionsAllowed"]) == (4, 2, 2)  # 1.2 -> 2 unavailable
    kubelet.set_ready(pods[0], False)
    kubelet.set_ready(pods[1], False)
    s = wait_until(lambda: _status(store, "pct", currentHealthy=2), what="two unready")
    assert s["disruptionsAllowed"] == 0
    cond = s["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "InsufficientPods")


def test_evictions_spend_the_budget_then_429_with_upstream_body(cluster):
    store, kubelet, _, core = cluster
    pods = _ready_app(store, "web", 3)
    kubelet.auto_ready = False  # replacements stay unready, so the budget stays spent
    store.create("poddisruptionbudgets", _pdb("web-pdb", "web", minAvailable=2))
    wait_until(lambda: _status(store, "web-pdb", disruptionsAllowed=1), what="budget of 1")
    _evict(core, pods[0])
    pod = store.get("pods", NS, pods[0])
    assert pod["metadata"]["deletionTimestamp"]
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")
    assert (cond["status"], cond["reason"]) == ("True", "EvictionByEvictionAPI")
    s = wait_until(lambda: _status(store, "web-pdb", currentHealthy=2), what="status after the eviction")
    assert s["disruptionsAllowed"] == 0
    err = _evict_error(core, pods[1])
    assert err.status == 429
    assert json.loads(err.body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Cannot evict pod as it would violate the pod's disruption budget.",
        "reason": "TooManyRequests",
        "details": {"causes": [{"reason": "DisruptionBudget",
                                "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"}]},
        "code": 429,
    }
    assert "deletionTimestamp" not in store.get("pods", NS, pods[1])["metadata"]


def test_eviction_201_body_over_raw_http(cluster):
    store, _, _, core = cluster
    pods = _ready_app(store, "raw", 2)
    resp = core.api_client.call_api(
        f"/api/v1/namespaces/{NS}/pods/{pods[0]}/eviction", "POST",
        body={"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pods[0], "namespace": NS}},
        header_params={"Content-Type": "application/json"}, _preload_content=False, auth_settings=["BearerToken"])
    assert resp.status == 201
    assert json.loads(resp.data) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                        "code": 201}


def test_concurrent_evictions_cannot_both_spend_a_budget_of_one(cluster):
    store, kubelet, _, core = cluster
    pods = _ready_app(store, "race", 4)
    kubelet.auto_ready = False
    store.create("poddisruptionbudgets", _pdb("race-pdb", "race", minAvailable=3))
    wait_until(lambda: _status(store, "race-pdb", disruptionsAllowed=1), what="budget of 1")
    results: list[int] = []
    barrier = threading.Barrier(4)

    def evict(name: str) -> None:
        barrier.wait()
        try:
            _evict(core, name)
            results.append(201)
        except ApiException as exc:
            results.append(exc.status)

    threads = [threading.Thread(target=evict, args=(p,)) for p in pods]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == [201, 429, 429, 429]
    assert sum(1 for p in pods_of(store, "race") if p["metadata"].get("deletionTimestamp")) == 1


def test_stale_pdb_status_answers_429_with_retry_after(cluster):
    store, _, manager, core = cluster
    pods = _ready_app(store, "stale", 3)
    store.create("poddisruptionbudgets", _pdb("stale-pdb", "stale", minAvailable=1))
    wait_until(lambda: _status(store, "stale-pdb", disruptionsAllowed=2), what="budget of 2")
    manager.disruption.stop()  # the status can no longer catch up with the spec
    store.patch("poddisruptionbudgets", NS, "stale-pdb", {"spec": {"minAvailable": 2}})
    err = _evict_error(core, pods[0])
    assert err.status == 429 and err.headers["Retry-After"] == "10"
    body = json.loads(err.body)
    assert body["details"] == {"causes": [{"reason": "DisruptionBudget", "message":
                                           "The disruption budget stale-pdb is still being processed by the server."}],
                               "retryAfterSeconds": 10}


def test_several_matching_pdbs_answer_500(cluster):
    store, _, _, core = cluster
    pods = _ready_app(store, "multi", 2)
    store.create("poddisruptionbudgets", _pdb("one", "multi", minAvailable=1))
    store.create("poddisruptionbudgets", _pdb("two", "multi", maxUnavailable=1))
    err = _evict_error(core, pods[0])
    assert err.status == 500
    body = json.loads(err.body)
    assert body["reason"] == "InternalError"
    assert body["message"] == ("Internal error occurred: This pod has more than one PodDisruptionBudget, which the "
                               "eviction subresource does not support.")


def test_unready_pods_if_healthy_budget_vs_always_allow(cluster):
    store, kubelet, _, core = cluster
    pods = _ready_app(store, "sick", 3)
    kubelet.auto_ready = False
    store.create("poddisruptionbudgets", _pdb("sick-pdb", "sick", minAvailable=3))
    kubelet.set_ready(pods[0], False)
    wait_until(lambda: _status(store, "sick-pdb", currentHealthy=2, disruptionsAllowed=0), what="unhealthy budget")
    err = _evict_error(core, pods[0])  # IfHealthyBudget: 2 healthy < 3 desired -> the budget decides: 429
    assert err.status == 429
    store.patch("poddisruptionbudgets", NS, "sick-pdb", {"spec": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}})
    wait_until(lambda: _status(store, "sick-pdb", currentHealthy=2), what="status of the new generation")
    _evict(core, pods[0])  # AlwaysAllow: an unready pod may always go
    assert store.get("pods", NS, pods[0])["metadata"]["deletionTimestamp"]
    err = _evict_error(core, pods[1])  # a Ready pod still needs the budget
    assert err.status == 429


def test_unready_pod_evicted_without_spending_when_budget_is_healthy(cluster):
    store, kubelet, _, core = cluster
    pods = _ready_app(store, "ok", 3)
    store.create("poddisruptionbudgets", _pdb("ok-pdb", "ok", minAvailable=1))
    kubelet.auto_ready = False
    kubelet.set_ready(pods[0], False)
    wait_until(lambda: _status(store, "ok-pdb", currentHealthy=2, disruptionsAllowed=1), what="status")
    _evict(core, pods[0])  # IfHealthyBudget: 2 healthy >= 1 desired > 0: allowed, nothing spent
    s = store.get("poddisruptionbudgets", NS, "ok-pdb")["status"]
    assert s["disruptionsAllowed"] == 1 and "disruptedPods" not in s


def test_controller_events_are_served_as_events_k8s_io(cluster):
    store, _, _, core = cluster
    _ready_app(store, "ev", 1)
    events = client.EventsV1Api(core.api_client).list_namespaced_event(NS).items
    created = [e for e in events if e.reason == "SuccessfulCreate"]
    assert created and created[0].event_time is not None
    assert created[0].reporting_controller == "replicaset-controller"
    assert created[0].regarding.kind == "ReplicaSet" and created[0].note.startswith("Created pod: ev-")
    core_events = core.list_namespaced_event(NS).items
    scheduled = [e for e in core_events if e.reason == "Scheduled"]
    assert scheduled and scheduled[0].count == 1 and scheduled[0].involved_object.kind == "Pod"


def test_negative_disruptions_allowed_answers_403(cluster):
    store, _, manager, core = cluster
    pods = _ready_app(store, "neg", 2)
    store.create("poddisruptionbudgets", _pdb("neg-pdb", "neg", minAvailable=1))
    wait_until(lambda: _status(store, "neg-pdb", disruptionsAllowed=1), what="budget of 1")
    manager.disruption.stop()

    def _negative(pdb: dict[str, Any]) -> None:
        pdb["status"]["disruptionsAllowed"] = -1

    store.mutate("poddisruptionbudgets", NS, "neg-pdb", _negative, subresource="status")
    err = _evict_error(core, pods[0])
    assert err.status == 403
    body = json.loads(err.body)
    assert body["reason"] == "Forbidden"
    assert body["message"] == 'poddisruptionbudgets.policy "neg-pdb" is forbidden: pdb disruptions allowed is negative'
