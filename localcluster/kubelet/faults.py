"""The node fault API over HTTP (what `afsuite cluster fail-node/fail-zone/recover` and tests call).

A fault is the node annotation `localcluster.agentflow.dev/fault: fail`, written through the ordinary
Kubernetes API, so `kubectl annotate node node-a1 localcluster.agentflow.dev/fault=fail` does the same.
"""

from __future__ import annotations

from typing import Any

import httpx

from .config import FAULT_ANNOTATION

__all__ = ["fail_node", "fail_zone", "failed_nodes", "recover"]

ZONE_LABEL = "topology.kubernetes.io/zone"
_MERGE = {"Content-Type": "application/merge-patch+json"}


def _client(api_url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=10.0)


def _nodes(client: httpx.Client, selector: str | None = None) -> list[dict[str, Any]]:
    resp = client.get("/api/v1/nodes", params={"labelSelector": selector} if selector else None)
    resp.raise_for_status()
    return list(resp.json().get("items") or [])


def _annotate(client: httpx.Client, name: str, value: str | None) -> None:
    body = {"metadata": {"annotations": {FAULT_ANNOTATION: value}}}
    resp = client.patch(f"/api/v1/nodes/{name}", json=body, headers=_MERGE)
    if resp.status_code == 404:
        raise ValueError(f"node {name!r} does not exist; `kubectl get nodes` lists the nodes")
    resp.raise_for_status()


def fail_node(api_url: str, name: str, token: str | None = None) -> list[str]:
    """Hard-fail one node (its pod processes are SIGKILLed, its heartbeats stop); returns [name]."""
    with _client(api_url, token) as client:
        _annotate(client, name, "fail")
    return [name]


def fail_zone(api_url: str, zone: str, token: str | None = None) -> list[str]:
    """Hard-fail every node of `zone`; returns their names."""
    with _client(api_url, token) as client:
        nodes = _nodes(client, f"{ZONE_LABEL}={zone}")
        if not nodes:
            zones = sorted({(n["metadata"].get("labels") or {}).get(ZONE_LABEL, "") for n in _nodes(client)})
            raise ValueError(f"zone {zone!r} has no nodes; zones: {', '.join(z for z in zones if z) or 'none'}")
        names = [n["metadata"]["name"] for n in nodes]
        for name in names:
            _annotate(client, name, "fail")
    return names


def failed_nodes(api_url: str, token: str | None = None) -> list[str]:
    """Nodes currently carrying the fault annotation."""
    with _client(api_url, token) as client:
        return [n["metadata"]["name"] for n in _nodes(client)
                if (n["metadata"].get("annotations") or {}).get(FAULT_ANNOTATION) == "fail"]


def recover(api_url: str, names: list[str] | None = None, token: str | None = None) -> list[str]:
    """Remove the fault from `names` (None = every failed node); returns the nodes recovered."""
    targets = failed_nodes(api_url, token) if names is None else list(names)
    with _client(api_url, token) as client:
        for name in targets:
            _annotate(client, name, None)
    return targets
