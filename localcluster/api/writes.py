"""The write verbs on resource routes: create (POST), update (PUT), patch (PATCH), delete and
deletecollection (DELETE), each with upstream's dryRun=All (every default, check and admission decision
made and answered, nothing stored, no side effect: a dry-run pod delete never reaches the kubelet)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import bodies
from .errors import ApiError, BadRequest, Forbidden, MethodNotAllowed, NotFound, status_body
from .hooks import DeleteOptions, dry_run_requested
from .http import Request, Response, json_response
from .patch import APPLY, apply_patch, check_patch_type
from .resources import ResourceType
from .routes import ResourceRoute
from .views import from_view, to_view

if TYPE_CHECKING:
    from .handler import Api

__all__ = ["PROTECTED_NAMESPACES", "create", "delete", "delete_collection", "delete_object", "patch", "update"]

PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")


def dry_run(req: Request) -> bool:
    return dry_run_requested(req.query.get("dryRun"))


def _body(api: Api, req: Request, route: ResourceRoute) -> dict[str, Any]:
    body = bodies.decode(req, route.rt)
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a JSON {route.rt.kind} object")
    rt = route.rt
    if body.get("kind") not in (None, rt.kind) or body.get("apiVersion") not in (None, rt.api_version):
        raise BadRequest(
            f"the body is a {body.get('apiVersion')}/{body.get('kind')}, "
            f"this endpoint takes {rt.api_version}/{rt.kind}"
        )
    api.check_fields(req, rt, body)
    return from_view(rt, body)





def create(api: Api, req: Request, route: ResourceRoute) -> Response:
    rt = route.rt
    if rt.namespaced and route.namespace is None:
        raise MethodNotAllowed(f"POST needs a namespace: /.../namespaces/<ns>/{rt.plural}")
    body = _body(api, req, route)
    created = api.store.create(rt, body, namespace=route.namespace, reset_status=True, dry_run=dry_run(req),
                               on_write=api.fields.tracker(req, rt, None))
    return api.present(rt, created, req, 201)


def update(api: Api, req: Request, route: ResourceRoute) -> Response:
    body = _body(api, req, route)
    meta = body.setdefault("metadata", {})
    if meta.get("name", route.name) != route.name:
        raise BadRequest(f"the name of the object ({meta.get('name')}) does not match the name on the URL")
    meta["name"] = route.name
    store, rt = api.store, route.rt
    obj = store.update(rt, body, namespace=route.namespace, subresource=route.subresource, dry_run=dry_run(req),
                       on_write=api.fields.tracker(req, rt, route.subresource))
    return api.present(rt, obj, req)


def patch(api: Api, req: Request, route: ResourceRoute) -> Response:
    assert route.name is not None
    ctype = req.content_type
    if ctype == APPLY:
        return api.fields.apply(api, req, route, dry_run(req))
    check_patch_type(ctype)
    body = bodies.decode(req, route.rt)
    if body is None:
        raise BadRequest("PATCH needs a body")
    rt = route.rt

    def _fn(obj: dict[str, Any]) -> dict[str, Any]:
        result = from_view(rt, apply_patch(to_view(rt, obj), body, ctype))
        api.check_fields(req, rt, to_view(rt, result))
        return result

    obj = api.store.mutate(rt, route.namespace, route.name, _fn, subresource=route.subresource, dry_run=dry_run(req),
                           on_write=api.fields.tracker(req, rt, route.subresource))
    return api.present(rt, obj, req)


def delete_object(api: Api, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions) -> dict:
    """Delete through the hooks (pods via the PodDeleter, gracefully); returns the object's last state. A dry
    run answers what the deletion would show (a pod with its deletionTimestamp) and changes nothing."""
    store = api.store
    if rt.plural == "namespaces" and not rt.group and name in PROTECTED_NAMESPACES:
        raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                        details={"name": name, "kind": "namespaces"})
    if rt.plural == "pods" and not rt.group:
        if options.dry_run:
            pod = store.get("pods", namespace, name)
            grace = options.grace_period_seconds
            if grace is None:
                grace = int((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
            if grace > 0 and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                return store.mark_deleting("pods", namespace, name, grace, dry_run=True)
            return store.delete("pods", namespace, name, preconditions=options.preconditions, dry_run=True)
        return api.hooks.pod_deleter.delete_pod(store, namespace or "", name, options)
    return store.delete(rt, namespace, name, preconditions=options.preconditions,
                        propagation_policy=options.propagation_policy, dry_run=options.dry_run)


def _options(req: Request) -> DeleteOptions:
    body = bodies.decode(req, None, default={})
    options = DeleteOptions.from_body(body, req.query)
    return options


def delete(api: Api, req: Request, route: ResourceRoute) -> Response:
    assert route.name is not None
    rt = route.rt
    options = _options(req)
    obj = delete_object(api, rt, route.namespace, route.name, options)
    if rt.delete_returns_object or (rt.plural == "namespaces" and not rt.group):
        return api.present(rt, obj, req)
    if not options.dry_run and api.store.try_get(rt, route.namespace, route.name) is not None:
        return api.present(rt, obj, req, 202)  # kept by finalizers
    details = {"name": route.name, "group": rt.group, "kind": rt.plural, "uid": obj["metadata"]["uid"]}
    body = status_body(200, "", "", {k: v for k, v in details.items() if v})
    del body["code"]
    return json_response(200, body)


def delete_collection(api: Api, req: Request, route: ResourceRoute) -> Response:
    rt = route.rt
    options = _options(req)
    entries, _ = api.select(req, route)
    deleted = []
    for entry in entries:
        meta = entry.obj["metadata"]
        try:
            deleted.append(delete_object(api, rt, meta.get("namespace"), meta["name"], options))
        except ApiError as exc:
            if not isinstance(exc, NotFound):
                raise
    doc = {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": {},
           "items": [to_view(rt, o) for o in deleted]}
    return json_response(200, doc)
