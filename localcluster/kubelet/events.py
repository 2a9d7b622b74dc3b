"""Kubelet events (Pulled, Created, Started, Killing, Unhealthy, BackOff, ...) written to the store as
core/v1 Events, deduplicated as upstream's recorder does (same object, reason and message -> count++)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from localcluster.api import ApiError, Store
from localcluster.api.objects import format_micro_time, format_time

__all__ = ["EventWriter"]

log = logging.getLogger(__name__)


class EventWriter:
    def __init__(self, store: Store, component: str = "kubelet") -> None:
        self.store = store
        self.component = component
        self._seen: dict[tuple[str, str, str, str], str] = {}
        self._lock = threading.Lock()

    def pod_event(
        self, pod: dict[str, Any], reason: str, message: str, *, container: str | None = None, warning: bool = False
    ) -> None:
        meta = pod["metadata"]
        ref = {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
        }
        if container:
            ref["fieldPath"] = f"spec.containers{{{container}}}"
        host = pod.get("spec", {}).get("nodeName", "")
        self.emit(ref, reason, message, host=host, warning=warning)

    def emit(self, ref: dict[str, Any], reason: str, message: str, *, host: str = "", warning: bool = False) -> None:
        """Create the event, or bump count/lastTimestamp of the identical one."""
        key = (ref.get("uid", ref.get("name", "")), ref.get("fieldPath", ""), reason, message)
        now = time.time()
        with self._lock:
            name = self._seen.get(key)
        try:
            if name is not None and self._bump(ref["namespace"], name, now):
                return
            name = f"{ref['name']}.{uuid.uuid4().hex[:16]}"
            self.store.create("events", {
                "metadata": {"name": name, "namespace": ref["namespace"]},
                "involvedObject": ref,
                "reason": reason,
                "message": message,
                "type": "Warning" if warning else "Normal",
                "source": {"component": self.component, **({"host": host} if host else {})},
                "reportingComponent": self.component,
                "reportingInstance": host,
                "firstTimestamp": format_time(now),
                "lastTimestamp": format_time(now),
                "eventTime": format_micro_time(now),
                "count": 1,
            })
        except ApiError as exc:  # e.g. the namespace is being deleted: events are best effort
            log.debug("event %s for %s not written: %s", reason, ref.get("name"), exc)
            return
        with self._lock:
            if len(self._seen) > 20_000:
                self._seen.clear()
            self._seen[key] = name

    def _bump(self, namespace: str, name: str, now: float) -> bool:
        def _fn(ev: dict[str, Any]) -> None:
            ev["count"] = int(ev.get("count") or 1) + 1
            ev["lastTimestamp"] = format_time(now)

        try:
            self.store.mutate("events", namespace, name, _fn)
        except ApiError:
            return False
        return True
