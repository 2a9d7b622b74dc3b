"""core/v1 Pod: pod-spec defaults on every write, the ServiceAccount admission default and a Pending phase on
create, the lists clients iterate without a None check, and the printer and selectable fields of upstream."""

from __future__ import annotations

from typing import Any

from ...selectors import bool_field
from ..podspec import pod_spec_defaults
from ..resource_type import rt
from .base import IPAllocator, Kind
from .printing import AGE, age

__all__ = ["KIND"]


def _defaults(obj: dict[str, Any]) -> None:
    if isinstance(obj.get("spec"), dict):
        pod_spec_defaults(obj["spec"])


def _prepare(obj: dict[str, Any], ips: IPAllocator) -> None:
    pod_spec_defaults(obj.setdefault("spec", {}))
    obj["spec"].setdefault("serviceAccountName", "default")  # the ServiceAccount admission plugin
    obj["spec"].setdefault("serviceAccount", obj["spec"]["serviceAccountName"])
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def _normalise(obj: dict[str, Any]) -> None:
    # Always lists (clients iterate them without a None check): chaosk8s' drain loops over
    # ownerReferences, so an unowned pod fails the drain with its "unmanaged" error, not a TypeError.
    obj["metadata"].setdefault("ownerReferences", [])
    obj.setdefault("spec", {}).setdefault("volumes", [])
    status = obj.setdefault("status", {})
    if not isinstance(status.get("conditions"), list):
        status["conditions"] = []


def _status(pod: dict[str, Any]) -> str:
    status = pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for cs in status.get("containerStatuses") or ():
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason") and reason == "Running":
            reason = state["terminated"]["reason"]
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _row(pod: dict[str, Any]) -> list[Any]:
    status, spec = pod.get("status", {}), pod.get("spec", {})
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    gates = spec.get("readinessGates") or []
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        _status(pod),
        restarts,
        age(pod),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"0/{len(gates)}" if gates else "<none>",
    ]


KIND = Kind(
    rt("", "v1", "pods", "Pod", short_names=("po",),
       subresources=("status", "log", "eviction", "binding", "exec", "attach", "portforward"),
       categories=("all",), tracks_generation=True, delete_returns_object=True),
    defaults=_defaults,
    prepare=_prepare,
    normalise=_normalise,
    columns=(("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "integer", 0),
             AGE, ("IP", "string", 1), ("Node", "string", 1), ("Nominated Node", "string", 1),
             ("Readiness Gates", "string", 1)),
    row=_row,
    field_selectors=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                     "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"),
    field_getters={"spec.hostNetwork": bool_field("spec.hostNetwork")},
)
