"""Event recorder: core/v1 Events (served also as events.k8s.io/v1 by the API's view), deduplicated.

An event is identified by (involved object uid, type, reason, message, component); a repeat bumps
`count` and `lastTimestamp` of the existing Event instead of creating a new one, as
client-go's EventCorrelator does. `eventTime` is always set (events.k8s.io clients require it non-null).
Events of cluster-scoped objects (nodes) go to the `default` namespace, as upstream.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from ..api import ApiError, NotFound, Store
from ..api.objects import format_micro_time, format_time
from .base import Clock

__all__ = ["EventRecorder"]

log = logging.getLogger(__name__)


def _involved(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace"),
        "name": meta.get("name", ""),
        "uid": meta.get("uid"),
        "apiVersion": obj.get("apiVersion"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    """`event(obj, type, reason, message)` from one component (reportingController)."""

    def __init__(self, store: Store, clock: Clock, component: str, instance: str = "localcluster") -> None:
        self.store = store
        self.clock = clock
        self.component = component
        self.instance = instance
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, ...], tuple[str, str]] = {}  # key -> (namespace, event name)

    def for_component(self, component: str) -> EventRecorder:
        """A recorder for another component sharing this one's store and clock."""
        return EventRecorder(self.store, self.clock, component, self.instance)

    def event(self, obj: Mapping[str, Any], type_: str, reason: str, message: str, action: str = "") -> None:
        """Record (or count again) an event about `obj`; failures are logged, never raised."""
        involved = _involved(obj)
        namespace = involved.get("namespace") or "default"
        key = (involved.get("uid", ""), involved.get("name", ""), type_, reason, message, self.component)
        now = self.clock()
        try:
            with self._lock:
                seen = self._seen.get(key)
                if seen is not None and self._bump(seen, involved, now):
                    return
                created = self._create(namespace, involved, type_, reason, message, action, now)
                self._seen[key] = (namespace, created["metadata"]["name"])
                if len(self._seen) > 4096:
                    self._seen.pop(next(iter(self._seen)))
        except ApiError as exc:
            log.debug("event %s/%s not recorded: %s", reason, involved.get("name"), exc.message)

    def _bump(self, seen: tuple[str, str], involved: dict[str, Any], now: float) -> bool:
        def _fn(ev: dict[str, Any]) -> None:
            count = int(ev.get("count") or 1) + 1
            ev["count"] = count
            ev["lastTimestamp"] = format_time(now)
            ev["involvedObject"] = involved

        try:
            self.store.mutate("events", seen[0], seen[1], _fn)
        except NotFound:
            return False
        return True

    def _create(
        self, namespace: str, involved: dict[str, Any], type_: str, reason: str, message: str, action: str,
        now: float,
    ) -> dict[str, Any]:
        stamp = format_time(now)
        body: dict[str, Any] = {
            "metadata": {"generateName": f"{involved.get('name', 'event')}.", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": type_,
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "eventTime": format_micro_time(now),
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "reportingInstance": self.instance,
        }
        if action:
            body["action"] = action
        return self.store.create("events", body)
