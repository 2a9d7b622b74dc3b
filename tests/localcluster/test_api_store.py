"""The store's in-process API (what controllers, the kubelet and the scheduler use)."""

import threading
import time

import pytest

from localcluster.api import AlreadyExists, BadRequest, Conflict, Forbidden, Invalid, NotFound, Store
from localcluster.api.gc import GarbageCollector
from localcluster.api.namespaces import NamespaceController


def wait_until(pred, timeout=5.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()


def deployment(name="web", replicas=2, ns="default"):
    labels = {"app": name}
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
        },
    }


def pod(name, ns="default", labels=None, node=None):
    spec = {"containers": [{"name": "c", "image": "i"}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {}}, "spec": spec}


@pytest.fixture
def store():
    s = Store()
    s.create("namespaces", {"metadata": {"name": "default"}})
    s.create("namespaces", {"metadata": {"name": "other"}})
    yield s
    s.close()


def test_create_sets_metadata_and_one_global_resource_version(store):
    before = int(store.resource_version)
    d = store.create("deployments", deployment())
    p = store.create("pods", pod("p1"))
    meta = d["metadata"]
    assert meta["uid"] and meta["generation"] == 1
    assert len(meta["creationTimestamp"]) == 20 and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) == before + 1
    assert int(p["metadata"]["resourceVersion"]) == before + 2 == int(store.resource_version)
    assert d["apiVersion"] == "apps/v1" and d["kind"] == "Deployment"
    assert p["spec"]["volumes"] == [] and p["status"]["conditions"] == []


def test_names_resolve_by_plural_kind_short_and_key(store):
    store.create("deploy", deployment("a"))
    for name in ("deployments", "Deployment", "deployments.apps", "apps/v1/deployments", "deploy"):
        assert store.get(name, "default", "a")["metadata"]["name"] == "a"


def test_copies_in_and_out(store):
    body = pod("p1", labels={"a": "1"})
    created = store.create("pods", body)
    body["metadata"]["labels"]["a"] = "changed"
    created["metadata"]["labels"]["a"] = "changed"
    got = store.get("pods", "default", "p1")
    assert got["metadata"]["labels"]["a"] == "1"
    got["spec"]["containers"].clear()
    assert store.list("pods")[0]["spec"]["containers"]


def test_generation_bumps_on_spec_change_only(store):
    store.create("deployments", deployment())
    d = store.patch("deployments", "default", "web", {"metadata": {"labels": {"x": "y"}}})
    assert d["metadata"]["generation"] == 1
    d = store.patch("deployments", "default", "web", {"spec": {"replicas": 5}})
    assert d["metadata"]["generation"] == 2
    d["status"] = {"observedGeneration": 2, "replicas": 5, "availableReplicas": 0}
    s = store.update_status("deployments", d)
    assert s["metadata"]["generation"] == 2
    assert s["status"] == {"observedGeneration": 2, "replicas": 5}  # zero fields omitted


def test_main_resource_ignores_status_and_status_ignores_spec(store):
    store.create("deployments", deployment())
    d = store.get("deployments", "default", "web")
    d["status"] = {"replicas": 9}
    d["spec"]["replicas"] = 3
    after = store.update("deployments", d)
    assert after["spec"]["replicas"] == 3 and "replicas" not in after["status"]
    after["spec"]["replicas"] = 7
    after["status"] = {"replicas": 3}
    s = store.update_status("deployments", after)
    assert s["spec"]["replicas"] == 3 and s["status"]["replicas"] == 3


def test_noop_update_keeps_resource_version(store):
    d = store.create("deployments", deployment())
    again = store.update("deployments", d)
    assert again["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]


def test_stale_resource_version_conflicts(store):
    d = store.create("deployments", deployment())
    store.patch("deployments", "default", "web", {"spec": {"replicas": 3}})
    d["spec"]["replicas"] = 4
    with pytest.raises(Conflict):
        store.update("deployments", d)
    with pytest.raises(Conflict):
        store.delete("deployments", "default", "web", preconditions={"uid": "nope"})


def test_errors(store):
    store.create("pods", pod("p1"))
    with pytest.raises(AlreadyExists):
        store.create("pods", pod("p1"))
    with pytest.raises(NotFound):
        store.get("pods", "default", "missing")
    with pytest.raises(NotFound, match='namespaces "nowhere" not found'):
        store.create("pods", pod("p1", ns="nowhere"))
    with pytest.raises(Invalid):
        store.create("pods", pod("Bad_Name"))
    bad = deployment()
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(Invalid, match="selector"):
        store.create("deployments", bad)
    with pytest.raises(BadRequest):
        store.create("pods", pod("p2", ns="other"), namespace="default")


def test_generate_name(store):
    p = store.create("pods", {"metadata": {"generateName": "web-", "namespace": "default"}, "spec": {}})
    assert p["metadata"]["name"].startswith("web-") and len(p["metadata"]["name"]) == 9


def test_list_sorted_and_filtered(store):
    for ns, name, node in [("other", "b", "n1"), ("default", "c", "n2"), ("default", "a", "n1")]:
        store.create("pods", pod(name, ns=ns, labels={"tier": name}, node=node))
    assert [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in store.list("pods")] == [
        ("default", "a"),
        ("default", "c"),
        ("other", "b"),
    ]
    assert [p["metadata"]["name"] for p in store.list("pods", field_selector="spec.nodeName=n1")] == ["a", "b"]
    assert [p["metadata"]["name"] for p in store.list("pods", "default", label_selector="tier in (a,b)")] == ["a"]
    sel = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}
    assert [p["metadata"]["name"] for p in store.list("pods", label_selector=sel)] == ["c", "b"]


def test_mutate_is_atomic_under_concurrency(store):
    store.create("deployments", deployment(replicas=0))

    def increment(d):
        d["spec"]["replicas"] += 1

    def bump():
        for _ in range(50):
            store.mutate("deployments", "default", "web", increment)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("deployments", "default", "web")["spec"]["replicas"] == 200


def test_finalizers_hold_deletion(store):
    p = pod("p1")
    p["metadata"]["finalizers"] = ["example.com/hold"]
    store.create("pods", p)
    held = store.delete("pods", "default", "p1")
    assert held["metadata"]["deletionTimestamp"]
    assert store.get("pods", "default", "p1")["metadata"]["deletionTimestamp"]
    store.patch("pods", "default", "p1", {"metadata": {"finalizers": None}})
    assert store.try_get("pods", "default", "p1") is None


def test_mark_deleting_only_shortens(store):
    store.create("pods", pod("p1"))
    first = store.mark_deleting("pods", "default", "p1", 30)
    assert first["metadata"]["deletionGracePeriodSeconds"] == 30
    same = store.mark_deleting("pods", "default", "p1", 60)
    assert same["metadata"]["deletionGracePeriodSeconds"] == 30
    assert store.mark_deleting("pods", "default", "p1", 0)["metadata"]["deletionGracePeriodSeconds"] == 0


def test_watch_replay_modify_leave_and_delete(store):
    store.create("pods", pod("a", labels={"app": "web"}))
    store.create("pods", pod("b", labels={"app": "db"}))
    with store.watch("pods", "default", label_selector="app=web") as w:
        first = w.next(1)
        assert (first.type, first.name) == ("ADDED", "a")
        store.patch("pods", "default", "b", {"metadata": {"labels": {"app": "web"}}})  # enters: ADDED
        store.patch("pods", "default", "a", {"metadata": {"annotations": {"x": "1"}}})  # MODIFIED
        store.patch("pods", "default", "a", {"metadata": {"labels": {"app": "db"}}})  # leaves: DELETED
        store.delete("pods", "default", "b")
        got = [(e.type, e.name) for e in (w.next(1) for _ in range(4))]
        assert got == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "a"), ("DELETED", "b")]
        assert w.next(0.05) is None


def test_watch_resumes_from_resource_version_and_expires():
    small = Store(history=5, require_namespace=False)
    small.create("pods", pod("p0"))
    rv = small.resource_version
    for i in range(1, 4):
        small.create("pods", pod(f"p{i}"))
    with small.watch("pods", resource_version=rv) as w:
        assert [w.next(1).name for _ in range(3)] == ["p1", "p2", "p3"]
        assert w.next(0.05) is None
    for i in range(4, 12):
        small.create("pods", pod(f"p{i}"))
    with small.watch("pods", resource_version=rv) as w:
        event = w.next(1)
        assert event.type == "ERROR" and event.object["code"] == 410 and event.object["reason"] == "Expired"
        assert w.next(0.05) is None
    with small.watch("pods", resource_version="999999") as w:  # from a previous server's life: relist
        assert w.next(1).object["code"] == 410


def test_subscribe_delivers_in_order(store):
    seen = []
    sub = store.subscribe(lambda e: seen.append((e.type, e.name)), "pods")
    try:
        store.create("pods", pod("a"))
        store.patch("pods", "default", "a", {"metadata": {"labels": {"x": "1"}}})
        store.delete("pods", "default", "a")
        assert wait_until(lambda: len(seen) == 3)
        assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    finally:
        sub.close()
    assert store.watcher_count == 0


def test_orphan_and_background_propagation(store):
    gc = GarbageCollector(store).start()
    try:
        rs = store.create("replicasets", {**deployment("rs1"), "kind": "ReplicaSet"})
        ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs1", "uid": rs["metadata"]["uid"]}
        for name in ("p1", "p2"):
            p = pod(name)
            p["metadata"]["ownerReferences"] = [{**ref, "controller": True}]
            store.create("pods", p)
        store.delete("replicasets", "default", "rs1")
        assert wait_until(lambda: not store.list("pods"))
        rs = store.create("replicasets", {**deployment("rs2"), "kind": "ReplicaSet"})
        p = pod("p3")
        p["metadata"]["ownerReferences"] = [{**ref, "name": "rs2", "uid": rs["metadata"]["uid"]}]
        store.create("pods", p)
        store.delete("replicasets", "default", "rs2", propagation_policy="Orphan")
        assert store.get("pods", "default", "p3")["metadata"]["ownerReferences"] == []
    finally:
        gc.stop()


def test_node_cordon_taint(store):
    store.create("nodes", {"metadata": {"name": "n1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    n = store.patch("nodes", None, "n1", {"spec": {"unschedulable": True}}, "application/strategic-merge-patch+json")
    assert n["spec"]["taints"][0]["key"] == "node.kubernetes.io/unschedulable"
    assert n["status"]["conditions"][0]["type"] == "Ready"  # status survives (set on create for nodes)
    n = store.patch("nodes", None, "n1", {"spec": {"unschedulable": False}})
    assert n["spec"] == {}


def test_namespace_deletion_terminates_then_the_controller_empties_and_removes_it(store):
    store.create("pods", pod("p1", ns="other"))
    ns = store.delete("namespaces", None, "other")
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    assert [p["metadata"]["name"] for p in store.list("pods", "other")] == ["p1"]  # nothing killed yet
    with pytest.raises(Forbidden, match="because it is being terminated"):
        store.create("pods", pod("p2", ns="other"))
    controller = NamespaceController(store, lambda rt, ns, name, opts: store.delete(rt, ns, name)).start()
    try:
        deadline = time.monotonic() + 10
        while store.try_get("namespaces", None, "other") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.try_get("namespaces", None, "other") is None
        assert store.list("pods", "other") == []
    finally:
        controller.stop()


def test_dry_run_writes_store_nothing(store):
    rv = store.resource_version
    created = store.create("pods", pod("dry"), dry_run=True)
    assert created["metadata"]["uid"] and "resourceVersion" not in created["metadata"]
    assert store.try_get("pods", "default", "dry") is None and store.resource_version == rv
    store.create("pods", pod("real"))
    rv = store.resource_version
    patched = store.patch("pods", "default", "real", {"metadata": {"labels": {"x": "1"}}}, dry_run=True)
    assert patched["metadata"]["labels"] == {"x": "1"}
    assert "labels" not in store.get("pods", "default", "real")["metadata"]
    assert store.delete("pods", "default", "real", dry_run=True)["metadata"]["name"] == "real"
    assert store.try_get("pods", "default", "real") is not None and store.resource_version == rv
    with pytest.raises(AlreadyExists):
        store.create("pods", pod("real"), dry_run=True)  # dry runs check everything a real write checks
