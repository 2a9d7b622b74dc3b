"""What a request asks to do, in the terms RBAC rules are written in (verb, API group, resource,
subresource, name, namespace; or a non-resource path), derived from the HTTP method and URL the way
kube-apiserver's request-info resolver does."""

from __future__ import annotations

from dataclasses import dataclass

from .identity import User

__all__ = ["Attributes", "request_attributes"]


@dataclass(frozen=True)
class Attributes:
    user: User
    verb: str
    namespace: str = ""
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""  # set for non-resource requests (/version, /openapi/v2, /apis, ...)

    @property
    def resource_request(self) -> bool:
        return not self.path


def request_attributes(user: User, method: str, path: str, query: dict[str, str], route: object | None) -> Attributes:
    """Attributes of one request. `route` is a routes.ResourceRoute for resource URLs, else None."""
    if route is None or not hasattr(route, "rt"):
        verb = {"GET": "get", "HEAD": "get", "POST": "post", "PUT": "put", "PATCH": "patch",
                "DELETE": "delete"}.get(method, method.lower())
        return Attributes(user, verb, path=path)
    rt = route.rt
    name = route.name or ""  # type: ignore[attr-defined]
    watch = route.watch_prefix or query.get("watch", "") in ("true", "True", "1")  # type: ignore[attr-defined]
    if method in ("GET", "HEAD"):
        verb = "watch" if watch else ("get" if name else "list")
    elif method == "POST":
        verb = "create"
    elif method == "PUT":
        verb = "update"
    elif method == "PATCH":
        verb = "patch"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = method.lower()
    return Attributes(user, verb, route.namespace or "", rt.group, rt.version, rt.plural,  # type: ignore[attr-defined]
                      route.subresource or "", name)  # type: ignore[attr-defined]
