"""The namespace controller: what upstream's namespace and service-account controllers do for namespaces.

- A new namespace gets its `default` ServiceAccount.
- A namespace being deleted is `Terminating` (the store marks it): this controller deletes everything in it
  through the API's delete path (pods therefore terminate gracefully through the kubelet, with their
  grace period and preStop), and once nothing is left it drops the `kubernetes` finalizer and removes the
  namespace. New objects are refused in a Terminating namespace (the store answers 403).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .errors import ApiError, NotFound
from .hooks import DeleteOptions
from .resources import ResourceType
from .store import Store, Subscription
from .watch import DELETED, WatchEvent

__all__ = ["NamespaceController"]

log = logging.getLogger(__name__)

DeleteFn = Callable[[ResourceType, str | None, str, DeleteOptions], object]
_SWEEP = 0.5  # how often a terminating namespace is checked for what is left


class NamespaceController:
    def __init__(self, store: Store, delete: DeleteFn) -> None:
        self.store = store
        self._delete = delete
        self._subscription: Subscription | None = None
        self._terminating: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> NamespaceController:
        for ns in self.store.list("namespaces"):
            if ns["metadata"].get("deletionTimestamp"):
                with self._lock:
                    self._terminating.add(ns["metadata"]["name"])
            else:
                self._ensure_service_account(ns["metadata"]["name"])
        if self._subscription is None:
            self._subscription = self.store.subscribe(self._on_event, "namespaces",
                                                      resource_version=self.store.resource_version)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="namespace-controller", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _on_event(self, event: WatchEvent) -> None:
        if event.type == DELETED:
            return
        meta = event.object["metadata"]
        if meta.get("deletionTimestamp"):
            with self._lock:
                self._terminating.add(meta["name"])
        else:
            self._ensure_service_account(meta["name"])

    def _ensure_service_account(self, namespace: str) -> None:
        if self.store.try_get("serviceaccounts", namespace, "default") is not None:
            return
        try:
            self.store.create("serviceaccounts", {"metadata": {"name": "default", "namespace": namespace}})
        except ApiError:  # already there, or the namespace is going away
            pass

    def _run(self) -> None:
        while not self._stop.wait(_SWEEP):
            with self._lock:
                names = sorted(self._terminating)
            for name in names:
                try:
                    if self._sweep(name):
                        with self._lock:
                            self._terminating.discard(name)
                except Exception:
                    log.exception("namespace controller: finalizing namespace %s failed", name)

    def _sweep(self, namespace: str) -> bool:
        """Delete what is left in a terminating namespace; remove it once empty. True when it is gone."""
        if self.store.try_get("namespaces", None, namespace) is None:
            return True
        left = self.store.namespace_contents(namespace)
        for rt, name in left:
            obj = self.store.try_get(rt, namespace, name)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                continue
            try:
                self._delete(rt, namespace, name, DeleteOptions(propagation_policy="Background"))
            except NotFound:
                pass
        if left:
            return False

        def _finalize(ns: dict) -> None:
            ns.setdefault("spec", {})["finalizers"] = [f for f in ns["spec"].get("finalizers") or ()
                                                       if f != "kubernetes"]

        self.store.mutate("namespaces", None, namespace, _finalize)  # no finalizer left: the store removes it
        if self.store.try_get("namespaces", None, namespace) is not None:
            self.store.delete("namespaces", None, namespace)
        log.info("namespace %s finalized and removed", namespace)
        return True
