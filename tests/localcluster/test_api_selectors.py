"""Label and field selectors over HTTP with the typed kubernetes client."""

import json

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from localcluster.api import ApiServer, write_kubeconfig

PODS = [
    # namespace, name, labels, node, phase
    ("a", "api-1", {"app": "api", "tier": "front"}, "node-1", "Running"),
    ("a", "api-2", {"app": "api", "tier": "front", "canary": "true"}, "node-2", "Pending"),
    ("a", "db-1", {"app": "db"}, "node-1", "Running"),
    ("b", "api-3", {"app": "api"}, "node-2", "Running"),
    ("b", "cache-1", {"app": "cache", "tier": "back"}, "node-3", "Failed"),
]


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    with ApiServer() as server:
        store = server.store
        for ns in ("a", "b"):
            store.create("namespaces", {"metadata": {"name": ns}})
        for ns, name, labels, node, phase in PODS:
            store.create("pods", {"metadata": {"name": name, "namespace": ns, "labels": labels},
                                  "spec": {"nodeName": node, "containers": [{"name": "c"}]},
                                  "status": {"phase": phase}})
        store.create("nodes", {"metadata": {"name": "node-1"}, "spec": {"unschedulable": True}})
        store.create("nodes", {"metadata": {"name": "node-2"}})
        kubeconfig = write_kubeconfig(tmp_path_factory.mktemp("kube") / "config", server.url)
        api = config.new_client_from_config(str(kubeconfig))
        try:
            yield client.CoreV1Api(api)
        finally:
            api.close()


def names(pod_list):
    return [f"{p.metadata.namespace}/{p.metadata.name}" for p in pod_list.items]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=api", ["a/api-1", "a/api-2", "b/api-3"]),
        ("app==api,tier=front", ["a/api-1", "a/api-2"]),
        ("app!=api", ["a/db-1", "b/cache-1"]),
        ("app in (db, cache)", ["a/db-1", "b/cache-1"]),
        ("app notin (api,db)", ["b/cache-1"]),
        ("tier", ["a/api-1", "a/api-2", "b/cache-1"]),
        ("!tier", ["a/db-1", "b/api-3"]),
        ("app=api,!canary", ["a/api-1", "b/api-3"]),
        ("app=nothing", []),
    ],
)
def test_label_selectors(v1, selector, expected):
    assert names(v1.list_pod_for_all_namespaces(label_selector=selector)) == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("spec.nodeName=node-1", ["a/api-1", "a/db-1"]),
        ("spec.nodeName==node-2,metadata.namespace=b", ["b/api-3"]),
        ("status.phase!=Running", ["a/api-2", "b/cache-1"]),
        ("metadata.name=api-2", ["a/api-2"]),
    ],
)
def test_pod_field_selectors(v1, selector, expected):
    assert names(v1.list_pod_for_all_namespaces(field_selector=selector)) == expected


def test_namespaced_list_with_both_selectors(v1):
    found = v1.list_namespaced_pod("a", label_selector="app=api", field_selector="status.phase=Running")
    assert names(found) == ["a/api-1"]


def test_node_field_selectors_and_no_selector_selects_all(v1):
    assert [n.metadata.name for n in v1.list_node().items] == ["node-1", "node-2"]
    assert [n.metadata.name for n in v1.list_node(field_selector="spec.unschedulable=true").items] == ["node-1"]
    assert [n.metadata.name for n in v1.list_node(field_selector="spec.unschedulable=false").items] == ["node-2"]
    assert [n.metadata.name for n in v1.list_node(field_selector="metadata.name=node-2").items] == ["node-2"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"label_selector": "app in api"}, "unable to parse requirement"),
        ({"label_selector": "app=api,"}, "unable to parse requirement"),
        ({"label_selector": "a b"}, "unable to parse requirement"),
        ({"field_selector": "spec.containers=x"}, "field label not supported: spec.containers"),
        ({"field_selector": "nonsense"}, "invalid selector"),
    ],
)
def test_bad_selectors_are_400(v1, kwargs, fragment):
    with pytest.raises(ApiException) as err:
        v1.list_pod_for_all_namespaces(**kwargs)
    body = json.loads(err.value.body)
    assert err.value.status == 400 and body["reason"] == "BadRequest" and fragment in body["message"]


def test_unknown_field_for_other_kinds_is_400(v1):
    with pytest.raises(ApiException) as err:
        v1.list_namespaced_service("a", field_selector="spec.nodeName=node-1")
    assert err.value.status == 400
    with pytest.raises(ApiException) as err:
        v1.list_node(field_selector="status.phase=Running")
    assert err.value.status == 400
