"""The resource types the API serves: names, kinds, scope, subresources and verbs (drives routing and
discovery). `resolve()` turns any common spelling ('pods', 'Pod', 'po', 'deployments.apps',
'apps/v1/deployments') into a `ResourceType`, so in-process callers can use short names.

The kinds the cluster has served from the start are listed here; kinds added later live one per module in
`kinds/` (their rules next to their resource type) and are appended from `kinds.KINDS`.
"""

from __future__ import annotations

from .kinds import KINDS
from .resource_type import ResourceType
from .resource_type import rt as _rt

__all__ = ["RESOURCES", "ResourceType", "groups", "resolve", "resources_for"]


RESOURCES: tuple[ResourceType, ...] = (
    _rt("", "v1", "namespaces", "Namespace", False, short_names=("ns",), subresources=("status",)),
    _rt("", "v1", "nodes", "Node", False, short_names=("no",), subresources=("status",)),
    _rt(
        "",
        "v1",
        "pods",
        "Pod",
        short_names=("po",),
        subresources=("status", "log", "eviction", "binding", "exec", "attach", "portforward"),
        categories=("all",),
        tracks_generation=True,
        delete_returns_object=True,
    ),
    _rt(
        "",
        "v1",
        "services",
        "Service",
        short_names=("svc",),
        subresources=("status",),
        categories=("all",),
        delete_returns_object=True,
    ),
    _rt("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    _rt("", "v1", "events", "Event", short_names=("ev",)),
    _rt(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short_names=("deploy",),
        subresources=("status", "scale"),
        categories=("all",),
        tracks_generation=True,
    ),
    _rt(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        short_names=("rs",),
        subresources=("status", "scale"),
        categories=("all",),
        tracks_generation=True,
    ),
    _rt(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        subresources=("status",),
        categories=("all",),
        tracks_generation=True,
    ),
    _rt(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        short_names=("pdb",),
        subresources=("status",),
        tracks_generation=True,
    ),
    _rt("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    _rt("events.k8s.io", "v1", "events", "Event", short_names=("ev",), storage="v1/events"),
    *(kind.resource for kind in KINDS),
)

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
