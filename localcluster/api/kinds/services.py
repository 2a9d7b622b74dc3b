"""core/v1 Service: a DNS-label name; on create a ClusterIP from the service range (or the one asked for,
reserved), single-stack IPv4 and TCP ports defaulted as upstream does."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import AGE, age

__all__ = ["KIND"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("clusterIP") in (None, ""):
        spec["clusterIP"] = ips.allocate()
    elif spec["clusterIP"] != "None":
        ips.reserve(spec["clusterIP"])
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _row(svc: dict[str, Any]) -> list[Any]:
    spec = svc.get("spec", {})
    ports = []
    for p in spec.get("ports") or ():
        node_port = f":{p['nodePort']}" if p.get("nodePort") else ""
        ports.append(f"{p.get('port')}{node_port}/{p.get('protocol', 'TCP')}")
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    external = ",".join(spec.get("externalIPs") or ()) or "<none>"
    return [
        svc["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP", "<none>"),
        external,
        ",".join(ports) or "<none>",
        age(svc),
        selector or "<none>",
    ]


KIND = Kind(
    rt("", "v1", "services", "Service", short_names=("svc",), subresources=("status",), categories=("all",),
       delete_returns_object=True),
    name_rule="dns-label",
    prepare=_prepare,
    columns=(("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0), ("External-IP", "string", 0),
             ("Port(s)", "string", 0), AGE, ("Selector", "string", 1)),
    row=_row,
    apply_order=1,
)
