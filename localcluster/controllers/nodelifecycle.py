"""Node lifecycle controller and NoExecute taint manager.

Node health as upstream judges it: the controller remembers WHEN IT OBSERVED each node's Ready condition
`lastHeartbeatTime` change (upstream's probeTimestamp, immune to clock skew); a node not renewed for
`grace_period` (node-monitor-grace-period, 40 s) gets Ready=Unknown (reason NodeStatusUnknown, "Kubelet
stopped posting node status.", or NodeStatusNeverUpdated) and every other condition Unknown, and its pods
are marked Ready=False. Taints follow the Ready condition: Unknown -> `node.kubernetes.io/unreachable`,
False -> `node.kubernetes.io/not-ready`, each NoSchedule + NoExecute (timeAdded on NoExecute); Ready=True
removes them.

Taint manager: a pod bound to a node with NoExecute taints it does not tolerate is evicted at once; one
tolerating them for tolerationSeconds is evicted when the latest relevant taint is that old (the default
300 s tolerations of the DefaultTolerationSeconds admission plugin are assumed when a pod has none).
Eviction = condition DisruptionTarget=True (DeletionByTaintManager), event TaintManagerEviction, graceful
`delete_pod`; the pod then stays Terminating while its node is dead, as upstream.
Not modelled: zone disruption states and eviction rate limiting, lease objects.
"""

from __future__ import annotations

import logging
from typing import Any

from ..api import ApiError, Conflict, NotFound, Store
from . import podutil as pu
from .base import Clock, Controller
from .events import EventRecorder
from .replicaset import DeletePod

__all__ = ["NOT_READY", "UNREACHABLE", "NodeLifecycleController"]

log = logging.getLogger(__name__)
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
_OWN_TAINTS = (UNREACHABLE, NOT_READY)


def _tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint.get("key")
    return toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get("value", "")


def eviction_delay(pod: dict[str, Any], taints: list[dict[str, Any]], default_seconds: int) -> float | None:
    """Seconds after the taints appeared at which the pod must go (0 = now), None = tolerated forever."""
    tolerations = pu.with_default_tolerations(pod["spec"].get("tolerations"), default_seconds)
    delay: float | None = None
    for taint in taints:
        matching = [t for t in tolerations if _tolerates(t, taint)]
        if not matching:
            return 0.0
        bounded = [float(t["tolerationSeconds"]) for t in matching if t.get("tolerationSeconds") is not None]
        if len(bounded) == len(matching):
            seconds = max(0.0, min(bounded))
            delay = seconds if delay is None else min(delay, seconds)
    return delay


class NodeLifecycleController(Controller):
    name = "node-lifecycle"
    kinds = ("v1/nodes", "v1/pods")

    def __init__(self, store: Store, delete_pod: DeletePod, recorder: EventRecorder, clock: Clock, *,
                 grace_period: float = 40.0, default_toleration_seconds: int = 300, interval: float = 1.0) -> None:
        super().__init__(interval)
        self.store = store
        self.delete_pod = delete_pod
        self.recorder = recorder
        self.clock = clock
        self.grace_period = grace_period
        self.default_toleration_seconds = default_toleration_seconds
        self._probe: dict[str, tuple[str | None, float]] = {}  # node -> (heartbeat seen, when observed)
        self._taint_seen: dict[tuple[str, str], float] = {}  # (node, taint key) -> first seen (no timeAdded)

    def reconcile(self) -> None:
        now = self.clock()
        nodes = self.store.list("nodes")
        self._probe = {k: v for k, v in self._probe.items() if k in {n["metadata"]["name"] for n in nodes}}
        tainted: dict[str, list[dict[str, Any]]] = {}
        for node in nodes:
            try:
                node = self._health(node, now)
                node = self._taints(node, now)
            except (Conflict, NotFound):
                self.wake()
                continue
            no_execute = [t for t in node["spec"].get("taints") or () if t.get("effect") == "NoExecute"]
            if no_execute:
                tainted[node["metadata"]["name"]] = no_execute
        pods = self.store.list("pods")
        for pod in pods:
            node_name = pod["spec"].get("nodeName")
            if node_name in tainted and not pu.is_terminating(pod) and not pu.is_terminal(pod):
                self._maybe_evict(pod, tainted[node_name], now)
        ready = {n["metadata"]["name"]: (pu.condition(n, "Ready") or {}).get("status") for n in nodes}
        for pod in pods:
            node_name = pod["spec"].get("nodeName")
            if node_name and ready.get(node_name, "True") != "True" and pu.is_ready(pod) and not pu.is_terminal(pod):
                pu.patch_pod_condition(self.store, pod["metadata"]["namespace"], pod["metadata"]["name"], "Ready",
                                       "False", "", "", now)

    def _health(self, node: dict[str, Any], now: float) -> dict[str, Any]:
        name = node["metadata"]["name"]
        ready = pu.condition(node, "Ready")
        beat = (ready or {}).get("lastHeartbeatTime")
        seen = self._probe.get(name)
        if seen is None or seen[0] != beat:
            self._probe[name] = (beat, now)
            return node
        if now - seen[1] <= self.grace_period or (ready is not None and ready.get("status") == "Unknown"):
            return node
        reason, message = ("NodeStatusNeverUpdated", "Kubelet never posted node status.") if ready is None else (
            "NodeStatusUnknown", "Kubelet stopped posting node status.")

        def _fn(obj: dict[str, Any]) -> None:
            conditions = obj.setdefault("status", {}).setdefault("conditions", [])
            if not any(c.get("type") == "Ready" for c in conditions):
                conditions.append({"type": "Ready"})
            for c in conditions:
                if c.get("status") != "Unknown":
                    c.update(status="Unknown", reason=reason, message=message,
                             lastTransitionTime=pu.format_time(now))
                    c.setdefault("lastHeartbeatTime", pu.format_time(seen[1]))

        log.info("node %s: no heartbeat for %.0f s, Ready=Unknown", name, now - seen[1])
        updated = self.store.mutate("nodes", None, name, _fn, subresource="status")
        self.recorder.event(updated, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        self._probe[name] = ((pu.condition(updated, "Ready") or {}).get("lastHeartbeatTime"), seen[1])
        return updated

    def _taints(self, node: dict[str, Any], now: float) -> dict[str, Any]:
        status = (pu.condition(node, "Ready") or {}).get("status", "Unknown")
        key = {"Unknown": UNREACHABLE, "False": NOT_READY}.get(status)
        current = node["spec"].get("taints") or []
        keep = [t for t in current if t.get("key") not in _OWN_TAINTS]
        mine = [t for t in current if t.get("key") == key]
        wanted = list(keep)
        if key is not None:
            for effect in ("NoSchedule", "NoExecute"):
                existing = next((t for t in mine if t.get("effect") == effect), None)
                taint = existing or {"key": key, "effect": effect}
                if effect == "NoExecute" and not taint.get("timeAdded"):
                    taint = {**taint, "timeAdded": pu.format_time(now)}
                wanted.append(taint)
        if wanted == current:
            return node

        def _fn(obj: dict[str, Any]) -> None:
            others = [t for t in obj["spec"].get("taints") or () if t.get("key") not in _OWN_TAINTS]
            obj["spec"]["taints"] = others + [t for t in wanted if t.get("key") in _OWN_TAINTS]

        return self.store.mutate("nodes", None, node["metadata"]["name"], _fn)

    def _maybe_evict(self, pod: dict[str, Any], taints: list[dict[str, Any]], now: float) -> None:
        delay = eviction_delay(pod, taints, self.default_toleration_seconds)
        if delay is None:
            return
        node = pod["spec"]["nodeName"]
        since = 0.0
        for taint in taints:
            added = pu.time_of(taint.get("timeAdded"))
            if added is None:
                added = self._taint_seen.setdefault((node, taint.get("key", "")), now)
            since = max(since, added)
        if now < since + delay:
            return
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        pu.patch_pod_condition(self.store, ns, name, "DisruptionTarget", "True", "DeletionByTaintManager",
                               "Taint manager: deleting due to NoExecute taint", now)
        self.recorder.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}")
        try:
            self.delete_pod(ns, name, None)
        except NotFound:
            pass
        except ApiError as exc:
            log.warning("taint manager: deleting pod %s/%s failed: %s", ns, name, exc.message)
