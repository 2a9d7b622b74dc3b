"""When is a Deployment's rollout finished? The answer `kubectl rollout status` gives, made stricter.

`kubectl rollout status deployment/X` keeps waiting while (in this order):
  1. `metadata.generation > status.observedGeneration`: the controller has not seen the new spec yet
     ("Waiting for deployment spec update to be observed...");
  2. the Progressing condition has reason `ProgressDeadlineExceeded`: it gives up with an error;
  3. `status.updatedReplicas < spec.replicas` ("N out of M new replicas have been updated...");
  4. `status.replicas > status.updatedReplicas` ("N old replicas are pending termination...");
  5. `status.availableReplicas < status.updatedReplicas` ("N of M updated replicas are available...").

`rollout_state` applies the same steps and, once they hold, two more: updated, ready and available replicas all
equal `spec.replicas`, and no ReplicaSet of the Deployment other than the current revision still holds pods
(`status.replicas` or `spec.replicas` above 0). Step 1 is what a readiness count alone misses: right after a
restart patch the counts still describe the old, complete rollout.

Pure functions of the API objects (JSON dicts), so the rule is tested without a cluster; the waiting probe is
`experiments.afchaos.deployment.probes.rollout_complete`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REVISION = "deployment.kubernetes.io/revision"

__all__ = ["REVISION", "RolloutState", "old_replicasets", "rollout_state"]


@dataclass(frozen=True)
class RolloutState:
    """`done`: the rollout is finished; `failed`: it can no longer finish (progress deadline exceeded);
    `message`: what kubectl would print (or what the stricter rule still waits for)."""

    done: bool
    failed: bool
    message: str
    generation: int
    observed_generation: int
    replicas: int
    updated: int
    ready: int
    available: int
    old_pods: int

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "failed": self.failed, "message": self.message, "generation": self.generation,
                "observed_generation": self.observed_generation, "replicas": self.replicas,
                "updated": self.updated, "ready": self.ready, "available": self.available,
                "old_pods": self.old_pods}


def _int(mapping: Mapping[str, Any] | None, key: str) -> int:
    return int((mapping or {}).get(key) or 0)


def _owned_by(rs: Mapping[str, Any], uid: str | None) -> bool:
    refs = rs.get("metadata", {}).get("ownerReferences") or []
    return any(r.get("controller") and r.get("kind") == "Deployment" and r.get("uid") == uid for r in refs)


def old_replicasets(deployment: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """(name, pods) of the Deployment's ReplicaSets of another revision that still hold or want pods."""
    md = deployment.get("metadata") or {}
    revision = (md.get("annotations") or {}).get(REVISION)
    out = []
    for rs in replicasets:
        rs_md = rs.get("metadata") or {}
        if not _owned_by(rs, md.get("uid")) or (rs_md.get("annotations") or {}).get(REVISION) == revision:
            continue
        pods = max(_int(rs.get("status"), "replicas"), _int(rs.get("spec"), "replicas"))
        if pods:
            out.append((str(rs_md.get("name")), pods))
    return out


def _kubectl_wait(name: str, spec: int, st: Mapping[str, Any]) -> str | None:
    """kubectl's steps 3-5: what it still waits for, or None when it would report success."""
    updated, replicas, available = _int(st, "updatedReplicas"), _int(st, "replicas"), _int(st, "availableReplicas")
    head = f'Waiting for deployment "{name}" rollout to finish:'
    if updated < spec:
        return f"{head} {updated} out of {spec} new replicas have been updated..."
    if replicas > updated:
        return f"{head} {replicas - updated} old replicas are pending termination..."
    if available < updated:
        return f"{head} {available} of {updated} updated replicas are available..."
    return None


def rollout_state(deployment: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]] = ()) -> RolloutState:
    """Judge one observation of a Deployment (and its ReplicaSets) as described in the module docstring."""
    md, st = deployment.get("metadata") or {}, deployment.get("status") or {}
    name = str(md.get("name"))
    spec = int((deployment.get("spec") or {}).get("replicas", 1))
    old = old_replicasets(deployment, replicasets)
    numbers = {"generation": _int(md, "generation"), "observed_generation": _int(st, "observedGeneration"),
               "replicas": spec, "updated": _int(st, "updatedReplicas"), "ready": _int(st, "readyReplicas"),
               "available": _int(st, "availableReplicas"), "old_pods": sum(n for _, n in old)}

    def state(done: bool, message: str, failed: bool = False) -> RolloutState:
        return RolloutState(done=done, failed=failed, message=message, **numbers)

    if numbers["generation"] > numbers["observed_generation"]:
        return state(False, "Waiting for deployment spec update to be observed...")
    progressing: dict[str, Any] = next((c for c in st.get("conditions") or () if c.get("type") == "Progressing"), {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return state(False, f'deployment "{name}" exceeded its progress deadline', failed=True)
    waiting = _kubectl_wait(name, spec, st)
    if waiting is not None:
        return state(False, waiting)
    if not numbers["updated"] == numbers["ready"] == numbers["available"] == spec:
        return state(False, f'Waiting for deployment "{name}": updated {numbers["updated"]}, ready '
                            f'{numbers["ready"]}, available {numbers["available"]}, want {spec} each...')
    if old:
        held = ", ".join(f"{rs} ({n})" for rs, n in old)
        return state(False, f'Waiting for deployment "{name}": old ReplicaSet(s) still hold pods: {held}...')
    return state(True, f'deployment "{name}" successfully rolled out')
