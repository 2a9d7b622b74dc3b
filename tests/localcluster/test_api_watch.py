"""Watch over HTTP with kubernetes.watch.Watch and raw httpx streams."""

import json
import time

import httpx
import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from localcluster.api import ApiServer, Store, write_kubeconfig

NS = "w"


def wait_until(pred, timeout=5.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()


@pytest.fixture
def cluster(tmp_path):
    store = Store(history=50)
    with ApiServer(store, bookmark_interval=0.2) as server:
        store.create("namespaces", {"metadata": {"name": NS}})
        kubeconfig = write_kubeconfig(tmp_path / "config", server.url)
        api = config.new_client_from_config(str(kubeconfig))
        try:
            yield server, client.CoreV1Api(api)
        finally:
            api.close()


def pod(name, **labels):
    return {"metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": {"containers": [{"name": "c"}]}}


def test_replay_modify_delete_and_selector_leaving(cluster):
    server, v1 = cluster
    store = server.store
    store.create("pods", pod("a", app="web"))
    store.create("pods", pod("b", app="web"))
    store.create("pods", pod("c", app="db"))
    w = watch.Watch()
    seen = []
    for event in w.stream(v1.list_namespaced_pod, NS, label_selector="app=web", timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name))
        assert isinstance(event["object"], client.V1Pod)
        if len(seen) == 2:  # the replay is complete: now change things
            store.patch("pods", NS, "a", {"metadata": {"annotations": {"touched": "yes"}}})
            store.patch("pods", NS, "b", {"metadata": {"labels": {"app": "db"}}})  # leaves the selection
            store.patch("pods", NS, "c", {"metadata": {"labels": {"app": "web"}}})  # enters it
            store.delete("pods", NS, "a")
        if len(seen) == 6:
            w.stop()
    assert seen == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("MODIFIED", "a"),
        ("DELETED", "b"),
        ("ADDED", "c"),
        ("DELETED", "a"),
    ]


def test_resume_from_resource_version_sends_only_later_changes(cluster):
    server, v1 = cluster
    server.store.create("pods", pod("old"))
    rv = v1.list_namespaced_pod(NS).metadata.resource_version
    server.store.create("pods", pod("new"))
    server.store.delete("pods", NS, "old")
    events = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(v1.list_namespaced_pod, NS, resource_version=rv, timeout_seconds=1)
    ]
    assert events == [("ADDED", "new"), ("DELETED", "old")]


def test_expired_resource_version_is_410(cluster):
    server, v1 = cluster
    server.store.create("pods", pod("first"))
    rv = v1.list_namespaced_pod(NS).metadata.resource_version
    for i in range(60):  # more writes than the history (50) keeps
        server.store.patch("pods", NS, "first", {"metadata": {"annotations": {"n": str(i)}}})
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(v1.list_namespaced_pod, NS, resource_version=rv, timeout_seconds=5):
            pass
    assert err.value.status == 410 and "Expired" in err.value.reason


def test_expired_event_on_the_wire(cluster):
    server, _ = cluster
    server.store.create("pods", pod("x"))
    for i in range(60):
        server.store.patch("pods", NS, "x", {"metadata": {"annotations": {"n": str(i)}}})
    url = f"{server.url}/api/v1/namespaces/{NS}/pods?watch=true&resourceVersion=1"
    with httpx.stream("GET", url, timeout=5) as resp:
        assert resp.status_code == 200
        lines = [json.loads(line) for line in resp.iter_lines() if line]
    assert len(lines) == 1 and lines[0]["type"] == "ERROR"
    assert lines[0]["object"]["code"] == 410 and lines[0]["object"]["reason"] == "Expired"


def test_timeout_seconds_is_honoured(cluster):
    _, v1 = cluster
    start = time.monotonic()
    events = list(watch.Watch().stream(v1.list_namespaced_pod, NS, timeout_seconds=1))
    elapsed = time.monotonic() - start
    assert events == []
    assert 0.9 <= elapsed < 4, elapsed


def test_watch_without_timeout_stays_open_and_is_released_on_disconnect(cluster):
    server, _ = cluster
    url = f"{server.url}/api/v1/namespaces/{NS}/pods?watch=True"
    baseline = server.store.watcher_count  # the garbage collector's own subscription
    with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=1.5)) as resp:
        assert resp.headers["transfer-encoding"] == "chunked"
        assert wait_until(lambda: server.store.watcher_count == baseline + 1)
        with pytest.raises(httpx.ReadTimeout):  # no event and no early close within the read timeout
            for _ in resp.iter_lines():
                pass
    assert wait_until(lambda: server.store.watcher_count == baseline, timeout=5)


def test_bookmarks_carry_the_resource_version(cluster):
    server, _ = cluster
    server.store.create("pods", pod("a"))
    url = f"{server.url}/api/v1/namespaces/{NS}/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=3"
    with httpx.stream("GET", url, timeout=5) as resp:
        for line in resp.iter_lines():
            event = json.loads(line)
            if event["type"] == "BOOKMARK":
                break
    assert event["object"]["kind"] == "Pod"
    assert int(event["object"]["metadata"]["resourceVersion"]) >= 1


def test_watch_bad_selector_is_400(cluster):
    server, _ = cluster
    resp = httpx.get(f"{server.url}/api/v1/pods?watch=true&fieldSelector=spec.bogus=1", timeout=5)
    assert resp.status_code == 400 and resp.json()["reason"] == "BadRequest"
    assert "spec.bogus" in resp.json()["message"]


def test_all_namespaces_deployment_watch_with_field_selector(cluster, tmp_path):
    server, v1 = cluster
    apps = client.AppsV1Api(v1.api_client)
    labels = {"app": "web"}
    dep = {
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c"}]}},
        },
    }
    server.store.create("deployments", dep)
    w = watch.Watch()
    types = []
    stream = w.stream(apps.list_deployment_for_all_namespaces, field_selector="metadata.name=web", timeout_seconds=5)
    for event in stream:
        types.append(event["type"])
        if event["type"] == "ADDED":
            server.store.patch("deployments", NS, "web", {"status": {"availableReplicas": 1}}, subresource="status")
        else:
            assert event["object"].status.available_replicas == 1
            w.stop()
    assert types == ["ADDED", "MODIFIED"]
