"""The resource types the API serves: names, kinds, scope, subresources and verbs (drives routing and
discovery). `resolve()` turns any common spelling ('pods', 'Pod', 'po', 'deployments.apps',
'apps/v1/deployments') into a `ResourceType`, so in-process callers can use short names."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RESOURCES", "ResourceType", "groups", "resolve", "resources_for"]

_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource (group/version/plural) and how the API treats it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tracks_generation: bool = False  # metadata.generation bumped on spec change
    delete_returns_object: bool = False  # DELETE answers the object (pods, services) instead of Status
    storage: str = ""  # storage key of another resource this one is a view of ('' = itself)
    verbs: tuple[str, ...] = _ALL_VERBS
    singular: str = field(default="")

    @property
    def api_version(self) -> str:
        """`v1` for the core group, else `group/version`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        """`group/version/plural` (core: `v1/pods`): the identity used by the store."""
        return f"{self.api_version}/{self.plural}"

    @property
    def storage_key(self) -> str:
        return self.storage or self.key

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


def _rt(group: str, version: str, plural: str, kind: str, namespaced: bool = True, **kw: object) -> ResourceType:
    return ResourceType(group, version, plural, kind, namespaced, singular=kind.lower(), **kw)  # type: ignore[arg-type]


RESOURCES: tuple[ResourceType, ...] = (
    _rt("", "v1", "namespaces", "Namespace", False, short_names=("ns",), subresources=("status",)),
    _rt("", "v1", "nodes", "Node", False, short_names=("no",), subresources=("status",)),
    _rt(
        "",
        "v1",
        "pods",
        "Pod",
        short_names=("po",),
        subresources=("status", "log", "eviction", "binding"),
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
