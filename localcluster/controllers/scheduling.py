"""Scheduling controller: binds Pending pods that have no node, using the pure `localcluster.scheduler`.

Pods are taken by priority (higher first) then age, and each binding is added to the pod list before the
next pod is placed. Success: spec.nodeName is set, condition PodScheduled=True and a `Scheduled` event.
Failure: condition PodScheduled=False/Unschedulable with upstream's FitError message and a
`FailedScheduling` Warning event (deduplicated by the recorder: count++). An unschedulable pod is retried
when a node or a bound pod changed since its last attempt, with upstream's per-pod backoff (1 s doubling
to 10 s), and at least every `retry_period` seconds even if nothing changed.
Not modelled: preemption (the scheduler names candidate nodes; no victims are evicted), scheduler names
other than default-scheduler are left alone, scheduling gates.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

from ..api import Conflict, NotFound, Store
from ..scheduler import SchedulerConfig, schedule
from . import podutil as pu
from .base import Clock, Controller
from .events import EventRecorder

__all__ = ["SchedulingController"]

log = logging.getLogger(__name__)


@dataclass
class _Attempt:
    at: float
    rv: str
    count: int
    message: str


def _fingerprint(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> str:
    """What a scheduling decision depends on: nodes (any change) and bound active pods (node, labels).
    Status writes to pending pods and events do not change it, so they do not trigger retries."""
    node_part = sorted((n["metadata"]["name"], n["metadata"].get("resourceVersion", "")) for n in nodes)
    pod_part = sorted(
        (p["metadata"]["uid"], p["spec"].get("nodeName", ""),
         tuple(sorted((p["metadata"].get("labels") or {}).items())))
        for p in pods if p["spec"].get("nodeName") and pu.is_active(p)
    )
    return str(hash((tuple(node_part), tuple(pod_part))))


class SchedulingController(Controller):
    name = "scheduler"
    kinds = ("v1/pods", "v1/nodes", "v1/namespaces")

    def __init__(self, store: Store, recorder: EventRecorder, clock: Clock, *, backoff_initial: float = 1.0,
                 backoff_max: float = 10.0, retry_period: float = 60.0, seed: int | None = None,
                 interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self.recorder = recorder
        self.clock = clock
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.retry_period = retry_period
        self._attempts: dict[str, _Attempt] = {}
        self._config = SchedulerConfig() if seed is None else SchedulerConfig(tie_break="random",
                                                                               rng=random.Random(seed))

    @staticmethod
    def _wants(pod: dict[str, Any]) -> bool:
        spec = pod.get("spec") or {}
        return (not spec.get("nodeName") and pu.is_active(pod)
                and spec.get("schedulerName", "default-scheduler") == "default-scheduler"
                and not spec.get("schedulingGates"))

    def _due(self, uid: str, rv: str, now: float) -> bool:
        last = self._attempts.get(uid)
        if last is None:
            return True
        backoff = min(self.backoff_max, self.backoff_initial * 2 ** (last.count - 1))
        if now - last.at >= self.retry_period:
            return True
        return rv != last.rv and now - last.at >= backoff

    def reconcile(self) -> None:
        pods = self.store.list("pods")
        pending = [p for p in pods if self._wants(p)]
        live = {p["metadata"]["uid"] for p in pending}
        self._attempts = {uid: a for uid, a in self._attempts.items() if uid in live}
        if not pending:
            return
        nodes = self.store.list("nodes")
        namespaces = {ns["metadata"]["name"]: ns["metadata"].get("labels") or {}
                      for ns in self.store.list("namespaces")}
        rv, now = _fingerprint(nodes, pods), self.clock()
        pending.sort(key=lambda p: (-int(p["spec"].get("priority") or 0), p["metadata"].get("creationTimestamp", ""),
                                    p["metadata"]["name"]))
        for pod in pending:
            uid = pod["metadata"]["uid"]
            if not self._due(uid, rv, now):
                continue
            result = schedule(pod, nodes, pods, config=self._config, namespace_labels=namespaces)
            if result.node_name is not None:
                bound = self._bind(pod, result.node_name, now)
                self._attempts.pop(uid, None)
                if bound is not None:
                    pods = [bound if p["metadata"]["uid"] == uid else p for p in pods]
            else:
                self._unschedulable(pod, result.message, now)
                last = self._attempts.get(uid)
                self._attempts[uid] = _Attempt(now, rv, (last.count if last else 0) + 1, result.message)

    def _bind(self, pod: dict[str, Any], node: str, now: float) -> dict[str, Any] | None:
        ns, name, uid = pod["metadata"]["namespace"], pod["metadata"]["name"], pod["metadata"]["uid"]

        def _fn(obj: dict[str, Any]) -> None:
            if obj["metadata"]["uid"] != uid or obj["spec"].get("nodeName") or pu.is_terminating(obj):
                raise Conflict(f"pod {name} changed before binding")
            obj["spec"]["nodeName"] = node

        try:
            bound = self.store.mutate("pods", ns, name, _fn)
        except (NotFound, Conflict):
            return None
        pu.patch_pod_condition(self.store, ns, name, "PodScheduled", "True", "", "", now)
        self.recorder.event(bound, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}")
        return bound

    def _unschedulable(self, pod: dict[str, Any], message: str, now: float) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        pu.patch_pod_condition(self.store, ns, name, "PodScheduled", "False", "Unschedulable", message, now)
        self.recorder.event(pod, "Warning", "FailedScheduling", message)
