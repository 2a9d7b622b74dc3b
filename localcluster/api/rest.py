"""REST handlers: verbs on resource routes -> Store calls -> responses (Status objects on error). Reads are
here; writes in writes.py, subresources in subresources.py, virtual kinds (reviews, metrics) in virtual.py."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from . import discovery, subresources, tables, virtual, watchstream, writes
from .auth import AllowAll, Authorizer
from .errors import BadRequest, MethodNotAllowed, NotFound
from .fields import FieldManager
from .hooks import (
    DeleteOptions,
    DeletingEvictionHandler,
    EvictionHandler,
    ImmediatePodDeleter,
    MetricsSource,
    NoMetrics,
    PodDeleter,
)
from .http import Request, Response, dumps, json_response
from .logs import MemoryPodLogs, PodLogSource
from .openapi.validate import check_body
from .resources import ResourceType
from .routes import DiscoveryRoute, ResourceRoute
from .store import Entry, Store
from .views import field_requirements, to_view

__all__ = ["Hooks", "RestApi"]


@dataclass
class Hooks:
    """The pluggable parts (see hooks.py and logs.py)."""

    pod_deleter: PodDeleter = field(default_factory=ImmediatePodDeleter)
    eviction: EvictionHandler = field(default_factory=DeletingEvictionHandler)
    logs: PodLogSource = field(default_factory=MemoryPodLogs)
    metrics: MetricsSource = field(default_factory=NoMetrics)


def _raw(entry: Entry) -> bytes:
    raw = entry.raw
    if raw is None:
        raw = entry.raw = dumps(entry.obj)
    return raw


def _ident(entry: Entry) -> tuple[str, str]:
    meta = entry.obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def _encode_continue(namespace: str, name: str, rv: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([namespace, name, rv]).encode()).decode()


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        ns, name, _ = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(ns), str(name)
    except (ValueError, TypeError):
        raise BadRequest(f"invalid continue token {token!r}") from None


class RestApi:
    """Serves resource routes against a Store."""

    def __init__(self, store: Store, hooks: Hooks, *, bookmark_interval: float = 60.0) -> None:
        self.store = store
        self.hooks = hooks
        self.bookmark_interval = bookmark_interval
        self.closing = False
        self.fields = FieldManager()
        self.authorizer: Authorizer = AllowAll()

    # ------------------------------------------------------------------------------------- discovery
    def discovery(self, route: DiscoveryRoute, server_address: str) -> Response:
        if route.kind == "api":
            return json_response(200, discovery.api_versions(server_address))
        if route.kind == "apis":
            return json_response(200, discovery.api_group_list())
        doc = (
            discovery.api_group(route.group)
            if route.kind == "group"
            else discovery.api_resource_list(route.group, route.version)
        )
        if doc is None:
            raise NotFound("the server could not find the requested resource", details={})
        return json_response(200, doc)

    # ------------------------------------------------------------------------------------- dispatch
    def handle(self, req: Request, route: ResourceRoute) -> Response:
        sub = route.subresource
        if sub is not None and sub not in route.rt.subresources:
            raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
        if route.rt.virtual:
            return virtual.handle(self, req, route)
        if sub in ("log", "eviction", "binding", "scale", "exec", "attach", "portforward"):
            return subresources.handle(self, req, route)
        method = req.method
        if route.name is None:
            if method == "GET":
                watch = route.watch_prefix or req.flag("watch")
                return watchstream.open_watch(self, req, route) if watch else self.list(req, route)
            if method == "POST":
                return writes.create(self, req, route)
            if method == "DELETE":
                return writes.delete_collection(self, req, route)
        else:
            if method == "GET":
                return self.get(req, route)
            if method == "PUT":
                return writes.update(self, req, route)
            if method == "PATCH":
                return writes.patch(self, req, route)
            if method == "DELETE" and sub is None:
                return writes.delete(self, req, route)
        raise MethodNotAllowed(f"the server does not allow this method on the requested resource ({method})")

    def present(self, rt: ResourceType, obj: dict[str, Any], req: Request, code: int = 200) -> Response:
        """One object as the client asked for it (JSON, or a one-row Table)."""
        if tables.wants_table(req.accept):
            include = req.query.get("includeObject", "Metadata")
            obj = tables.table(rt, [to_view(rt, obj)], obj["metadata"].get("resourceVersion", ""), include)
            return json_response(code, obj)
        return json_response(code, to_view(rt, obj))

    # ------------------------------------------------------------------------------------- verbs
    def get(self, req: Request, route: ResourceRoute) -> Response:
        assert route.name is not None
        return self.present(route.rt, self.store.get(route.rt, route.namespace, route.name), req)

    def select(self, req: Request, route: ResourceRoute) -> tuple[list[Entry], str]:
        try:
            return self.store.entries(
                route.rt,
                route.namespace,
                label_selector=req.query.get("labelSelector") or None,
                field_selector=field_requirements(route.rt, req.query.get("fieldSelector")),
            )
        except ValueError as exc:
            raise BadRequest(str(exc)) from None

    def list(self, req: Request, route: ResourceRoute) -> Response:
        rt = route.rt
        entries, rv = self.select(req, route)
        meta: dict[str, Any] = {"resourceVersion": rv}
        token, limit = req.query.get("continue"), req.int_param("limit")
        if token:
            after = _decode_continue(token)
            entries = [e for e in entries if _ident(e) > after]
        if limit and limit > 0 and len(entries) > limit:
            last = entries[limit - 1].obj["metadata"]
            meta["continue"] = _encode_continue(last.get("namespace", ""), last["name"], rv)
            meta["remainingItemCount"] = len(entries) - limit
            entries = entries[:limit]
        if tables.wants_table(req.accept):
            objs = [to_view(rt, e.obj) for e in entries]
            doc = tables.table(rt, objs, rv, req.query.get("includeObject", "Metadata"))
            doc["metadata"] = meta
            return json_response(200, doc)
        if rt.storage:
            items = b",".join(dumps(to_view(rt, e.obj)) for e in entries)
        else:
            items = b",".join(_raw(e) for e in entries)
        head = dumps({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta})
        return Response(200, head[:-1] + b',"items":[' + items + b"]}")

    # ------------------------------------------------------------------------------------- writes
    def check_fields(self, req: Request, rt: ResourceType, body: dict[str, Any]) -> None:
        """Types and unknown fields of a request body against the kind's definition (openapi/validate.py);
        unknown fields are dropped and, by `fieldValidation`, refused or answered with Warning headers."""
        req.warnings.extend(check_body(rt.group, rt.version, rt.kind, body, req.query.get("fieldValidation")))

    def delete_object(self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions) -> dict:
        """Delete through the hooks (pods via the PodDeleter); returns the object's last state."""
        return writes.delete_object(self, rt, namespace, name, options)
