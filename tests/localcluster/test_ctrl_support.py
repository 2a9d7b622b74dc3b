"""Shared helpers for the controller tests (this module holds no tests).

`TestKubelet` plays the kubelet's part where no kubelet runs: it writes pod status the way the kubelet
would (phase Running, podIP, the host-ports annotation, Ready), removes terminating pods when told their
process has exited, and offers the `delete_pod` / `pod_metrics` interfaces the controllers consume.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from localcluster.api import Store
from localcluster.api.objects import format_time
from localcluster.controllers import ControllerConfig, ControllerManager

NS = "default"
PORTS = "localcluster.agentflow.dev/ports"


def wait_until(pred: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `pred` until it returns a truthy value (returned) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        threading.Event().wait(0.01)


def make_node(store: Store, name: str, zone: str = "zone-a", cpu: str = "8", pods: str = "110",
              heartbeat: float | None = None) -> dict[str, Any]:
    stamp = format_time(heartbeat if heartbeat is not None else time.time())
    return store.create("nodes", {
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}},
        "status": {
            "allocatable": {"cpu": cpu, "memory": "32Gi", "pods": pods},
            "capacity": {"cpu": cpu, "memory": "32Gi", "pods": pods},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}],
        },
    })


def heartbeat(store: Store, name: str, when: float) -> None:
    def _fn(node: dict[str, Any]) -> None:
        for c in node["status"]["conditions"]:
            if c["type"] == "Ready":
                if c["status"] != "True":
                    c.update(status="True", reason="KubeletReady", lastTransitionTime=format_time(when))
                    c.pop("message", None)
                c["lastHeartbeatTime"] = format_time(when)

    store.mutate("nodes", None, name, _fn, subresource="status")


def template(app: str, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "img:1", "ports": [{"name": "http", "containerPort": 8080}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}], **spec},
    }


def deployment(name: str, replicas: int, surge: Any = "25%", unavailable: Any = "25%", **extra: Any
               ) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NS},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template(name),
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}, **extra},
    }


def pods_of(store: Store, app: str) -> list[dict[str, Any]]:
    return store.list("pods", NS, label_selector=f"app={app}")


def is_ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or ())


class TestKubelet:
    """Acts as the kubelet: starts bound pods (Running; Ready when `auto_ready`), gives each a podIP and host
    ports, and removes terminating pods when `remove_terminating` (their process 'exited')."""

    __test__ = False

    def __init__(self, store: Store, *, auto_ready: bool = True, remove_terminating: bool = True) -> None:
        self.store = store
        self.auto_ready = auto_ready
        self.remove_terminating = remove_terminating
        self.cpu: dict[str, float] = {}  # pod name -> millicores
        self.cpu_default: float | None = None  # millicores for pods not in `cpu`
        self.memory_default: int | None = None  # working-set bytes of every pod
        self.clock: Callable[[], float] = time.time  # the kubelet's clock (status times, sample times)
        self.metric_text: dict[str, str] = {}  # pod name -> Prometheus text
        self._next_port = 30000
        self._lock = threading.Lock()
        self._sub = store.subscribe(self._on_event, "pods")

    def close(self) -> None:
        self._sub.close()

    def _on_event(self, event: Any) -> None:
        if event.type == "DELETED":
            return
        pod = event.object
        if pod["metadata"].get("deletionTimestamp"):
            if self.remove_terminating:
                self._remove(pod)
            return
        if pod["spec"].get("nodeName") and pod["status"].get("phase") == "Pending":
            current = self.store.try_get("pods", NS, pod["metadata"]["name"])  # events may be stale
            if current is not None and current["status"].get("phase") == "Pending":
                self.start(pod["metadata"]["name"], ready=self.auto_ready)

    def _remove(self, pod: dict[str, Any]) -> None:
        try:
            self.store.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"],
                              preconditions={"uid": pod["metadata"]["uid"]})
        except Exception:
            pass

    def start(self, name: str, ready: bool) -> None:
        with self._lock:
            http, metrics = self._next_port, self._next_port + 1
            self._next_port += 2
        ports = json.dumps({"http": http, "8080": http, "metrics": metrics, "9091": metrics})

        def _meta(pod: dict[str, Any]) -> None:
            pod["metadata"].setdefault("annotations", {})[PORTS] = ports

        self.store.mutate("pods", NS, name, _meta)
        self.set_ready(name, ready, phase="Running")

    def set_ready(self, name: str, ready: bool, phase: str = "Running") -> None:
        now = format_time(self.clock())

        def _fn(pod: dict[str, Any]) -> None:
            status = pod["status"]
            status.update(phase=phase, podIP="127.0.0.1", hostIP="127.0.0.1")
            status.setdefault("startTime", now)
            conds = [c for c in status.get("conditions") or () if c["type"] != "Ready"]
            old = next((c for c in status.get("conditions") or () if c["type"] == "Ready"), None)
            value = "True" if ready else "False"
            since = old["lastTransitionTime"] if old and old["status"] == value else now
            conds.append({"type": "Ready", "status": value, "lastTransitionTime": since})
            status["conditions"] = conds

        self.store.mutate("pods", NS, name, _fn, subresource="status")

    # ----------------------------------------------------------------- the kubelet's interfaces
    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None) -> dict[str, Any] | None:
        pod = self.store.get("pods", namespace, name)
        grace = pod["spec"].get("terminationGracePeriodSeconds", 30) if grace_seconds is None else grace_seconds
        if grace == 0:
            self.store.delete("pods", namespace, name)
            return None
        return self.store.mark_deleting("pods", namespace, name, grace)

    def cpu_usage(self, namespace: str, name: str) -> tuple[float, float, float] | None:
        value = self.cpu.get(name, self.cpu_default)
        return None if value is None else (value, 30.0, self.clock())

    def memory_usage(self, namespace: str, name: str) -> tuple[int, float] | None:
        return None if self.memory_default is None else (self.memory_default, self.clock())

    def scrape(self, namespace: str, name: str, port: str | int, path: str = "/metrics") -> str | None:
        return self.metric_text.get(name)


class GracefulDeleter:
    """The API server's PodDeleter as the kubelet provides it: graceful deletion via the TestKubelet."""

    def __init__(self, kubelet: TestKubelet) -> None:
        self.kubelet = kubelet

    def delete_pod(self, store: Store, namespace: str, name: str, options: Any) -> dict[str, Any]:
        before = store.get("pods", namespace, name)
        after = self.kubelet.delete_pod(namespace, name, options.grace_period_seconds)
        return after or before


def start_cluster(config: ControllerConfig | None = None, **kubelet_args: Any
                  ) -> tuple[Store, TestKubelet, ControllerManager]:
    store = Store()
    store.create("namespaces", {"metadata": {"name": NS}})
    kubelet = TestKubelet(store, **kubelet_args)
    cfg = config or ControllerConfig(resync_interval=0.2, scheduler_backoff_initial=0.0, podgc_orphan_quarantine=0)
    manager = ControllerManager(store, cfg, kubelet, kubelet.delete_pod).start()
    return store, kubelet, manager
