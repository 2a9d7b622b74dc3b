"""Background cascading deletion: when an owner is deleted, delete the dependents whose owners are all gone.

This is the garbage collector's visible behaviour for `propagationPolicy` Background (the default) and
Foreground (approximated as Background: the owner goes first). `Orphan` is handled by the store, which
strips the ownerReferences before deleting the owner. Dependents are deleted through `delete`, so pods go
through the PodDeleter (graceful deletion by the kubelet) like any other pod deletion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .errors import Conflict, NotFound
from .hooks import DeleteOptions
from .resources import ResourceType
from .store import Store, Subscription
from .watch import DELETED, WatchEvent

__all__ = ["GarbageCollector"]

log = logging.getLogger(__name__)

DeleteFn = Callable[[ResourceType, str | None, str, DeleteOptions], object]


class GarbageCollector:
    """Follows the store's DELETED events on its own thread; start() / stop()."""

    def __init__(self, store: Store, delete: DeleteFn | None = None) -> None:
        self.store = store
        self._delete = delete or self._store_delete
        self._subscription: Subscription | None = None

    def _store_delete(self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions) -> object:
        return self.store.delete(rt, namespace, name, preconditions=options.preconditions)

    def start(self) -> GarbageCollector:
        if self._subscription is None:
            self._subscription = self.store.subscribe(self._on_event, resource_version=self.store.resource_version)
        return self

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    def _on_event(self, event: WatchEvent) -> None:
        if event.type != DELETED:
            return
        uid = event.object.get("metadata", {}).get("uid")
        if uid:
            self.collect(uid)

    def collect(self, owner_uid: str) -> int:
        """Delete dependents of a deleted owner that have no live owner left; returns how many."""
        count = 0
        for rt, obj in self.store.dependents(owner_uid):
            meta = obj["metadata"]
            refs = meta.get("ownerReferences") or ()
            if meta.get("deletionTimestamp") or any(self.store.uid_exists(r.get("uid", "")) for r in refs):
                continue
            options = DeleteOptions(preconditions={"uid": meta["uid"]}, propagation_policy="Background")
            try:
                self._delete(rt, meta.get("namespace"), meta["name"], options)
                count += 1
            except (NotFound, Conflict):  # already gone, or replaced by a new object of that name
                pass
            except Exception:
                where = f"{meta.get('namespace') or ''}/{meta['name']}"
                log.exception("garbage collector: deleting %s %s failed", rt.plural, where)
        return count
