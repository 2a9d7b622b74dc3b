"""Turn a `Decision` into the autoscaling/v2 HPA `status` object the API server stores.

`merge_conditions` is upstream's `setConditionInList` applied in order: existing conditions keep their place,
new types are appended, `lastTransitionTime` changes only when a condition's status changes, and conditions
this sync did not touch are kept as they were. Empty optional fields are omitted, as the real server does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from localcluster.hpa.decision import Decision

__all__ = ["format_time", "hpa_status", "merge_conditions"]


def format_time(epoch: float) -> str:
    """Epoch seconds to RFC 3339 with second precision (metav1.Time's wire form)."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_conditions(previous: Sequence[Mapping[str, Any]] | None, updates: Sequence[Mapping[str, str]],
                     now: float) -> list[dict[str, Any]]:
    """Apply this sync's condition updates onto the previous status conditions."""
    merged = [dict(c) for c in previous or []]
    for update in updates:
        existing = next((c for c in merged if c.get("type") == update["type"]), None)
        if existing is None:
            existing = {"type": update["type"]}
            merged.append(existing)
        if existing.get("status") != update["status"]:
            existing["lastTransitionTime"] = format_time(now)
        existing.update(status=update["status"], reason=update["reason"], message=update["message"])
    return merged


def hpa_status(decision: Decision, now: float, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The HPA's new `status`: currentReplicas, desiredReplicas, lastScaleTime, currentMetrics, conditions."""
    previous = previous or {}
    desired = decision.status_desired
    if desired is None:
        desired = int(previous.get("desiredReplicas", 0))
    status: dict[str, Any] = {"desiredReplicas": desired}
    if decision.current_replicas:
        status["currentReplicas"] = decision.current_replicas
    last_scale = format_time(now) if decision.rescale else previous.get("lastScaleTime")
    if last_scale:
        status["lastScaleTime"] = last_scale
    if decision.current_metrics:
        status["currentMetrics"] = [dict(m) for m in decision.current_metrics]
    conditions = merge_conditions(previous.get("conditions"), decision.conditions, now)
    if conditions:
        status["conditions"] = conditions
    return status
