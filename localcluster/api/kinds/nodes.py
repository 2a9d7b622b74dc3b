"""core/v1 Node: cluster-scoped; its creator (the kubelet) may set status on create; `spec.unschedulable` keeps
the cordon taint in step, as upstream's node strategy does."""

from __future__ import annotations

from typing import Any

from ...selectors import bool_field
from ..objects import now_time
from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import AGE, age

__all__ = ["CORDON_TAINT", "KIND"]

CORDON_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    obj.setdefault("spec", {})
    obj.setdefault("status", {})


def _sync_cordon_taint(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    taints = [t for t in spec.get("taints") or () if t.get("key") != CORDON_TAINT["key"]]
    if spec.get("unschedulable"):
        existing = next((t for t in spec.get("taints") or () if t.get("key") == CORDON_TAINT["key"]), None)
        taints.append(existing or {**CORDON_TAINT, "timeAdded": now_time()})
    else:
        spec.pop("unschedulable", None)
    if taints:
        spec["taints"] = taints
    else:
        spec.pop("taints", None)


def _row(node: dict[str, Any]) -> list[Any]:
    status, labels = node.get("status", {}), node["metadata"].get("labels") or {}
    ready = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    state = "Unknown" if ready is None else ("Ready" if ready.get("status") == "True" else "NotReady")
    if node.get("spec", {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or ()}
    info = status.get("nodeInfo", {})
    return [
        node["metadata"]["name"],
        state,
        ",".join(roles) or "<none>",
        age(node),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


KIND = Kind(
    rt("", "v1", "nodes", "Node", False, short_names=("no",), subresources=("status",)),
    prepare=_prepare,
    normalise=_sync_cordon_taint,
    status_on_create=True,
    columns=(("Name", "string", 0), ("Status", "string", 0), ("Roles", "string", 0), AGE, ("Version", "string", 0),
             ("Internal-IP", "string", 1), ("External-IP", "string", 1), ("OS-Image", "string", 1),
             ("Kernel-Version", "string", 1), ("Container-Runtime", "string", 1)),
    row=_row,
    field_selectors=("spec.unschedulable",),
    field_getters={"spec.unschedulable": bool_field("spec.unschedulable")},
)
