"""Small helpers over JSON-shaped objects shared by the controllers (pods, owners, conditions, times)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..api import Conflict, NotFound, Store
from ..api.objects import format_time, parse_time

__all__ = [
    "DEFAULT_TOLERATION_KEYS",
    "available",
    "condition",
    "controller_of",
    "default_tolerations",
    "format_time",
    "is_active",
    "is_ready",
    "is_terminal",
    "is_terminating",
    "owner_ref",
    "patch_pod_condition",
    "resolve_int_or_percent",
    "set_condition",
    "time_of",
    "with_default_tolerations",
]

DEFAULT_TOLERATION_KEYS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def time_of(value: str | None) -> float | None:
    """Epoch seconds of an RFC 3339 time, None when absent or unparseable."""
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def condition(obj: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == kind:
            return c
    return None


def is_ready(pod: Mapping[str, Any]) -> bool:
    c = condition(pod, "Ready")
    return bool(c and c.get("status") == "True")


def is_terminating(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_active(pod: Mapping[str, Any]) -> bool:
    """Upstream `IsPodActive`: not terminal and not being deleted."""
    return not is_terminal(pod) and not is_terminating(pod)


def available(pod: Mapping[str, Any], min_ready_seconds: int, now: float) -> bool:
    """Upstream `IsPodAvailable`: Ready for at least minReadySeconds."""
    c = condition(pod, "Ready")
    if not c or c.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    since = time_of(c.get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds <= now


def controller_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def owner_ref(owner: Mapping[str, Any]) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def default_tolerations(seconds: int) -> list[dict[str, Any]]:
    """What the DefaultTolerationSeconds admission plugin adds (when the pod has no such toleration)."""
    return [
        {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
        for key in DEFAULT_TOLERATION_KEYS
    ]


def with_default_tolerations(tolerations: Iterable[Mapping[str, Any]] | None, seconds: int) -> list[dict[str, Any]]:
    out = [dict(t) for t in tolerations or ()]
    for extra in default_tolerations(seconds):
        has = any(
            (t.get("key") == extra["key"] and t.get("effect") in (None, "", "NoExecute"))
            or (not t.get("key") and t.get("operator") == "Exists" and t.get("effect") in (None, "", "NoExecute"))
            for t in out
        )
        if not has:
            out.append(extra)
    return out


def set_condition(
    conditions: list[dict[str, Any]], kind: str, status: str, reason: str, message: str, now: float, **extra: Any
) -> bool:
    """Set a condition in place; lastTransitionTime changes only with the status. True when changed."""
    current = next((c for c in conditions if c.get("type") == kind), None)
    wanted = {"type": kind, "status": status, **extra}
    if reason:
        wanted["reason"] = reason
    if message:
        wanted["message"] = message
    if current is not None:
        same = all(current.get(k) == v for k, v in wanted.items()) and set(current) - {"lastTransitionTime"} == set(
            wanted)
        if same:
            return False
        if current.get("status") == status:
            wanted["lastTransitionTime"] = current.get("lastTransitionTime") or format_time(now)
        else:
            wanted["lastTransitionTime"] = format_time(now)
        current.clear()
        current.update(wanted)
        return True
    wanted["lastTransitionTime"] = format_time(now)
    conditions.append(wanted)
    return True


def patch_pod_condition(
    store: Store, namespace: str, name: str, kind: str, status: str, reason: str, message: str, now: float
) -> bool:
    """Set one pod condition atomically through the status subresource; False when the pod is gone."""

    def _fn(pod: dict[str, Any]) -> None:
        conditions = pod.setdefault("status", {}).setdefault("conditions", [])
        set_condition(conditions, kind, status, reason, message, now)

    try:
        store.mutate("pods", namespace, name, _fn, subresource="status")
    except (NotFound, Conflict):
        return False
    return True


def resolve_int_or_percent(value: Any, total: int, round_up: bool, field: str = "value") -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int, or 'N%' of `total` rounded up or down."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"{field}: must be an integer or a percentage, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = int(text[:-1])
        except ValueError:
            raise ValueError(f"{field}: invalid percentage {value!r}") from None
        exact = pct * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{field}: must be an integer or a percentage like '25%', got {value!r}") from None
