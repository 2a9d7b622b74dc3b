"""Subresources with their own bodies: pods/log, pods/eviction, pods/binding, {deployments,replicasets}/scale."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..selectors import selector_to_string
from . import bodies
from .errors import BadRequest, MethodNotAllowed, NotFound, status_body
from .hooks import dry_run_requested
from .http import Request, Response, json_response
from .logs import LogLine
from .objects import format_rfc3339_nano, parse_time
from .patch import apply_patch, check_patch_type
from .routes import ResourceRoute

if TYPE_CHECKING:
    from .handler import Api

__all__ = ["handle", "scale_of"]


def handle(api: Api, req: Request, route: ResourceRoute) -> Response:
    sub, method = route.subresource, req.method
    if route.name is None:
        raise NotFound(f"the server could not find the requested resource ({req.path})", details={})
    if sub == "log" and method == "GET":
        return pod_log(api, req, route)
    if sub == "eviction" and method == "POST":
        return evict(api, req, route)
    if sub == "binding" and method == "POST":
        return bind(api, req, route)
    if sub == "scale" and method in ("GET", "PUT", "PATCH"):
        return scale(api, req, route)
    if sub in _STREAMING:
        api.store.get("pods", route.namespace, route.name)  # 404 for a missing pod first, as upstream
        raise BadRequest(f"{_STREAMING[sub]} is not supported by the local cluster: its pods are local processes "
                         "without a container runtime to stream from")
    raise MethodNotAllowed(f"the server does not allow this method on the requested resource ({method} {sub})")


_STREAMING = {"exec": "kubectl exec and kubectl cp (pods/exec)", "attach": "kubectl attach (pods/attach)",
              "portforward": "kubectl port-forward (pods/portforward)"}


# ------------------------------------------------------------------------------------------------ scale
def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of a Deployment or ReplicaSet."""
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": int(obj.get("spec", {}).get("replicas", 0))},
        "status": {
            "replicas": int(obj.get("status", {}).get("replicas", 0)),
            "selector": selector_to_string(obj.get("spec", {}).get("selector")),
        },
    }


def scale(api: Api, req: Request, route: ResourceRoute) -> Response:
    assert route.name is not None
    rt, store = route.rt, api.store
    if req.method == "GET":
        return json_response(200, scale_of(store.get(rt, route.namespace, route.name)))
    if req.method == "PATCH":
        check_patch_type(req.content_type)
    body = req.json()
    if not isinstance(body, dict | list):
        raise BadRequest("the Scale body must be a JSON object (or a JSON patch list)")
    if req.method == "PUT" and not isinstance(body, dict):
        raise BadRequest("the Scale body of a PUT must be a JSON object")

    def _apply(obj: dict[str, Any]) -> None:
        current = scale_of(obj)
        wanted: dict[str, Any] = body if isinstance(body, dict) and req.method == "PUT" else \
            apply_patch(current, body, req.content_type)
        want_rv = (wanted.get("metadata") or {}).get("resourceVersion")
        if want_rv and str(want_rv) != current["metadata"]["resourceVersion"]:
            obj["metadata"]["resourceVersion"] = str(want_rv)  # the store answers 409 Conflict
        replicas = (wanted.get("spec") or {}).get("replicas")
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise BadRequest(f"Scale spec.replicas must be a non-negative integer, got {replicas!r}")
        obj["spec"]["replicas"] = replicas

    updated = store.mutate(rt, route.namespace, route.name, _apply, dry_run=dry_run_requested(req.query.get("dryRun")),
                           on_write=api.fields.tracker(req, rt, "scale"))
    return json_response(200, scale_of(updated))


# ------------------------------------------------------------------------------------------------ eviction
def evict(api: Api, req: Request, route: ResourceRoute) -> Response:
    assert route.name is not None and route.namespace is not None
    body = bodies.decode(req, None, default={})
    if not isinstance(body, dict):
        raise BadRequest("the Eviction body must be a JSON object")
    if dry_run_requested(req.query.get("dryRun")):
        body["deleteOptions"] = {**(body.get("deleteOptions") or {}), "dryRun": ["All"]}
    name = (body.get("metadata") or {}).get("name")
    if name and name != route.name:
        raise BadRequest(f"name in URL does not match name in Eviction object ({name} != {route.name})")
    result = api.hooks.eviction.evict(api.store, route.namespace, route.name, body, api.hooks.pod_deleter)
    return json_response(int(result.get("code", 201)), result)


def bind(api: Api, req: Request, route: ResourceRoute) -> Response:
    """pods/binding: set spec.nodeName once (what a scheduler posts)."""
    assert route.name is not None
    body = req.json(default={})
    target = (body.get("target") or {}) if isinstance(body, dict) else {}
    node = target.get("name")
    if not node:
        raise BadRequest("Binding.target.name (the node) is required")

    def _bind(pod: dict[str, Any]) -> None:
        if pod["spec"].get("nodeName"):
            raise BadRequest(f"pod {route.name} is already assigned to node {pod['spec']['nodeName']!r}")
        pod["spec"]["nodeName"] = node

    api.store.mutate("pods", route.namespace, route.name, _bind, dry_run=dry_run_requested(req.query.get("dryRun")))
    return json_response(201, status_body(201, "", ""))


# ------------------------------------------------------------------------------------------------ logs
def _container(pod: dict[str, Any], wanted: str | None) -> str:
    names = [c.get("name", "") for c in pod.get("spec", {}).get("containers") or ()]
    if wanted:
        init = [c.get("name", "") for c in pod.get("spec", {}).get("initContainers") or ()]
        if wanted not in names and wanted not in init:
            raise BadRequest(f"container {wanted} is not valid for pod {pod['metadata']['name']}")
        return wanted
    if len(names) == 1:
        return names[0]
    raise BadRequest(
        f"a container name must be specified for pod {pod['metadata']['name']}, choose one of: [{' '.join(names)}]"
    )


def _check_previous(pod: dict[str, Any], container: str) -> None:
    """`previous=true` needs a terminated earlier instance of the container, else 400 as upstream."""
    status_of = pod.get("status") or {}
    statuses = [*(status_of.get("containerStatuses") or ()), *(status_of.get("initContainerStatuses") or ())]
    status: dict[str, Any] = next((s for s in statuses if s.get("name") == container), {})
    if not (status.get("lastState") or {}).get("terminated"):
        raise BadRequest(f'previous terminated container "{container}" in pod "{pod["metadata"]["name"]}" not found')


def _format(line: LogLine, timestamps: bool) -> bytes:
    text = f"{format_rfc3339_nano(line.time_ns)} {line.text}\n" if timestamps else f"{line.text}\n"
    return text.encode("utf-8", errors="replace")


def pod_log(api: Api, req: Request, route: ResourceRoute) -> Response:
    assert route.name is not None and route.namespace is not None
    ns, name = route.namespace, route.name
    pod = api.store.get("pods", ns, name)
    container = _container(pod, req.query.get("container") or None)
    timestamps, follow = req.flag("timestamps"), req.flag("follow")
    since, tail = req.int_param("sinceSeconds"), req.int_param("tailLines")
    limit = req.int_param("limitBytes")
    since_ns: int | None
    if req.query.get("sinceTime"):
        since_ns = int(parse_time(req.query["sinceTime"]) * 1e9)
    else:
        since_ns = time.time_ns() - since * 1_000_000_000 if since is not None else None
    previous = req.flag("previous")
    if previous:
        _check_previous(pod, container)
    lines = api.hooks.logs.read(ns, name, container, previous=previous)
    total = len(lines)
    if since_ns is not None:
        lines = [ln for ln in lines if ln.time_ns >= since_ns]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    body = b"".join(_format(ln, timestamps) for ln in lines)
    if limit is not None and limit >= 0:
        body = body[:limit]
    if not follow:
        return Response(200, body, content_type="text/plain")
    uid = pod["metadata"]["uid"]

    def _stream(write: Any, alive: Any) -> None:
        if body:
            write(body)

        def _stop() -> bool:
            current = api.store.try_get("pods", ns, name)
            return not alive() or current is None or current["metadata"]["uid"] != uid

        for line in api.hooks.logs.follow(ns, name, container, total, _stop):
            write(_format(line, timestamps))

    return Response(200, content_type="text/plain", stream=_stream)
