"""Wire-level behaviour with raw HTTP (httpx): client-37 quirks, PATCH types, discovery, auth, logs,
eviction and deletion hooks, server-side tables."""

import json
import re
import time

import httpx
import pytest

from localcluster.api import ApiServer, DeleteOptions, MemoryPodLogs, TooManyRequests, status_body

NS = "wire"


class GracefulDeleter:
    """A kubelet-style PodDeleter: grace > 0 marks the pod terminating, 0 removes it."""

    def delete_pod(self, store, namespace, name, options: DeleteOptions):
        grace = options.grace_period_seconds
        if grace is None:
            grace = store.get("pods", namespace, name)["spec"].get("terminationGracePeriodSeconds", 30)
        if grace > 0:
            return store.mark_deleting("pods", namespace, name, grace)
        return store.delete("pods", namespace, name, preconditions=options.preconditions)


class BudgetEviction:
    """An EvictionHandler that refuses pods labelled protected=true, as a PDB with no budget would."""

    def evict(self, store, namespace, name, eviction, deleter):
        pod = store.get("pods", namespace, name)
        if pod["metadata"].get("labels", {}).get("protected") == "true":
            raise TooManyRequests(
                "Cannot evict pod as it would violate the pod's disruption budget.",
                details={"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget web needs 2"}]},
                headers={"Retry-After": "10"},
            )
        deleter.delete_pod(store, namespace, name, DeleteOptions.from_body(eviction.get("deleteOptions")))
        return status_body(201, "", "")


@pytest.fixture(scope="module")
def server():
    logs = MemoryPodLogs()
    with ApiServer(pod_deleter=GracefulDeleter(), eviction_handler=BudgetEviction(), pod_logs=logs) as srv:
        srv.store.create("namespaces", {"metadata": {"name": NS}})
        yield srv


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def pod_body(name, containers=("c",), **labels):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": c, "image": "img:1", "env": [{"name": "A", "value": "1"}]}
                                for c in containers]},
    }


def post_raw(http, path, obj):
    """POST a JSON body with NO Content-Type header, as kubernetes client 37 does."""
    return http.post(path, content=json.dumps(obj).encode(), headers={"Content-Type": ""})


def test_post_and_delete_without_content_type(http):
    resp = post_raw(http, f"/api/v1/namespaces/{NS}/pods", pod_body("nocontent"))
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["status"]["conditions"] == [] and created["spec"]["volumes"] == []
    path = f"/api/v1/namespaces/{NS}/pods/nocontent"
    resp = http.request("DELETE", path, content=b"{}", headers={"Content-Type": ""})
    assert resp.status_code == 200
    terminating = resp.json()
    assert terminating["kind"] == "Pod"
    assert terminating["metadata"]["deletionGracePeriodSeconds"] == 30  # spec default grace
    resp = http.request("DELETE", f"/api/v1/namespaces/{NS}/pods/nocontent", content=b'{"gracePeriodSeconds": 0}')
    assert resp.status_code == 200 and resp.json()["metadata"]["name"] == "nocontent"
    assert http.get(f"/api/v1/namespaces/{NS}/pods/nocontent").status_code == 404


def test_delete_with_grace_period_goes_to_the_pod_deleter(http):
    assert post_raw(http, f"/api/v1/namespaces/{NS}/pods", pod_body("graceful")).status_code == 201
    resp = http.request("DELETE", f"/api/v1/namespaces/{NS}/pods/graceful", json={"gracePeriodSeconds": 5})
    meta = resp.json()["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 5 and meta["deletionTimestamp"].endswith("Z")
    listed = http.get(f"/api/v1/namespaces/{NS}/pods", params={"fieldSelector": "metadata.name=graceful"}).json()
    assert listed["items"][0]["metadata"]["deletionTimestamp"] == meta["deletionTimestamp"]
    http.request("DELETE", f"/api/v1/namespaces/{NS}/pods/graceful?gracePeriodSeconds=0")
    assert http.get(f"/api/v1/namespaces/{NS}/pods/graceful").status_code == 404


@pytest.mark.parametrize("flag", ["true", "True", "1"])
def test_watch_flag_spellings(server, flag):
    url = f"{server.url}/api/v1/namespaces/{NS}/pods?watch={flag}&timeoutSeconds=1"
    with httpx.stream("GET", url, timeout=5) as resp:
        assert resp.headers["transfer-encoding"] == "chunked"
        assert all(json.loads(line)["type"] == "ADDED" for line in resp.iter_lines() if line)


def test_json_integers_booleans_and_string_labels(http):
    dep = {
        "metadata": {"name": "strict", "labels": {"tier": "api"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "strict"}},
            "template": {"metadata": {"labels": {"app": "strict"}}, "spec": {"containers": [{"name": "c"}]}},
        },
    }
    body = http.post(f"/apis/apps/v1/namespaces/{NS}/deployments", json=dep).json()
    assert type(body["spec"]["replicas"]) is int and type(body["metadata"]["generation"]) is int
    assert body["spec"]["progressDeadlineSeconds"] == 600 and "spec" in body and "status" in body
    assert type(body["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]) is int
    node = http.post("/api/v1/nodes", json={"metadata": {"name": "strict-node"}, "spec": {"unschedulable": True}})
    assert node.json()["spec"]["unschedulable"] is True
    bad = http.post(f"/api/v1/namespaces/{NS}/pods", json=pod_body("badlabel", n=1))
    # upstream's decoder refuses it before validation: 400 with the Go field named
    assert bad.status_code == 400 and "cannot unmarshal number into Go struct field ObjectMeta.metadata.labels" \
        in bad.json()["message"]
    assert http.delete("/api/v1/nodes/strict-node").json()["status"] == "Success"


def test_patch_content_types(http):
    path = f"/api/v1/namespaces/{NS}/pods/patchy"
    assert http.post(f"/api/v1/namespaces/{NS}/pods", json=pod_body("patchy", containers=("a", "b"))).status_code == 201
    smp = {"spec": {"containers": [{"name": "b", "image": "img:2"}]}}
    resp = http.patch(path, json=smp, headers={"Content-Type": "application/strategic-merge-patch+json"})
    containers = resp.json()["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("a", "img:1"), ("b", "img:2")]
    assert containers[1]["env"] == [{"name": "A", "value": "1"}]  # merged by name, not replaced
    merge = {"metadata": {"labels": {"x": "1"}, "annotations": {"note": "hi"}}}
    resp = http.patch(path, json=merge, headers={"Content-Type": "application/merge-patch+json"})
    assert resp.json()["metadata"]["labels"] == {"x": "1"}
    unset = {"metadata": {"labels": {"x": None}}}
    resp = http.patch(path, json=unset, headers={"Content-Type": "application/merge-patch+json"})
    assert resp.json()["metadata"].get("labels", {}) == {}
    ops = [
        {"op": "test", "path": "/metadata/annotations/note", "value": "hi"},
        {"op": "add", "path": "/metadata/labels", "value": {"y": "2"}},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "img:3"},
        {"op": "remove", "path": "/metadata/annotations/note"},
    ]
    resp = http.patch(path, json=ops, headers={"Content-Type": "application/json-patch+json"})
    body = resp.json()
    assert body["metadata"]["labels"] == {"y": "2"} and body["spec"]["containers"][0]["image"] == "img:3"
    failing = [{"op": "test", "path": "/metadata/labels/y", "value": "nope"}]
    resp = http.patch(path, json=failing, headers={"Content-Type": "application/json-patch+json"})
    assert resp.status_code == 422 and resp.json()["reason"] == "Invalid"
    resp = http.patch(path, content=b"{}", headers={"Content-Type": "application/x-unknown-patch"})
    assert resp.status_code == 415 and resp.json()["kind"] == "Status"
    resp = http.patch(path, content=b"{}", headers={"Content-Type": "application/apply-patch+yaml"})
    assert resp.status_code == 422 and "fieldManager: Required value" in resp.json()["message"]  # apply needs one
    http.delete(f"{path}?gracePeriodSeconds=0")


def test_discovery_documents(http):
    assert http.get("/api").json()["versions"] == ["v1"]
    groups = {g["name"]: g["preferredVersion"]["version"] for g in http.get("/apis").json()["groups"]}
    expected = {"apps": "v1", "autoscaling": "v2", "policy": "v1", "discovery.k8s.io": "v1", "events.k8s.io": "v1",
                "coordination.k8s.io": "v1", "rbac.authorization.k8s.io": "v1", "authorization.k8s.io": "v1",
                "authentication.k8s.io": "v1", "metrics.k8s.io": "v1beta1"}
    assert groups == expected
    core = {r["name"]: r for r in http.get("/api/v1").json()["resources"]}
    assert {"pods", "pods/log", "pods/eviction", "pods/status", "nodes", "services", "endpoints", "events",
            "namespaces"} <= set(core)
    assert core["pods"]["shortNames"] == ["po"] and core["pods"]["namespaced"] is True
    assert core["nodes"]["namespaced"] is False
    assert core["pods/eviction"]["group"] == "policy"
    apps = {r["name"]: r for r in http.get("/apis/apps/v1").json()["resources"]}
    assert apps["deployments/scale"]["group"] == "autoscaling" and "watch" in apps["deployments"]["verbs"]
    assert http.get("/apis/apps").json()["kind"] == "APIGroup"
    assert http.get("/apis/batch/v1").status_code == 404
    version = http.get("/version").json()
    assert version["major"] == "1" and version["gitVersion"].startswith("v1.")
    for path in ("/healthz", "/readyz", "/livez"):
        assert http.get(path).text == "ok"


def test_errors_are_status_objects(http):
    resp = http.post(f"/api/v1/namespaces/{NS}/pods/some-name", json={})
    assert resp.status_code == 405 and resp.json()["reason"] == "MethodNotAllowed"
    resp = http.get("/api/v1/namespaces/x/widgets")
    assert resp.status_code == 404 and resp.json()["kind"] == "Status"
    resp = http.post(f"/api/v1/namespaces/{NS}/pods", content=b"{not json")
    assert resp.status_code == 400 and resp.json()["reason"] == "BadRequest"
    resp = http.get(f"/api/v1/namespaces/{NS}/pods", params={"labelSelector": "a in b"})
    assert resp.status_code == 400 and "unable to parse requirement" in resp.json()["message"]
    resp = http.get("/api/v1/nodes", params={"fieldSelector": "status.phase=Ready"})
    assert resp.status_code == 400 and "field label not supported" in resp.json()["message"]


def test_a_scale_put_with_a_list_body_is_a_bad_request(server, http):
    """A JSON list is a patch body, never a Scale: PUT answered 500 (an AttributeError) before mypy found it."""
    labels = {"app": "scale-put"}
    server.store.create("deployments", {"metadata": {"name": "scale-put", "namespace": NS}, "spec": {
        "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                                                          "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/scale-put/scale"
    resp = http.put(path, json=[{"op": "replace", "path": "/spec/replicas", "value": 2}])
    assert resp.status_code == 400 and "must be a JSON object" in resp.json()["message"]
    scale = http.get(path).json()
    scale["spec"]["replicas"] = 2
    assert http.put(path, json=scale).json()["spec"]["replicas"] == 2


def test_pod_logs(server, http):
    http.post(f"/api/v1/namespaces/{NS}/pods", json=pod_body("logger", containers=("main", "side")))
    logs = server.hooks.logs
    now_ns = time.time_ns()
    logs.append(NS, "logger", "main", "old line", time_ns=now_ns - 3600 * 10**9)
    logs.append(NS, "logger", "main", "new line", time_ns=now_ns)
    path = f"/api/v1/namespaces/{NS}/pods/logger/log"
    resp = http.get(path, params={"container": "main", "follow": "false", "previous": "false", "timestamps": "true"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    lines = resp.text.splitlines()
    assert [ln.split(" ", 1)[1] for ln in lines] == ["old line", "new line"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", lines[0].split(" ")[0])
    recent = http.get(path, params={"container": "main", "sinceSeconds": "60", "timestamps": "True"}).text
    assert recent.endswith(" new line\n") and "old line" not in recent
    assert http.get(path, params={"container": "main", "tailLines": "1"}).text == "new line\n"
    resp = http.get(path)
    assert resp.status_code == 400 and "choose one of: [main side]" in resp.json()["message"]
    with httpx.stream("GET", f"{server.url}{path}?container=main&follow=true&tailLines=0", timeout=5) as stream:
        logs.append(NS, "logger", "main", "streamed line")
        for line in stream.iter_lines():
            assert line == "streamed line"
            break
    http.delete(f"{path.removesuffix('/log')}?gracePeriodSeconds=0")


def test_eviction_goes_through_the_handler(http):
    for name, protected in (("evictable", "false"), ("protected", "true")):
        http.post(f"/api/v1/namespaces/{NS}/pods", json=pod_body(name, protected=protected))
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "deleteOptions": {"gracePeriodSeconds": 0}}
    resp = post_raw(http, f"/api/v1/namespaces/{NS}/pods/evictable/eviction",
                    {**eviction, "metadata": {"name": "evictable", "namespace": NS}})
    assert resp.status_code == 201
    assert resp.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    assert http.get(f"/api/v1/namespaces/{NS}/pods/evictable").status_code == 404
    resp = post_raw(http, f"/api/v1/namespaces/{NS}/pods/protected/eviction",
                    {**eviction, "metadata": {"name": "protected", "namespace": NS}})
    assert resp.status_code == 429 and resp.headers["retry-after"] == "10"
    assert resp.json()["reason"] == "TooManyRequests"
    assert resp.json()["details"]["causes"][0]["reason"] == "DisruptionBudget"
    resp = post_raw(http, f"/api/v1/namespaces/{NS}/pods/protected/eviction", {"metadata": {"name": "other"}})
    assert resp.status_code == 400
    assert post_raw(http, f"/api/v1/namespaces/{NS}/pods/ghost/eviction", eviction).status_code == 404
    http.delete(f"/api/v1/namespaces/{NS}/pods/protected?gracePeriodSeconds=0")


def test_binding_and_delete_collection(http):
    for name in ("bind-a", "bind-b"):
        http.post(f"/api/v1/namespaces/{NS}/pods", json=pod_body(name, group="bind"))
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bind-a"}, "target": {"name": "node-1"}}
    assert http.post(f"/api/v1/namespaces/{NS}/pods/bind-a/binding", json=binding).status_code == 201
    assert http.get(f"/api/v1/namespaces/{NS}/pods/bind-a").json()["spec"]["nodeName"] == "node-1"
    assert http.post(f"/api/v1/namespaces/{NS}/pods/bind-a/binding", json=binding).status_code == 400
    resp = http.request("DELETE", f"/api/v1/namespaces/{NS}/pods?labelSelector=group%3Dbind&gracePeriodSeconds=0")
    assert resp.status_code == 200 and len(resp.json()["items"]) == 2
    assert http.get(f"/api/v1/namespaces/{NS}/pods", params={"labelSelector": "group=bind"}).json()["items"] == []


def test_table_responses(http):
    http.post(f"/api/v1/namespaces/{NS}/pods", json=pod_body("tabled"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    doc = http.get(f"/api/v1/namespaces/{NS}/pods", headers={"Accept": accept}).json()
    assert doc["kind"] == "Table" and doc["columnDefinitions"][0]["name"] == "Name"
    row = next(r for r in doc["rows"] if r["cells"][0] == "tabled")
    assert row["cells"][1:4] == ["0/1", "Pending", 0]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == "tabled"
    http.delete(f"/api/v1/namespaces/{NS}/pods/tabled?gracePeriodSeconds=0")


def test_bearer_token_auth():
    with ApiServer(token="s3cret-token") as srv, httpx.Client(base_url=srv.url, timeout=5) as c:
        denied = c.get("/api/v1/namespaces")
        assert denied.status_code == 401 and denied.json()["reason"] == "Unauthorized"
        assert c.get("/api/v1/namespaces", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.get("/api/v1/namespaces", headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()["kind"] == "NamespaceList"
        assert c.get("/healthz").status_code == 200
