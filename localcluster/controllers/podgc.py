"""Pod garbage collector (upstream PodGC), checked every `period` seconds:

- orphaned pods: bound to a node that no longer exists (absent for at least `quarantine` seconds, as
  upstream's 40 s quarantine) -> condition DisruptionTarget=True (DeletionByPodGC), phase Failed if
  not terminal, then force-deleted (grace 0);
- unscheduled pods that are terminating -> force-deleted;
- terminated pods (Succeeded/Failed) beyond `terminated_threshold` -> the oldest are deleted.
"""

from __future__ import annotations

import logging
from typing import Any

from ..api import ApiError, NotFound, Store
from . import podutil as pu
from .base import Clock, Controller
from .replicaset import DeletePod

__all__ = ["PodGcController"]

log = logging.getLogger(__name__)


class PodGcController(Controller):
    name = "pod-garbage-collector"
    kinds = ("v1/nodes",)

    def __init__(self, store: Store, delete_pod: DeletePod, clock: Clock, *, period: float = 20.0,
                 quarantine: float = 40.0, terminated_threshold: int = 12500, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self.delete_pod = delete_pod
        self.clock = clock
        self.period = period
        self.quarantine = quarantine
        self.terminated_threshold = terminated_threshold
        self._missing_since: dict[str, float] = {}
        self._last: float | None = None

    def reconcile(self) -> None:
        now = self.clock()
        nodes = {n["metadata"]["name"] for n in self.store.list("nodes")}
        pods = self.store.list("pods")
        bound_to = {p["spec"].get("nodeName") for p in pods if p["spec"].get("nodeName")}
        for name in bound_to - nodes:
            self._missing_since.setdefault(name, now)
        self._missing_since = {k: v for k, v in self._missing_since.items() if k not in nodes and k in bound_to}
        due = self._last is None or now - self._last >= self.period
        orphans_due = any(now - since >= self.quarantine for since in self._missing_since.values())
        if not due and not orphans_due:
            return
        self._last = now
        for pod in pods:
            node = pod["spec"].get("nodeName")
            if node and node in self._missing_since and now - self._missing_since[node] >= self.quarantine:
                self._orphan(pod, now)
            elif not node and pu.is_terminating(pod):
                self._force(pod)
        terminated = [p for p in pods if pu.is_terminal(p) and not pu.is_terminating(p)]
        excess = len(terminated) - self.terminated_threshold
        if excess > 0:
            terminated.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""))
            for pod in terminated[:excess]:
                self._force(pod)

    def _orphan(self, pod: dict[str, Any], now: float) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        pu.patch_pod_condition(self.store, ns, name, "DisruptionTarget", "True", "DeletionByPodGC",
                               "PodGC: node no longer exists", now)
        if not pu.is_terminal(pod):
            def _fn(obj: dict[str, Any]) -> None:
                obj.setdefault("status", {})["phase"] = "Failed"

            try:
                self.store.mutate("pods", ns, name, _fn, subresource="status")
            except NotFound:
                return
        self._force(pod)

    def _force(self, pod: dict[str, Any]) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        try:
            self.delete_pod(ns, name, 0)
        except NotFound:
            pass
        except ApiError as exc:
            log.warning("podgc: deleting %s/%s failed: %s", ns, name, exc.message)
