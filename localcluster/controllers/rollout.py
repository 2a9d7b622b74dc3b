"""Pure rolling-update arithmetic of the Deployment controller (upstream pkg/controller/deployment/util).

ReplicaSets are JSON dicts; only spec.replicas, status.availableReplicas, creationTimestamp and the
`deployment.kubernetes.io/*` annotations are read. Nothing here writes: the controller applies the
returned replica counts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..api.objects import NAME_ALPHABET
from .podutil import resolve_int_or_percent, time_of

__all__ = [
    "DESIRED_ANNOTATION",
    "MAX_ANNOTATION",
    "REVISION_ANNOTATION",
    "fenceposts",
    "new_rs_replicas",
    "old_rs_scale_down",
    "proportional_scale",
    "template_hash",
]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
DESIRED_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_ANNOTATION = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
_SAFE = NAME_ALPHABET  # k8s.io/apimachinery/pkg/util/rand SafeEncodeString alphabet


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def semantic(value: Any) -> Any:
    """A template as upstream's semantic equality sees it: an empty list, map or string is the same as an
    absent one (Go's nil vs empty), so `volumes: []` and no `volumes` are one template."""
    if isinstance(value, dict):
        out = {k: semantic(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


def _without_hash(template: Mapping[str, Any]) -> Any:
    out = semantic(template)
    labels = (out.get("metadata") or {}).get("labels")
    if labels and HASH_LABEL in labels:
        labels = {k: v for k, v in labels.items() if k != HASH_LABEL}
        out["metadata"] = {**out["metadata"], "labels": labels} if labels else {
            k: v for k, v in out["metadata"].items() if k != "labels"}
        if not out["metadata"]:
            del out["metadata"]
    return out


def equal_ignore_hash(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Upstream's EqualIgnoreHash: two pod templates are the same revision when they are semantically equal
    once the pod-template-hash label is set aside (how a rollback finds and reuses the old ReplicaSet)."""
    return bool(_without_hash(a) == _without_hash(b))


def template_hash(template: Mapping[str, Any], collision_count: int = 0) -> str:
    """The `pod-template-hash` label value: FNV-32a of the canonical semantic template, safe-encoded."""
    data = json.dumps(_without_hash(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in str(_fnv32a(data)))


def replicas_of(rs: Mapping[str, Any]) -> int:
    return int((rs.get("spec") or {}).get("replicas") or 0)


def available_of(rs: Mapping[str, Any]) -> int:
    """status.availableReplicas, capped at spec.replicas: right after a scale-down the status may still count
    pods that are being deleted (a stale status must not let the rollout go below minAvailable)."""
    return min(int((rs.get("status") or {}).get("availableReplicas") or 0), replicas_of(rs))


def fenceposts(deployment: Mapping[str, Any]) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) for the deployment's replicas: surge rounds up, unavailable down;
    both zero -> unavailable 1 (upstream ResolveFenceposts)."""
    spec = deployment.get("spec") or {}
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    replicas = int(spec.get("replicas", 1))
    surge = resolve_int_or_percent(
        rolling.get("maxSurge", "25%"), replicas, True, "spec.strategy.rollingUpdate.maxSurge"
    )
    unavailable = resolve_int_or_percent(
        rolling.get("maxUnavailable", "25%"), replicas, False, "spec.strategy.rollingUpdate.maxUnavailable"
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def new_rs_replicas(
    deployment: Mapping[str, Any], all_rs: Sequence[Mapping[str, Any]], new_rs: Mapping[str, Any]
) -> int:
    """Upstream NewRSNewReplicas for RollingUpdate: scale the new RS up within maxSurge."""
    want = int(deployment["spec"].get("replicas", 1))
    surge, _ = fenceposts(deployment)
    current = sum(replicas_of(rs) for rs in all_rs)
    max_total = want + surge
    if current >= max_total:
        return replicas_of(new_rs)
    scale_up = min(max_total - current, want - replicas_of(new_rs))
    return replicas_of(new_rs) + max(0, scale_up)


def _by_age(rss: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(rss, key=lambda rs: (time_of(rs["metadata"].get("creationTimestamp")) or 0.0, rs["metadata"]["name"]))


def old_rs_scale_down(
    deployment: Mapping[str, Any], old_rs: Sequence[Mapping[str, Any]], new_rs: Mapping[str, Any] | None
) -> dict[str, int]:
    """Upstream reconcileOldReplicaSets: new spec.replicas per old RS name (only those that change).

    First unhealthy old replicas are removed (within what availability allows), then healthy ones while
    the available count stays above replicas - maxUnavailable."""
    all_rs = [*old_rs, *([new_rs] if new_rs is not None else [])]
    if sum(replicas_of(rs) for rs in old_rs) == 0:
        return {}
    want = int(deployment["spec"].get("replicas", 1))
    _, max_unavailable = fenceposts(deployment)
    min_available = want - max_unavailable
    new_unavailable = replicas_of(new_rs) - available_of(new_rs) if new_rs is not None else 0
    max_scaled_down = sum(replicas_of(rs) for rs in all_rs) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return {}
    sizes = {rs["metadata"]["name"]: replicas_of(rs) for rs in old_rs}
    cleaned = 0
    for rs in _by_age(old_rs):  # cleanupUnhealthyReplicas
        name = rs["metadata"]["name"]
        unhealthy = sizes[name] - available_of(rs)
        if cleaned >= max_scaled_down or unhealthy <= 0:
            continue
        step = min(max_scaled_down - cleaned, unhealthy)
        sizes[name] -= step
        cleaned += step
    available = sum(available_of(rs) for rs in all_rs)
    if available > min_available:  # scaleDownOldReplicaSetsForRollingUpdate
        remaining = available - min_available
        for rs in _by_age(old_rs):
            name = rs["metadata"]["name"]
            if remaining <= 0:
                break
            step = min(sizes[name], remaining)
            sizes[name] -= step
            remaining -= step
    return {name: size for name, size in sizes.items() if size != replicas_of(next(
        rs for rs in old_rs if rs["metadata"]["name"] == name))}


def _fraction(rs: Mapping[str, Any], deployment: Mapping[str, Any], allowed_size: int) -> int:
    """Upstream getReplicaSetFraction: the RS's share of the new allowed size, by its max-replicas note."""
    if int(deployment["spec"].get("replicas", 1)) == 0:
        return -replicas_of(rs)
    try:
        annotated = int((rs["metadata"].get("annotations") or {})[MAX_ANNOTATION])
    except (KeyError, ValueError):
        annotated = int((deployment.get("status") or {}).get("replicas") or 0)
    if annotated <= 0:
        return 0
    return math.floor(replicas_of(rs) * allowed_size / annotated + 0.5) - replicas_of(rs)


def proportional_scale(
    deployment: Mapping[str, Any], active: Sequence[Mapping[str, Any]], new_rs: Mapping[str, Any] | None
) -> dict[str, int]:
    """Upstream `scale()` when spec.replicas changed mid-rollout: new spec.replicas per RS name. One active RS
    takes the full count; a saturated new RS leaves the old ones at 0; otherwise the difference to
    replicas + maxSurge is spread in proportion to each RS's share (by its max-replicas annotation), larger
    ReplicaSets first, and the rounding leftover goes to the largest."""
    want = int(deployment["spec"].get("replicas", 1))
    surge, _ = fenceposts(deployment)
    if len(active) == 1:
        return {active[0]["metadata"]["name"]: want}
    if not active:
        return {new_rs["metadata"]["name"]: want} if new_rs is not None else {}
    if new_rs is not None and replicas_of(new_rs) == want and available_of(new_rs) == want:
        return {rs["metadata"]["name"]: 0 for rs in active if rs["metadata"]["name"] != new_rs["metadata"]["name"]}
    allowed_size = want + surge if want > 0 else 0
    to_add = allowed_size - sum(replicas_of(rs) for rs in active)
    if to_add == 0:
        return {}
    newer_first = to_add > 0  # ties: scale newer ReplicaSets up first, older ones down first

    def age(rs: Mapping[str, Any]) -> float:
        return time_of(rs["metadata"].get("creationTimestamp")) or 0.0

    ordered = sorted(active, key=lambda rs: (-replicas_of(rs), -age(rs) if newer_first else age(rs)))
    sizes: dict[str, int] = {}
    added = 0
    for rs in ordered:
        proportion = 0
        if replicas_of(rs) and added != to_add:
            fraction, allowed = _fraction(rs, deployment, allowed_size), to_add - added
            proportion = min(fraction, allowed) if to_add > 0 else max(fraction, allowed)
        sizes[rs["metadata"]["name"]] = replicas_of(rs) + proportion
        added += proportion
    largest = ordered[0]["metadata"]["name"]
    sizes[largest] = max(0, sizes[largest] + to_add - added)
    return sizes
