"""REST handlers: verbs on resource routes -> Store calls -> responses (Status objects on error)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from . import discovery, subresources, tables, watchstream
from .errors import ApiError, BadRequest, MethodNotAllowed, NotFound, status_body
from .hooks import DeleteOptions, DeletingEvictionHandler, EvictionHandler, ImmediatePodDeleter, PodDeleter
from .http import Request, Response, dumps, json_response
from .logs import MemoryPodLogs, PodLogSource
from .patch import apply_patch, check_patch_type
from .resources import ResourceType
from .routes import DiscoveryRoute, ResourceRoute
from .store import Entry, Store
from .views import field_requirements, from_view, to_view

__all__ = ["Hooks", "RestApi"]


@dataclass
class Hooks:
    """The pluggable parts (see hooks.py and logs.py)."""

    pod_deleter: PodDeleter = field(default_factory=ImmediatePodDeleter)
    eviction: EvictionHandler = field(default_factory=DeletingEvictionHandler)
    logs: PodLogSource = field(default_factory=MemoryPodLogs)


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
        if req.query.get("dryRun"):
            raise BadRequest("dryRun is not supported by the local cluster")
        sub = route.subresource
        if sub is not None and sub not in route.rt.subresources:
            raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
        if sub in ("log", "eviction", "binding", "scale"):
            return subresources.handle(self, req, route)
        method = req.method
        if route.name is None:
            if method == "GET":
                watch = route.watch_prefix or req.flag("watch")
                return watchstream.open_watch(self, req, route) if watch else self.list(req, route)
            if method == "POST":
                return self.create(req, route)
            if method == "DELETE":
                return self.delete_collection(req, route)
        else:
            if method == "GET":
                return self.get(req, route)
            if method == "PUT":
                return self.update(req, route)
            if method == "PATCH":
                return self.patch(req, route)
            if method == "DELETE" and sub is None:
                return self.delete(req, route)
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

    def _select(self, req: Request, route: ResourceRoute) -> tuple[list[Entry], str]:
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
        entries, rv = self._select(req, route)
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

    def _body(self, req: Request, route: ResourceRoute) -> dict[str, Any]:
        body = req.json()
        if not isinstance(body, dict):
            raise BadRequest(f"the request body must be a JSON {route.rt.kind} object")
        rt = route.rt
        if body.get("kind") not in (None, rt.kind) or body.get("apiVersion") not in (None, rt.api_version):
            raise BadRequest(
                f"the body is a {body.get('apiVersion')}/{body.get('kind')}, "
                f"this endpoint takes {rt.api_version}/{rt.kind}"
            )
        return from_view(rt, body)

    def create(self, req: Request, route: ResourceRoute) -> Response:
        rt = route.rt
        if rt.namespaced and route.namespace is None:
            raise MethodNotAllowed(f"POST needs a namespace: /.../namespaces/<ns>/{rt.plural}")
        body = self._body(req, route)
        created = self.store.create(rt, body, namespace=route.namespace, reset_status=True)
        return self.present(rt, created, req, 201)

    def update(self, req: Request, route: ResourceRoute) -> Response:
        body = self._body(req, route)
        meta = body.setdefault("metadata", {})
        if meta.get("name", route.name) != route.name:
            raise BadRequest(f"the name of the object ({meta.get('name')}) does not match the name on the URL")
        meta["name"] = route.name
        obj = self.store.update(route.rt, body, namespace=route.namespace, subresource=route.subresource)
        return self.present(route.rt, obj, req)

    def patch(self, req: Request, route: ResourceRoute) -> Response:
        assert route.name is not None
        check_patch_type(req.content_type)
        body = req.json()
        if body is None:
            raise BadRequest("PATCH needs a body")
        ctype = req.content_type
        rt = route.rt
        if rt.storage:  # a view: patch its representation

            def _fn(obj: dict[str, Any]) -> dict[str, Any]:
                return from_view(rt, apply_patch(to_view(rt, obj), body, ctype))

            obj = self.store.mutate(rt, route.namespace, route.name, _fn, subresource=route.subresource)
        else:
            obj = self.store.patch(rt, route.namespace, route.name, body, ctype, subresource=route.subresource)
        return self.present(rt, obj, req)

    def delete_object(self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions) -> dict:
        """Delete through the hooks (pods via the PodDeleter); returns the object's last state."""
        if rt.plural == "pods" and not rt.group:
            return self.hooks.pod_deleter.delete_pod(self.store, namespace or "", name, options)
        return self.store.delete(
            rt, namespace, name, preconditions=options.preconditions, propagation_policy=options.propagation_policy
        )

    def delete(self, req: Request, route: ResourceRoute) -> Response:
        assert route.name is not None
        rt = route.rt
        options = DeleteOptions.from_body(req.json(default={}), req.query)
        if options.dry_run:
            raise BadRequest("dryRun is not supported by the local cluster")
        obj = self.delete_object(rt, route.namespace, route.name, options)
        if rt.delete_returns_object:
            return self.present(rt, obj, req)
        if self.store.try_get(rt, route.namespace, route.name) is not None:
            return self.present(rt, obj, req, 202)  # kept by finalizers
        details = {"name": route.name, "group": rt.group, "kind": rt.plural, "uid": obj["metadata"]["uid"]}
        body = status_body(200, "", "", {k: v for k, v in details.items() if v})
        del body["code"]
        return json_response(200, body)

    def delete_collection(self, req: Request, route: ResourceRoute) -> Response:
        rt = route.rt
        options = DeleteOptions.from_body(req.json(default={}), req.query)
        entries, _ = self._select(req, route)
        deleted = []
        for entry in entries:
            meta = entry.obj["metadata"]
            try:
                deleted.append(self.delete_object(rt, meta.get("namespace"), meta["name"], options))
            except ApiError as exc:
                if not isinstance(exc, NotFound):
                    raise
        doc = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": {}, "items": deleted}
        doc["items"] = [to_view(rt, o) for o in deleted]
        return json_response(200, doc)
