"""Watch plumbing: store changes, per-watcher queues, selector filtering and the event history.

Every store write produces one `Change` (one resourceVersion). A `Watcher` receives the changes of the
resources it watches, in resourceVersion order, and turns them into `WatchEvent`s for its selectors the
way upstream's watch cache does: an object entering the selection is ADDED, one leaving it is DELETED
(carrying its last matching state with the new resourceVersion).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..selectors import (
    FieldGetter,
    FieldRequirement,
    LabelRequirement,
    matches_field_selector,
    matches_label_requirements,
)
from .errors import status_body
from .objects import clone

__all__ = ["Change", "WatchEvent", "Watcher"]

ADDED, MODIFIED, DELETED, ERROR, BOOKMARK = "ADDED", "MODIFIED", "DELETED", "ERROR", "BOOKMARK"


@dataclass(slots=True)
class Change:
    """One store write: the new object (last state for DELETED) and the previous one for MODIFIED."""

    type: str
    key: str  # storage key, e.g. 'v1/pods'
    rv: int
    obj: dict[str, Any]
    old: dict[str, Any] | None = None
    raw: bytes | None = None  # cached JSON of `obj`, filled lazily by the HTTP layer


@dataclass(slots=True)
class WatchEvent:
    """What a watcher yields: type ADDED/MODIFIED/DELETED/ERROR/BOOKMARK and the object."""

    type: str
    object: dict[str, Any]
    key: str = ""
    rv: int = 0
    change: Change | None = field(default=None, repr=False)  # set when `object` is the change's own object

    @property
    def namespace(self) -> str:
        return self.object.get("metadata", {}).get("namespace", "")

    @property
    def name(self) -> str:
        return self.object.get("metadata", {}).get("name", "")


def _with_rv(obj: dict[str, Any], rv: int) -> dict[str, Any]:
    out = dict(obj)
    out["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(rv)}
    return out


class Watcher:
    """A subscription to store changes; iterate it or call `next(timeout)`. Close it when done.

    Objects are deep copies when the watcher was opened with `copy=True` (the default for in-process
    callers); the HTTP layer opens watchers with `copy=False` and only serialises the shared objects.
    """

    def __init__(
        self,
        keys: frozenset[str] | None,
        namespace: str | None,
        labels: list[LabelRequirement],
        fields: list[FieldRequirement],
        field_getters: Mapping[str, FieldGetter],
        *,
        copy: bool = True,
        max_queue: int = 100_000,
        on_close: Callable[[Watcher], None] | None = None,
    ) -> None:
        self.keys = keys
        self.namespace = namespace or None
        self._labels = labels
        self._fields = fields
        self._field_getters = field_getters
        self._copy = copy
        self._max_queue = max_queue
        self._queue: collections.deque[Change | WatchEvent] = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._closed = False
        self._on_close = on_close

    # -------------------------------------------------------------- producer side (store, under its lock)
    def wants(self, change: Change) -> bool:
        if self.keys is not None and change.key not in self.keys:
            return False
        if self.namespace is None:
            return True
        return change.obj.get("metadata", {}).get("namespace") == self.namespace

    def push(self, item: Change | WatchEvent) -> None:
        with self._cond:
            if self._closed:
                return
            if len(self._queue) >= self._max_queue:  # a consumer this far behind gets a 410 and is dropped
                self._queue.clear()
                self._queue.append(expired_event("watcher fell too far behind; relist and watch again"))
                self._closed = True
            else:
                self._queue.append(item)
            self._cond.notify()

    # -------------------------------------------------------------- consumer side
    def matches(self, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata", {})
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if self._labels and not matches_label_requirements(self._labels, meta.get("labels")):
            return False
        return not self._fields or matches_field_selector(self._fields, obj, self._field_getters)

    def _convert(self, change: Change) -> WatchEvent | None:
        new_ok = self.matches(change.obj)
        if change.type == ADDED:
            return WatchEvent(ADDED, change.obj, change.key, change.rv, change) if new_ok else None
        if change.type == DELETED:
            return WatchEvent(DELETED, change.obj, change.key, change.rv, change) if new_ok else None
        old_ok = change.old is not None and self.matches(change.old)
        if new_ok:
            kind = MODIFIED if old_ok else ADDED
            return WatchEvent(kind, change.obj, change.key, change.rv, change)
        if old_ok and change.old is not None:
            return WatchEvent(DELETED, _with_rv(change.old, change.rv), change.key, change.rv)
        return None

    def next(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event, or None when `timeout` passes first or the watcher is closed and drained."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                while not self._queue:
                    if self._closed:
                        return None
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return None
                    self._cond.wait(remaining)
                item = self._queue.popleft()
            event = item if isinstance(item, WatchEvent) else self._convert(item)
            if event is not None:
                if self._copy:
                    event = WatchEvent(event.type, clone(event.object), event.key, event.rv)
                return event

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            event = self.next()
            if event is None:
                return
            yield event

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop receiving changes; `next()` returns what is queued, then None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._on_close is not None:
            self._on_close(self)
            self._on_close = None

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def expired_event(message: str) -> WatchEvent:
    """The ERROR event a watch from a resourceVersion older than the history receives (410 Expired)."""
    return WatchEvent(ERROR, status_body(410, "Expired", message))
