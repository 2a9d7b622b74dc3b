"""Read the fields the scheduler needs from pods and nodes given as plain dicts in Kubernetes JSON form.

Conventions that follow upstream:
- A pod's namespace defaults to `default`; its priority to 0 (`spec.priority`).
- Terminal pods (phase Succeeded/Failed) no longer occupy a node; terminating pods (deletionTimestamp) still
  do, as in the scheduler cache.
- Effective taints: `spec.taints` plus the taints the node lifecycle controller would add
  (TaintNodesByCondition): `node.kubernetes.io/unschedulable:NoSchedule` when `spec.unschedulable`,
  `not-ready:NoSchedule` when the Ready condition is False, `unreachable:NoSchedule` when it is Unknown.
  A node without a Ready condition gets no condition taint.
- Pod requests = max(sum(containers) + sidecars, peak of init containers) + overhead, as upstream's
  PodRequests; a container's missing request defaults to its limit (the API server's defaulting).
  `non_zero=True` substitutes 100m cpu / 200Mi memory for missing requests (used only for scoring).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..quantity import parse_milli, quantity_value

__all__ = [
    "DEFAULT_NAMESPACE",
    "LABEL_HOSTNAME",
    "TAINT_NOT_READY",
    "TAINT_UNREACHABLE",
    "TAINT_UNSCHEDULABLE",
    "add_resources",
    "effective_taints",
    "find_untolerated_taint",
    "is_terminal",
    "is_terminating",
    "labels_of",
    "name_of",
    "namespace_of",
    "node_allocatable",
    "node_name_of",
    "pod_key",
    "pod_requests",
    "priority_of",
    "tolerates",
    "tolerations_of",
]

Obj = Mapping[str, Any]

DEFAULT_NAMESPACE = "default"
LABEL_HOSTNAME = "kubernetes.io/hostname"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
DO_NOT_SCHEDULE_EFFECTS = ("NoSchedule", "NoExecute")
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def name_of(obj: Obj) -> str:
    """metadata.name ('' when absent)."""
    return str(_meta(obj).get("name") or "")


def namespace_of(pod: Obj) -> str:
    """metadata.namespace, defaulting to 'default'."""
    return str(_meta(pod).get("namespace") or DEFAULT_NAMESPACE)


def labels_of(obj: Obj) -> Mapping[str, str]:
    """metadata.labels ({} when absent)."""
    return _meta(obj).get("labels") or {}


def pod_key(pod: Obj) -> str:
    """'namespace/name'."""
    return f"{namespace_of(pod)}/{name_of(pod)}"


def node_name_of(pod: Obj) -> str:
    """spec.nodeName ('' when not bound)."""
    return str(_spec(pod).get("nodeName") or "")


def is_terminal(pod: Obj) -> bool:
    """True for pods in phase Succeeded or Failed."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_terminating(pod: Obj) -> bool:
    """True when metadata.deletionTimestamp is set."""
    return bool(_meta(pod).get("deletionTimestamp"))


def priority_of(pod: Obj) -> int:
    """spec.priority (0 when absent)."""
    return int(_spec(pod).get("priority") or 0)


def tolerations_of(pod: Obj) -> Sequence[Obj]:
    """spec.tolerations ([] when absent)."""
    return _spec(pod).get("tolerations") or []


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """Upstream ToleratesTaint: effect (if set) and key (if set) must match; Equal compares values."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def find_untolerated_taint(
    taints: Iterable[Obj], tolerations: Sequence[Obj], effects: Sequence[str] = DO_NOT_SCHEDULE_EFFECTS
) -> Obj | None:
    """The first taint with one of `effects` that no toleration tolerates, or None."""
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _ready_status(node: Obj) -> str | None:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return str(cond.get("status"))
    return None


def effective_taints(node: Obj) -> list[Obj]:
    """spec.taints plus the condition/unschedulable taints the node lifecycle controller maintains."""
    taints = list(_spec(node).get("taints") or [])
    present = {(t.get("key"), t.get("effect")) for t in taints}
    implied: list[str] = []
    if _spec(node).get("unschedulable"):
        implied.append(TAINT_UNSCHEDULABLE)
    ready = _ready_status(node)
    if ready == "False":
        implied.append(TAINT_NOT_READY)
    elif ready == "Unknown":
        implied.append(TAINT_UNREACHABLE)
    for key in implied:
        if (key, "NoSchedule") not in present:
            taints.append({"key": key, "effect": "NoSchedule"})
    return taints


def _parse_resources(resources: Mapping[str, Any], field: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, value in resources.items():
        where = f"{field}.{name}"
        out[name] = parse_milli(value, where) if name == "cpu" else quantity_value(value, where)
    return out


def add_resources(total: dict[str, int], extra: Mapping[str, int]) -> dict[str, int]:
    """Add `extra` into `total` in place and return it."""
    for name, value in extra.items():
        total[name] = total.get(name, 0) + value
    return total


def _max_resources(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b)}


def _container_requests(container: Obj, field: str, non_zero: bool) -> dict[str, int]:
    res = container.get("resources") or {}
    raw = dict(res.get("requests") or {})
    for name, value in (res.get("limits") or {}).items():
        raw.setdefault(name, value)
    parsed = _parse_resources(raw, field)
    if non_zero:
        parsed.setdefault("cpu", DEFAULT_MILLI_CPU_REQUEST)
        parsed.setdefault("memory", DEFAULT_MEMORY_REQUEST)
    return parsed


def pod_requests(pod: Obj, non_zero: bool = False) -> dict[str, int]:
    """Effective resource requests of a pod (cpu in millicores, everything else in base units)."""
    spec = _spec(pod)
    where = f"pod {pod_key(pod)}"
    total: dict[str, int] = {}
    for i, c in enumerate(spec.get("containers") or []):
        add_resources(total, _container_requests(c, f"{where} containers[{i}].resources", non_zero))
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for i, c in enumerate(spec.get("initContainers") or []):
        req = _container_requests(c, f"{where} initContainers[{i}].resources", non_zero)
        if c.get("restartPolicy") == "Always":
            add_resources(total, req)
            add_resources(sidecars, req)
            init_peak = _max_resources(init_peak, sidecars)
        else:
            init_peak = _max_resources(init_peak, add_resources(dict(req), sidecars))
    total = _max_resources(total, init_peak)
    overhead = spec.get("overhead") or {}
    add_resources(total, _parse_resources(overhead, f"{where} spec.overhead"))
    total.pop("pods", None)
    return total


def node_allocatable(node: Obj) -> dict[str, int]:
    """status.allocatable parsed (cpu in millicores; 'pods' is the pod-count limit)."""
    alloc = (node.get("status") or {}).get("allocatable") or {}
    return _parse_resources(alloc, f"node {name_of(node)} status.allocatable")
