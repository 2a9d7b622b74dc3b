"""The eviction decision (POST .../pods/{name}/eviction), plugged into the API server as its
`EvictionHandler` (`ApiServer(eviction_handler=...)`). Follows upstream's EvictionREST.Create:

1. Pod Succeeded/Failed/Pending or already terminating: delete, 201.
2. PDBs of the namespace whose selector matches the pod: more than one -> 500; none -> delete, 201.
3. Pod not Ready: allowed (no budget is spent) when `unhealthyPodEvictionPolicy: AlwaysAllow`, or when
   currentHealthy >= desiredHealthy > 0 (IfHealthyBudget, the default).
4. PDB status older than its spec -> 429 with Retry-After: 10; disruptionsAllowed < 0 -> 403;
   == 0 -> 429 with the DisruptionBudget cause `The disruption budget NAME needs N healthy pods and has M
   currently`.
5. Otherwise disruptionsAllowed-- and disruptedPods[pod] = now are written to the PDB status, the pod gets
   condition DisruptionTarget=True (EvictionByEvictionAPI) and is deleted gracefully; 201 Success.

With dryRun=All every check above is made and answered the same way, but nothing is written or deleted.
One lock is held around decide + record + delete, and the PDB write is a compare-and-swap on its
resourceVersion, so two concurrent evictions can never both spend a budget of 1.
"""

from __future__ import annotations

import threading
from typing import Any

from ..api import ApiError, Conflict, Forbidden, NotFound, PodDeleter, Store, TooManyRequests, status_body
from ..api.hooks import DeleteOptions
from . import podutil as pu
from .base import Clock
from .disruption import allowed_condition, pdb_pods

__all__ = ["MAX_DISRUPTED_PODS", "PdbEvictionHandler"]

MAX_DISRUPTED_PODS = 2000
_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
_MULTIPLE = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."


def _too_many(message: str, retry_after: int = 0) -> TooManyRequests:
    details: dict[str, Any] = {"causes": [{"reason": "DisruptionBudget", "message": message}]}
    headers = {}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
        headers["Retry-After"] = str(retry_after)
    return TooManyRequests(_VIOLATION, details=details, headers=headers)


def _forbidden(pdb_name: str, why: str) -> Forbidden:
    return Forbidden(f'poddisruptionbudgets.policy "{pdb_name}" is forbidden: {why}',
                     details={"name": pdb_name, "group": "policy", "kind": "poddisruptionbudgets"})


class PdbEvictionHandler:
    """EvictionHandler honouring PodDisruptionBudgets. `evictions` counts accepted evictions."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.evictions = 0

    def evict(self, store: Store, namespace: str, name: str, eviction: dict[str, Any], deleter: PodDeleter
              ) -> dict[str, Any]:
        options = DeleteOptions.from_body(eviction.get("deleteOptions"))
        with self._lock:
            pod = store.get("pods", namespace, name)
            phase = (pod.get("status") or {}).get("phase", "Pending")
            if phase in ("Succeeded", "Failed", "Pending") or pu.is_terminating(pod):
                return self._delete(store, pod, options, deleter)
            pdbs = pdb_pods_for(store, pod)
            if len(pdbs) > 1:
                raise ApiError(f"Internal error occurred: {_MULTIPLE}", details={"causes": [{"message": _MULTIPLE}]})
            if not pdbs:
                return self._delete(store, pod, options, deleter)
            pdb = pdbs[0]
            if not pu.is_ready(pod) and self._unhealthy_allowed(pdb):
                return self._delete(store, pod, options, deleter)
            self._spend(store, pdb, name, options.dry_run)
            return self._delete(store, pod, options, deleter)

    @staticmethod
    def _unhealthy_allowed(pdb: dict[str, Any]) -> bool:
        if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
            return True
        status = pdb.get("status") or {}
        desired = int(status.get("desiredHealthy") or 0)
        return int(status.get("currentHealthy") or 0) >= desired > 0

    def _spend(self, store: Store, pdb: dict[str, Any], pod_name: str, dry_run: bool = False) -> None:
        """Check the budget and record the disruption in one compare-and-swap on the PDB (a dry run checks
        the same way and records nothing)."""
        now = self.clock()
        pdb_name = pdb["metadata"]["name"]

        def _fn(obj: dict[str, Any]) -> None:
            status = obj.setdefault("status", {})
            if int(status.get("observedGeneration") or 0) < int(obj["metadata"].get("generation") or 0):
                raise _too_many(f"The disruption budget {pdb_name} is still being processed by the server.", 10)
            allowed = int(status.get("disruptionsAllowed") or 0)
            if allowed < 0:
                raise _forbidden(pdb_name, "pdb disruptions allowed is negative")
            if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_PODS:
                raise _forbidden(pdb_name, "DisruptedPods map too big - too many evictions not confirmed by PDB "
                                           "controller")
            if allowed == 0:
                raise _too_many(f"The disruption budget {pdb_name} needs {int(status.get('desiredHealthy') or 0)} "
                                f"healthy pods and has {int(status.get('currentHealthy') or 0)} currently")
            status["disruptionsAllowed"] = allowed - 1
            if allowed - 1 == 0:
                status["conditions"] = allowed_condition(status.get("conditions"), 0,
                                                         int(status.get("observedGeneration") or 0), now)
            status.setdefault("disruptedPods", {})[pod_name] = pu.format_time(now)

        store.mutate("poddisruptionbudgets", pdb["metadata"]["namespace"], pdb_name, _fn, subresource="status",
                     dry_run=dry_run)

    def _delete(self, store: Store, pod: dict[str, Any], options: DeleteOptions, deleter: PodDeleter
                ) -> dict[str, Any]:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        if options.dry_run:  # upstream: all checks made, no condition written, nothing deleted
            return status_body(201, "", "")
        if not pu.is_terminal(pod):
            pu.patch_pod_condition(store, ns, name, "DisruptionTarget", "True", "EvictionByEvictionAPI",
                                   "Eviction API: evicting", self.clock())
        try:
            deleter.delete_pod(store, ns, name, options)
        except Conflict:
            raise
        except NotFound:
            pass
        self.evictions += 1
        return status_body(201, "", "")


def pdb_pods_for(store: Store, pod: dict[str, Any]) -> list[dict[str, Any]]:
    """The PDBs of the pod's namespace whose selector matches it."""
    pdbs = store.list("poddisruptionbudgets", pod["metadata"]["namespace"])
    return [pdb for pdb in pdbs if pdb_pods(pdb, [pod])]
