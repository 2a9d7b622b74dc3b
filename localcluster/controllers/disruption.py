"""Disruption controller: PodDisruptionBudget status, as upstream's DisruptionController computes it.

- expectedPods / desiredHealthy: `minAvailable` as an integer -> desiredHealthy = it, expectedPods = the
  number of matched pods; `minAvailable` as a percentage or `maxUnavailable` -> expectedPods = the summed
  scale (spec.replicas) of the distinct scalable controllers owning the matched pods (a Deployment through
  its ReplicaSet, or a bare ReplicaSet), desiredHealthy = percent of it rounded up, or expectedPods -
  maxUnavailable (rounded up when a percentage), at least 0.
- currentHealthy: matched pods that are Ready, not terminating and not recently evicted (in disruptedPods).
- disruptionsAllowed = currentHealthy - desiredHealthy, 0 when negative or when expectedPods is 0.
- disruptedPods: entries written by the eviction handler; dropped when the pod is gone or terminating,
  or after 2 minutes (upstream DeletionTimeout).
- condition DisruptionAllowed True/SufficientPods or False/InsufficientPods; observedGeneration.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..api import ApiError, Conflict, NotFound, Store
from ..selectors import match_label_selector
from . import podutil as pu
from .base import Clock, Controller

__all__ = ["DELETION_TIMEOUT", "DisruptionController", "pdb_pods", "pdb_status"]

log = logging.getLogger(__name__)
DELETION_TIMEOUT = 120.0


def pdb_pods(pdb: Mapping[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pods of the PDB's namespace its selector matches (`{}` matches every pod, an absent one none)."""
    selector = (pdb.get("spec") or {}).get("selector")  # absent selects nothing, {} everything
    ns = pdb["metadata"]["namespace"]
    return [p for p in pods if p["metadata"]["namespace"] == ns
            and match_label_selector(selector, p["metadata"].get("labels"))]


def _expected_scale(store: Store, pods: list[dict[str, Any]]) -> int:
    scales: dict[str, int] = {}
    for pod in pods:
        ref = pu.controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            continue
        rs = store.try_get("replicasets", pod["metadata"]["namespace"], ref["name"])
        if rs is None or rs["metadata"]["uid"] != ref.get("uid"):
            continue
        owner = pu.controller_of(rs)
        if owner is not None and owner.get("kind") == "Deployment":
            d = store.try_get("deployments", rs["metadata"]["namespace"], owner["name"])
            if d is not None and d["metadata"]["uid"] == owner.get("uid"):
                scales[d["metadata"]["uid"]] = int(d["spec"].get("replicas", 1))
                continue
        scales[rs["metadata"]["uid"]] = int(rs["spec"].get("replicas", 1))
    return sum(scales.values())


def _desired(store: Store, pdb: Mapping[str, Any], pods: list[dict[str, Any]]) -> tuple[int, int]:
    spec = pdb.get("spec") or {}
    if spec.get("maxUnavailable") is not None:
        expected = _expected_scale(store, pods)
        unavailable = pu.resolve_int_or_percent(spec["maxUnavailable"], expected, True, "spec.maxUnavailable")
        return expected, max(0, expected - unavailable)
    min_available = spec.get("minAvailable")
    if isinstance(min_available, int) and not isinstance(min_available, bool):
        return len(pods), min_available
    if min_available is not None:
        expected = _expected_scale(store, pods)
        return expected, pu.resolve_int_or_percent(min_available, expected, True, "spec.minAvailable")
    return len(pods), 0


def pdb_status(store: Store, pdb: Mapping[str, Any], pods: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """The PDB's new status from the pods its selector matches (all pods of its namespace are accepted)."""
    matched = pdb_pods(pdb, pods)
    old = dict(pdb.get("status") or {})
    by_name = {p["metadata"]["name"]: p for p in matched}
    disrupted = {}
    for name, stamp in (old.get("disruptedPods") or {}).items():
        pod = by_name.get(name)
        when = pu.time_of(stamp)
        if pod is None or pu.is_terminating(pod) or when is None or when + DELETION_TIMEOUT <= now:
            continue
        disrupted[name] = stamp
    expected, desired = _desired(store, pdb, matched)
    healthy = sum(1 for p in matched if pu.is_ready(p) and not pu.is_terminating(p)
                  and p["metadata"]["name"] not in disrupted)
    allowed = healthy - desired
    if expected <= 0 or allowed <= 0:
        allowed = 0
    generation = int(pdb["metadata"].get("generation") or 0)
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
    }
    if disrupted:
        status["disruptedPods"] = disrupted
    status["conditions"] = allowed_condition(old.get("conditions"), allowed, generation, now)
    return status


def allowed_condition(previous: list[dict[str, Any]] | None, allowed: int, generation: int, now: float
                      ) -> list[dict[str, Any]]:
    """Upstream UpdateDisruptionAllowedCondition (apimeta.SetStatusCondition semantics)."""
    conditions = [dict(c) for c in previous or ()]
    wanted = ("True", "SufficientPods") if allowed > 0 else ("False", "InsufficientPods")
    current = next((c for c in conditions if c.get("type") == "DisruptionAllowed"), None)
    if current is None:
        current = {"type": "DisruptionAllowed"}
        conditions.append(current)
    if current.get("status") != wanted[0]:
        current["lastTransitionTime"] = pu.format_time(now)
    current.update(status=wanted[0], reason=wanted[1], message=current.get("message", ""),
                   observedGeneration=generation)
    return conditions


class DisruptionController(Controller):
    name = "disruption"
    kinds = ("policy/v1/poddisruptionbudgets", "v1/pods", "apps/v1/replicasets", "apps/v1/deployments")

    def __init__(self, store: Store, clock: Clock, *, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self.clock = clock

    def reconcile(self) -> None:
        pdbs = self.store.list("poddisruptionbudgets")
        if not pdbs:
            return
        pods = self.store.list("pods")
        for pdb in pdbs:
            try:
                self.sync(pdb, pods)
            except (Conflict, NotFound):
                self.wake()
            except (ApiError, ValueError) as exc:
                log.warning("pdb %s: %s", pdb["metadata"]["name"], getattr(exc, "message", exc))

    def sync(self, pdb: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        status = pdb_status(self.store, pdb, pods, self.clock())
        if status == pdb.get("status"):
            return
        rv = pdb["metadata"]["resourceVersion"]

        def _fn(obj: dict[str, Any]) -> None:
            if obj["metadata"]["resourceVersion"] != rv:  # an eviction wrote meanwhile: recompute
                raise Conflict("pdb changed")
            obj["status"] = status

        self.store.mutate("poddisruptionbudgets", pdb["metadata"]["namespace"], pdb["metadata"]["name"], _fn,
                          subresource="status")
