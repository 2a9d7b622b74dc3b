"""Kinds that are answered, not stored: the self reviews (POST -> the answer, 201) and metrics.k8s.io
(GET/LIST computed from the metrics source the kubelet plugs in, `Hooks.metrics`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import bodies, kinds
from .auth import ANONYMOUS, Authorizer, User
from .errors import BadRequest, MethodNotAllowed, NotFound
from .hooks import MetricsSource
from .http import Request, Response, json_response
from .routes import ResourceRoute
from .store import Store

if TYPE_CHECKING:
    from .handler import Api

__all__ = ["Context", "handle"]


@dataclass
class Context:
    """What a virtual kind's answer may use: who asks, the authorizer, the store, the metrics."""

    user: User
    authorizer: Authorizer
    store: Store
    metrics: MetricsSource
    label_selector: str = ""


def handle(api: Api, req: Request, route: ResourceRoute) -> Response:
    rt = route.rt
    rules = kinds.of(rt)
    ctx = Context(getattr(req, "user", None) or ANONYMOUS, api.authorizer, api.store, api.hooks.metrics,
                  req.query.get("labelSelector", ""))
    if req.method == "POST" and route.name is None and rules.answer is not None:
        body = bodies.decode(req, rt, default={})
        if not isinstance(body, dict):
            raise BadRequest(f"the request body must be a {rt.kind} object")
        return json_response(201, rules.answer(ctx, body))
    if req.method == "GET" and rules.read is not None:
        if req.flag("watch") or route.watch_prefix:
            raise MethodNotAllowed(f"watch is not supported on {rt.plural}.{rt.group}")
        items = rules.read(ctx, route.namespace, route.name)
        if route.name is not None:
            if not items:
                raise NotFound.of(rt.plural, route.name, rt.group)
            return json_response(200, items[0])
        doc = {"kind": rt.list_kind, "apiVersion": rt.api_version,
               "metadata": {"resourceVersion": api.store.resource_version}, "items": items}
        return json_response(200, doc)
    raise MethodNotAllowed(f"the server does not allow this method on the requested resource ({req.method})")
