"""Thread-safe in-memory object store: the state of the local cluster, used over HTTP and in-process.

Objects are JSON-shaped dicts keyed by (storage key 'group/version/plural', namespace, name). One global
resourceVersion counter is bumped by every write; every write also appends one `Change` to a bounded
history and fans it out to watchers, so a watch resumes exactly from any resourceVersion still in the
history and gets a 410 Expired ERROR otherwise. Stored dicts are never mutated after they are stored:
every write stores a new dict, and the public API deep-copies objects on the way in and out.

Resources are named by anything `resources.resolve` accepts: 'pods', 'Pod', 'po', 'deployments.apps',
'apps/v1/deployments'. The events.k8s.io view shares storage with core/v1 events (core shape in-process).

In-process API (all thread-safe, objects are copies): get / try_get / list / list_with_version / entries
(no copy, read-only) / create / update / update_status / patch / mutate (atomic read-modify-write) /
delete / mark_deleting (graceful deletion) / watch (a Watcher) / subscribe (callback on its own thread) /
dependents / uid_exists / resource_version.

Over 400 lines because the write path (create/update/patch/delete with their preconditions, generation,
finalizer and watch rules) must stay under one lock in one place; watch filtering lives in watch.py, the
generic write rules in strategy.py and each kind's own in kinds/<plural>.py.
"""

from __future__ import annotations

import builtins
import collections
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..selectors import (
    FieldRequirement,
    LabelRequirement,
    label_selector_requirements,
    matches_label_requirements,
    parse_field_selector,
    parse_label_selector,
)
from . import kinds, strategy
from .errors import AlreadyExists, BadRequest, Conflict, Forbidden, NotFound
from .objects import clone, format_time, generated_name, now_time, prune_nulls
from .patch import MERGE, apply_patch
from .resources import ResourceType, resolve
from .watch import ADDED, DELETED, MODIFIED, Change, Watcher, WatchEvent, expired_event

List = builtins.list  # the Store has a method named `list`: annotations inside the class use this name

__all__ = ["Entry", "LabelSelectorArg", "Store", "Subscription"]

log = logging.getLogger(__name__)

LabelSelectorArg = str | Mapping[str, Any] | list[LabelRequirement] | None
WriteHook = Callable[[dict[str, Any] | None, dict[str, Any]], None]  # (stored or None, new), may edit new
_KEEP_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


class Entry:
    """A stored object (never mutated) and its cached JSON encoding."""

    __slots__ = ("obj", "raw")

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj
        self.raw: bytes | None = None


def _labels(arg: LabelSelectorArg) -> list[LabelRequirement]:
    if arg is None or isinstance(arg, list):
        return arg or []
    if isinstance(arg, str):
        return parse_label_selector(arg)
    return label_selector_requirements(arg)


def _fields(arg: str | list[FieldRequirement] | None, rt: ResourceType | None) -> list[FieldRequirement]:
    if arg is None or isinstance(arg, list):
        return arg or []
    return kinds.of(rt).parse_fields(arg) if rt else parse_field_selector(arg, "")


def _spec_part(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class Subscription:
    """A callback fed by a watcher on its own thread, in resourceVersion order; `close()` stops it."""

    def __init__(self, watcher: Watcher, callback: Callable[[WatchEvent], None]) -> None:
        self.watcher = watcher
        self._callback = callback
        self._thread = threading.Thread(target=self._run, name="store-subscription", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in self.watcher:
                try:
                    self._callback(event)
                except Exception:  # a failing controller must not stop the feed
                    log.exception("store subscriber %r failed on %s %s", self._callback, event.type, event.name)
        finally:
            self.watcher.close()

    def close(self, timeout: float = 5.0) -> None:
        self.watcher.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)


class Store:
    """The object store. All public methods are thread-safe and copy objects in and out."""

    def __init__(self, *, history: int = 10_000, require_namespace: bool = True) -> None:
        self._lock = threading.RLock()
        self._rv = 0
        self._objects: dict[str, dict[tuple[str, str], Entry]] = collections.defaultdict(dict)
        self._history: collections.deque[Change] = collections.deque(maxlen=max(1, history))
        self._watchers: set[Watcher] = set()
        self._uids: dict[str, tuple[str, str, str]] = {}  # uid -> (storage key, namespace, name)
        self.require_namespace = require_namespace
        self.ips = strategy.ServiceIPAllocator()

    # ------------------------------------------------------------------------------------------ reads
    @property
    def resource_version(self) -> str:
        """The current global resourceVersion (of the last write)."""
        return str(self._rv)

    @staticmethod
    def resolve(resource: str | ResourceType) -> ResourceType:
        """The stored resource type for a name or type (a view such as autoscaling/v1 HPAs resolves to the
        resource it is a view of: objects are stored, validated and defaulted in one shape)."""
        rt = resource if isinstance(resource, ResourceType) else resolve(resource)
        return resolve(rt.storage) if rt.storage else rt

    def _ns(self, rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _entry(self, rt: ResourceType, namespace: str | None, name: str) -> Entry:
        entry = self._objects[rt.storage_key].get((self._ns(rt, namespace), name))
        if entry is None:
            raise NotFound.of(rt.plural, name, rt.group)
        return entry

    def get(self, resource: str | ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        """A copy of one object; raises NotFound."""
        rt = self.resolve(resource)
        with self._lock:
            entry = self._entry(rt, namespace, name)
        return clone(entry.obj)

    def try_get(self, resource: str | ResourceType, namespace: str | None, name: str) -> dict[str, Any] | None:
        """Like get() but None when absent."""
        try:
            return self.get(resource, namespace, name)
        except NotFound:
            return None

    def entries(
        self,
        resource: str | ResourceType,
        namespace: str | None = None,
        *,
        label_selector: LabelSelectorArg = None,
        field_selector: str | list[FieldRequirement] | None = None,
    ) -> tuple[list[Entry], str]:
        """Matching entries sorted by (namespace, name) and the list's resourceVersion, WITHOUT copying:
        for read-only fast paths (the HTTP list encodes `Entry.raw`); never mutate `Entry.obj`."""
        rt = self.resolve(resource)
        labels, fields = _labels(label_selector), _fields(field_selector, rt)
        kind = kinds.of(rt)
        with self._lock:
            items = sorted(self._objects[rt.storage_key].items())
            rv = str(self._rv)
        ns = self._ns(rt, namespace) if namespace else None
        out = []
        for (obj_ns, _), entry in items:
            if ns is not None and obj_ns != ns:
                continue
            obj = entry.obj
            if labels and not matches_label_requirements(labels, obj["metadata"].get("labels")):
                continue
            if fields and not kind.matches_fields(fields, obj):
                continue
            out.append(entry)
        return out, rv

    def list(
        self,
        resource: str | ResourceType,
        namespace: str | None = None,
        *,
        label_selector: LabelSelectorArg = None,
        field_selector: str | list[FieldRequirement] | None = None,
    ) -> list[dict[str, Any]]:
        """Copies of the matching objects sorted by namespace then name. `label_selector` may be a
        selector string, a LabelSelector dict (matchLabels/matchExpressions) or parsed requirements."""
        return self.list_with_version(
            resource, namespace, label_selector=label_selector, field_selector=field_selector
        )[0]

    def list_with_version(
        self,
        resource: str | ResourceType,
        namespace: str | None = None,
        *,
        label_selector: LabelSelectorArg = None,
        field_selector: str | List[FieldRequirement] | None = None,
    ) -> tuple[List[dict[str, Any]], str]:
        """list() plus the resourceVersion to start a watch from without missing a change."""
        found, rv = self.entries(resource, namespace, label_selector=label_selector, field_selector=field_selector)
        return [clone(e.obj) for e in found], rv

    def uid_exists(self, uid: str) -> bool:
        """True while an object with this uid is stored."""
        with self._lock:
            return uid in self._uids

    def dependents(self, owner_uid: str) -> List[tuple[ResourceType, dict[str, Any]]]:
        """(resource type, copy) of every object with an ownerReference to `owner_uid`."""
        found = []
        with self._lock:
            for key, objects in self._objects.items():
                for entry in objects.values():
                    refs = entry.obj["metadata"].get("ownerReferences") or ()
                    if any(r.get("uid") == owner_uid for r in refs):
                        found.append((resolve(key), clone(entry.obj)))
        return found

    # ------------------------------------------------------------------------------------------ writes
    def _commit(self, rt: ResourceType, kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        key = rt.storage_key
        ident = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        uid = obj["metadata"].get("uid", "")
        if kind == DELETED:
            self._objects[key].pop(ident, None)
            self._uids.pop(uid, None)
        else:
            self._objects[key][ident] = Entry(obj)
            self._uids[uid] = (key, *ident)
        change = Change(kind, key, self._rv, obj, old)
        self._history.append(change)
        for watcher in list(self._watchers):
            if watcher.wants(change):
                watcher.push(change)

    def _new_name(self, rt: ResourceType, ns: str, prefix: str) -> str:
        for _ in range(100):
            name = generated_name(prefix)
            if (ns, name) not in self._objects[rt.storage_key]:
                return name
        raise AlreadyExists(f"could not generate a unique name with prefix {prefix!r}")

    def create(
        self,
        resource: str | ResourceType,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        reset_status: bool = False,
        dry_run: bool = False,
        on_write: WriteHook | None = None,
    ) -> dict[str, Any]:
        """Store a new object; sets uid, creationTimestamp, resourceVersion, generation and defaults.
        `on_write(None, new)` runs last before storing (the API's field manager records managedFields).
        `dry_run`: every check and default as for real, nothing stored, no resourceVersion (upstream's dryRun=All).

        `namespace` defaults to metadata.namespace; a different metadata.namespace is a 400. The HTTP
        layer passes `reset_status=True` (clients cannot set status on create, except for nodes);
        in-process callers may create objects with a status. Raises AlreadyExists, NotFound (namespace
        missing), Invalid (422) or BadRequest.
        """
        rt = self.resolve(resource)
        new = prune_nulls(clone(dict(obj)))
        meta = new.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        ns = self._create_namespace(rt, meta, namespace)
        with self._lock:
            if self.require_namespace and rt.namespaced:
                self._check_namespace_open(rt, ns, meta)
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = self._new_name(rt, ns, str(meta["generateName"]))
            strategy.validate(rt, new)
            if (ns, meta["name"]) in self._objects[rt.storage_key]:
                raise AlreadyExists.of(rt.plural, meta["name"], rt.group)
            requested = meta.pop("managedFields", None)
            for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
                meta.pop(field, None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_time()
            if rt.tracks_generation:
                meta["generation"] = 1
            strategy.prepare_create(rt, new, reset_status, self.ips.dry() if dry_run else self.ips)
            strategy.finish_write(rt, new)
            if requested:
                meta["managedFields"] = requested
            if on_write is not None:
                on_write(None, new)
            if dry_run:
                return clone(new)
            self._commit(rt, ADDED, new, None)
            return clone(new)

    def _check_namespace_open(self, rt: ResourceType, ns: str, meta: dict[str, Any]) -> None:
        entry = self._objects["v1/namespaces"].get(("", ns))
        if entry is None:
            raise NotFound.of("namespaces", ns)
        if entry.obj["metadata"].get("deletionTimestamp"):
            raise Forbidden(
                f'{rt.plural}{"." + rt.group if rt.group else ""} "{meta.get("name") or meta.get("generateName", "")}"'
                f" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                details={"name": meta.get("name", ""), "kind": rt.plural,
                         "causes": [{"reason": "NamespaceTerminating", "field": "metadata.namespace",
                                     "message": f"namespace {ns} is being terminated"}]})

    def _create_namespace(self, rt: ResourceType, meta: dict[str, Any], namespace: str | None) -> str:
        if not rt.namespaced:
            meta.pop("namespace", None)
            return ""
        ns = namespace or meta.get("namespace") or ""
        if meta.get("namespace") and meta["namespace"] != ns:
            raise BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if not ns:
            raise BadRequest(f"{rt.kind} {meta.get('name', '')!r}: a namespace is required for {rt.plural}")
        meta["namespace"] = ns
        return ns

    def _check_preconditions(self, rt: ResourceType, current: dict[str, Any], meta: Mapping[str, Any]) -> None:
        cur = current["metadata"]
        if meta.get("resourceVersion") and str(meta["resourceVersion"]) != cur["resourceVersion"]:
            raise Conflict.modified(rt.plural, cur["name"], rt.group)
        if meta.get("uid") and meta["uid"] != cur["uid"]:
            raise Conflict(
                f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: {cur['uid']}",
                details={"name": cur["name"], "kind": rt.plural},
            )

    def _merge_update(
        self, rt: ResourceType, current: dict[str, Any], proposed: dict[str, Any], subresource: str | None
    ) -> dict[str, Any]:
        """The object to store for an update of `current` by `proposed` (both owned by the caller)."""
        if subresource == "status":
            result = clone(current)
            result["status"] = proposed.get("status") or {}
            return result
        if subresource not in (None, ""):
            raise BadRequest(f"unsupported subresource {subresource!r} for {rt.plural}")
        meta = proposed.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        cur_meta = current["metadata"]
        if meta.get("name", cur_meta["name"]) != cur_meta["name"]:
            raise BadRequest(f"the name of the object ({meta.get('name')}) does not match the name in the URL")
        if rt.namespaced and meta.get("namespace", cur_meta["namespace"]) != cur_meta["namespace"]:
            raise BadRequest("the namespace of the provided object does not match the namespace of the request")
        meta["name"] = cur_meta["name"]
        if rt.namespaced:
            meta["namespace"] = cur_meta["namespace"]
        requested = meta.pop("managedFields", None)  # a client may set them (upstream honours it); else kept
        if requested is None and "managedFields" in cur_meta:
            meta["managedFields"] = clone(cur_meta["managedFields"])
        elif requested:
            meta["managedFields"] = requested
        for field in _KEEP_META:
            if field in cur_meta:
                meta[field] = cur_meta[field]
            else:
                meta.pop(field, None)
        proposed["apiVersion"], proposed["kind"] = rt.api_version, rt.kind
        if rt.has_status:
            if "status" in current:
                proposed["status"] = clone(current["status"])
            else:
                proposed.pop("status", None)
        return proposed

    def _write_update(
        self, rt: ResourceType, entry: Entry, proposed: dict[str, Any], subresource: str | None, dry_run: bool = False,
        on_write: WriteHook | None = None,
    ) -> dict[str, Any]:
        current = entry.obj
        self._check_preconditions(rt, current, proposed.get("metadata") or {})
        new = prune_nulls(self._merge_update(rt, current, proposed, subresource))
        if subresource is None:
            strategy.apply_defaults(rt, new)
        strategy.validate(rt, new, current)
        if rt.plural == "services" and subresource is None:
            new.setdefault("spec", {})
            for field in ("clusterIP", "clusterIPs"):
                if field in current.get("spec", {}):
                    new["spec"].setdefault(field, current["spec"][field])
        strategy.finish_write(rt, new)
        if rt.tracks_generation and _spec_part(new) != _spec_part(current):
            new["metadata"]["generation"] = int(current["metadata"].get("generation", 0)) + 1
        new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if new == current:
            return clone(current)  # no-op writes do not bump the resourceVersion, as upstream
        if on_write is not None:
            on_write(current, new)
        if dry_run:
            return clone(new)  # dry runs store nothing
        meta = new["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and not meta.get("deletionGracePeriodSeconds"):
            self._commit(rt, DELETED, new, None)
        else:
            self._commit(rt, MODIFIED, new, current)
        return clone(new)

    def update(
        self,
        resource: str | ResourceType,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
        on_write: WriteHook | None = None,
    ) -> dict[str, Any]:
        """Replace an object (PUT). A non-empty metadata.resourceVersion is a precondition (409 Conflict).
        The main resource ignores status changes; subresource='status' changes only the status and does
        not bump generation. Identical content is a no-op (no new resourceVersion)."""
        rt = self.resolve(resource)
        proposed = clone(dict(obj))
        meta = proposed.get("metadata") or {}
        ns = namespace if namespace is not None else meta.get("namespace")
        with self._lock:
            entry = self._entry(rt, ns, str(meta.get("name", "")))
            return self._write_update(rt, entry, proposed, subresource, dry_run, on_write)

    def update_status(
        self, resource: str | ResourceType, obj: Mapping[str, Any], *, namespace: str | None = None
    ) -> dict[str, Any]:
        """Replace only the status (the /status subresource); generation is unchanged."""
        return self.update(resource, obj, namespace=namespace, subresource="status")

    def patch(
        self,
        resource: str | ResourceType,
        namespace: str | None,
        name: str,
        body: Any,
        content_type: str = MERGE,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Apply a merge / strategic-merge / JSON patch (by content type) atomically."""
        rt = self.resolve(resource)
        with self._lock:
            entry = self._entry(rt, namespace, name)
            patched = apply_patch(clone(entry.obj), body, content_type)
            return self._write_update(rt, entry, patched, subresource, dry_run)

    def mutate(
        self,
        resource: str | ResourceType,
        namespace: str | None,
        name: str,
        fn: Callable[[dict[str, Any]], dict[str, Any] | None],
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        on_write: WriteHook | None = None,
    ) -> dict[str, Any]:
        """Atomic read-modify-write: `fn` gets a copy, edits it in place (or returns a new dict) and the
        result is written as update() would. `fn` runs under the store lock: keep it short, no store calls."""
        rt = self.resolve(resource)
        with self._lock:
            entry = self._entry(rt, namespace, name)
            obj = clone(entry.obj)
            result = fn(obj)
            proposed = obj if result is None else result
            return self._write_update(rt, entry, proposed, subresource, dry_run, on_write)

    def delete(
        self,
        resource: str | ResourceType,
        namespace: str | None,
        name: str,
        *,
        preconditions: Mapping[str, Any] | None = None,
        propagation_policy: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Remove an object now (or, when it has finalizers, set deletionTimestamp and keep it).

        Returns the object's last state. `preconditions` {uid, resourceVersion} mismatch -> Conflict.
        `propagation_policy='Orphan'` strips the ownerReferences pointing at it from its dependents;
        other policies leave dependents to the garbage collector (api.gc). A namespace with
        `spec.finalizers` turns Terminating; the namespace controller (api.namespaces) empties it
        gracefully and then removes it. `dry_run`: the same checks and answer, nothing changed.
        """
        rt = self.resolve(resource)
        with self._lock:
            entry = self._entry(rt, namespace, name)
            self._check_preconditions(rt, entry.obj, preconditions or {})
            obj = clone(entry.obj)
            meta = obj["metadata"]
            if rt.plural == "namespaces" and not rt.group and (obj.get("spec") or {}).get("finalizers"):
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = now_time()
                    meta["deletionGracePeriodSeconds"] = 0
                    obj.setdefault("status", {})["phase"] = "Terminating"
                    if not dry_run:
                        self._commit(rt, MODIFIED, obj, entry.obj)
                return clone(obj)
            if dry_run:
                if meta.get("finalizers") and not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"], meta["deletionGracePeriodSeconds"] = now_time(), 0
                return obj
            if propagation_policy == "Orphan":
                self._orphan_dependents(meta["uid"], meta.get("namespace", ""))
            if meta.get("finalizers"):
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = now_time()
                    meta["deletionGracePeriodSeconds"] = 0
                    self._commit(rt, MODIFIED, obj, entry.obj)
                return clone(obj)
            if rt.plural == "services":
                for ip in obj.get("spec", {}).get("clusterIPs") or ():
                    self.ips.release(ip)
            self._commit(rt, DELETED, obj, None)
            return clone(obj)

    def _orphan_dependents(self, uid: str, namespace: str) -> None:
        for key, objects in list(self._objects.items()):
            rt = resolve(key)
            for (ns, _), entry in list(objects.items()):
                refs = entry.obj["metadata"].get("ownerReferences") or ()
                if (not namespace or ns == namespace) and any(r.get("uid") == uid for r in refs):
                    obj = clone(entry.obj)
                    obj["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    if not obj["metadata"]["ownerReferences"]:
                        del obj["metadata"]["ownerReferences"]
                    strategy.finish_write(rt, obj)
                    self._commit(rt, MODIFIED, obj, entry.obj)

    def namespace_contents(self, namespace: str) -> List[tuple[ResourceType, str]]:
        """(resource type, name) of every stored object in a namespace (for the namespace controller)."""
        with self._lock:
            found: List[tuple[ResourceType, str]] = []
            for key, objects in self._objects.items():
                rt = resolve(key)
                if rt.namespaced:
                    found.extend((rt, name) for (ns, name) in objects if ns == namespace)
            return found

    def mark_deleting(
        self, resource: str | ResourceType, namespace: str | None, name: str, grace_seconds: int,
        *, dry_run: bool = False,
    ) -> dict[str, Any]:
        """Start a graceful deletion: deletionTimestamp = now + grace, deletionGracePeriodSeconds = grace.
        A later call may only shorten it. The caller (kubelet) deletes the object when it has stopped."""
        rt = self.resolve(resource)
        grace = max(0, int(grace_seconds))

        def _mark(obj: dict[str, Any]) -> None:
            meta = obj["metadata"]
            current = meta.get("deletionGracePeriodSeconds")
            if meta.get("deletionTimestamp") and current is not None and current <= grace:
                return
            meta["deletionTimestamp"] = format_time(time.time() + grace)
            meta["deletionGracePeriodSeconds"] = grace

        with self._lock:
            entry = self._entry(rt, namespace, name)
            obj = clone(entry.obj)
            _mark(obj)
            if obj == entry.obj or dry_run:
                return obj
            self._commit(rt, MODIFIED, obj, entry.obj)
            return clone(obj)

    # ------------------------------------------------------------------------------------------ watch
    def watch(
        self,
        resource: str | ResourceType | Iterable[str | ResourceType] | None,
        namespace: str | None = None,
        *,
        label_selector: LabelSelectorArg = None,
        field_selector: str | List[FieldRequirement] | None = None,
        resource_version: str | None = None,
        copy: bool = True,
    ) -> Watcher:
        """Open a watcher. Without resource_version (or '0') it first yields ADDED for every current match;
        with a resourceVersion from a list or an event it yields exactly the later changes, or one ERROR
        410 Expired event when that version has left the history. `resource` may be one resource, several,
        or None for all (selectors then apply to every kind; field selectors need a single resource)."""
        rts = self._resources(resource)
        single = rts[0] if rts is not None and len(rts) == 1 else None
        labels = _labels(label_selector)
        fields = _fields(field_selector, single)
        if fields and single is None:
            raise BadRequest("a field selector needs a single resource type")
        keys = None if rts is None else frozenset(r.storage_key for r in rts)
        watcher = Watcher(
            keys, namespace, labels, fields, kinds.of(single).field_getters if single else {}, copy=copy,
            on_close=self._forget
        )
        with self._lock:
            self._start_watch(watcher, rts, resource_version)
            if not watcher.closed:
                self._watchers.add(watcher)
        return watcher

    def _resources(self, resource: Any) -> List[ResourceType] | None:
        if resource is None:
            return None
        if isinstance(resource, str | ResourceType):
            return [self.resolve(resource)]
        return [self.resolve(r) for r in resource]

    def _start_watch(self, watcher: Watcher, rts: List[ResourceType] | None, resource_version: str | None) -> None:
        if resource_version in (None, "", "0"):
            for key in sorted({r.storage_key for r in rts} if rts else builtins.list(self._objects)):
                for _, entry in sorted(self._objects[key].items()):
                    if watcher.matches(entry.obj):
                        rv = int(entry.obj["metadata"]["resourceVersion"])
                        watcher.push(WatchEvent(ADDED, entry.obj, key, rv))
            return
        try:
            since = int(str(resource_version))
        except ValueError:
            raise BadRequest(f"invalid resourceVersion {resource_version!r}: must be an integer") from None
        oldest = self._history[0].rv if self._history else self._rv + 1
        if since < oldest - 1 or since > self._rv:  # too old, or from before a server restart: relist
            which = "too old" if since < oldest - 1 else "too large"
            watcher.push(expired_event(f"{which} resource version: {since} (current {self._rv})"))
            watcher.close()
            return
        for change in self._history:
            if change.rv > since and watcher.wants(change):
                watcher.push(change)

    def _forget(self, watcher: Watcher) -> None:
        with self._lock:
            self._watchers.discard(watcher)

    def subscribe(
        self,
        callback: Callable[[WatchEvent], None],
        resources: str | ResourceType | Iterable[str | ResourceType] | None = None,
        *,
        namespace: str | None = None,
        label_selector: LabelSelectorArg = None,
        resource_version: str | None = None,
    ) -> Subscription:
        """Call `callback(event)` on a dedicated thread for each change, in resourceVersion order,
        starting with ADDED for current objects unless `resource_version` is given. Exceptions raised
        by the callback are logged and do not stop the feed. `Subscription.close()` stops it."""
        watcher = self.watch(
            resources, namespace, label_selector=label_selector, resource_version=resource_version
        )
        return Subscription(watcher, callback)

    @property
    def watcher_count(self) -> int:
        with self._lock:
            return len(self._watchers)

    def close(self) -> None:
        """Close every open watcher (server shutdown)."""
        with self._lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher.close()
