"""ReplicaSet controller: create or delete pods so each ReplicaSet has spec.replicas active pods.

Active = not Succeeded/Failed and not terminating, so a pod being deleted is replaced at once (as
upstream). Pods are created from the template with `generateName: <rs>-`, a controller ownerReference
and the DefaultTolerationSeconds tolerations; orphans matching the selector are adopted and owned pods
that stop matching are released. Surplus pods are chosen by upstream's `ActivePodsWithRanks` order and
deleted gracefully through the kubelet's `delete_pod`. Status: replicas, fullyLabeledReplicas,
readyReplicas, availableReplicas (minReadySeconds), observedGeneration.
Not modelled: slow-start batching and expectations (the store is read directly, never a stale cache).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..api import ApiError, Conflict, NotFound, Store
from ..api.objects import clone
from ..selectors import match_label_selector
from . import podutil as pu
from .base import Clock, Controller
from .events import EventRecorder

__all__ = ["DeletePod", "ReplicaSetController", "deletion_order"]

log = logging.getLogger(__name__)

DeletePod = Callable[[str, str, int | None], dict[str, Any] | None]
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _cost(pod: dict[str, Any]) -> int:
    value = (pod["metadata"].get("annotations") or {}).get("controller.kubernetes.io/pod-deletion-cost", "0")
    try:
        return int(value)
    except ValueError:
        return 0


def _restarts(pod: dict[str, Any]) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return max((int(s.get("restartCount") or 0) for s in statuses), default=0)


def deletion_order(pods: list[dict[str, Any]], related: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pods sorted as upstream picks them for deletion (first = deleted first): unscheduled, Pending <
    Unknown < Running, not ready, lower deletion cost, more related pods on the same node, ready for less
    time, more restarts, newer."""
    on_node = Counter(p["spec"].get("nodeName") for p in related if p["spec"].get("nodeName") and pu.is_active(p))

    def key(pod: dict[str, Any]) -> tuple[Any, ...]:
        node = pod["spec"].get("nodeName")
        ready = pu.is_ready(pod)
        ready_since = pu.time_of((pu.condition(pod, "Ready") or {}).get("lastTransitionTime")) if ready else None
        created = pu.time_of(pod["metadata"].get("creationTimestamp")) or 0.0
        return (
            1 if node else 0,
            _PHASE_RANK.get((pod.get("status") or {}).get("phase", "Pending"), 0),
            1 if ready else 0,
            _cost(pod),
            -(on_node[node] if node else 0),
            -(ready_since or float("inf")) if ready else 0,
            -_restarts(pod),
            -created,
            pod["metadata"]["name"],
        )

    return sorted(pods, key=key)


class ReplicaSetController(Controller):
    name = "replicaset"
    kinds = ("apps/v1/replicasets", "v1/pods")

    def __init__(
        self, store: Store, delete_pod: DeletePod, recorder: EventRecorder, clock: Clock, *,
        default_toleration_seconds: int = 300, interval: float = 1.0,
    ) -> None:
        super().__init__(interval)
        self.store = store
        self.delete_pod = delete_pod
        self.recorder = recorder
        self.clock = clock
        self.default_toleration_seconds = default_toleration_seconds

    def reconcile(self) -> None:
        pods_by_ns: dict[str, list[dict[str, Any]]] = {}
        for pod in self.store.list("pods"):
            pods_by_ns.setdefault(pod["metadata"]["namespace"], []).append(pod)
        replicasets = self.store.list("replicasets")
        owner_of = {rs["metadata"]["uid"]: (pu.controller_of(rs) or {}).get("uid") or rs["metadata"]["uid"]
                    for rs in replicasets}
        active_of = Counter((pu.controller_of(p) or {}).get("uid") for ps in pods_by_ns.values() for p in ps
                            if pu.is_active(p))
        # ReplicaSets with pods to remove go first, so a rolling update's scale-down lands before the matching
        # scale-up and live pods stay within maxSurge (a Deployment's scale steps arrive together)
        replicasets.sort(key=lambda rs: int(rs["spec"].get("replicas", 1)) - active_of[rs["metadata"]["uid"]])
        for rs in replicasets:
            if pu.is_terminating(rs):
                continue
            pods = pods_by_ns.get(rs["metadata"]["namespace"], [])
            # upstream ranks by pods of every ReplicaSet of the same Deployment on the same node
            group = owner_of[rs["metadata"]["uid"]]
            related = [p for p in pods if owner_of.get((pu.controller_of(p) or {}).get("uid", "")) == group]
            try:
                self.sync(rs, pods, related)
            except (Conflict, NotFound):
                self.wake()  # raced with another writer: retry on the next pass
            except ApiError as exc:
                log.warning("replicaset %s: %s", rs["metadata"]["name"], exc.message)

    def _owned(self, rs: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
        uid, selector = rs["metadata"]["uid"], rs["spec"].get("selector")
        owned = []
        for pod in pods:
            ref = pu.controller_of(pod)
            matches = match_label_selector(selector, pod["metadata"].get("labels"))
            if ref is not None and ref.get("uid") == uid:
                if matches:
                    owned.append(pod)
                else:
                    self._set_owner(pod, None)
            elif ref is None and matches and not pu.is_terminating(pod) and self._set_owner(pod, pu.owner_ref(rs)):
                owned.append(pod)
        return owned

    def _set_owner(self, pod: dict[str, Any], ref: dict[str, Any] | None) -> bool:
        uid = pod["metadata"]["uid"]

        def _fn(obj: dict[str, Any]) -> None:
            if obj["metadata"]["uid"] != uid:
                raise Conflict("pod replaced")
            refs = [r for r in obj["metadata"].get("ownerReferences") or () if not r.get("controller")]
            if ref is not None:
                refs.append(ref)
            obj["metadata"]["ownerReferences"] = refs

        try:
            self.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], _fn)
        except (NotFound, Conflict):
            return False
        return True

    def sync(self, rs: dict[str, Any], pods: list[dict[str, Any]], related: list[dict[str, Any]] | None = None
             ) -> None:
        owned = self._owned(rs, pods)
        active = [p for p in owned if pu.is_active(p)]
        want = int(rs["spec"].get("replicas", 1))
        diff = len(active) - want
        if diff < 0:
            for _ in range(-diff):
                active.append(self._create_pod(rs))
        elif diff > 0:
            for pod in deletion_order(active, owned if related is None else related)[:diff]:
                self._delete(rs, pod)
                active.remove(pod)
        self._status(rs, active)

    def _create_pod(self, rs: dict[str, Any]) -> dict[str, Any]:
        template = clone(rs["spec"].get("template") or {})
        meta = template.get("metadata") or {}
        spec = template.get("spec") or {}
        spec["tolerations"] = pu.with_default_tolerations(spec.get("tolerations"), self.default_toleration_seconds)
        body = {
            "metadata": {
                "generateName": f"{rs['metadata']['name']}-",
                "namespace": rs["metadata"]["namespace"],
                "labels": dict(meta.get("labels") or {}),
                "ownerReferences": [pu.owner_ref(rs)],
            },
            "spec": spec,
        }
        if meta.get("annotations"):
            body["metadata"]["annotations"] = dict(meta["annotations"])
        try:
            pod = self.store.create("pods", body)
        except ApiError as exc:
            self.recorder.event(rs, "Warning", "FailedCreate", f"Error creating: {exc.message}")
            raise
        self.recorder.event(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        return pod

    def _delete(self, rs: dict[str, Any], pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        try:
            self.delete_pod(pod["metadata"]["namespace"], name, None)
        except NotFound:
            return
        self.recorder.event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")

    def _status(self, rs: dict[str, Any], active: list[dict[str, Any]]) -> None:
        now = self.clock()
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        labelled = [p for p in active if all((p["metadata"].get("labels") or {}).get(k) == v
                                              for k, v in template_labels.items())]
        status: dict[str, Any] = {
            "replicas": len(active),
            "fullyLabeledReplicas": len(labelled),
            "readyReplicas": sum(1 for p in active if pu.is_ready(p)),
            "availableReplicas": sum(1 for p in active if pu.available(p, min_ready, now)),
            "observedGeneration": int(rs["metadata"].get("generation") or 0),
        }
        conditions = [c for c in (rs.get("status") or {}).get("conditions") or () if c.get("type") != "ReplicaFailure"]
        if conditions:
            status["conditions"] = conditions
        current = {k: v for k, v in (rs.get("status") or {}).items()}
        if all(current.get(k, 0) == v for k, v in status.items()):
            return

        def _fn(obj: dict[str, Any]) -> None:
            obj["status"] = dict(status)

        self.store.mutate("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"], _fn,
                          subresource="status")
