"""The `agentflow` scrape targets as a Prometheus file_sd file, rewritten (atomically, only when it changes)
as pods come and go: what the prometheus-operator's ServiceMonitor discovers through the Service's Endpoints.

A pod is a target while it exists, matches the Service's selector, is not terminating and has a `metrics`
container port: Endpoints keep an unready pod (as notReadyAddresses) and the operator scrapes it, so a crashed
container or a pod on a failed node scrapes as up == 0; a deleted or terminating pod leaves the target list.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["TargetWriter", "scrape_targets"]


def _matches(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    return bool(selector) and all((labels or {}).get(k) == v for k, v in selector.items())


def _metrics_container(pod: dict[str, Any], port_name: str) -> str | None:
    for c in (pod.get("spec") or {}).get("containers") or []:
        if any(p.get("name") == port_name for p in c.get("ports") or ()):
            return str(c["name"])
    return None


def scrape_targets(workers: list[Any], service: dict[str, Any], port_name: str = "metrics") -> list[dict[str, Any]]:
    """file_sd entries (one per pod) for the pods behind `service` (kubelet PodWorkers)."""
    meta = service["metadata"]
    selector = (service.get("spec") or {}).get("selector") or {}
    out = []
    for w in sorted(workers, key=lambda w: w.pod_name):
        if w.gone or w.deadline is not None or w.namespace != meta.get("namespace"):
            continue
        if not _matches(selector, w.pod["metadata"].get("labels")):
            continue
        container, host_port = _metrics_container(w.pod, port_name), w.port_of(port_name)
        if container is None or host_port is None:
            continue
        out.append({"targets": [f"127.0.0.1:{host_port}"],
                    "labels": {"job": meta["name"], "namespace": w.namespace, "pod": w.pod_name,
                               "container": container, "service": meta["name"], "endpoint": port_name}})
    return out


class TargetWriter:
    """Rewrites `path` every `period` seconds from a daemon thread (once at start, synchronously)."""

    def __init__(self, path: Path, workers: Callable[[], list[Any]], service: dict[str, Any],
                 period: float = 1.0) -> None:
        self.path = Path(path)
        self._workers, self._service, self._period = workers, service, period
        self._last = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prometheus-targets", daemon=True)

    def write_once(self) -> None:
        text = json.dumps(scrape_targets(self._workers(), self._service), indent=1, sort_keys=True)
        if text == self._last:
            return
        fd, tmp = tempfile.mkstemp(prefix=".targets-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last = text

    def start(self) -> TargetWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.write_once()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self.write_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
