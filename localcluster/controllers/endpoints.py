"""Endpoints controller: EndpointSlices (discovery.k8s.io/v1) and core/v1 Endpoints for every Service
with a selector, from the pods it selects.

The local kubelet runs every pod on 127.0.0.1 with host ports of its own, recorded in the pod annotation
`localcluster.agentflow.dev/ports` (`{"<port name>": hostPort, "<containerPort>": hostPort}`), so the
port of an endpoint is the pod's HOST port for the Service's targetPort, and pods differ in ports: one
EndpointSlice is kept per distinct port set (named `<service>-<5 chars of the port set's hash>`).
Conditions as upstream: serving = pod Ready; ready = serving and not terminating; terminating =
deletionTimestamp set; terminating pods stay in the slices (ready=false) but leave the core Endpoints.
Pods without podIP or in a terminal phase are left out. Slices carry an ownerReference to the Service
(the garbage collector removes them with it); Endpoints of a deleted Service are deleted here.
Not modelled: publishNotReadyAddresses for slices' ready flag, hints, dual stack, maxEndpointsPerSlice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from ..api import ApiError, Conflict, NotFound, Store
from ..api.objects import NAME_ALPHABET
from ..selectors import match_label_selector
from . import podutil as pu
from .base import Controller

__all__ = ["PORTS_ANNOTATION", "EndpointsController", "host_port"]

log = logging.getLogger(__name__)

PORTS_ANNOTATION = "localcluster.agentflow.dev/ports"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
ZONE_LABEL = "topology.kubernetes.io/zone"
PortSet = tuple[tuple[str, int, str], ...]


def host_port(pod: Mapping[str, Any], target: Any) -> int | None:
    """The pod's host port for a Service targetPort (name or number), or None when it has none."""
    raw = (pod.get("metadata", {}).get("annotations") or {}).get(PORTS_ANNOTATION)
    ports: dict[str, Any] = {}
    if raw:
        try:
            ports = json.loads(raw)
        except ValueError:
            log.warning("pod %s: annotation %s is not JSON", pod["metadata"]["name"], PORTS_ANNOTATION)
    value = ports.get(str(target))
    if isinstance(value, int):
        return value
    if isinstance(target, int) or str(target).isdigit():
        return int(target)  # no kubelet mapping: the container port itself, as upstream
    for c in (pod.get("spec") or {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == target:
                return int(p["containerPort"])
    return None


def _port_set(service: Mapping[str, Any], pod: Mapping[str, Any]) -> PortSet:
    out = []
    for sp in service["spec"].get("ports") or ():
        port = host_port(pod, sp.get("targetPort", sp.get("port")))
        if port is not None:
            out.append((sp.get("name", ""), port, sp.get("protocol", "TCP")))
    return tuple(out)


def _slice_name(service: str, ports: PortSet) -> str:
    digest = hashlib.sha1(repr(ports).encode()).hexdigest()
    alphabet = NAME_ALPHABET
    return f"{service}-" + "".join(alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 10, 2))


class EndpointsController(Controller):
    name = "endpoints"
    kinds = ("v1/services", "v1/pods", "v1/nodes", "discovery.k8s.io/v1/endpointslices", "v1/endpoints")

    def __init__(self, store: Store, *, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self._seen_services: set[tuple[str, str]] = set()

    def reconcile(self) -> None:
        zones = {n["metadata"]["name"]: (n["metadata"].get("labels") or {}).get(ZONE_LABEL)
                 for n in self.store.list("nodes")}
        pods_by_ns: dict[str, list[dict[str, Any]]] = {}
        for pod in self.store.list("pods"):
            pods_by_ns.setdefault(pod["metadata"]["namespace"], []).append(pod)
        services = self.store.list("services")
        current = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in services}
        for svc in services:
            if not svc["spec"].get("selector") or pu.is_terminating(svc):  # no selector: Endpoints are manual
                continue
            try:
                self.sync(svc, pods_by_ns.get(svc["metadata"]["namespace"], []), zones)
            except (Conflict, NotFound):
                self.wake()
            except ApiError as exc:
                log.warning("endpoints for service %s: %s", svc["metadata"]["name"], exc.message)
        for ns, name in self._seen_services - current:
            try:
                self.store.delete("endpoints", ns, name)
            except NotFound:
                pass
        self._seen_services = current

    def _endpoint(self, pod: dict[str, Any], zones: Mapping[str, str | None]) -> dict[str, Any]:
        meta = pod["metadata"]
        serving, terminating = pu.is_ready(pod), pu.is_terminating(pod)
        ep: dict[str, Any] = {
            "addresses": [pod["status"]["podIP"]],
            "conditions": {"ready": serving and not terminating, "serving": serving, "terminating": terminating},
            "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]},
        }
        node = pod["spec"].get("nodeName")
        if node:
            ep["nodeName"] = node
            if zones.get(node):
                ep["zone"] = zones[node]
        return ep

    def sync(self, svc: dict[str, Any], pods: list[dict[str, Any]], zones: Mapping[str, str | None]) -> None:
        selector = {"matchLabels": svc["spec"]["selector"]}
        groups: dict[PortSet, list[dict[str, Any]]] = {}
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            if pu.is_terminal(pod) or not (pod.get("status") or {}).get("podIP"):
                continue
            if not match_label_selector(selector, pod["metadata"].get("labels")):
                continue
            groups.setdefault(_port_set(svc, pod), []).append(pod)
        self._sync_slices(svc, groups, zones)
        self._sync_endpoints(svc, groups)

    def _sync_slices(self, svc: dict[str, Any], groups: dict[PortSet, list[dict[str, Any]]],
                     zones: Mapping[str, str | None]) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        wanted: dict[str, dict[str, Any]] = {}
        for ports, members in (groups or {(): []}).items():
            body: dict[str, Any] = {
                "metadata": {
                    "name": _slice_name(name, ports),
                    "namespace": ns,
                    "labels": {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY},
                    "ownerReferences": [pu.owner_ref(svc)],
                },
                "addressType": "IPv4",
                "endpoints": [self._endpoint(p, zones) for p in members],
                "ports": [{"name": n, "port": port, "protocol": proto} for n, port, proto in ports],
            }
            wanted[body["metadata"]["name"]] = body
        existing = self.store.list("endpointslices", ns, label_selector={"matchLabels": {SERVICE_NAME_LABEL: name}})
        for es in existing:
            if (es["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) != MANAGED_BY:
                continue
            want = wanted.pop(es["metadata"]["name"], None)
            if want is None:
                self.store.delete("endpointslices", ns, es["metadata"]["name"])
            elif any(es.get(k) != want[k] for k in ("endpoints", "ports", "addressType")) or \
                    es["metadata"].get("ownerReferences") != want["metadata"]["ownerReferences"]:
                self.store.update("endpointslices", {**want, "metadata": {**es["metadata"], **want["metadata"]}})
        for body in wanted.values():
            self.store.create("endpointslices", body)

    def _sync_endpoints(self, svc: dict[str, Any], groups: dict[PortSet, list[dict[str, Any]]]) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        subsets = []
        for ports, members in groups.items():
            ready: list[dict[str, Any]] = []
            not_ready: list[dict[str, Any]] = []
            for pod in members:
                if pu.is_terminating(pod):
                    continue
                addr = {"ip": pod["status"]["podIP"], "targetRef": {
                    "kind": "Pod", "namespace": ns, "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}
                if pod["spec"].get("nodeName"):
                    addr["nodeName"] = pod["spec"]["nodeName"]
                (ready if pu.is_ready(pod) else not_ready).append(addr)
            if not ready and not not_ready:
                continue
            subset: dict[str, Any] = {"ports": [{"name": n, "port": p, "protocol": proto} for n, p, proto in ports]}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            subsets.append(subset)
        labels = dict(svc["metadata"].get("labels") or {})
        body: dict[str, Any] = {"metadata": {"name": name, "namespace": ns, "labels": labels}, "subsets": subsets}
        existing = self.store.try_get("endpoints", ns, name)
        if existing is None:
            self.store.create("endpoints", body)
        elif existing.get("subsets", []) != subsets or (existing["metadata"].get("labels") or {}) != labels:
            self.store.update("endpoints", {**body, "metadata": {**existing["metadata"], "labels": labels}})
