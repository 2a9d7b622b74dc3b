"""coordination.k8s.io/v1 Lease. The kubelet renews one per node in `kube-node-lease` (holder = the node,
40 s duration, owned by the Node), which is what `kubectl describe node` reads."""

from __future__ import annotations

from typing import Any

from ..resource_type import rt
from .base import Kind, invalid
from .printing import age

__all__ = ["KIND", "NODE_LEASE_NAMESPACE"]

NODE_LEASE_NAMESPACE = "kube-node-lease"


def _validate(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.get("spec") or {}
    for field in ("leaseDurationSeconds", "leaseTransitions"):
        value = spec.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise invalid("Lease", obj, f"spec.{field}", f"Invalid value: {value!r}: must be a non-negative integer",
                          "coordination.k8s.io")


def _row(obj: dict[str, Any]) -> list[Any]:
    return [obj["metadata"]["name"], (obj.get("spec") or {}).get("holderIdentity", ""), age(obj)]


KIND = Kind(
    rt("coordination.k8s.io", "v1", "leases", "Lease"),
    validate=_validate,
    columns=(("Name", "string", 0), ("Holder", "string", 0), ("Age", "string", 0)),
    row=_row,
)
