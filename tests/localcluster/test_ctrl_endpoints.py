"""Endpoints controller: EndpointSlices per port set and core Endpoints, with upstream conditions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_ctrl_support import NS, PORTS, deployment, make_node, pods_of, start_cluster, wait_until


@pytest.fixture
def cluster():
    store, kubelet, manager = start_cluster(remove_terminating=False)
    make_node(store, "node-a", zone="zone-a")
    try:
        yield store, kubelet, manager
    finally:
        manager.stop()
        kubelet.close()


def _service(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"app": name}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}}


def _endpoints_by_pod(store, svc: str) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    out = {}
    for es in store.list("endpointslices", NS, label_selector=f"kubernetes.io/service-name={svc}"):
        for ep in es["endpoints"]:
            out[ep["targetRef"]["name"]] = (ep, es["ports"])
    return out


def test_slices_follow_pod_readiness_and_termination(cluster):
    store, kubelet, _ = cluster
    store.create("services", _service("shop"))
    store.create("deployments", deployment("shop", 2))
    eps = wait_until(lambda: (lambda e: e if len(e) == 2 and all(x[0]["conditions"]["ready"] for x in e.values())
                              else None)(_endpoints_by_pod(store, "shop")), what="2 ready endpoints")
    pods = {p["metadata"]["name"]: p for p in pods_of(store, "shop")}
    slices = store.list("endpointslices", NS, label_selector="kubernetes.io/service-name=shop")
    assert len(slices) == 2  # each pod has its own host ports: one slice per port set
    for name, (ep, ports) in eps.items():
        host = json.loads(pods[name]["metadata"]["annotations"][PORTS])["http"]
        assert ports == [{"name": "web", "port": host, "protocol": "TCP"}]
        assert ep["addresses"] == ["127.0.0.1"] and ep["nodeName"] == "node-a" and ep["zone"] == "zone-a"
        assert ep["targetRef"] == {"kind": "Pod", "namespace": NS, "name": name, "uid": pods[name]["metadata"]["uid"]}
        assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}
    es = slices[0]
    assert es["addressType"] == "IPv4" and es["metadata"]["ownerReferences"][0]["kind"] == "Service"
    first, second = sorted(eps)
    kubelet.set_ready(first, False)
    wait_until(lambda: _endpoints_by_pod(store, "shop")[first][0]["conditions"] ==
               {"ready": False, "serving": False, "terminating": False}, what="not-ready endpoint")
    kubelet.delete_pod(NS, second, 30)
    wait_until(lambda: _endpoints_by_pod(store, "shop")[second][0]["conditions"] ==
               {"ready": False, "serving": True, "terminating": True}, what="terminating endpoint still serving")
    core = wait_until(lambda: (lambda e: e if e and any(s.get("notReadyAddresses") for s in e.get("subsets", []))
                               and all(a["targetRef"]["name"] != second for s in e["subsets"]
                                       for a in s.get("addresses", [])) else None)(
        store.try_get("endpoints", NS, "shop")), what="core Endpoints")
    names = {a["targetRef"]["name"]: key for s in core["subsets"] for key in ("addresses", "notReadyAddresses")
             for a in s.get(key, [])}
    assert names[first] == "notReadyAddresses" and second not in names  # terminating pods leave core Endpoints
    store.delete("pods", NS, second)
    wait_until(lambda: second not in _endpoints_by_pod(store, "shop"), what="removed pod leaves the slices")


def test_service_without_pods_gets_an_empty_slice_and_endpoints_go_with_it(cluster):
    store, _, _ = cluster
    store.create("services", _service("lonely"))
    es = wait_until(lambda: store.list("endpointslices", NS, label_selector="kubernetes.io/service-name=lonely"),
                    what="placeholder slice")
    assert es[0]["endpoints"] == []
    wait_until(lambda: store.try_get("endpoints", NS, "lonely"), what="core Endpoints")
    store.delete("services", NS, "lonely")
    wait_until(lambda: store.try_get("endpoints", NS, "lonely") is None, what="Endpoints deleted with the Service")
