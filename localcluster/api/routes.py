"""URL paths of the Kubernetes REST API -> what they address."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from .errors import NotFound
from .resources import ResourceType, resources_for

__all__ = ["DiscoveryRoute", "ResourceRoute", "parse_path"]


@dataclass(frozen=True)
class ResourceRoute:
    """A resource collection (`name` None), object, or object subresource; `namespace` None = all."""

    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_prefix: bool = False  # legacy /api/v1/watch/... form


@dataclass(frozen=True)
class DiscoveryRoute:
    """A discovery document: kind is 'api', 'apis', 'group' or 'resources'."""

    kind: str
    group: str = ""
    version: str = ""


def _not_found(path: str) -> NotFound:
    return NotFound(f"the server could not find the requested resource ({path})", details={})


def _find(group: str, version: str, plural: str, path: str) -> ResourceType:
    for rt in resources_for(group, version):
        if rt.plural == plural:
            return rt
    raise _not_found(path)


def parse_path(path: str) -> ResourceRoute | DiscoveryRoute | None:
    """Parse an /api or /apis path; None when the path is outside the REST API."""
    segs = [unquote(s) for s in path.split("?", 1)[0].split("/") if s]
    if not segs or segs[0] not in ("api", "apis"):
        return None
    if segs[0] == "api":
        if len(segs) == 1:
            return DiscoveryRoute("api")
        group, version, rest = "", segs[1], segs[2:]
        if version != "v1":
            raise _not_found(path)
    else:
        if len(segs) == 1:
            return DiscoveryRoute("apis")
        if len(segs) == 2:
            return DiscoveryRoute("group", segs[1])
        group, version, rest = segs[1], segs[2], segs[3:]
    if not resources_for(group, version):
        raise _not_found(path)
    if not rest:
        return DiscoveryRoute("resources", group, version)
    watch_prefix = rest[0] == "watch"
    if watch_prefix:
        rest = rest[1:]
    if len(rest) >= 3 and rest[0] == "namespaces" and any(r.plural == rest[2] for r in resources_for(group, version)):
        rt = _find(group, version, rest[2], path)
        if not rt.namespaced or len(rest) > 5:
            raise _not_found(path)
        name = rest[3] if len(rest) > 3 else None
        sub = rest[4] if len(rest) > 4 else None
        return ResourceRoute(rt, rest[1], name, sub, watch_prefix)
    if not rest or len(rest) > 3:
        raise _not_found(path)
    rt = _find(group, version, rest[0], path)
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if rt.namespaced and name is not None:
        raise _not_found(path)
    if sub is not None and sub not in rt.subresources:
        raise _not_found(path)
    return ResourceRoute(rt, None, name, sub, watch_prefix)
