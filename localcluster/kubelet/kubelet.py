"""The local kubelet: runs the pods bound to the cluster's nodes as real processes, heartbeats the nodes,
carries out graceful pod deletion (the API's pod-deletion hook) and the node fault API.

A node annotated `localcluster.agentflow.dev/fault: fail` behaves like a node that lost power: every pod
process on it is SIGKILLed at once and its heartbeats stop (the node lifecycle controller then marks it
NotReady/Unknown and evicts). Removing the annotation (or `ok`) brings it back: its kubelet resumes, finishes
deletions that waited for it and restarts the containers of pods still bound to it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from localcluster.api import Conflict, DeleteOptions, MemoryPodLogs, NotFound, Store, Subscription
from localcluster.api.objects import now_time
from localcluster.api.watch import ADDED, DELETED, WatchEvent

from .config import FAULT_ANNOTATION, KubeletConfig
from .env import StoreSecrets
from .events import EventWriter
from .images import PortAllocator
from .lease import renew_lease
from .metrics import PodMetrics
from .pod import PodContext, PodWorker
from .process import Spawner

__all__ = ["Kubelet", "KubeletPodDeleter"]

log = logging.getLogger(__name__)
_TERMINAL = ("Succeeded", "Failed")


class Kubelet:
    """One kubelet for every node in `nodes` (all in this process)."""

    def __init__(
        self,
        store: Store,
        nodes: Iterable[str],
        *,
        config: KubeletConfig | None = None,
        logs: MemoryPodLogs | None = None,
        secrets: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
        events: EventWriter | None = None,
    ) -> None:
        self.store = store
        self.config = config or KubeletConfig()
        self.nodes = set(nodes)
        self.logs = logs if logs is not None else MemoryPodLogs(self.config.log_lines)
        self.secrets = secrets if secrets is not None else StoreSecrets(store)  # default: the API's Secrets
        self.events = events or EventWriter(store)
        self.failed: set[str] = set()
        self._workers: dict[str, PodWorker] = {}
        self._by_name: dict[tuple[str, str], str] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._subs: list[Subscription] = []
        self._spawner: Spawner | None = None
        self._ports = PortAllocator()
        self._heartbeat: threading.Thread | None = None
        self.metrics = PodMetrics(self.config, self.find, self.workers)
        self.pod_deleter = KubeletPodDeleter(self)

    # ------------------------------------------------------------------------------------------ lifecycle
    def start(self) -> Kubelet:
        self._spawner = Spawner()
        self._subs.append(self.store.subscribe(self._on_node, "nodes"))
        self._subs.append(self.store.subscribe(self._on_pod, "pods"))
        self._heartbeat = threading.Thread(target=self._beat_loop, name="kubelet-heartbeat", daemon=True)
        self._heartbeat.start()
        self.metrics.start()
        return self

    def stop(self) -> None:
        """Stop every pod process: SIGTERM, SIGKILL after `config.stop_bound` seconds; then the threads."""
        self._stop.set()
        for sub in self._subs:
            sub.close()
        self.metrics.stop()
        workers = self.workers()
        procs = []
        for w in workers:
            w.shutting_down = True
            procs.extend(w.processes())
        for proc in procs:
            proc.signal(signal.SIGTERM)
        deadline = time.time() + self.config.stop_bound
        for proc in procs:
            if not proc.wait(deadline - time.time()):
                proc.signal(signal.SIGKILL)
        for proc in procs:
            proc.wait(5)
        for w in workers:
            w.request_delete(0)
            w.join(5)
        if self._spawner is not None:
            self._spawner.stop()

    def pids(self) -> list[int]:
        """PIDs of every pod process running now."""
        return [p.pid for w in self.workers() for p in w.processes() if p.alive]

    def workers(self) -> list[PodWorker]:
        with self._lock:
            return list(self._workers.values())

    def find(self, namespace: str, name: str) -> PodWorker | None:
        with self._lock:
            uid = self._by_name.get((namespace, name))
            return self._workers.get(uid) if uid else None

    def _ctx(self) -> PodContext:
        assert self._spawner is not None, "Kubelet.start() first"
        return PodContext(self.store, self.config, self.logs, self.events, self._spawner,
                          self._ports, self.secrets)

    # ------------------------------------------------------------------------------------------ pods
    def _on_pod(self, ev: WatchEvent) -> None:
        pod = ev.object
        uid = pod["metadata"]["uid"]
        if ev.type == DELETED:
            with self._lock:
                worker = self._workers.pop(uid, None)
                key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
                if self._by_name.get(key) == uid:
                    del self._by_name[key]
            if worker is not None:
                worker.mark_gone()
            return
        self._ensure(pod)

    def _ensure(self, pod: dict[str, Any]) -> None:
        meta, node = pod["metadata"], pod.get("spec", {}).get("nodeName")
        if not node or node not in self.nodes or self._stop.is_set():
            return
        with self._lock:
            worker = self._workers.get(meta["uid"])
            if worker is None and node in self.failed:
                return  # that node's kubelet is down; it picks the pod up when it recovers
            if worker is None:
                if pod.get("status", {}).get("phase") in _TERMINAL:
                    return
                if meta.get("deletionTimestamp"):
                    self._remove_now(meta["namespace"], meta["name"], meta["uid"])
                    return
                worker = PodWorker(self._ctx(), pod)
                self._workers[meta["uid"]] = worker
                self._by_name[(meta["namespace"], meta["name"])] = meta["uid"]
                worker.start()
                return
        if meta.get("deletionTimestamp") and worker.deadline is None:
            worker.request_delete(int(meta.get("deletionGracePeriodSeconds") or 0))

    def _remove_now(self, namespace: str, name: str, uid: str) -> dict[str, Any] | None:
        try:
            return self.store.delete("pods", namespace, name, preconditions={"uid": uid})
        except (NotFound, Conflict):
            return None

    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None,
                   preconditions: Mapping[str, Any] | None = None,
                   propagation_policy: str | None = None) -> dict[str, Any] | None:
        """Graceful deletion (see kubernetes-api.md). Returns the deleted or now-terminating pod, None if the
        pod does not exist. grace None -> spec.terminationGracePeriodSeconds (30); 0, or a pod that is not
        running anywhere (unbound, terminal, on no node of this cluster) -> removed at once."""
        pod = self.store.try_get("pods", namespace, name)
        if pod is None:
            return None
        meta, spec = pod["metadata"], pod.get("spec", {})
        pre = dict(preconditions or {})
        if (pre.get("uid") and pre["uid"] != meta["uid"]) or (
            pre.get("resourceVersion") and str(pre["resourceVersion"]) != meta["resourceVersion"]):
            return self.store.delete("pods", namespace, name, preconditions=pre)  # raises Conflict
        grace = int(spec.get("terminationGracePeriodSeconds", 30)) if grace_seconds is None else int(grace_seconds)
        with self._lock:
            worker = self._workers.get(meta["uid"])
        not_running = worker is None or pod.get("status", {}).get("phase") in _TERMINAL
        if grace <= 0 or not_running:
            obj = self.store.delete("pods", namespace, name, preconditions=pre or None,
                                    propagation_policy=propagation_policy)
            if worker is not None:
                worker.freeze()  # SIGKILL now; the DELETED event ends the worker
            return obj
        obj = self.store.mark_deleting("pods", namespace, name, grace)
        assert worker is not None
        worker.request_delete(grace)
        return obj

    # ------------------------------------------------------------------------------------------ nodes
    def _on_node(self, ev: WatchEvent) -> None:
        name = ev.object["metadata"]["name"]
        if name not in self.nodes:
            return
        fault = (ev.object["metadata"].get("annotations") or {}).get(FAULT_ANNOTATION, "ok")
        failed = ev.type != DELETED and fault == "fail"
        if ev.type == DELETED:
            return  # heartbeats skip a missing node; its pods keep running until they are deleted
        if failed and name not in self.failed:
            self.fail_node(name)
        elif not failed and name in self.failed:
            self.recover_node(name)
        elif ev.type == ADDED and not failed:  # a registering kubelet takes its node lease at once
            renew_lease(self.store, name, max(1, round(40 / self.config.time_factor)))

    def fail_node(self, name: str) -> None:
        """In-process hard failure of `name` (the API path is the fault annotation)."""
        with self._lock:
            self.failed.add(name)
            victims = [w for w in self._workers.values() if w.node == name]
        for w in victims:
            w.freeze()
        log.warning("node %s failed: %d pod(s) killed, heartbeats stopped", name, len(victims))

    def recover_node(self, name: str) -> None:
        with self._lock:
            self.failed.discard(name)
            frozen = [w for w in self._workers.values() if w.node == name]
        for w in frozen:
            w.thaw()
        self._beat(name)
        for pod in self.store.list("pods", field_selector=f"spec.nodeName={name}"):
            self._ensure(pod)
        log.warning("node %s recovered", name)

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.config.heartbeat_period):
            for name in sorted(self.nodes - self.failed):
                self._beat(name)

    def _beat(self, name: str) -> None:
        now = now_time()

        def _fn(node: dict[str, Any]) -> None:
            conditions = node.setdefault("status", {}).setdefault("conditions", [])
            ready = next((c for c in conditions if c.get("type") == "Ready"), None)
            if ready is None:
                ready = {"type": "Ready"}
                conditions.append(ready)
            if ready.get("status") != "True":
                ready["lastTransitionTime"] = now
            ready.update(status="True", reason="KubeletReady", message="kubelet is posting ready status")
            for cond in conditions:
                cond["lastHeartbeatTime"] = now

        try:
            self.store.mutate("nodes", None, name, _fn, subresource="status")
            renew_lease(self.store, name, max(1, round(40 / self.config.time_factor)))
        except NotFound:
            pass
        except Exception:
            log.exception("heartbeat of node %s failed", name)


class KubeletPodDeleter:
    """The API server's PodDeleter hook: DELETE .../pods/x and evictions go through `Kubelet.delete_pod`."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.kubelet = kubelet

    def delete_pod(self, store: Store, namespace: str, name: str, options: DeleteOptions) -> dict[str, Any]:
        obj = self.kubelet.delete_pod(namespace, name, options.grace_period_seconds,
                                      preconditions=options.preconditions,
                                      propagation_policy=options.propagation_policy)
        if obj is None:
            raise NotFound.of("pods", name)
        return obj

