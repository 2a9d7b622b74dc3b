"""Deployment status and conditions as upstream computes them (calculateStatus + syncRolloutStatus)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .podutil import format_time, time_of
from .rollout import fenceposts, replicas_of

__all__ = ["calculate_status", "set_deployment_condition"]


def set_deployment_condition(status: dict[str, Any], kind: str, cond_status: str, reason: str, message: str,
                             now: float) -> None:
    """Upstream SetDeploymentCondition: unchanged status+reason is a no-op; otherwise the condition is
    moved to the end, keeping lastTransitionTime when the status is the same."""
    conditions = status.setdefault("conditions", [])
    current = next((c for c in conditions if c.get("type") == kind), None)
    if current is not None and current.get("status") == cond_status and current.get("reason") == reason:
        return
    stamp = format_time(now)
    transition = current["lastTransitionTime"] if current is not None and current.get("status") == cond_status \
        else stamp
    new = {"type": kind, "status": cond_status, "lastUpdateTime": stamp, "lastTransitionTime": transition,
           "reason": reason, "message": message}
    status["conditions"] = [c for c in conditions if c.get("type") != kind] + [new]


def _rs_status(rs: Mapping[str, Any] | None, field: str) -> int:
    return int(((rs or {}).get("status") or {}).get(field) or 0)


def _complete(d: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    want = int(d["spec"].get("replicas", 1))
    return (status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want
            and status.get("availableReplicas", 0) == want
            and status.get("observedGeneration", 0) >= int(d["metadata"].get("generation") or 0))


def _progressing(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    def old_replicas(s: Mapping[str, Any]) -> int:
        return int(s.get("replicas") or 0) - int(s.get("updatedReplicas") or 0)

    return (int(new.get("updatedReplicas") or 0) > int(old.get("updatedReplicas") or 0)
            or old_replicas(new) < old_replicas(old)
            or int(new.get("readyReplicas") or 0) > int(old.get("readyReplicas") or 0)
            or int(new.get("availableReplicas") or 0) > int(old.get("availableReplicas") or 0))


def _timed_out(d: Mapping[str, Any], status: Mapping[str, Any], now: float) -> bool:
    cond = next((c for c in status.get("conditions") or () if c.get("type") == "Progressing"), None)
    if cond is None or cond.get("reason") == "NewReplicaSetAvailable":
        return False
    if cond.get("reason") == "ProgressDeadlineExceeded":
        return True
    since = time_of(cond.get("lastUpdateTime"))
    return since is not None and since + int(d["spec"].get("progressDeadlineSeconds") or 600) < now


def calculate_status(d: Mapping[str, Any], all_rs: Sequence[Mapping[str, Any]], new_rs: Mapping[str, Any] | None,
                     now: float) -> dict[str, Any]:
    """The Deployment's new status from its ReplicaSets (counters, Available and Progressing)."""
    old_status = dict(d.get("status") or {})
    available = sum(_rs_status(rs, "availableReplicas") for rs in all_rs)
    total = sum(replicas_of(rs) for rs in all_rs)
    status: dict[str, Any] = {
        "observedGeneration": int(d["metadata"].get("generation") or 0),
        "replicas": sum(_rs_status(rs, "replicas") for rs in all_rs),
        "updatedReplicas": _rs_status(new_rs, "replicas") if new_rs is not None else 0,
        "readyReplicas": sum(_rs_status(rs, "readyReplicas") for rs in all_rs),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
        "conditions": [dict(c) for c in old_status.get("conditions") or ()],
    }
    if old_status.get("collisionCount"):
        status["collisionCount"] = old_status["collisionCount"]
    want = int(d["spec"].get("replicas", 1))
    _, max_unavailable = fenceposts(d)
    if available >= want - max_unavailable:
        set_deployment_condition(status, "Available", "True", "MinimumReplicasAvailable",
                                 "Deployment has minimum availability.", now)
    else:
        set_deployment_condition(status, "Available", "False", "MinimumReplicasUnavailable",
                                 "Deployment does not have minimum availability.", now)
    _rollout_condition(d, status, old_status, new_rs, now)
    return status


def _rollout_condition(d: Mapping[str, Any], status: dict[str, Any], old_status: Mapping[str, Any],
                       new_rs: Mapping[str, Any] | None, now: float) -> None:
    current = next((c for c in status["conditions"] if c.get("type") == "Progressing"), None)
    complete = (status["replicas"] == status["updatedReplicas"] and current is not None
                and current.get("reason") == "NewReplicaSetAvailable")
    if complete or d["spec"].get("paused"):
        return
    if new_rs is not None:
        what = f'ReplicaSet "{new_rs["metadata"]["name"]}"'
    else:
        what = f'Deployment "{d["metadata"]["name"]}"'
    if _complete(d, status):
        set_deployment_condition(status, "Progressing", "True", "NewReplicaSetAvailable",
                                 f"{what} has successfully progressed.", now)
    elif _progressing(old_status, status):
        stamp = format_time(now)
        transition = current["lastTransitionTime"] if current is not None and current.get("status") == "True" \
            else stamp
        status["conditions"] = [c for c in status["conditions"] if c.get("type") != "Progressing"] + [{
            "type": "Progressing", "status": "True", "lastUpdateTime": stamp, "lastTransitionTime": transition,
            "reason": "ReplicaSetUpdated", "message": f"{what} is progressing."}]
    elif _timed_out(d, status, now):
        set_deployment_condition(status, "Progressing", "False", "ProgressDeadlineExceeded",
                                 f"{what} has timed out progressing.", now)
