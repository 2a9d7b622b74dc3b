"""discovery.k8s.io/v1 EndpointSlice: written by the endpoints controller; `endpoints` is always a list."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import AGE, age

__all__ = ["KIND"]


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    obj.setdefault("endpoints", [])


def _row(es: dict[str, Any]) -> list[Any]:
    ports = ",".join(str(p.get("port", "")) for p in es.get("ports") or ()) or "<unset>"
    addrs = [a for e in es.get("endpoints") or () for a in e.get("addresses") or ()]
    shown = ",".join(addrs[:3]) + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")
    return [es["metadata"]["name"], es.get("addressType", ""), ports, shown or "<unset>", age(es)]


KIND = Kind(
    rt("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    prepare=_prepare,
    columns=(("Name", "string", 0), ("AddressType", "string", 0), ("Ports", "string", 0), ("Endpoints", "string", 0),
             AGE),
    row=_row,
)
