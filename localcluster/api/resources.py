"""The resource types the API serves: names, kinds, scope, subresources and verbs (drives routing and
discovery). `resolve()` turns any common spelling ('pods', 'Pod', 'po', 'deployments.apps',
'apps/v1/deployments') into a `ResourceType`, so in-process callers can use short names.

Every served kind declares its resource type in its own module (`kinds/<plural>.py`); RESOURCES is derived
from `kinds.KINDS`, in upstream's discovery order.
"""

from __future__ import annotations

from .kinds import KINDS
from .resource_type import ResourceType

__all__ = ["RESOURCES", "ResourceType", "groups", "resolve", "resources_for"]


RESOURCES: tuple[ResourceType, ...] = tuple(kind.resource for kind in KINDS)

_BY_NAME: dict[str, ResourceType] = {}


def _index() -> dict[str, ResourceType]:
    if _BY_NAME:
        return _BY_NAME
    for rt in reversed(RESOURCES):  # first registered wins for ambiguous names (core events)
        names = [rt.key, rt.plural, rt.kind, rt.kind.lower(), rt.singular, *rt.short_names]
        if rt.group:
            names.append(f"{rt.plural}.{rt.group}")
        for name in names:
            _BY_NAME[name] = rt
    return _BY_NAME


def resolve(name: str) -> ResourceType:
    """The resource type for a name such as 'pods', 'Pod', 'po', 'deployments.apps' or 'apps/v1/deployments'."""
    rt = _index().get(name)
    if rt is None:
        raise KeyError(f"unknown resource {name!r}; served: {', '.join(r.key for r in RESOURCES)}")
    return rt


def resources_for(group: str, version: str) -> list[ResourceType]:
    """Resource types served under one group/version (core group is '')."""
    return [r for r in RESOURCES if r.group == group and r.version == version]


def groups() -> list[tuple[str, str]]:
    """Distinct (group, version) pairs served, in registration order, core first."""
    seen: list[tuple[str, str]] = []
    for r in RESOURCES:
        if (r.group, r.version) not in seen:
            seen.append((r.group, r.version))
    return seen
